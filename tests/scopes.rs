//! An admin token scoped to one jurisdiction stays in it (issue 12, "scopes leak"): it
//! evaluates only its own sets, on its own tickets, reads only its own sets' policies and
//! versions, and a sweep it asks for fires only its own clocks.
#![allow(clippy::unwrap_used)]

mod common;

use common::desks::{ADMIN, file_as, secret, start};
use serde_json::{Value, json};

#[test]
fn a_county_scoped_admin_token_stays_in_its_county() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[("as-admin", "admin", "anshan", None)]);
    let county = secret("as-admin");
    let complaint = |jurisdiction: &str| {
        json!({"jurisdiction": jurisdiction, "channel": "phone", "category": "complaint",
               "topic": "noise", "content": "噪音", "received_at": "2026-03-02T09:00:00+08:00"})
    };
    let anshan = file_as(&server, &complaint("anshan"), ADMIN);
    let hohhot = file_as(&server, &complaint("hohhot"), ADMIN);
    let hohhot_id = hohhot["id"].as_str().unwrap();

    // Another county's set: refused, with or without a ticket.
    let (status, body) = server.post_as(
        "/api/v1/policies/hohhot/evaluate",
        &json!({"hook": "route", "ticket": {"category": "complaint", "topic": "noise"}}),
        Some(&county),
    );
    assert_eq!(status, 403, "{body}");
    // Its own set with another county's ticket: that ticket does not exist for this token.
    let (status, body) = server.post_as(
        "/api/v1/policies/anshan/evaluate",
        &json!({"hook": "route", "ticket_id": hohhot_id}),
        Some(&county),
    );
    assert_eq!(status, 404, "{body}");
    assert!(
        !body.to_string().contains("noise"),
        "no content leaks: {body}"
    );
    // Its own set, but a candidate that extends another county's set to borrow it: refused.
    let (status, body) = server.post_as(
        "/api/v1/policies/anshan/evaluate",
        &json!({"hook": "route", "ticket": {"category": "complaint", "topic": "noise"},
                "sources": {"policy.toml": "id = \"anshan\"\nname = \"x\"\nextends = \"hohhot\"\n"}}),
        Some(&county),
    );
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("extends `hohhot`"),
        "{body}"
    );
    // Its own ticket: evaluated.
    let (status, body) = server.post_as(
        "/api/v1/policies/anshan/evaluate",
        &json!({"hook": "route", "ticket_id": anshan["id"]}),
        Some(&county),
    );
    assert_eq!(status, 200, "{body}");

    // Policies and their sources: only its own.
    let (status, list) = server.get_as("/api/v1/policies", Some(&county));
    assert_eq!(status, 200, "{list}");
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["anshan"], "{list}");
    let (status, _) = server.get_as(
        "/api/v1/policies/hohhot/versions?sources=true",
        Some(&county),
    );
    assert_eq!(status, 403);
    let (status, _) = server.get_as(
        "/api/v1/policies/anshan/versions?sources=true",
        Some(&county),
    );
    assert_eq!(status, 200);

    // A sweep it asks for fires only its own county's clocks.
    let (status, body) = server.post_as(
        "/api/v1/admin/sweep",
        &json!({"now": "2026-06-01T10:00:00+08:00"}),
        Some(&county),
    );
    assert_eq!(status, 200, "{body}");
    let fired: Vec<&Value> = body["fired"].as_array().unwrap().iter().collect();
    assert!(!fired.is_empty(), "its own overdue clock fires: {body}");
    assert!(fired.iter().all(|f| f["ticket"] != hohhot_id), "{body}");
    let (status, everything) = server.post_as(
        "/api/v1/admin/sweep",
        &json!({"now": "2026-06-01T10:00:00+08:00"}),
        Some(ADMIN),
    );
    assert_eq!(status, 200, "{everything}");
    assert!(
        everything["fired"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["ticket"] == hohhot_id),
        "the unscoped admin's sweep reaches the other county: {everything}"
    );
}

