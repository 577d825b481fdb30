//! Policy administration over HTTP: dry runs with the active version or candidate sources.
#![allow(clippy::unwrap_used)]

mod common;

use common::Server;
use serde_json::json;

#[test]
fn evaluate_dry_runs_a_hook_with_the_active_or_a_candidate_version() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let path = "/api/v1/policies/anshan/evaluate";

    let (status, active) = server.post(
        path,
        &json!({"hook": "route", "ticket": {"category": "complaint", "topic": "noise"}}),
    );
    assert_eq!(status, 200, "{active}");
    assert_eq!(active["output"]["lead"], "as-environment");
    assert_eq!(active["cite"], json!(["AS-3"]));
    assert_eq!(active["candidate"], false);
    let live_version = active["policy"]["version"].clone();

    let manifest =
        std::fs::read_to_string(common::project_dir().join("policies/anshan/policy.toml")).unwrap();
    let candidate = manifest.replace("noise = \"as-environment\"", "noise = \"as-housing\"");
    let (_, tried) = server.post(
        path,
        &json!({"hook": "route", "ticket": {"category": "complaint", "topic": "noise"},
                                               "sources": {"policy.toml": candidate}}),
    );
    assert_eq!(tried["output"]["lead"], "as-housing", "{tried}");
    assert_eq!(tried["candidate"], true);
    assert_ne!(tried["policy"]["version"], live_version);

    // A stored ticket, through a review hook.
    let (_, ticket) = server.post("/api/v1/tickets", &json!({"jurisdiction": "anshan", "channel": "phone",
        "category": "complaint", "topic": "noise", "content": "噪音", "received_at": "2026-03-02T09:00:00+08:00"}));
    let id = ticket["id"].as_str().unwrap();
    let (_, review) = server.post(
        path,
        &json!({"hook": "review_extension", "ticket_id": id,
        "request": {"action": "request_extension", "at": "2026-03-27T10:00:00+08:00", "reason": "r",
                    "evidence": ["application_form"], "working_days": 5}}),
    );
    assert_eq!(review["outcome"], "denied", "{review}");
    assert_eq!(review["cite"], json!(["AS-2.2"]));

    let (status, broken) = server.post(
        path,
        &json!({"hook": "route", "ticket": {"topic": "noise", "category": "help"},
        "sources": {"main.rhai": "fn route(t) {\n  let = ;\n}"}}),
    );
    assert_eq!(status, 422, "{broken}");
    assert_eq!(broken["error"]["code"], "evaluation_failed");
    assert!(
        broken["error"]["message"]
            .as_str()
            .unwrap()
            .contains("policies/anshan/main.rhai:2:"),
        "{broken}"
    );

    let (status, escape) = server.post(
        path,
        &json!({"hook": "route", "sources": {"../../etc/x": "1"}}),
    );
    assert_eq!(status, 422, "{escape}");
    let (status, unknown) = server.post(path, &json!({"hook": "guess"}));
    assert_eq!(status, 400, "{unknown}");

    // Dry runs change nothing: the live version and the stored tickets are as they were.
    let (_, policies) = server.get("/api/v1/policies");
    assert_eq!(policies[0]["version"], live_version);
    let (_, page) = server.get("/api/v1/tickets");
    assert_eq!(page["tickets"].as_array().unwrap().len(), 1);
    let (_, trail) = server.get(&format!("/api/v1/tickets/{id}/trail"));
    assert_eq!(trail["entries"].as_array().unwrap().len(), 4);
}
