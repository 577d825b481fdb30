//! After filing: actions, reviews, sweeps and the outbox, over HTTP against the real binary
//! (issue 3's acceptance).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;

use common::{Server, ServerOptions};
use serde_json::{Value, json};

fn complaint(received_at: &str) -> Value {
    json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint",
           "topic": "noise", "content": "夜间施工噪音", "received_at": received_at})
}

fn file(server: &Server, received_at: &str) -> String {
    let (status, ticket) = server.post("/api/v1/tickets", &complaint(received_at));
    assert_eq!(status, 201, "{ticket}");
    ticket["id"].as_str().unwrap().to_owned()
}

fn act(server: &Server, id: &str, body: Value) -> (u16, Value) {
    server.post(&format!("/api/v1/tickets/{id}/actions"), &body)
}

fn sweep(server: &Server, now: &str) -> Vec<Value> {
    let (status, body) = server.post("/api/v1/admin/sweep", &json!({"now": now}));
    assert_eq!(status, 200, "{body}");
    body["fired"].as_array().unwrap().clone()
}

fn sign(server: &Server, id: &str) {
    let (status, body) = act(
        server,
        id,
        json!({"action": "sign", "at": "2026-03-02T10:00:00+08:00"}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ticket"]["status"], "signed");
}

#[test]
fn an_extension_is_allowed_only_two_working_days_ahead() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let id = file(&server, "2026-03-02T09:00:00+08:00");
    let (_, ticket) = server.get(&format!("/api/v1/tickets/{id}"));
    assert_eq!(ticket["deadlines"]["resolve"], "2026-03-30T09:00:00+08:00");
    sign(&server, &id);

    let late = json!({"action": "request_extension", "at": "2026-03-27T10:00:00+08:00",
                      "reason": "需第三方检测", "evidence": ["application_form"],
                      "signatures": ["main_leader"], "working_days": 10});
    let (status, denied) = act(&server, &id, late);
    assert_eq!(status, 200, "{denied}");
    assert_eq!(denied["outcome"], "denied");
    assert_eq!(denied["cite"], json!(["AS-2.2"]));
    assert!(
        denied["reasons"][0]
            .as_str()
            .unwrap()
            .contains("2 working days"),
        "{denied}"
    );
    assert_eq!(
        denied["ticket"]["deadlines"]["resolve"],
        "2026-03-30T09:00:00+08:00"
    );

    let early = json!({"action": "request_extension", "at": "2026-03-25T10:00:00+08:00",
                       "reason": "需第三方检测", "evidence": ["application_form"],
                       "signatures": ["main_leader"], "working_days": 10});
    let (_, allowed) = act(&server, &id, early);
    assert_eq!(allowed["outcome"], "allowed", "{allowed}");
    assert_eq!(allowed["cite"], json!(["AS-2.2"]));
    assert_eq!(
        allowed["ticket"]["deadlines"]["resolve"],
        "2026-04-14T09:00:00+08:00"
    );
    assert_eq!(
        allowed["ticket"]["status"], "signed",
        "an extension keeps the status"
    );

    // The moved deadline is what the sweeper now watches.
    assert!(sweep(&server, "2026-04-01T10:00:00+08:00").is_empty());
    assert_eq!(sweep(&server, "2026-04-14T10:00:00+08:00").len(), 1);
}

#[test]
fn overdue_tickets_are_reminded_twice_then_escalated_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let id = file(&server, "2026-03-02T09:00:00+08:00");
    sign(&server, &id);

    assert!(
        sweep(&server, "2026-03-30T08:00:00+08:00").is_empty(),
        "not due yet"
    );
    let first = sweep(&server, "2026-03-30T10:00:00+08:00");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["ticket"], id.as_str());
    assert_eq!(first[0]["clock"], "resolve");
    assert_eq!(
        first[0]["actions"],
        json!([{"kind": "remind", "to": {"id": "as-environment", "name": "市环保局"}, "cite": ["AS-5"]},
               {"kind": "notify", "to": {"id": "as-environment", "name": "市环保局"}, "channel": "bulletin", "cite": ["AS-5"]}])
    );
    assert!(
        sweep(&server, "2026-03-30T10:00:00+08:00").is_empty(),
        "the same sweep again fires nothing"
    );
    assert!(
        sweep(&server, "2026-03-30T18:00:00+08:00").is_empty(),
        "next look is a working day later"
    );

    let second = sweep(&server, "2026-03-31T10:00:00+08:00");
    assert_eq!(second[0]["actions"][0]["kind"], "remind");
    let third = sweep(&server, "2026-04-01T10:00:00+08:00");
    let kinds: Vec<&str> = third[0]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["escalate"]);
    assert_eq!(third[0]["actions"][0]["to"]["name"], "市民诉求督办中心");
    assert!(
        sweep(&server, "2026-05-01T10:00:00+08:00").is_empty(),
        "escalated once, never again"
    );

    let (_, outbox) = server.get("/api/v1/notifications");
    let fired: Vec<(&str, &str)> = outbox["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["kind"].as_str().unwrap(),
                n["to"]["id"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        fired,
        [
            ("remind", "as-environment"),
            ("notify", "as-environment"),
            ("remind", "as-environment"),
            ("escalate", "as-supervision-centre"),
        ]
    );
    let after = outbox["next_after"].as_i64().unwrap();
    let (_, rest) = server.get(&format!("/api/v1/notifications?after={after}"));
    assert!(rest["notifications"].as_array().unwrap().is_empty());

    let (_, trail) = server.get(&format!("/api/v1/tickets/{id}/trail"));
    assert_eq!(trail["chain"]["valid"], true);
    let overdue = trail["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["hook"] == "on_overdue")
        .count();
    assert_eq!(overdue, 3, "one recorded decision per sweep that fired");
}

#[test]
fn resolve_then_a_satisfied_revisit_closes_the_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let id = file(&server, "2026-03-02T09:00:00+08:00");

    let (status, early) = act(
        &server,
        &id,
        json!({"action": "revisit", "satisfaction": "satisfied"}),
    );
    assert_eq!(status, 409, "{early}");
    assert_eq!(early["error"]["code"], "action_not_allowed");
    assert_eq!(
        early["error"]["details"]["allowed"],
        json!([
            "sign",
            "contact",
            "intervene",
            "feedback",
            "plan",
            "report_progress",
            "return",
            "request_extension",
            "dispatch",
            "supervise"
        ])
    );

    sign(&server, &id);
    let (_, contact) = act(
        &server,
        &id,
        json!({"action": "contact", "at": "2026-03-03T10:00:00+08:00"}),
    );
    assert_eq!(contact["ticket"]["status"], "in_progress");
    let (_, no_result) = act(
        &server,
        &id,
        json!({"action": "resolve", "reply": {"investigation": "x"}}),
    );
    assert_eq!(no_result["outcome"], "denied", "{no_result}");
    assert_eq!(no_result["ticket"]["status"], "in_progress");
    let (_, resolved) = act(
        &server,
        &id,
        json!({"action": "resolve", "at": "2026-03-10T10:00:00+08:00", "signatures": ["main_leader"],
        "reply": {"verified": true, "result": "已责令停工", "resolution": "solved"}}),
    );
    assert_eq!(resolved["outcome"], "allowed", "{resolved}");
    assert_eq!(resolved["ticket"]["status"], "resolved");
    let (_, closed) = act(
        &server,
        &id,
        json!({"action": "revisit", "satisfaction": "satisfied"}),
    );
    assert_eq!(closed["outcome"], "allowed");
    assert_eq!(closed["cite"], json!(["AS-4"]));
    assert_eq!(closed["ticket"]["status"], "closed");

    let (status, after) = act(&server, &id, json!({"action": "sign"}));
    assert_eq!(status, 409);
    assert_eq!(after["error"]["details"]["allowed"], json!([]));
    assert!(
        sweep(&server, "2026-06-01T10:00:00+08:00").is_empty(),
        "a closed ticket's clocks are stopped"
    );
}

