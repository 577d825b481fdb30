//! Lifecycle v2 against the running server (issue 10's acceptance): clocks the policy
//! declares, every unit's own part, the centre's hand, accountability from any decision,
//! the time of record, idempotent actions, and a database of the previous schema upgraded
//! in place.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Server, ServerOptions};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const ADMIN: &str = "root-secret";

fn token_entry(name: &str, role: &str, extra: &str) -> String {
    let digest = hex::encode(Sha256::digest(format!("secret-{name}").as_bytes()));
    format!("[[tokens]]\nname = \"{name}\"\nrole = \"{role}\"\n{extra}\nsha256 = \"{digest}\"\n\n")
}

fn secret(name: &str) -> String {
    format!("secret-{name}")
}

/// A server with one token per desk: `(name, role, jurisdiction, unit)`.
fn start(dir: &std::path::Path, desks: &[(&str, &str, &str, Option<&str>)]) -> Server {
    let config = dir.join("jiesu.toml");
    let text: String = desks
        .iter()
        .map(|(name, role, jurisdiction, unit)| {
            let mut extra = format!("jurisdictions = [\"{jurisdiction}\"]");
            if let Some(unit) = unit {
                extra += &format!("\nunits = [\"{unit}\"]");
            }
            token_entry(name, role, &extra)
        })
        .collect();
    std::fs::write(&config, text).unwrap();
    let config: &'static str = Box::leak(config.to_str().unwrap().to_owned().into_boxed_str());
    let db: &'static std::path::Path = Box::leak(dir.join("j.db").into_boxed_path());
    let mut options = ServerOptions::new(db);
    options.args = vec!["--config", config];
    options.env = vec![("JIESU_ADMIN_TOKEN", ADMIN)];
    Server::start_with(options)
}

fn file_as(server: &Server, body: &Value, token: &str) -> Value {
    let (status, ticket) = server.post_as("/api/v1/tickets", body, Some(token));
    assert_eq!(status, 201, "{ticket}");
    ticket
}

fn act_as(server: &Server, id: &str, body: &Value, token: &str) -> (u16, Value) {
    server.post_as(&format!("/api/v1/tickets/{id}/actions"), body, Some(token))
}

fn sweep(server: &Server, now: &str) -> Vec<Value> {
    let (status, body) = server.post_as("/api/v1/admin/sweep", &json!({"now": now}), Some(ADMIN));
    assert_eq!(status, 200, "{body}");
    body["fired"].as_array().unwrap().clone()
}

fn clock<'a>(ticket: &'a Value, name: &str, unit: &str) -> &'a Value {
    ticket["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name && c["unit"]["id"] == unit)
        .unwrap_or_else(|| panic!("no clock {name} of {unit} in {ticket}"))
}

fn trail(server: &Server, id: &str) -> Value {
    trail_as(server, id, Some(ADMIN))
}

fn trail_as(server: &Server, id: &str, token: Option<&str>) -> Value {
    let (status, trail) = server.get_as(&format!("/api/v1/tickets/{id}/trail"), token);
    assert_eq!(status, 200, "{trail}");
    assert_eq!(trail["chain"]["valid"], true, "{trail}");
    for entry in trail["entries"].as_array().unwrap() {
        if entry["kind"] == "decision" {
            assert!(!entry["cite"].as_array().unwrap().is_empty(), "{entry}");
        }
    }
    trail
}

fn in_days(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339()
}

