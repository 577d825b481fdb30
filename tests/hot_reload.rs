//! Live reload under load (issue 4's acceptance): good edits go live fast, bad ones are
//! refused with their location while the last good version keeps serving, and no request
//! fails meanwhile.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{PolicyTree, Server, ServerOptions};
use serde_json::{Value, json};

/// Saves like an editor: write a temporary file beside the target, then rename over it.
fn atomic_save(path: &Path, content: &str) {
    let tmp = path.with_extension("swp~");
    std::fs::write(&tmp, content).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn anshan(server: &Server) -> Value {
    let (_, policies) = server.get("/api/v1/policies");
    policies
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "anshan")
        .cloned()
        .unwrap()
}

/// Polls until `done` holds for anshan's status; returns how long that took.
fn wait_for(server: &Server, done: impl Fn(&Value) -> bool) -> Duration {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if done(&anshan(server)) {
            return started.elapsed();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!(
        "policy never reached the expected state: {}",
        anshan(server)
    );
}

fn complaint() -> Value {
    json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint",
           "topic": "noise", "content": "夜间施工噪音", "received_at": "2026-03-02T09:00:00+08:00"})
}

#[test]
fn edits_go_live_bad_edits_are_refused_and_nothing_fails_meanwhile() {
    let tree = PolicyTree::shipped();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    let server = Server::start_with(ServerOptions::for_tree(&db, &tree));
    let main = tree.policies().join("anshan/main.rhai");
    let original = std::fs::read_to_string(&main).unwrap();
    let original_version = anshan(&server)["version"].as_str().unwrap().to_owned();

    let stop = AtomicBool::new(false);
    let filed = AtomicUsize::new(0);
    let failures: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                let (status, body) = server.post("/api/v1/tickets", &complaint());
                if status == 201 {
                    filed.fetch_add(1, Ordering::Relaxed);
                } else {
                    failures.lock().unwrap().push(format!("{status}: {body}"));
                }
            }
        });

        let _stop_stream = common::StopOnDrop(&stop);
        let mut latencies = Vec::new();
        let mut previous = original_version.clone();
        for edit in 1..=5 {
            atomic_save(&main, &format!("{original}\n// edit {edit}\n"));
            let took = wait_for(&server, |p| p["version"] != previous.as_str());
            latencies.push(took);
            let now = anshan(&server)["version"].as_str().unwrap().to_owned();
            let (_, ticket) = server.post("/api/v1/tickets", &complaint());
            assert_eq!(
                ticket["policy"]["version"],
                now.as_str(),
                "new tickets use the new version"
            );
            previous = now;
        }
        latencies.sort();
        let p50 = latencies[latencies.len() / 2];
        eprintln!(
            "reload latency (write → active): p50 {p50:?}, max {:?}",
            latencies.last().unwrap()
        );
        assert!(p50 <= Duration::from_millis(300), "p50 {p50:?}");

        // A syntax error is refused with its line; the last good version keeps serving.
        let good = previous.clone();
        let broken = original.replace("fn route(ticket) {", "fn route(ticket) {\n    let = ;");
        let line = broken.lines().position(|l| l.contains("let = ;")).unwrap() + 1;
        atomic_save(&main, &broken);
        wait_for(&server, |p| !p["last_error"].is_null());
        let status = anshan(&server);
        assert_eq!(status["status"], "active");
        assert_eq!(status["version"], good.as_str());
        assert_eq!(status["last_error"]["file"], "policies/anshan/main.rhai");
        assert_eq!(status["last_error"]["line"], line);
        let (code, ticket) = server.post("/api/v1/tickets", &complaint());
        assert_eq!(code, 201);
        assert_eq!(ticket["policy"]["version"], good.as_str());

        // Restoring the file restores the original version, and clears the error.
        atomic_save(&main, &original);
        wait_for(&server, |p| {
            p["version"] == original_version.as_str() && p["last_error"].is_null()
        });

        // A failing golden test blocks activation the same way.
        let manifest = tree.policies().join("anshan/policy.toml");
        let manifest_text = std::fs::read_to_string(&manifest).unwrap();
        atomic_save(
            &manifest,
            &manifest_text.replace("noise = \"as-environment\"", "noise = \"as-housing\""),
        );
        wait_for(&server, |p| !p["last_error"].is_null());
        let status = anshan(&server);
        assert_eq!(status["version"], original_version.as_str());
        assert!(
            status["last_error"]["message"]
                .as_str()
                .unwrap()
                .contains("AS-3 noise pollution"),
            "{status}"
        );
        atomic_save(&manifest, &manifest_text);
        wait_for(&server, |p| p["last_error"].is_null());
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "failed requests during reloads: {failures:?}"
    );
    assert!(filed.load(Ordering::Relaxed) > 20, "the stream kept filing");

    let (_, versions) = server.get("/api/v1/policies/anshan/versions");
    let versions = versions.as_array().unwrap();
    assert_eq!(
        versions.len(),
        6,
        "the original and five edits, each stored once"
    );
    assert!(versions.iter().all(|v| v["activated_at"].is_string()));
    assert_eq!(versions.iter().filter(|v| v["active"] == true).count(), 1);
    let (_, with_sources) = server.get("/api/v1/policies/anshan/versions?sources=true");
    assert!(with_sources[0]["sources"]["policies/anshan/main.rhai"].is_string());
    assert!(with_sources[0]["sources"]["plugins/calendars/cn.toml"].is_string());
}