#[test]
fn an_unsatisfied_revisit_reopens_for_on_site_verification_with_a_new_limit() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let id = file(&server, "2026-03-02T09:00:00+08:00");
    sign(&server, &id);
    act(
        &server,
        &id,
        json!({"action": "resolve", "at": "2026-03-10T10:00:00+08:00", "signatures": ["deputy_leader"], "reply": {"result": "已处理"}}),
    );
    let (_, reopened) = act(
        &server,
        &id,
        json!({"action": "revisit", "at": "2026-03-11T10:00:00+08:00", "satisfaction": "unsatisfied"}),
    );
    assert_eq!(reopened["ticket"]["status"], "reopened", "{reopened}");
    assert_eq!(
        reopened["ticket"]["lead_unit"]["id"], "as-environment",
        "same unit"
    );
    assert_eq!(
        reopened["ticket"]["deadlines"]["resolve"], "2026-04-09T10:00:00+08:00",
        "20 working days from the revisit, across 清明"
    );
}

#[test]
fn a_return_goes_back_to_the_hotline_office_which_assigns_it_and_the_clock_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let id = file(&server, "2026-03-02T09:00:00+08:00");
    let (_, denied) = act(&server, &id, json!({"action": "return"}));
    assert_eq!(denied["outcome"], "denied");
    let (_, returned) = act(
        &server,
        &id,
        json!({"action": "return", "at": "2026-03-02T11:00:00+08:00", "reason": "属交通噪音",
               "basis": "机动车噪音由公安交管部门管理"}),
    );
    assert_eq!(returned["outcome"], "allowed", "{returned}");
    assert_eq!(returned["ticket"]["status"], "returned");
    assert_eq!(returned["ticket"]["lead_unit"], Value::Null);
    assert_eq!(
        returned["ticket"]["deadlines"],
        json!({}),
        "nobody's clock runs"
    );
    // While the office holds it nobody is chased, the office included.
    assert!(sweep(&server, "2026-04-30T10:00:00+08:00").is_empty());
    let (status, refused) = act(
        &server,
        &id,
        json!({"action": "sign", "unit": "as-environment"}),
    );
    assert_eq!(status, 409, "{refused}");
    let (_, assigned) = act(
        &server,
        &id,
        json!({"action": "dispatch", "at": "2026-03-03T11:00:00+08:00", "lead": "as-enforcement",
               "reason": "属城市综合治理"}),
    );
    assert_eq!(assigned["outcome"], "allowed", "{assigned}");
    assert_eq!(assigned["cite"], json!(["AS-2.3"]));
    assert_eq!(assigned["ticket"]["status"], "dispatched");
    assert_eq!(assigned["ticket"]["lead_unit"]["id"], "as-enforcement");
    assert_eq!(
        assigned["ticket"]["deadlines"]["resolve"], "2026-03-31T11:00:00+08:00",
        "20 working days from the office's dispatch"
    );
    let fired = sweep(&server, "2026-03-30T10:00:00+08:00");
    assert!(
        fired.is_empty(),
        "the old unit's clock was cancelled: {fired:?}"
    );
}

