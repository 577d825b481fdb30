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