/// HH-17: a co-unit owns its clock toward the lead, meets it itself and is not chased; it
/// cannot resolve the lead's ticket; HH-36: the silent lead goes to its 主管部门.
#[test]
fn a_co_unit_meets_its_own_clock_and_is_not_chased() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[
            ("hh-intake", "intake", "hohhot", None),
            ("housing-desk", "unit", "hohhot", Some("hh-housing")),
            ("market-desk", "unit", "hohhot", Some("hh-market")),
        ],
    );
    let (intake, lead, co) = (
        secret("hh-intake"),
        secret("housing-desk"),
        secret("market-desk"),
    );
    let ticket = file_as(
        &server,
        &json!({"jurisdiction": "hohhot", "channel": "phone", "category": "complaint",
                "topic": "housing", "flags": ["multi_department"], "content": "楼道漏水无人管"}),
        &intake,
    );
    let id = ticket["id"].as_str().unwrap();
    assert_eq!(ticket["lead_unit"]["id"], "hh-housing");
    assert_eq!(ticket["assist_units"][0]["id"], "hh-market");
    let owed = clock(&ticket, "first_feedback", "hh-market");
    assert_eq!(owed["met_by"], json!(["feedback", "report_progress"]));
    assert_eq!(owed["cite"], json!(["HH-17"]));

    // The co-unit signs for its own part: the ticket stays where the lead has it.
    let (status, signed) = act_as(&server, id, &json!({"action": "sign"}), &co);
    assert_eq!(status, 200, "{signed}");
    assert_eq!(signed["ticket"]["status"], "dispatched");
    let (_, signed) = act_as(&server, id, &json!({"action": "sign"}), &lead);
    assert_eq!(signed["ticket"]["status"], "signed");
    // It can never close, return or end the lead's ticket.
    for forbidden in [
        json!({"action": "resolve", "reply": {"result": "已处理"}}),
        json!({"action": "return", "reason": "不是我们的"}),
    ] {
        let (status, refused) = act_as(&server, id, &forbidden, &co);
        assert_eq!(status, 403, "{refused}");
        assert_eq!(refused["error"]["code"], "not_your_part");
        assert!(
            refused["error"]["details"]["may"]
                .as_array()
                .unwrap()
                .contains(&json!("report_progress")),
            "{refused}"
        );
    }
    // It explains and reports how far it got (说明理由并报告阶段性工作情况): its clock is met.
    let (status, reported) = act_as(
        &server,
        id,
        &json!({"action": "report_progress", "reason": "需协调物业", "progress": "已约谈物业公司"}),
        &co,
    );
    assert_eq!(status, 200, "{reported}");
    assert_eq!(
        clock(&reported["ticket"], "first_feedback", "hh-market")["state"],
        "met"
    );
    assert_eq!(
        clock(&reported["ticket"], "resolve", "hh-housing")["state"],
        "open"
    );

    // Past every limit only the lead is chased; twice silent, it goes to the city
    // government (its 主管部门, HH-36(二)).
    let first = sweep(&server, &in_days(30));
    let second = sweep(&server, &in_days(32));
    let fired: Vec<(String, String)> = first
        .iter()
        .chain(&second)
        .filter(|f| f["ticket"] == id)
        .flat_map(|f| f["actions"].as_array().unwrap().clone())
        .map(|a| {
            (
                a["kind"].as_str().unwrap().into(),
                a["to"]["id"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        fired.iter().all(|(_, to)| to != "hh-market"),
        "the co-unit that did its part is not chased: {fired:?}"
    );
    assert_eq!(fired[0], ("remind".to_owned(), "hh-housing".to_owned()));
    assert!(
        fired.contains(&("escalate".to_owned(), "hh-government".to_owned())),
        "{fired:?}"
    );
    // The lead's own late report is recorded but cannot turn a missed clock met.
    let (_, fed_back) = act_as(&server, id, &json!({"action": "feedback"}), &lead);
    let resolve = clock(&fed_back["ticket"], "resolve", "hh-housing");
    assert_eq!(resolve["state"], "missed", "{resolve}");
    assert!(!resolve["met_at"].is_null());
    trail(&server, id);
}

/// The time of record is the server's: a unit cannot backdate, an admin backfills with both
/// times recorded; a retried action with the same key is recorded once.
#[test]
fn the_time_of_record_and_idempotent_actions() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[
            ("as-intake", "intake", "anshan", None),
            ("env-desk", "unit", "anshan", Some("as-environment")),
        ],
    );
    let (intake, unit) = (secret("as-intake"), secret("env-desk"));
    let old = json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint",
                     "topic": "noise", "content": "夜间施工噪音",
                     "received_at": "2025-09-30T10:00:00+08:00"});
    let (status, refused) = server.post_as("/api/v1/tickets", &old, Some(&intake));
    assert_eq!(
        status, 422,
        "an intake desk files within the day: {refused}"
    );
    assert_eq!(refused["error"]["code"], "at_out_of_range");
    let backfilled = file_as(&server, &old, ADMIN);
    assert_eq!(backfilled["received_at"], "2025-09-30T10:00:00+08:00");
    assert_ne!(backfilled["recorded_at"], backfilled["received_at"]);

    let ticket = file_as(
        &server,
        &json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint",
                "topic": "noise", "content": "夜间施工噪音"}),
        &intake,
    );
    let id = ticket["id"].as_str().unwrap();
    // 14 months late with an old `at`: refused for a unit, nothing written.
    let (status, backdated) = act_as(
        &server,
        id,
        &json!({"action": "sign", "at": "2025-10-01T10:00:00+08:00"}),
        &unit,
    );
    assert_eq!(status, 422, "{backdated}");
    assert_eq!(backdated["error"]["code"], "at_out_of_range");
    assert_eq!(trail(&server, id)["entries"].as_array().unwrap().len(), 4);

    // Retried with the same key: one event, the same answer.
    let contact = json!({"action": "sign"});
    let headers = [
        ("Authorization", format!("Bearer {unit}")),
        ("Idempotency-Key", "sign-1".to_owned()),
    ];
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (first_status, first) = server.post_raw(
        &format!("/api/v1/tickets/{id}/actions"),
        &contact.to_string(),
        &headers,
    );
    let (again_status, again) = server.post_raw(
        &format!("/api/v1/tickets/{id}/actions"),
        &contact.to_string(),
        &headers,
    );
    assert_eq!((first_status, again_status), (200, 200), "{first} {again}");
    assert_eq!(first["outcome"], again["outcome"]);
    let signs = trail(&server, id)["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["outcome"] == "sign")
        .count();
    assert_eq!(signs, 1, "a retried action is recorded once");
    let (status, conflict) = server.post_raw(
        &format!("/api/v1/tickets/{id}/actions"),
        &json!({"action": "contact"}).to_string(),
        &headers,
    );
    assert_eq!(status, 422, "{conflict}");
    assert_eq!(conflict["error"]["code"], "idempotency_key_reused");

    // An admin's backfill is judged by the sent time and keeps the server's beside it.
    let (_, contacted) = act_as(
        &server,
        backfilled["id"].as_str().unwrap(),
        &json!({"action": "sign", "at": "2025-09-30T11:00:00+08:00"}),
        ADMIN,
    );
    assert_eq!(contacted["outcome"], "allowed", "{contacted}");
    let entries = trail(&server, backfilled["id"].as_str().unwrap())["entries"].clone();
    let event = entries.as_array().unwrap().last().unwrap();
    assert_eq!(
        event["output"]["time_of_record"],
        "2025-09-30T11:00:00+08:00"
    );
    assert_ne!(
        event["output"]["recorded_at"],
        event["output"]["time_of_record"]
    );
}

