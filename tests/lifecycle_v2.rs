//! Lifecycle v2 beyond one jurisdiction's scenario (issue 10's acceptance): a database of the
//! previous schema upgraded in place, and the vocabulary checked at the edge. The
//! jurisdictions' own scenarios of the new model are in `tests/jurisdictions.rs`.
#![allow(clippy::unwrap_used)]

mod common;

use common::Server;
use common::desks::{ADMIN, act_as, clock, file_as, start, trail, trail_as};
use serde_json::json;

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

/// WS-4.1 with real desks: the office's own token finds the ticket it must sign (it owes the
/// clock without handling the matter), and its dispatch signs and hands it on.
#[test]
fn a_unit_that_owes_a_clock_finds_and_acts_on_its_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[
            ("ws-intake", "intake", "wushen-police", None),
            ("office-desk", "unit", "wushen-police", Some("ws-office")),
            (
                "security-desk",
                "unit",
                "wushen-police",
                Some("ws-security"),
            ),
        ],
    );
    let office = common::desks::secret("office-desk");
    let ticket = file_as(
        &server,
        &json!({"jurisdiction": "wushen-police", "channel": "phone", "category": "report",
                "topic": "public_security", "content": "夜间聚众斗殴"}),
        &common::desks::secret("ws-intake"),
    );
    let id = ticket["id"].as_str().unwrap();
    let (_, page) = server.get_as("/api/v1/tickets", Some(&office));
    let listed: Vec<&str> = page["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [id], "{page}");
    // Owing only the signing, the office may not take the department's part.
    let (status, refused) = act_as(&server, id, &json!({"action": "intervene"}), &office);
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["error"]["code"], "not_your_part");
    let lead = ticket["lead_unit"]["id"].as_str().unwrap();
    let (status, dispatched) = act_as(
        &server,
        id,
        &json!({"action": "dispatch", "lead": lead}),
        &office,
    );
    assert_eq!(status, 200, "{dispatched}");
    assert_eq!(
        clock(&dispatched["ticket"], "sign", "ws-office")["state"],
        "met"
    );
    assert!(dispatched["ticket"]["deadlines"]["intervene"].is_string());
    trail(&server, id);
}
