//! A scenario month of Anshan tickets, assessed over HTTP, against figures computed by hand
//! from the histories below (issue 11): assessments count what happened, round by round and
//! unit by unit, not the tickets' current state.
//!
//! March 2026, complaints (AS-2.1: 20 working days from dispatch):
//!
//! | ticket | lead(s) | history | as-environment | as-hrss | as-enforcement |
//! |---|---|---|---|---|---|
//! | T1 noise | environment | resolved 03-10, satisfied → closed | met | | |
//! | T2 noise | environment | never resolved | overdue | | |
//! | T3 wages | hrss | resolved 04-10 (due 03-30) | | late | |
//! | T4 noise | environment | resolved 04-01 (due 03-31, late), unsatisfied → reverify, resolved 04-03 | late + met, 1 reopened | | |
//! | T5 noise | environment → enforcement | returned 03-03, dispatched, resolved 03-10 | cancelled, 1 return | | met |
//! | T6 noise | environment | returned 04-10, after its due (03-30), no sweep had run | overdue, 1 return | | |
//!
//! as-environment: met 2 (T1, T4's second round), late 1 (T4's first), overdue 2 (T2, T6) →
//! missed 3 → on-time 2 / 5 = 40.0 %.
//! as-hrss: late 1 → 0.0 %. as-enforcement: met 1 → 100.0 %, no return charged.
//! The hotline office, which dispatched T5, assesses: it is never ranked.
#![allow(clippy::unwrap_used)]

mod common;

use common::Server;
use serde_json::{Value, json};

/// An Anshan complaint, signed on receipt.
fn file(server: &Server, topic: &str, received_at: &str) -> String {
    let id = file_in(
        server,
        "anshan",
        json!({"category": "complaint", "topic": topic, "received_at": received_at}),
    );
    act(server, &id, json!({"action": "sign", "at": received_at}));
    id
}

fn act(server: &Server, id: &str, body: Value) -> Value {
    let (status, outcome) = server.post(&format!("/api/v1/tickets/{id}/actions"), &body);
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["outcome"], "allowed", "{outcome}");
    outcome
}

fn resolve(server: &Server, id: &str, at: &str) -> Value {
    act(
        server,
        id,
        json!({"action": "resolve", "at": at, "signatures": ["main_leader"],
               "evidence": ["visit_record"],
               "reply": {"verified": true, "result": "已处理", "resolution": "solved"}}),
    )
}

fn unit<'a>(units: &'a [Value], id: &str) -> &'a Value {
    units
        .iter()
        .find(|u| u["unit"] == id)
        .unwrap_or_else(|| panic!("{id} not assessed: {units:?}"))
}