/// AS-2.3: a returned ticket goes back to the hotline office, which assigns it; nobody is
/// chased meanwhile.
#[test]
fn a_returned_anshan_ticket_is_assigned_by_the_office() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[
            ("as-intake", "intake", "anshan", None),
            ("env-desk", "unit", "anshan", Some("as-environment")),
            ("office-desk", "intake", "anshan", None),
        ],
    );
    let ticket = file_as(
        &server,
        &json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint",
                "topic": "noise", "content": "汽车鸣笛噪音"}),
        &secret("as-intake"),
    );
    let id = ticket["id"].as_str().unwrap();
    let (_, returned) = act_as(
        &server,
        id,
        &json!({"action": "return", "reason": "属交通噪音", "basis": "机动车噪音由公安交管部门管理"}),
        &secret("env-desk"),
    );
    assert_eq!(returned["ticket"]["status"], "returned", "{returned}");
    assert!(
        sweep(&server, &in_days(60)).is_empty(),
        "nobody is chased while the office holds it"
    );
    let (status, dispatched) = act_as(
        &server,
        id,
        &json!({"action": "dispatch", "lead": "as-enforcement", "reason": "属城市综合治理"}),
        &secret("office-desk"),
    );
    assert_eq!(status, 200, "{dispatched}");
    assert_eq!(dispatched["outcome"], "allowed");
    assert_eq!(dispatched["ticket"]["lead_unit"]["id"], "as-enforcement");
    assert_eq!(dispatched["ticket"]["status"], "dispatched");
    assert!(dispatched["ticket"]["deadlines"]["resolve"].is_string());
    // The unit that returned it holds no part any more.
    let (status, _) = act_as(&server, id, &json!({"action": "sign"}), &secret("env-desk"));
    assert_eq!(status, 404);
    trail(&server, id);
}

fn puyang_complaint(received_at: &str) -> Value {
    json!({"jurisdiction": "puyang-hualong", "channel": "phone", "category": "complaint",
           "topic": "housing", "content": "楼顶漏水", "received_at": received_at})
}

fn closing_reply() -> Value {
    json!({"verified": true, "investigation": "现场核实漏水", "result": "已维修",
           "requester_opinion": "认可", "resolution": "solved"})
}