#[test]
fn new_sets_appear_and_deleted_sets_stop_serving() {
    let tree = PolicyTree::shipped();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    let server = Server::start_with(ServerOptions::for_tree(&db, &tree));
    tree.simple_set(
        "newcomer",
        r#"fn accept(t) { #{ outcome: "rejected", reason: "测试", cite: ["N-1"] } }"#,
    );
    let ids = || -> Vec<String> {
        let (_, policies) = server.get("/api/v1/policies");
        policies
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let started = Instant::now();
    while !ids().contains(&"newcomer".to_owned()) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "new set never appeared"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut body = complaint();
    body["jurisdiction"] = json!("newcomer");
    let (status, ticket) = server.post("/api/v1/tickets", &body);
    assert_eq!(
        (status, ticket["status"].as_str()),
        (201, Some("rejected")),
        "{ticket}"
    );

    std::fs::remove_dir_all(tree.policies().join("newcomer")).unwrap();
    while ids().contains(&"newcomer".to_owned()) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "deleted set kept serving"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        server.post("/api/v1/tickets", &body).1["error"]["code"],
        "unknown_jurisdiction"
    );
}

#[test]
fn plugin_and_calendar_changes_reach_every_set_that_uses_them() {
    let tree = PolicyTree::shipped();
    tree.write("plugins/shared_limits.rhai", "fn days_for(category) { 5 }");
    for id in ["left", "right"] {
        tree.simple_set(
            id,
            r#"
import "shared_limits" as limits;
fn accept(t) { #{ outcome: "accepted", cite: ["P-1"] } }
fn route(t) { #{ lead: "u1", mode: "direct", cite: ["P-1"] } }
fn time_limits(t) { #{ deadlines: #{ resolve: working_days(t.dispatched_at, limits::days_for(t.category)) }, cite: ["P-1"] } }
"#,
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    let server = Server::start_with(ServerOptions::for_tree(&db, &tree));
    let versions = || -> Vec<(String, String)> {
        let (_, policies) = server.get("/api/v1/policies");
        policies
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["id"].as_str().unwrap().to_owned(),
                    p["version"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let changed_for = |before: &[(String, String)], ids: &[&str]| {
        let started = Instant::now();
        loop {
            let now = versions();
            let moved: Vec<&str> = now
                .iter()
                .filter(|(id, v)| before.iter().any(|(bid, bv)| bid == id && bv != v))
                .map(|(id, _)| id.as_str())
                .collect();
            if moved == ids {
                return now;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "expected {ids:?} to change, got {moved:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    };

    // The plugin: both importers change version; anshan, which does not import it, does not.
    let before = versions();
    atomic_save(
        &tree.plugins().join("shared_limits.rhai"),
        "fn days_for(category) { 7 }",
    );
    let after_plugin = changed_for(&before, &["left", "right"]);
    let mut body = complaint();
    body["jurisdiction"] = json!("left");
    let (_, ticket) = server.post("/api/v1/tickets", &body);
    assert_eq!(
        ticket["deadlines"]["resolve"], "2026-03-11T09:00:00+08:00",
        "seven working days: {ticket}"
    );

    // A calendar year dropped in: every set using the calendar changes version.
    std::fs::write(
        tree.plugins().join("calendars/2027.json"),
        r#"{"year": 2027, "papers": ["国务院办公厅关于2027年部分节假日安排的通知"], "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}"#,
    )
    .unwrap();
    changed_for(
        &after_plugin,
        &[
            "anshan",
            "hohhot",
            "inner-mongolia",
            "left",
            "puyang-hualong",
            "right",
            "wushen-police",
        ],
    );
}

/// The auditor reads the rule text of the version that decided, not today's `rules.toml`.
#[test]
fn the_ticket_page_shows_the_rule_text_of_the_deciding_version() {
    let tree = common::PolicyTree::shipped();
    let dir = tempfile::tempdir().unwrap();
    let server = common::Server::start_with(common::ServerOptions::for_tree(
        &dir.path().join("j.db"),
        &tree,
    ));
    let complaint = serde_json::json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint",
        "topic": "noise", "content": "噪音", "received_at": "2026-03-02T09:00:00+08:00"});
    let (_, before) = server.post("/api/v1/tickets", &complaint);
    let rules = tree.policies().join("anshan/rules.toml");
    let text = std::fs::read_to_string(&rules).unwrap();
    let original = text
        .split("[[rule]]")
        .find(|r| r.contains("id = \"AS-3\""))
        .and_then(|r| r.split("text = \"").nth(1))
        .and_then(|t| t.split('"').next())
        .unwrap()
        .to_owned();
    std::fs::write(&rules, text.replace(&original, "改写后的条文")).unwrap();
    let version = before["policy"]["version"].clone();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, list) = server.get("/api/v1/policies");
        let now = list
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == "anshan")
            .unwrap()["version"]
            .clone();
        if now != version {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "a rule text edit makes a new version"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let (_, after) = server.post("/api/v1/tickets", &complaint);
    let page = |ticket: &serde_json::Value| {
        server
            .get_text(
                &format!("/ui/tickets/{}", ticket["id"].as_str().unwrap()),
                None,
            )
            .2
    };
    let old_page = page(&before);
    assert!(
        old_page.contains(&original) && !old_page.contains("改写后的条文"),
        "{old_page}"
    );
    let new_page = page(&after);
    assert!(new_page.contains("改写后的条文"), "{new_page}");
}
