//! Filing tickets over HTTP against the real `jiesu serve` binary (issue 2's acceptance).
#![allow(clippy::unwrap_used)]

mod common;

use common::{PolicyTree, Server, ServerOptions};
use serde_json::{Value, json};

fn noise_complaint() -> Value {
    json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint",
           "topic": "noise", "flags": ["multi_department"], "area": "tiedong",
           "content": "夜间施工噪音", "requester": {"name": "张三", "phone": "13800000000"},
           "received_at": "2025-09-30T10:00:00+08:00"})
}

fn ticket_count(server: &Server) -> usize {
    let (status, page) = server.get("/api/v1/tickets?limit=500");
    assert_eq!(status, 200, "{page}");
    page["tickets"].as_array().unwrap().len()
}

#[test]
fn a_noise_complaint_goes_to_the_environment_bureau_with_twenty_working_days() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let (status, ticket) = server.post("/api/v1/tickets", &noise_complaint());
    assert_eq!(status, 201, "{ticket}");
    assert_eq!(ticket["status"], "dispatched");
    assert_eq!(
        ticket["lead_unit"],
        json!({"id": "as-environment", "name": "市环保局"})
    );
    assert_eq!(ticket["deadlines"]["resolve"], "2025-11-04T10:00:00+08:00");
    assert_eq!(ticket["rejection"], Value::Null);
    assert_eq!(ticket["provisional"], false);
    assert_eq!(ticket["policy"]["id"], "anshan");
    assert_eq!(ticket["policy"]["version"].as_str().unwrap().len(), 64);
    let decisions: Vec<(&str, &str)> = ticket["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["hook"].as_str().unwrap(), d["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        decisions,
        [
            ("accept", "accepted"),
            ("route", "direct"),
            ("time_limits", "scheduled")
        ]
    );
    assert_eq!(ticket["decisions"][1]["cite"], json!(["AS-3"]));
    assert_eq!(ticket["decisions"][2]["cite"], json!(["AS-2.1"]));

    let (status, fetched) = server.get(&format!(
        "/api/v1/tickets/{}",
        ticket["id"].as_str().unwrap()
    ));
    assert_eq!(status, 200);
    assert_eq!(
        fetched, ticket,
        "GET returns the same shape and state as the filing"
    );
}

#[test]
fn a_consultation_filed_on_a_holiday_counts_the_make_up_saturday() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let mut body = noise_complaint();
    body["category"] = json!("consultation");
    body["received_at"] = json!("2025-10-03T15:00:00+08:00");
    let (status, ticket) = server.post("/api/v1/tickets", &body);
    assert_eq!(status, 201, "{ticket}");
    assert_eq!(ticket["deadlines"]["resolve"], "2025-10-11T00:00:00+08:00");
    assert_eq!(ticket["lead_unit"]["id"], "as-environment");

    // A matter AS-3 names no unit for waits with the hotline office, which is no handling
    // unit: the 办结时限 starts when it assigns one (二: 一经交办); the office itself owes the
    // dispatch within a working day (及时交办), counted after the holiday.
    body["topic"] = json!("other");
    let (status, ticket) = server.post("/api/v1/tickets", &body);
    assert_eq!(status, 201, "{ticket}");
    assert_eq!(ticket["lead_unit"]["id"], "as-hotline-office");
    assert_eq!(
        ticket["deadlines"],
        json!({"resolve": "2025-10-10T00:00:00+08:00"}),
        "{ticket}"
    );
    assert_eq!(
        ticket["clocks"][0]["met_by"],
        json!(["dispatch"]),
        "{ticket}"
    );
    assert_eq!(ticket["decisions"][1]["cite"], json!(["AS-local-dispatch"]));
}

