//! Tamper evidence and replay (issue 6's acceptance): every recorded decision replays to
//! the same output with its stored policy version; `jiesu verify` finds an altered entry,
//! a deleted ticket and a truncated ledger; the trail API says `valid: false`.
#![allow(clippy::unwrap_used)]

mod common;

use common::Server;
use diesel::{Connection, RunQueryDsl, SqliteConnection};
use serde_json::{Value, json};

/// `jiesu` with stdout and stderr together, as an operator reads them.
fn run(args: &[&str]) -> (i32, String) {
    let (code, stdout, stderr) = common::jiesu(args);
    (code, format!("{stdout}{stderr}"))
}

fn file(server: &Server, body: Value) -> String {
    let (status, ticket) = server.post("/api/v1/tickets", &body);
    assert_eq!(status, 201, "{ticket}");
    ticket["id"].as_str().unwrap().to_owned()
}

fn act(server: &Server, id: &str, body: Value) {
    let (status, outcome) = server.post(&format!("/api/v1/tickets/{id}/actions"), &body);
    assert_eq!(status, 200, "{outcome}");
}

/// Tickets of several sets, with review, revisit and overdue decisions on them.
fn history(server: &Server) -> Vec<String> {
    let anshan = file(
        server,
        json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint", "topic": "noise",
               "content": "噪音", "received_at": "2026-03-02T09:00:00+08:00",
               "requester": {"name": "李四", "phone": "13900000000"}}),
    );
    act(
        server,
        &anshan,
        json!({"action": "sign", "at": "2026-03-02T10:00:00+08:00"}),
    );
    act(
        server,
        &anshan,
        json!({"action": "request_extension", "at": "2026-03-25T10:00:00+08:00", "reason": "检测",
               "evidence": ["application_form"], "working_days": 5}),
    );
    let hohhot = file(
        server,
        json!({"jurisdiction": "hohhot", "channel": "phone", "category": "help", "topic": "heating",
               "area": "saihan", "flags": ["multi_department"], "content": "停暖",
               "received_at": "2026-03-06T10:00:00+08:00"}),
    );
    let puyang = file(
        server,
        json!({"jurisdiction": "puyang-hualong", "channel": "phone", "category": "complaint",
               "topic": "waste", "content": "垃圾", "received_at": "2026-03-02T09:00:00+08:00"}),
    );
    act(
        server,
        &puyang,
        json!({"action": "sign", "at": "2026-03-02T10:00:00+08:00"}),
    );
    act(
        server,
        &puyang,
        json!({"action": "resolve", "at": "2026-03-03T10:00:00+08:00",
               "reply": {"verified": true, "investigation": "核实", "result": "已清运",
                         "requester_opinion": "认可", "resolution": "solved"}}),
    );
    act(
        server,
        &puyang,
        json!({"action": "revisit", "at": "2026-03-04T10:00:00+08:00", "satisfaction": "unsatisfied"}),
    );
    let (status, _) = server.post(
        "/api/v1/admin/sweep",
        &json!({"now": "2026-03-20T10:00:00+08:00"}),
    );
    assert_eq!(status, 200);
    vec![anshan, hohhot, puyang]
}

#[test]
fn every_recorded_decision_replays_to_the_same_output() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    let server = Server::start(&db);
    let ids = history(&server);
    let mut hooks = std::collections::BTreeSet::new();
    for id in &ids {
        let (_, trail) = server.get(&format!("/api/v1/tickets/{id}/trail"));
        for entry in trail["entries"].as_array().unwrap() {
            let seq = entry["seq"].as_i64().unwrap();
            let (status, replay) = server.post(
                &format!("/api/v1/tickets/{id}/trail/{seq}/replay"),
                &json!({}),
            );
            if entry["kind"] == "event" {
                assert_eq!(status, 422, "an event is not replayable: {replay}");
                continue;
            }
            assert_eq!(status, 200, "{replay}");
            assert_eq!(replay["same"], true, "{replay}");
            assert_eq!(replay["recorded"], entry["output"]);
            hooks.insert(entry["hook"].as_str().unwrap().to_owned());
        }
    }
    for hook in [
        "accept",
        "route",
        "time_limits",
        "review_extension",
        "review_closure",
        "on_revisit",
        "on_overdue",
    ] {
        assert!(
            hooks.contains(hook),
            "no {hook} decision replayed: {hooks:?}"
        );
    }
    drop(server);
    let url = format!("sqlite://{}", db.display());
    let (code, out) = run(&["replay", "--database", &url, "--ticket", &ids[2]]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("all the same"), "{out}");
}