/// PY-20: an extension moves the reverify clock; PY-21: a second revisit that contradicts
/// the unit's report puts 督办 and 通报 in the outbox with the deciding entry.
#[test]
fn puyang_reverify_extension_and_supervision_from_a_revisit() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let ticket = file_as(
        &server,
        &puyang_complaint("2026-03-02T09:00:00+08:00"),
        ADMIN,
    );
    let id = ticket["id"].as_str().unwrap();
    let lead = ticket["lead_unit"]["id"].as_str().unwrap().to_owned();
    let step = |body: Value| {
        let (status, out) = act_as(&server, id, &body, ADMIN);
        assert_eq!(status, 200, "{out}");
        assert_eq!(out["outcome"], "allowed", "{body}: {out}");
        out
    };
    step(json!({"action": "sign", "at": "2026-03-02T10:00:00+08:00"}));
    step(json!({"action": "contact", "at": "2026-03-02T11:00:00+08:00"}));
    step(json!({"action": "resolve", "at": "2026-03-05T10:00:00+08:00", "reply": closing_reply()}));
    let reopened = step(
        json!({"action": "revisit", "at": "2026-03-10T10:00:00+08:00",
                               "satisfaction": "unsatisfied"}),
    );
    assert_eq!(reopened["cite"], json!(["PY-20"]));
    let reverify = clock(&reopened["ticket"], "reverify", &lead).clone();
    assert_eq!(reverify["due"], "2026-03-13T10:00:00+08:00");

    let extended = step(
        json!({"action": "request_extension", "at": "2026-03-12T10:00:00+08:00",
                               "reason": "需再次现场查看", "evidence": ["application_form"],
                               "signatures": ["deputy_leader"], "working_days": 1}),
    );
    assert_eq!(
        clock(&extended["ticket"], "reverify", &lead)["due"],
        "2026-03-16T10:00:00+08:00",
        "the extension moved the reverify clock"
    );
    let entries = trail(&server, id)["entries"].clone();
    let moved = entries
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["outcome"] == "request_extension")
        .unwrap()["output"]["moved"]
        .clone();
    assert!(
        moved
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["clock"] == "reverify" && m["to"] == "2026-03-16T10:00:00+08:00"),
        "{moved}"
    );

    let reverified = step(
        json!({"action": "reverify", "at": "2026-03-16T09:00:00+08:00",
                                 "reply": closing_reply(), "signatures": ["deputy_leader"]}),
    );
    assert_eq!(
        clock(&reverified["ticket"], "reverify", &lead)["state"],
        "met"
    );
    step(
        json!({"action": "resolve", "at": "2026-03-16T09:30:00+08:00", "reply": closing_reply(),
                "evidence": ["visit_record", "photo_after"]}),
    );
    let supervised = step(
        json!({"action": "revisit", "at": "2026-03-17T10:00:00+08:00",
                                 "satisfaction": "unsatisfied"}),
    );
    assert_eq!(supervised["cite"], json!(["PY-21"]));

    let (_, outbox) = server.get_as("/api/v1/notifications", Some(ADMIN));
    let fired: Vec<&Value> = outbox["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["ticket"] == id)
        .collect();
    let kinds: Vec<&str> = fired.iter().map(|n| n["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["supervise", "notify"], "{outbox}");
    let entries = trail(&server, id)["entries"].clone();
    let deciding = entries
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["hook"] == "on_revisit")
        .unwrap();
    for n in fired {
        assert_eq!(
            n["seq"], deciding["seq"],
            "each names the decision that fired it"
        );
        assert_eq!(n["cite"], json!(["PY-21"]));
        assert_eq!(n["clock"], Value::Null);
    }
}

/// PY-ops-7.2 逾期视为默认接受: the sweep itself moves an unsigned ticket to signed.
#[test]
fn puyang_acceptance_is_assumed_when_the_signing_window_passes() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let ticket = file_as(
        &server,
        &puyang_complaint("2026-03-02T09:00:00+08:00"),
        ADMIN,
    );
    let id = ticket["id"].as_str().unwrap();
    let fired = sweep(&server, "2026-03-03T10:00:00+08:00");
    let sign = fired
        .iter()
        .find(|f| f["ticket"] == id && f["clock"] == "sign")
        .unwrap_or_else(|| panic!("{fired:?}"));
    assert_eq!(sign["assumed"], "sign");
    let (_, now) = server.get_as(&format!("/api/v1/tickets/{id}"), Some(ADMIN));
    assert_eq!(now["status"], "signed");
    let lead = now["lead_unit"]["id"].as_str().unwrap();
    assert_eq!(clock(&now, "sign", lead)["state"], "missed");
    let entries = trail(&server, id)["entries"].clone();
    let assumed = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "event" && e["outcome"] == "sign")
        .unwrap();
    assert_eq!(assumed["input"]["assumed"], true);
    assert_eq!(assumed["cite"], json!(["PY-ops-7.2"]));
    // Once assumed, the window is over: the unit is not told to sign again.
    assert!(
        sweep(&server, "2026-03-04T10:00:00+08:00")
            .iter()
            .all(|f| f["clock"] != "sign")
    );
}