#[test]
fn the_trail_holds_every_decision_chained_by_hash() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let (_, ticket) = server.post("/api/v1/tickets", &noise_complaint());
    let id = ticket["id"].as_str().unwrap();
    let (status, trail) = server.get(&format!("/api/v1/tickets/{id}/trail"));
    assert_eq!(status, 200, "{trail}");
    assert_eq!(trail["chain"]["valid"], true, "{}", trail["chain"]);
    let entries = trail["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[0]["kind"], "event");
    assert_eq!(entries[0]["outcome"], "filed");
    assert_eq!(entries[0]["input"]["request"]["content"], "夜间施工噪音");
    let hooks: Vec<&str> = entries[1..]
        .iter()
        .map(|e| e["hook"].as_str().unwrap())
        .collect();
    assert_eq!(hooks, ["accept", "route", "time_limits"]);
    for (i, entry) in entries.iter().enumerate() {
        assert_eq!(entry["seq"], i + 1);
        if i > 0 {
            assert_eq!(
                entry["prev_hash"],
                entries[i - 1]["hash"],
                "entry {} links to its predecessor",
                i + 1
            );
            assert_eq!(entry["kind"], "decision");
            assert_eq!(
                entry["policy"], ticket["policy"],
                "the exact policy version"
            );
            assert!(
                !entry["cite"].as_array().unwrap().is_empty(),
                "every decision cites"
            );
            assert!(
                entry["input"]["ticket"].is_object(),
                "the input is recorded"
            );
            assert!(entry["output"].is_object(), "the output is recorded");
            assert!(entry["duration_us"].is_i64());
            // IM-15: scripts never see who called.
            assert!(entry["input"]["ticket"].get("requester").is_none());
        }
    }
    assert_eq!(entries[2]["output"]["lead"], "as-environment");
    assert_eq!(
        entries[3]["output"]["deadlines"]["resolve"],
        "2025-11-04T10:00:00+08:00"
    );
}

#[test]
fn bad_input_is_a_4xx_with_a_code_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let with = |key: &str, value: Value| {
        let mut body = noise_complaint();
        body[key] = value;
        body.to_string()
    };
    let without = |key: &str| {
        let mut body = noise_complaint();
        body.as_object_mut().unwrap().remove(key);
        body.to_string()
    };
    let cases: Vec<(String, u16, &str)> = vec![
        ("{\"jurisdiction\": ".into(), 400, "malformed_json"),
        ("[1, 2]".into(), 400, "invalid_body"),
        (with("flags", json!(["vip"])), 400, "invalid_field"),
        (with("category", json!("gossip")), 400, "invalid_field"),
        (with("channel", json!("pigeon")), 400, "invalid_field"),
        (
            with("jurisdiction", json!("atlantis")),
            400,
            "unknown_jurisdiction",
        ),
        (with("topic", json!("dragons")), 400, "unknown_topic"),
        (with("area", json!("mars")), 400, "unknown_area"),
        (
            with("received_at", json!("yesterday")),
            400,
            "invalid_field",
        ),
        (
            with("received_at", json!("2025-09-30 10:00")),
            400,
            "invalid_field",
        ),
        (
            with("received_at", json!("2999-01-01T00:00:00+08:00")),
            422,
            "validation_failed",
        ),
        (with("content", json!("   ")), 422, "validation_failed"),
        (with("colour", json!("red")), 400, "invalid_field"),
        (
            with("requester", json!({"phone": "call me"})),
            422,
            "validation_failed",
        ),
        (without("content"), 400, "invalid_field"),
        (without("category"), 400, "invalid_field"),
        ("x".repeat(100 * 1024), 413, "payload_too_large"),
    ];
    for (body, want_status, want_code) in &cases {
        let (status, error) = server.post_raw("/api/v1/tickets", body, &[]);
        let shown: String = body.chars().take(120).collect();
        assert_eq!(status, *want_status, "{shown}: {error}");
        assert_eq!(error["error"]["code"], *want_code, "{shown}: {error}");
        assert!(
            error["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let (status, missing) = server.post_raw("/api/v1/tickets", &without("content"), &[]);
    assert_eq!(status, 400);
    assert_eq!(
        missing["error"]["details"]["field"], "content",
        "names the missing field"
    );

    assert_eq!(server.get("/healthz").0, 200, "the server stays up");
    assert_eq!(ticket_count(&server), 0, "nothing was written");
    assert_eq!(
        server.post("/api/v1/tickets", &noise_complaint()).0,
        201,
        "and still files good tickets"
    );
}

#[test]
fn reads_answer_404_and_400_in_the_error_shape() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    for (path, status, code) in [
        ("/api/v1/tickets/no-such-ticket", 404, "not_found"),
        ("/api/v1/tickets/no-such-ticket/trail", 404, "not_found"),
        ("/api/v1/nowhere", 404, "not_found"),
        ("/api/v1/tickets?status=lost", 400, "invalid_query"),
        ("/api/v1/tickets?limit=0", 400, "invalid_query"),
        ("/api/v1/tickets?limit=many", 400, "invalid_query"),
        ("/api/v1/tickets?overdue=maybe", 400, "invalid_query"),
        ("/api/v1/tickets?sort=up", 400, "invalid_query"),
    ] {
        let (got, body) = server.get(path);
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(body["error"]["code"], code, "{path}: {body}");
    }
}

#[test]
fn tickets_are_listed_filtered_and_paged() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let topics = ["noise", "wages", "noise", "waste", "noise"];
    for topic in topics {
        let mut body = noise_complaint();
        body["topic"] = json!(topic);
        assert_eq!(server.post("/api/v1/tickets", &body).0, 201);
    }
    let (_, noise) = server.get("/api/v1/tickets?unit=as-environment");
    assert_eq!(noise["tickets"].as_array().unwrap().len(), 3);
    let (_, page1) = server.get("/api/v1/tickets?limit=2");
    assert_eq!(page1["tickets"].as_array().unwrap().len(), 2);
    let after = page1["next_after"].as_str().unwrap();
    let (_, page2) = server.get(&format!("/api/v1/tickets?limit=2&after={after}"));
    let (_, page3) = server.get(&format!(
        "/api/v1/tickets?limit=2&after={}",
        page2["next_after"].as_str().unwrap()
    ));
    assert_eq!(page3["tickets"].as_array().unwrap().len(), 1);
    assert_eq!(page3["next_after"], Value::Null);
    let mut ids: Vec<String> = [&page1, &page2, &page3]
        .iter()
        .flat_map(|p| {
            p["tickets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_owned())
        })
        .collect();
    let filed = ids.clone();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5);
    assert_eq!(filed, ids, "pages come in filing order");
    // 2025 deadlines have all passed: every dispatched ticket is overdue now.
    let (_, overdue) =
        server.get("/api/v1/tickets?overdue=true&jurisdiction=anshan&status=dispatched");
    assert_eq!(overdue["tickets"].as_array().unwrap().len(), 5);
    let (_, other) = server.get("/api/v1/tickets?jurisdiction=hohhot");
    assert_eq!(other["tickets"].as_array().unwrap().len(), 0);
}

