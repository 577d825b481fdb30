//! Operations that fail loudly (issue 12): a database deleted or replaced under a running
//! server, a policies folder replaced, a set broken while the server was down, a malformed
//! sweep, and commands pointed at a database that is not there.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{PolicyTree, Server, ServerOptions};
use serde_json::{Value, json};

fn complaint() -> Value {
    json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint", "topic": "noise",
           "content": "噪音", "received_at": "2026-03-02T09:00:00+08:00"})
}

fn remove_database(db: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

#[test]
fn a_database_deleted_or_replaced_under_the_server_refuses_writes_and_readiness() {
    for replace in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("j.db");
        let server = Server::start(&db);
        let (status, _) = server.post("/api/v1/tickets", &complaint());
        assert_eq!(status, 201);
        remove_database(&db);
        if replace {
            std::fs::write(&db, b"").unwrap();
        }
        let (status, body) = server.post("/api/v1/tickets", &complaint());
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"]["code"], "database_unavailable", "{body}");
        let what = if replace { "replaced" } else { "deleted" };
        assert!(
            body["error"]["message"].as_str().unwrap().contains(what),
            "{body}"
        );
        let (status, ready) = server.get("/readyz");
        assert_eq!(status, 503, "{ready}");
        assert_eq!(ready["database"]["ok"], false, "{ready}");
        assert_eq!(server.get("/healthz").0, 200, "the process itself lives");
    }
}

fn anshan_version(server: &Server) -> (String, Value) {
    let (_, list) = server.get("/api/v1/policies");
    let anshan = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "anshan")
        .unwrap()
        .clone();
    (
        anshan["version"].as_str().unwrap_or_default().to_owned(),
        anshan,
    )
}

#[test]
fn the_watcher_follows_a_policies_folder_replaced_with_mv() {
    let tree = PolicyTree::shipped();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(ServerOptions::for_tree(&dir.path().join("j.db"), &tree));
    let (before, _) = anshan_version(&server);

    let policies = tree.policies();
    let staged = tree.root.path().join("policies.new");
    common::copy_dir(&policies, &staged);
    let staged_manifest = staged.join("anshan/policy.toml");
    let text = std::fs::read_to_string(&staged_manifest).unwrap();
    std::fs::write(&staged_manifest, text + "\n# replaced by mv\n").unwrap();
    std::fs::rename(&policies, tree.root.path().join("policies.old")).unwrap();
    std::fs::rename(&staged, &policies).unwrap();

    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (now, _) = anshan_version(&server);
        if now != before {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the replaced folder was never picked up:\n{}",
            server.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The guard notices the new folder and watches it (readiness says so).
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, ready) = server.get("/readyz");
        assert_eq!(ready["watcher"]["state"], "watching", "{ready}");
        if ready["watcher"]["rewatched"].as_u64().unwrap() >= 1 {
            break;
        }
        assert!(Instant::now() < deadline, "never re-watched: {ready}");
        std::thread::sleep(Duration::from_millis(100));
    }

    // And edits inside the new folder are picked up too.
    let (replaced, _) = anshan_version(&server);
    let manifest = policies.join("anshan/policy.toml");
    std::fs::write(
        &manifest,
        std::fs::read_to_string(&manifest).unwrap() + "# edited after\n",
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while anshan_version(&server).0 == replaced {
        assert!(
            Instant::now() < deadline,
            "an edit in the new folder was never picked up"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_set_broken_while_the_server_was_down_serves_its_last_stored_version() {
    let tree = PolicyTree::shipped();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    let server = Server::start_with(ServerOptions::for_tree(&db, &tree));
    let (good, _) = anshan_version(&server);
    server.kill();

    std::fs::write(
        tree.policies().join("anshan/main.rhai"),
        "fn route(t) {\n  let = ;\n}\n",
    )
    .unwrap();
    let server = Server::start_with(ServerOptions::for_tree(&db, &tree));
    let (serving, status) = anshan_version(&server);
    assert_eq!(serving, good, "{status}");
    assert_eq!(status["status"], "active", "{status}");
    assert_eq!(status["serving_stored"], true, "it says so: {status}");
    assert_eq!(
        status["last_error"]["file"], "policies/anshan/main.rhai",
        "{status}"
    );
    let (status, filed) = server.post("/api/v1/tickets", &complaint());
    assert_eq!(status, 201, "{filed}");
    assert_eq!(filed["policy"]["version"], good);
}

#[test]
fn a_malformed_sweep_body_is_refused_and_fires_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let (status, _) = server.post("/api/v1/tickets", &complaint());
    assert_eq!(status, 201);
    for body in [
        "{\"now\": ",
        "[1, 2]",
        "{\"now\": \"yesterday\"}",
        "{\"nwo\": \"2026-06-01T00:00:00Z\"}",
    ] {
        let (status, answer) = server.post_raw("/api/v1/admin/sweep", body, &[]);
        assert_eq!(status, 400, "{body}: {answer}");
    }
    let (status, preview) = server.post(
        "/api/v1/admin/sweep",
        &json!({"now": "2026-06-01T10:00:00+08:00", "dry_run": true}),
    );
    assert_eq!(status, 200, "{preview}");
    assert!(
        !preview["fired"].as_array().unwrap().is_empty(),
        "a dry run says what would fire: {preview}"
    );
    let (_, outbox) = server.get("/api/v1/notifications");
    assert_eq!(
        outbox["notifications"].as_array().unwrap().len(),
        0,
        "nothing fired: {outbox}"
    );
}

#[test]
fn commands_other_than_serve_and_migrate_never_create_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("missing.db");
    let url = format!("sqlite://{}", db.display());
    for args in [
        vec!["sweep", "--database", &url],
        vec!["sweep", "--dry-run", "--database", &url],
        vec!["verify", "--database", &url],
        vec!["replay", "--ticket", "x", "--database", &url],
        vec!["simulate", "--candidate", "policies", "--database", &url],
    ] {
        let (code, out, err) = common::jiesu(&args);
        assert_ne!(code, 0, "{args:?}: {out}");
        assert!(err.contains("does not exist"), "{args:?}: {err}");
        assert!(!db.exists(), "{args:?} created the database");
    }
}