#[test]
fn a_scenario_month_is_assessed_from_what_happened() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));

    let t1 = file(&server, "noise", "2026-03-02T09:00:00+08:00");
    resolve(&server, &t1, "2026-03-10T10:00:00+08:00");
    act(
        &server,
        &t1,
        json!({"action": "revisit", "at": "2026-03-11T10:00:00+08:00", "satisfaction": "satisfied"}),
    );

    let _t2 = file(&server, "noise", "2026-03-02T09:00:00+08:00");

    let t3 = file(&server, "wages", "2026-03-02T09:00:00+08:00");
    resolve(&server, &t3, "2026-04-10T10:00:00+08:00");

    let t4 = file(&server, "noise", "2026-03-03T09:00:00+08:00");
    resolve(&server, &t4, "2026-04-01T10:00:00+08:00");
    let reopened = act(
        &server,
        &t4,
        json!({"action": "revisit", "at": "2026-04-02T10:00:00+08:00", "satisfaction": "unsatisfied"}),
    );
    assert_eq!(reopened["ticket"]["status"], "reopened", "{reopened}");
    resolve(&server, &t4, "2026-04-03T10:00:00+08:00");

    let t5 = file(&server, "noise", "2026-03-02T09:00:00+08:00");
    act(
        &server,
        &t5,
        json!({"action": "return", "at": "2026-03-03T10:00:00+08:00", "reason": "属交通噪音",
               "basis": "机动车噪音由公安交管部门管理"}),
    );
    act(
        &server,
        &t5,
        json!({"action": "dispatch", "at": "2026-03-03T11:00:00+08:00", "lead": "as-enforcement",
               "reason": "属城市综合治理"}),
    );
    act(
        &server,
        &t5,
        json!({"action": "sign", "at": "2026-03-03T11:00:00+08:00"}),
    );
    resolve(&server, &t5, "2026-03-10T10:00:00+08:00");

    // A return after the limit does not turn the miss into a cancellation.
    let t6 = file(&server, "noise", "2026-03-02T09:00:00+08:00");
    act(
        &server,
        &t6,
        json!({"action": "return", "at": "2026-04-10T10:00:00+08:00", "reason": "属交通噪音",
               "basis": "机动车噪音由公安交管部门管理"}),
    );

    let (status, body) =
        server.get("/api/v1/assessments?jurisdiction=anshan&from=2026-03-01&to=2026-04-01");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tickets"], 6);
    let units = body["input"]["units"].as_array().unwrap();

    let env = unit(units, "as-environment");
    assert_eq!(
        env["tickets"], 5,
        "T1, T2, T4, T5 (led before its return) and T6: {env}"
    );
    assert_eq!(
        env["clocks"]["resolve"],
        json!({"met": 2, "late": 1, "overdue": 2, "missed": 3, "cancelled": 1}),
        "T4's late first round stays late after the reopening; T2, never resolved, and T6, \
         returned after its limit, are overdue"
    );
    assert_eq!(
        env["returned"], 2,
        "the returns are the environment bureau's"
    );
    assert_eq!(env["reopened"], 1);
    assert_eq!(env["resolved"], 2, "T1 and T4 (its standing resolve)");
    // Counted as deadlines are (the smallest n with dispatch + n working days ≥ the resolve):
    // T1 03-02 09:00 → 03-10 10:00 is 7; T4 from its first dispatch (03-03 09:00) to the
    // resolve that stands (04-03 10:00), across the reopening, is 24, not the 2 of its
    // second round.
    assert_eq!(
        env["handling_days"]["complaint"],
        json!({"7": 1, "24": 1}),
        "{env}"
    );
    assert_eq!(
        env["handling_days_open"]["complaint"]
            .as_object()
            .unwrap()
            .len(),
        1
    );

    let hrss = unit(units, "as-hrss");
    assert_eq!(hrss["clocks"]["resolve"], json!({"late": 1, "missed": 1}));
    let enforcement = unit(units, "as-enforcement");
    assert_eq!(enforcement["clocks"]["resolve"], json!({"met": 1}));
    assert_eq!(
        enforcement["returned"], 0,
        "the ticket it now holds was returned by another"
    );
    assert_eq!(enforcement["tickets"], 1);

    // AS-5.2: ranked by on-time rate; the office and the supervision centre are never ranked.
    assert!(
        units.iter().all(|u| u["level"] != "centre"),
        "assessing bodies are not among the assessed: {units:?}"
    );
    let ranking = body["assessment"]["ranking"].as_array().unwrap();
    let ranked: Vec<(&str, f64)> = ranking
        .iter()
        .map(|r| {
            (
                r["unit"].as_str().unwrap(),
                r["on_time_rate"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ranked,
        [
            ("as-enforcement", 100.0),
            ("as-environment", 40.0),
            ("as-hrss", 0.0)
        ]
    );
    assert_eq!(body["cite"], json!(["AS-5.2"]));
}

fn file_in(server: &Server, jurisdiction: &str, body: Value) -> String {
    let mut body = body;
    body["jurisdiction"] = json!(jurisdiction);
    body["channel"] = json!("phone");
    body["content"] = json!("来电反映");
    let (status, ticket) = server.post("/api/v1/tickets", &body);
    assert_eq!(status, 201, "{ticket}");
    ticket["id"].as_str().unwrap().to_owned()
}

/// Hualong, March 2026 (PY-29 weights 0.2 contact, 0.3 on time, 0.25 resolution, 0.25
/// satisfaction; 1–10 tickets earn no volume points):
///
/// | ticket | unit | history |
/// |---|---|---|
/// | U1 waste | py-urban | contacted, resolved 03-05 10:00 (4 working days), solved, satisfied |
/// | U2 waste | py-urban | contacted, resolved 03-16 10:00 (11 working days > 7), explained, neutral |
/// | H1 housing | py-housing | signed, never contacted, never resolved |
///
/// py-urban: contact 100, on time 1/2 = 50, resolution (100 + 80) / 2 = 90, satisfaction
/// (100 + 60) / 2 = 80 → 20 + 15 + 22.5 + 20 = 77.5, the only passing unit → 良好 (优秀 is at
/// most 30% of one unit: none; 良好 fills 80%, rounded: one).
/// py-housing: contact 0 (missed), on time 0/1 (open past 7 days), resolution 0 (open past
/// its limit, no answer), satisfaction nothing to measure → 25 → 25.0, below 60 → 不合格.
#[test]
fn a_hualong_month_is_scored_and_graded_as_computed_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let reply = |resolution: &str| {
        json!({"verified": true, "investigation": "现场核实", "result": "已处理",
               "requester_opinion": "认可", "resolution": resolution})
    };
    for (resolve_at, resolution, satisfaction) in [
        ("2026-03-05T10:00:00+08:00", "solved", "satisfied"),
        ("2026-03-16T10:00:00+08:00", "explained", "neutral"),
    ] {
        let id = file_in(
            &server,
            "puyang-hualong",
            json!({"category": "complaint", "topic": "waste", "received_at": "2026-03-02T09:00:00+08:00"}),
        );
        act(
            &server,
            &id,
            json!({"action": "sign", "at": "2026-03-02T10:00:00+08:00"}),
        );
        act(
            &server,
            &id,
            json!({"action": "contact", "at": "2026-03-02T11:00:00+08:00"}),
        );
        act(
            &server,
            &id,
            json!({"action": "resolve", "at": resolve_at, "reply": reply(resolution)}),
        );
        act(
            &server,
            &id,
            json!({"action": "revisit", "at": "2026-03-20T10:00:00+08:00", "satisfaction": satisfaction}),
        );
    }
    let h1 = file_in(
        &server,
        "puyang-hualong",
        json!({"category": "complaint", "topic": "housing", "received_at": "2026-03-02T09:00:00+08:00"}),
    );
    act(
        &server,
        &h1,
        json!({"action": "sign", "at": "2026-03-02T10:00:00+08:00"}),
    );

    let (status, body) =
        server.get("/api/v1/assessments?jurisdiction=puyang-hualong&from=2026-03-01&to=2026-04-01");
    assert_eq!(status, 200, "{body}");
    let graded = body["assessment"]["units"].as_array().unwrap();
    let row = |id: &str| graded.iter().find(|u| u["unit"] == id).unwrap().clone();
    let urban = row("py-urban");
    assert_eq!(urban["first_contact_rate"], 100.0, "{urban}");
    assert_eq!(urban["on_time_rate"], 50.0, "{urban}");
    assert_eq!(urban["score"], 77.5, "{urban}");
    assert_eq!(urban["grade"], "良好", "{urban}");
    let housing = row("py-housing");
    assert_eq!(housing["first_contact_rate"], 0.0, "{housing}");
    assert_eq!(housing["on_time_rate"], 0.0, "{housing}");
    assert_eq!(housing["score"], 25.0, "{housing}");
    assert_eq!(housing["grade"], "不合格", "{housing}");
}

/// The region, March 2026: a multi-department housing matter led by 自治区住房和城乡建设厅
/// with 自治区市场监督管理局 assisting. The lead answers after its limit; the co-unit never
/// gave its feedback, and its clock had passed when the ticket closed. IM-24 names both, each
/// for its own miss (IM-24(4): the co-unit on its own clock).
#[test]
fn an_inner_mongolia_month_names_the_lead_and_the_co_unit_for_their_own_misses() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let id = file_in(
        &server,
        "inner-mongolia",
        json!({"category": "complaint", "topic": "housing", "flags": ["multi_department"],
               "received_at": "2026-03-02T09:00:00+08:00"}),
    );
    let (_, ticket) = server.get(&format!("/api/v1/tickets/{id}"));
    let lead = ticket["lead_unit"]["id"].as_str().unwrap().to_owned();
    assert_eq!(ticket["assist_units"][0]["id"], "im-market", "{ticket}");
    act(
        &server,
        &id,
        json!({"action": "sign", "at": "2026-03-02T10:00:00+08:00"}),
    );
    act(
        &server,
        &id,
        json!({"action": "contact", "at": "2026-03-02T11:00:00+08:00"}),
    );
    act(
        &server,
        &id,
        json!({"action": "resolve", "at": "2026-03-20T10:00:00+08:00",
               "reply": {"investigation": "核查", "result": "已处理", "requester_opinion": "认可"}}),
    );
    let (status, body) =
        server.get("/api/v1/assessments?jurisdiction=inner-mongolia&from=2026-03-01&to=2026-04-01");
    assert_eq!(status, 200, "{body}");
    let units = body["input"]["units"].as_array().unwrap();
    let market = unit(units, "im-market");
    assert_eq!(market["assisted"], 1, "{market}");
    assert_eq!(market["clocks"]["first_feedback"]["overdue"], 1, "{market}");
    let notified = body["assessment"]["notified"].as_array().unwrap();
    let reasons = |id: &str| {
        notified
            .iter()
            .find(|n| n["unit"] == id)
            .map(|n| n["reasons"].to_string())
            .unwrap_or_default()
    };
    assert!(reasons(&lead).contains("1件超期"), "{notified:?}");
    assert!(reasons("im-market").contains("1件协办超期"), "{notified:?}");
}