#[test]
fn tickets_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    let server = Server::start(&db);
    let (_, ticket) = server.post("/api/v1/tickets", &noise_complaint());
    let id = ticket["id"].as_str().unwrap().to_owned();
    server.kill();

    let server = Server::start(&db);
    let (status, again) = server.get(&format!("/api/v1/tickets/{id}"));
    assert_eq!(status, 200, "{again}");
    assert_eq!(again, ticket);
    let (_, trail) = server.get(&format!("/api/v1/tickets/{id}/trail"));
    assert_eq!(trail["chain"]["valid"], true);
}

#[test]
fn a_failing_policy_fails_its_decision_not_the_server() {
    let tree = PolicyTree::shipped();
    tree.simple_set(
        "looping",
        r#"
fn accept(t) { #{ outcome: "accepted", cite: ["L-1"] } }
fn route(t) { loop { } }
fn time_limits(t) { #{ deadlines: #{}, cite: ["L-1"] } }
"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    let server = Server::start_with(ServerOptions::for_tree(&db, &tree));
    let mut body = noise_complaint();
    body["jurisdiction"] = json!("looping");
    body.as_object_mut().unwrap().remove("area");
    let (status, error) = server.post("/api/v1/tickets", &body);
    assert_eq!(status, 500, "{error}");
    assert_eq!(error["error"]["code"], "policy_error");
    assert_eq!(
        error["error"]["details"]["location"]["file"],
        "policies/looping/main.rhai"
    );
    assert_eq!(ticket_count(&server), 0, "no half-written ticket");
    assert_eq!(
        server.post("/api/v1/tickets", &noise_complaint()).0,
        201,
        "other sets serve on"
    );
}

#[test]
fn jurisdictions_limit_what_a_server_serves() {
    let tree = PolicyTree::shipped();
    tree.simple_set(
        "other",
        r#"fn accept(t) { #{ outcome: "accepted", cite: ["O-1"] } }"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    let mut options = ServerOptions::for_tree(&db, &tree);
    options.args = vec!["--jurisdictions", "anshan"];
    let server = Server::start_with(options);
    let (_, policies) = server.get("/api/v1/policies");
    let ids: Vec<&str> = policies
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["anshan"]);
    assert_eq!(policies[0]["status"], "active");
    assert_eq!(policies[0]["last_error"], Value::Null);
    let mut body = noise_complaint();
    body["jurisdiction"] = json!("other");
    let (status, error) = server.post("/api/v1/tickets", &body);
    assert_eq!(status, 400);
    assert_eq!(error["error"]["code"], "unknown_jurisdiction");
}

#[test]
fn the_admin_token_is_required_once_set() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    let mut options = ServerOptions::new(&db);
    options.env = vec![("JIESU_ADMIN_TOKEN", "s3cret-token")];
    let server = Server::start_with(options);
    // The fixture sends the token: accepted.
    assert_eq!(server.post("/api/v1/tickets", &noise_complaint()).0, 201);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{}/api/v1/tickets", server.base);
    let missing = agent.get(&url).call().unwrap();
    assert_eq!(missing.status().as_u16(), 401);
    let wrong = agent
        .get(&url)
        .header("Authorization", "Bearer nope")
        .call()
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let health = agent
        .get(format!("{}/healthz", server.base))
        .call()
        .unwrap();
    assert_eq!(health.status().as_u16(), 200, "health checks stay open");
}

#[test]
fn readiness_reports_database_and_policies() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let (status, ready) = server.get("/readyz");
    assert_eq!(status, 200);
    assert_eq!(ready["policies"], 5, "the five shipped sets: {ready}");
}

#[test]
fn altering_a_stored_decision_breaks_the_chain() {
    use diesel::{Connection, RunQueryDsl, SqliteConnection};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    let server = Server::start(&db);
    let (_, ticket) = server.post("/api/v1/tickets", &noise_complaint());
    let id = ticket["id"].as_str().unwrap();

    let mut conn = SqliteConnection::establish(db.to_str().unwrap()).unwrap();
    diesel::sql_query(format!(
        "UPDATE trail_entries SET output = '{{\"lead\":\"as-housing\"}}' WHERE ticket_id = '{id}' AND seq = 3"
    ))
    .execute(&mut conn)
    .unwrap();

    let (_, trail) = server.get(&format!("/api/v1/tickets/{id}/trail"));
    assert_eq!(trail["chain"]["valid"], false, "{}", trail["chain"]);
    assert_eq!(trail["chain"]["broken_at"], 3);
}

#[test]
fn metrics_count_filings_and_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    for _ in 0..3 {
        assert_eq!(server.post("/api/v1/tickets", &noise_complaint()).0, 201);
    }
    let (status, text) = server.get("/metrics");
    assert_eq!(status, 200);
    let text = text.as_str().unwrap();
    assert!(
        text.contains(r#"jiesu_tickets_filed_total{jurisdiction="anshan",status="dispatched"} 3"#),
        "{text}"
    );
    assert!(
        text.contains(r#"jiesu_decisions_total{policy="anshan",hook="route",outcome="direct"} 3"#),
        "{text}"
    );
    assert!(text.contains("jiesu_decision_seconds_bucket"), "{text}");
    assert!(
        text.contains(r#"jiesu_policy_sets{policy="anshan",status="active"} 1"#),
        "{text}"
    );
}

#[test]
fn a_dev_server_refuses_cross_site_requests_from_a_browser() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let body = noise_complaint().to_string();
    let (status, answer) = server.post_raw(
        "/api/v1/tickets",
        &body,
        &[("Origin", "https://evil.example")],
    );
    assert_eq!(status, 401, "{answer}");
    let own = server.base.clone();
    let (status, answer) = server.post_raw("/api/v1/tickets", &body, &[("Origin", &own)]);
    assert_eq!(status, 201, "the machine's own page passes: {answer}");
}
