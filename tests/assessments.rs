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

fn file(server: &Server, topic: &str, received_at: &str) -> String {
    let (status, ticket) = server.post(
        "/api/v1/tickets",
        &json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint",
                "topic": topic, "content": "来电反映", "received_at": received_at}),
    );
    assert_eq!(status, 201, "{ticket}");
    let id = ticket["id"].as_str().unwrap().to_owned();
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