#[test]
fn bad_actions_are_refused_without_a_trace() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let id = file(&server, "2026-03-02T09:00:00+08:00");
    let (status, unknown) = act(&server, &id, json!({"action": "teleport"}));
    assert_eq!(status, 400);
    assert_eq!(unknown["error"]["code"], "invalid_field");
    let (status, missing) = act(&server, "no-such-ticket", json!({"action": "sign"}));
    assert_eq!(status, 404, "{missing}");
    let (status, criteria) = act(
        &server,
        &id,
        json!({"action": "sign", "criteria": ["other"]}),
    );
    assert_eq!(status, 422, "{criteria}");
    let (status, bad_code) = server.post(
        &format!("/api/v1/tickets/{id}/actions"),
        &json!({"action": "request_extension", "criteria": ["bribery"]}),
    );
    assert_eq!(status, 400, "{bad_code}");
    let (_, trail) = server.get(&format!("/api/v1/tickets/{id}/trail"));
    assert_eq!(
        trail["entries"].as_array().unwrap().len(),
        4,
        "only the filing is recorded"
    );
}

#[test]
fn an_idempotency_key_files_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let body = complaint("2026-03-02T09:00:00+08:00").to_string();
    let key = [("Idempotency-Key", "centre-42-call-7")];
    let (first_status, first) = server.post_raw("/api/v1/tickets", &body, &key);
    let (again_status, again) = server.post_raw("/api/v1/tickets", &body, &key);
    assert_eq!((first_status, again_status), (201, 200));
    assert_eq!(first["id"], again["id"]);
    let other = complaint("2026-03-03T09:00:00+08:00").to_string();
    let (status, conflict) = server.post_raw("/api/v1/tickets", &other, &key);
    assert_eq!(status, 422, "{conflict}");
    assert_eq!(conflict["error"]["code"], "idempotency_key_reused");
    let (_, page) = server.get("/api/v1/tickets");
    assert_eq!(page["tickets"].as_array().unwrap().len(), 1);
}