#[test]
fn verify_finds_altered_entries_deleted_tickets_and_a_truncated_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    let url = format!("sqlite://{}", db.display());
    let server = Server::start(&db);
    let ids = history(&server);
    let extra = file(
        &server,
        json!({"jurisdiction": "anshan", "channel": "phone", "category": "consultation", "topic": "wages",
               "content": "工资", "received_at": "2026-03-05T09:00:00+08:00"}),
    );

    let (code, out) = run(&["verify", "--database", &url]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("✓ verified 4 ticket(s)"), "{out}");
    let anchor = out.split("anchor): ").nth(1).unwrap().trim().to_owned();

    // One stored decision changed: verify names the ticket and entry; the API agrees.
    let mut conn = SqliteConnection::establish(db.to_str().unwrap()).unwrap();
    diesel::sql_query(format!(
        "UPDATE trail_entries SET output = '{{\"lead\":\"as-housing\",\"mode\":\"direct\",\"cite\":[\"AS-3\"]}}' WHERE ticket_id = '{}' AND seq = 3",
        ids[0]
    ))
    .execute(&mut conn)
    .unwrap();
    let (code, out) = run(&["verify", "--database", &url]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("✗ ticket {}: entry 3:", ids[0])),
        "{out}"
    );
    let (_, trail) = server.get(&format!("/api/v1/tickets/{}/trail", ids[0]));
    assert_eq!(trail["chain"]["valid"], false);
    assert_eq!(trail["chain"]["broken_at"], 3);
    drop(server);

    // A whole ticket deleted, trail and all: the ledger still vouches for it.
    for table in [
        "trail_entries",
        "deadlines",
        "notifications",
        "idempotency_keys",
        "ticket_secrets",
        "tickets",
    ] {
        let column = if table == "tickets" {
            "id"
        } else {
            "ticket_id"
        };
        diesel::sql_query(format!("DELETE FROM {table} WHERE {column} = '{}'", ids[1]))
            .execute(&mut conn)
            .unwrap();
    }
    let (code, out) = run(&["verify", "--database", &url]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "(ticket {}): the ledger records this ticket, but it is gone",
            ids[1]
        )),
        "{out}"
    );

    // Its ledger entry deleted too: the ledger's chain breaks after it.
    diesel::sql_query(format!("DELETE FROM ledger WHERE subject = '{}'", ids[1]))
        .execute(&mut conn)
        .unwrap();
    let (code, out) = run(&["verify", "--database", &url]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("is missing"), "{out}");

    // The newest ticket and its ledger entry removed: only an anchor recorded earlier shows it.
    for table in [
        "trail_entries",
        "deadlines",
        "ticket_secrets",
        "tickets",
        "ledger",
    ] {
        let column = match table {
            "tickets" => "id",
            "ledger" => "subject",
            _ => "ticket_id",
        };
        diesel::sql_query(format!("DELETE FROM {table} WHERE {column} = '{extra}'"))
            .execute(&mut conn)
            .unwrap();
    }
    let (code, out) = run(&["verify", "--database", &url, "--anchor", &anchor]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("is no longer in the ledger"), "{out}");
}

#[test]
fn trails_export_as_csv_and_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let ids = history(&server);
    let (_, trail) = server.get(&format!("/api/v1/tickets/{}/trail", ids[0]));
    let (status, content_type, csv) =
        server.get_text(&format!("/api/v1/tickets/{}/trail.csv", ids[0]), None);
    assert_eq!(status, 200, "{csv}");
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header[0], "seq");
    assert!(header.contains(&"cite".to_owned()));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), trail["entries"].as_array().unwrap().len());
    let route = rows.iter().find(|r| &r[4] == "route").unwrap();
    assert_eq!(&route[8], "AS-3");
    assert_eq!(
        serde_json::from_str::<Value>(&route[11]).unwrap()["lead"],
        "as-environment"
    );

    let (status, content_type, lines) = server.get_text(
        "/api/v1/exports/trails?jurisdiction=anshan&from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z",
        None,
    );
    assert_eq!(status, 200, "{lines}");
    assert!(
        content_type.starts_with("application/x-ndjson"),
        "{content_type}"
    );
    let tickets: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(tickets.len(), 1, "only anshan's, only March: {lines}");
    assert_eq!(tickets[0]["ticket"]["id"], ids[0].as_str());
    assert_eq!(tickets[0]["chain"]["valid"], true);
    let (status, _, _) = server.get_text(
        "/api/v1/exports/trails?jurisdiction=anshan&from=2026-04-01T00:00:00Z&to=2026-03-01T00:00:00Z",
        None,
    );
    assert_eq!(status, 400);
}