/// Every endpoint × every token kind scoped to anshan (and, for the unit token, to one
/// unit): nothing of a hohhot ticket, or of an anshan ticket of another unit, comes back, and
/// nothing is done to it.
#[test]
fn no_token_kind_crosses_its_scope_on_any_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let desks = [
        ("as-intake", "intake", "anshan", None),
        ("as-unit", "unit", "anshan", Some("as-environment")),
        ("as-supervisor", "supervisor", "anshan", None),
        ("as-auditor", "auditor", "anshan", None),
        ("as-admin", "admin", "anshan", None),
        ("hh-intake", "intake", "hohhot", None),
    ];
    let server = start(dir.path(), &desks);
    let foreign = file_as(
        &server,
        &json!({"jurisdiction": "hohhot", "channel": "phone", "category": "help", "topic": "heating",
                "area": "saihan", "content": "停暖外泄", "received_at": "2026-03-06T10:00:00+08:00"}),
        ADMIN,
    );
    let foreign_id = foreign["id"].as_str().unwrap().to_owned();
    // An anshan ticket another unit leads: outside the unit token's scope.
    let other_unit = file_as(
        &server,
        &json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint", "topic": "wages",
                "content": "欠薪外泄", "received_at": "2026-03-02T09:00:00+08:00"}),
        ADMIN,
    );
    let other_id = other_unit["id"].as_str().unwrap().to_owned();
    assert_ne!(
        other_unit["lead_unit"]["id"], "as-environment",
        "{other_unit}"
    );

    let period = "from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z";
    let reads = |id: &str| {
        vec![
            format!("/api/v1/tickets/{id}"),
            format!("/api/v1/tickets/{id}/trail"),
            format!("/api/v1/tickets/{id}/trail.csv"),
            format!("/ui/tickets/{id}"),
        ]
    };
    let writes = |id: &str| {
        vec![
            (
                format!("/api/v1/tickets/{id}/actions"),
                json!({"action": "sign", "at": "2026-03-06T11:00:00+08:00"}),
            ),
            (format!("/api/v1/tickets/{id}/trail/1/replay"), json!({})),
            (
                format!("/api/v1/tickets/{id}/erasure"),
                json!({"reason": "x"}),
            ),
            (
                "/api/v1/policies/anshan/evaluate".to_owned(),
                json!({"hook": "route", "ticket_id": id}),
            ),
        ]
    };
    let lists = [
        "/api/v1/tickets".to_owned(),
        "/api/v1/tickets?jurisdiction=hohhot".to_owned(),
        "/api/v1/notifications".to_owned(),
        format!("/api/v1/exports/trails?jurisdiction=hohhot&{period}"),
        format!("/api/v1/assessments?jurisdiction=hohhot&{period}"),
        "/api/v1/policies".to_owned(),
        "/api/v1/policies/hohhot/versions?sources=true".to_owned(),
        "/ui/tickets".to_owned(),
    ];
    let mut crossings = Vec::new();
    for (name, role, _, _) in desks.iter().filter(|d| d.2 == "anshan") {
        let token = secret(name);
        let mut targets = vec![(foreign_id.clone(), "停暖外泄")];
        if *role == "unit" {
            targets.push((other_id.clone(), "欠薪外泄"));
        }
        for (id, content) in &targets {
            for path in reads(id) {
                let (status, _, body) = server.get_text(&path, Some(&token));
                if status == 200 || body.contains(content) {
                    crossings.push(format!("{name} GET {path}: {status} {body}"));
                }
            }
            for (path, body) in writes(id) {
                let (status, answer) = server.post_as(&path, &body, Some(&token));
                if status == 200 || answer.to_string().contains(content) {
                    crossings.push(format!("{name} POST {path}: {status} {answer}"));
                }
            }
        }
        for path in &lists {
            let (_, _, body) = server.get_text(path, Some(&token));
            for (id, content) in &targets {
                if body.contains(id.as_str()) || body.contains(content) {
                    crossings.push(format!("{name} GET {path} shows {id}: {body}"));
                }
            }
        }
        let (status, answer) = server.post_as(
            "/api/v1/policies/hohhot/evaluate",
            &json!({"hook": "route", "ticket": {"category": "help", "topic": "heating"}}),
            Some(&token),
        );
        if status == 200 {
            crossings.push(format!("{name} evaluates hohhot: {answer}"));
        }
        let (status, answer) = server.post_as(
            "/api/v1/tickets",
            &json!({"jurisdiction": "hohhot", "channel": "phone", "category": "help", "topic": "heating",
                    "area": "saihan", "content": "x", "received_at": "2026-03-06T10:00:00+08:00"}),
            Some(&token),
        );
        if status == 201 {
            crossings.push(format!("{name} files in hohhot: {answer}"));
        }
        let (_, swept) = server.post_as(
            "/api/v1/admin/sweep",
            &json!({"now": "2026-09-01T10:00:00+08:00", "dry_run": true}),
            Some(&token),
        );
        if swept.to_string().contains(&foreign_id) {
            crossings.push(format!("{name} sweeps hohhot: {swept}"));
        }
    }
    // Nothing was done to the foreign ticket.
    let (_, trail) = server.get_as(&format!("/api/v1/tickets/{foreign_id}/trail"), Some(ADMIN));
    let events = trail["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "event")
        .count();
    assert_eq!(events, 1, "only its filing: {trail}");
    assert!(
        crossings.is_empty(),
        "{} crossing(s):\n{}",
        crossings.len(),
        crossings.join("\n")
    );
}