/// A database written by the previous schema (tests/fixtures, made by the release before
/// lifecycle v2) upgrades in place at start: its tickets keep their clocks, its trails stay
/// valid, and its tickets can be acted on.
#[test]
fn a_database_of_the_previous_schema_upgrades_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    std::fs::copy(
        common::project_dir().join("tests/fixtures/schema-2026-11-22.db"),
        &db,
    )
    .unwrap();
    let server = Server::start(&db);
    let (_, page) = server.get("/api/v1/tickets?limit=10");
    let tickets = page["tickets"].as_array().unwrap().clone();
    assert_eq!(tickets.len(), 3, "{page}");
    for ticket in &tickets {
        let id = ticket["id"].as_str().unwrap();
        let (_, full) = server.get(&format!("/api/v1/tickets/{id}"));
        assert!(!full["clocks"].as_array().unwrap().is_empty(), "{full}");
        trail_as(&server, id, None);
    }
    let anshan = tickets
        .iter()
        .find(|t| t["jurisdiction"] == "anshan")
        .unwrap();
    let (_, anshan) = server.get(&format!(
        "/api/v1/tickets/{}",
        anshan["id"].as_str().unwrap()
    ));
    let resolve = clock(&anshan, "resolve", "as-environment");
    assert_eq!(
        resolve["state"], "missed",
        "swept past due, then resolved late: {anshan}"
    );
    assert_eq!(resolve["met_by"], json!(["resolve"]));
    assert_eq!(anshan["status"], "resolved");
    let hohhot = tickets
        .iter()
        .find(|t| t["jurisdiction"] == "hohhot")
        .unwrap();
    let hid = hohhot["id"].as_str().unwrap();
    let (_, full) = server.get(&format!("/api/v1/tickets/{hid}"));
    let co = full["assist_units"][0]["id"].as_str().unwrap().to_owned();
    let owed = clock(&full, "first_feedback", &co);
    assert_eq!(
        owed["state"], "missed",
        "the old sweep's verdict stands: {owed}"
    );
    assert_eq!(owed["met_by"], json!(["feedback"]));
    // The old ticket goes on under the new model: its co-unit reports, late.
    let (status, fed) = server.post(
        &format!("/api/v1/tickets/{hid}/actions"),
        &json!({"action": "feedback", "unit": co}),
    );
    assert_eq!(status, 200, "{fed}");
    assert!(!clock(&fed["ticket"], "first_feedback", &co)["met_at"].is_null());
    trail_as(&server, hid, None);
    drop(server);
    let (code, stdout, stderr) = common::jiesu(&[
        "verify",
        "--database",
        &format!("sqlite://{}", db.display()),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

/// The vocabulary the regulations need is typed: unknown values are a clear 400 and write
/// nothing.
#[test]
fn the_new_vocabulary_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let ticket = file_as(
        &server,
        &json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint",
                "topic": "noise", "flags": ["key_matter"], "content": "夜间施工噪音",
                "statutory_limit": {"working_days": 15}}),
        ADMIN,
    );
    assert_eq!(ticket["statutory_limit"]["working_days"], 15);
    let (status, both) = server.post_as(
        "/api/v1/tickets",
        &json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint",
                "topic": "noise", "content": "x",
                "statutory_limit": {"working_days": 15, "until": "2027-01-01T00:00:00+08:00"}}),
        Some(ADMIN),
    );
    assert_eq!(status, 422, "{both}");
    let id = ticket["id"].as_str().unwrap();
    let before = trail(&server, id)["entries"].as_array().unwrap().len();
    for (body, field) in [
        (
            json!({"action": "sign", "consent": ["everything"]}),
            "consent[0]",
        ),
        (
            json!({"action": "sign", "signatures": ["mayor"]}),
            "signatures[0]",
        ),
        (
            json!({"action": "reverify", "onsite": {"photos": 2, "drone": true}}),
            "onsite.drone",
        ),
        (json!({"action": "sign", "stamp": "yes"}), "stamp"),
        (
            json!({"action": "sign", "request_reasonable": 1}),
            "request_reasonable",
        ),
    ] {
        let (status, refused) = act_as(&server, id, &body, ADMIN);
        assert_eq!(status, 400, "{body}: {refused}");
        assert_eq!(refused["error"]["code"], "invalid_field", "{refused}");
        assert!(
            refused["error"]["details"]["field"]
                .as_str()
                .unwrap()
                .starts_with(field.split('.').next().unwrap()),
            "{refused}"
        );
    }
    assert_eq!(
        trail(&server, id)["entries"].as_array().unwrap().len(),
        before,
        "a refused body writes nothing"
    );
}