#[test]
fn two_servers_sweeping_one_database_fire_every_action_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    let a = Server::start(&db);
    let mut options = ServerOptions::new(&db);
    options.args = vec!["--sweep-interval", "0"];
    let b = Server::start_with(options);
    let tickets: Vec<String> = (0..40)
        .map(|_| file(&a, "2026-03-02T09:00:00+08:00"))
        .collect();

    for now in [
        "2026-03-30T10:00:00+08:00",
        "2026-03-31T10:00:00+08:00",
        "2026-04-01T10:00:00+08:00",
    ] {
        let (fa, fb) = std::thread::scope(|s| {
            let ha = s.spawn(|| sweep(&a, now));
            let hb = s.spawn(|| sweep(&b, now));
            (ha.join().unwrap(), hb.join().unwrap())
        });
        assert_eq!(
            fa.len() + fb.len(),
            tickets.len(),
            "{now}: every clock fired once, by one server"
        );
    }
    let (_, outbox) = a.get("/api/v1/notifications?limit=500");
    let mut per_ticket: HashMap<String, Vec<String>> = HashMap::new();
    for n in outbox["notifications"].as_array().unwrap() {
        per_ticket
            .entry(n["ticket"].as_str().unwrap().to_owned())
            .or_default()
            .push(n["kind"].as_str().unwrap().to_owned());
    }
    assert_eq!(per_ticket.len(), tickets.len());
    for kinds in per_ticket.values() {
        assert_eq!(kinds, &["remind", "notify", "remind", "escalate"]);
    }
    // A sweep that lost the race left nothing behind: every row is what a sealed write left.
    let (code, out, err) = common::jiesu(&[
        "verify",
        "--database",
        &format!("sqlite://{}", db.display()),
    ]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn a_killed_server_loses_no_acknowledged_action_and_half_applies_none() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    let server = Server::start(&db);
    let base = server.base.clone();
    let acknowledged = std::thread::scope(|s| {
        let writer = s.spawn(|| {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into();
            let mut acked: Vec<(String, &'static str)> = Vec::new();
            for _ in 0..2_000 {
                let Ok(mut r) = agent
                    .post(format!("{base}/api/v1/tickets"))
                    .header("Content-Type", "application/json")
                    .send(complaint("2026-03-02T09:00:00+08:00").to_string())
                else {
                    break;
                };
                if r.status().as_u16() != 201 {
                    break;
                }
                let t: Value =
                    serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
                let id = t["id"].as_str().unwrap().to_owned();
                acked.push((id.clone(), "dispatched"));
                let Ok(r) = agent
                    .post(format!("{base}/api/v1/tickets/{id}/actions"))
                    .header("Content-Type", "application/json")
                    .send(json!({"action": "sign"}).to_string())
                else {
                    break;
                };
                if r.status().as_u16() != 200 {
                    break;
                }
                acked.last_mut().unwrap().1 = "signed";
            }
            acked
        });
        std::thread::sleep(std::time::Duration::from_millis(700));
        server.kill();
        writer.join().unwrap()
    });
    assert!(
        acknowledged.len() > 5,
        "the stream ran before the kill: {}",
        acknowledged.len()
    );

    let server = Server::start(&db);
    for (id, status) in &acknowledged {
        let (code, trail) = server.get(&format!("/api/v1/tickets/{id}/trail"));
        assert_eq!(code, 200, "acknowledged ticket {id} is stored");
        assert_eq!(trail["chain"]["valid"], true, "{id}: {}", trail["chain"]);
        let stored = trail["ticket"]["status"].as_str().unwrap();
        if *status == "signed" {
            assert_eq!(stored, "signed", "{id}: an acknowledged sign is stored");
        }
        let entries = trail["entries"].as_array().unwrap();
        let signed_events = entries.iter().filter(|e| e["outcome"] == "sign").count();
        assert_eq!(
            signed_events,
            usize::from(stored == "signed"),
            "{id}: state and trail agree"
        );
    }
    // Whatever was not acknowledged is either wholly there or wholly absent.
    let (_, page) = server.get("/api/v1/tickets?limit=500");
    for ticket in page["tickets"].as_array().unwrap() {
        let id = ticket["id"].as_str().unwrap();
        let (_, trail) = server.get(&format!("/api/v1/tickets/{id}/trail"));
        assert_eq!(trail["chain"]["valid"], true);
        assert!(
            trail["entries"].as_array().unwrap().len() >= 4,
            "{id}: a ticket is never half filed"
        );
    }
    drop(server);
    let (code, out, err) = common::jiesu(&[
        "verify",
        "--database",
        &format!("sqlite://{}", db.display()),
    ]);
    assert_eq!(
        code, 0,
        "the kill left the ledger and every row consistent: {out}{err}"
    );
}

#[test]
fn co_units_get_their_own_clocks_and_policies_can_warn_before_a_deadline() {
    let tree = common::PolicyTree::shipped();
    tree.write(
        "policies/joint/policy.toml",
        r#"id = "joint"
name = "joint"
[[units]]
id = "lead"
name = "牵头单位"
level = "department"
[[units]]
id = "helper"
name = "协办单位"
level = "department"
[[units]]
id = "office"
name = "热线办"
level = "centre"
"#,
    );
    tree.write(
        "policies/joint/main.rhai",
        r#"
fn accept(t) { #{ outcome: "accepted", cite: ["J-1"] } }
fn route(t) { #{ lead: "lead", assist: ["helper"], mode: "dual", cite: ["J-2"] } }
fn time_limits(t) {
    #{
        deadlines: #{ resolve: working_days(t.dispatched_at, 5) },
        co_unit_deadlines: #{ first_feedback: working_days(t.dispatched_at, 2) },
        warn: #{ resolve: working_days(t.dispatched_at, 4) },
        cite: ["J-3"],
    }
}
fn on_overdue(t, clock, history) {
    if !clock.passed {
        return #{ actions: [#{ kind: "remind", to: clock.unit, note: "即将到期" }], cite: ["J-4"] };
    }
    if history.filter(|h| h.kind == "escalate").len() > 0 { return #{ actions: [], cite: ["J-4"] }; }
    #{ actions: [#{ kind: "escalate", to: "office" }], cite: ["J-4"] }
}
"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    let server = Server::start_with(ServerOptions::for_tree(&db, &tree));
    let mut body = complaint("2026-03-02T09:00:00+08:00");
    body["jurisdiction"] = json!("joint");
    let (status, ticket) = server.post("/api/v1/tickets", &body);
    assert_eq!(status, 201, "{ticket}");
    assert_eq!(ticket["assist_units"][0]["id"], "helper");

    // Wednesday 4 March: the co-unit's first feedback to the lead (HH-17) is due.
    let fired = sweep(&server, "2026-03-04T10:00:00+08:00");
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert_eq!(
        (fired[0]["clock"].as_str(), fired[0]["unit"].as_str()),
        (Some("first_feedback"), Some("helper"))
    );
    assert_eq!(fired[0]["actions"][0]["kind"], "escalate");

    // Friday 6 March: one working day before `resolve`, the policy's warning.
    let fired = sweep(&server, "2026-03-06T10:00:00+08:00");
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert_eq!(
        (fired[0]["clock"].as_str(), fired[0]["unit"].as_str()),
        (Some("resolve"), Some("lead"))
    );
    assert_eq!(fired[0]["actions"][0]["kind"], "remind");
    assert!(
        sweep(&server, "2026-03-06T11:00:00+08:00").is_empty(),
        "warned once"
    );

    // Monday 9 March: the deadline itself passes.
    let fired = sweep(&server, "2026-03-09T10:00:00+08:00");
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert_eq!(fired[0]["actions"][0]["kind"], "escalate");
}

#[test]
fn a_failing_on_overdue_puts_its_clock_off_and_the_sweep_goes_on() {
    let tree = common::PolicyTree::shipped();
    tree.simple_set(
        "flaky",
        r#"
fn accept(t) { #{ outcome: "accepted", cite: ["F-1"] } }
fn route(t) { #{ lead: "u1", mode: "direct", cite: ["F-1"] } }
fn time_limits(t) { #{ deadlines: #{ resolve: working_days(t.dispatched_at, 1) }, cite: ["F-1"] } }
fn on_overdue(t, clock, history) {
    if t.topic == "noise" { throw "cannot decide noise"; }
    #{ actions: [#{ kind: "remind", to: clock.unit }], cite: ["F-2"] }
}
"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    let server = Server::start_with(ServerOptions::for_tree(&db, &tree));
    for topic in ["noise", "wages"] {
        let mut body = complaint("2026-03-02T09:00:00+08:00");
        body["jurisdiction"] = json!("flaky");
        body["topic"] = json!(topic);
        assert_eq!(server.post("/api/v1/tickets", &body).0, 201);
    }
    let fired = sweep(&server, "2026-03-04T10:00:00+08:00");
    assert_eq!(fired.len(), 1, "the good clock fired: {fired:?}");
    assert!(
        sweep(&server, "2026-03-04T10:05:00+08:00").is_empty(),
        "the failing clock waits"
    );
    assert!(
        sweep(&server, "2026-03-04T10:20:00+08:00").is_empty(),
        "and fails again, quietly"
    );
    assert!(
        server.logs().contains("cannot decide noise"),
        "the failure is logged"
    );
}

#[test]
fn the_background_sweeper_fires_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    let mut options = ServerOptions::new(&db);
    options.args = vec!["--sweep-interval", "1"];
    let server = Server::start_with(options);
    // Received in March: long overdue by the real clock.
    file(&server, "2026-03-02T09:00:00+08:00");
    let started = std::time::Instant::now();
    loop {
        let (_, outbox) = server.get("/api/v1/notifications");
        if let Some(first) = outbox["notifications"].as_array().unwrap().first() {
            assert_eq!(first["kind"], "remind");
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "no background sweep"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