/// Idempotency keys are the caller's own: the same key from another desk files its own
/// ticket and learns nothing of the first.
#[test]
fn idempotency_keys_do_not_reach_across_callers() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[
            ("as-intake", "intake", "anshan", None),
            ("hh-intake", "intake", "hohhot", None),
        ],
    );
    let body = |jurisdiction: &str| {
        json!({"jurisdiction": jurisdiction, "channel": "phone", "category": "complaint",
               "topic": "noise", "content": "噪音", "received_at": "2026-03-02T09:00:00+08:00"})
    };
    let file = |token: &str, jurisdiction: &str| {
        server.post_raw(
            "/api/v1/tickets",
            &body(jurisdiction).to_string(),
            &[
                ("Idempotency-Key", "call-0001"),
                ("Authorization", &format!("Bearer {}", secret(token))),
            ],
        )
    };
    let (status, first) = file("hh-intake", "hohhot");
    assert_eq!(status, 201, "{first}");
    let (status, second) = file("as-intake", "anshan");
    assert_eq!(
        status, 201,
        "a new ticket, not a replay or a conflict: {second}"
    );
    assert_ne!(first["id"], second["id"]);
    assert!(
        !second.to_string().contains(first["id"].as_str().unwrap()),
        "{second}"
    );
    let (status, again) = file("hh-intake", "hohhot");
    assert_eq!(status, 200, "the same caller's retry is a replay: {again}");
    assert_eq!(again["id"], first["id"]);
}

/// Units a request names must be the jurisdiction's own, whoever names them.
#[test]
fn a_request_cannot_name_another_jurisdictions_unit() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[
            ("as-intake", "intake", "anshan", None),
            ("as-supervisor", "supervisor", "anshan", None),
        ],
    );
    let ticket = file_as(
        &server,
        &json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint", "topic": "noise",
                "content": "噪音", "received_at": "2026-03-02T09:00:00+08:00"}),
        ADMIN,
    );
    let id = ticket["id"].as_str().unwrap();
    // Overdue long enough that the sweep escalates it: a supervisor's ticket.
    for day in [
        "2026-05-01",
        "2026-05-10",
        "2026-05-20",
        "2026-06-01",
        "2026-06-10",
        "2026-06-20",
    ] {
        common::desks::sweep_as_admin(&server, &format!("{day}T10:00:00+08:00"));
    }
    let (_, outbox) = server.get_as("/api/v1/notifications?limit=100", Some(ADMIN));
    assert!(outbox.to_string().contains("escalate"), "{outbox}");
    for (token, body) in [
        (
            "as-intake",
            json!({"action": "dispatch", "lead": "hh-housing"}),
        ),
        (
            "as-supervisor",
            json!({"action": "supervise", "unit": "hh-housing", "reason": "x"}),
        ),
        (
            "as-intake",
            json!({"action": "dispatch", "lead": "as-environment", "assist": ["invented-unit"]}),
        ),
    ] {
        let (status, answer) = server.post_as(
            &format!("/api/v1/tickets/{id}/actions"),
            &body,
            Some(&secret(token)),
        );
        assert_eq!(status, 422, "{token} {body}: {answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("is not a unit of `anshan`"),
            "{answer}"
        );
    }
}
