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
    // Readiness, open to anyone, says the set is failing but not what its files hold.
    let (_, ready) = server.get("/readyz");
    let set = ready["sets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "anshan")
        .unwrap()
        .clone();
    assert_eq!(set["serving_stored"], true, "{ready}");
    assert_eq!(set["failing"], true, "{ready}");
    assert!(
        set.get("last_error").is_none() && !ready.to_string().contains("main.rhai"),
        "{ready}"
    );
    server.kill();

    // A stored version edited around the server is not the ledger's: it is not served.
    {
        use diesel::{Connection, RunQueryDsl, SqliteConnection};
        let mut conn = SqliteConnection::establish(db.to_str().unwrap()).unwrap();
        diesel::sql_query(
            "UPDATE policy_versions SET sources = replace(sources, 'as-environment', 'as-housing') WHERE policy_id = 'anshan'",
        )
        .execute(&mut conn)
        .unwrap();
    }
    let server = Server::start_with(ServerOptions::for_tree(&db, &tree));
    let (_, status) = anshan_version(&server);
    assert_eq!(status["status"], "failed", "{status}");
    let (status, refused) = server.post("/api/v1/tickets", &complaint());
    assert_eq!(status, 503, "{refused}");
    assert!(server.logs().contains("not the one the ledger sealed"));
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
        "[]",
        "\"now\"",
        "7",
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

#[test]
fn a_trails_export_streams_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    // Long contents, so holding the whole export at once would show in the peak.
    let content = "噪音扰民，夜间施工持续。".repeat(300);
    let tickets = 1_500;
    std::thread::scope(|s| {
        for worker in 0..2 {
            let server = &server;
            let content = &content;
            s.spawn(move || {
                for i in (worker..tickets).step_by(2) {
                    let mut body = complaint();
                    body["content"] = json!(format!("{i} {content}"));
                    let (status, answer) = server.post("/api/v1/tickets", &body);
                    assert_eq!(status, 201, "{answer}");
                }
            });
        }
    });
    let before = server.memory_kib("VmRSS");
    let (status, kind, body) = server.get_text(
        "/api/v1/exports/trails?jurisdiction=anshan&from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z",
        None,
    );
    assert_eq!(status, 200);
    assert!(kind.starts_with("application/x-ndjson"), "{kind}");
    let lines: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), tickets, "every ticket, once");
    assert!(
        lines
            .iter()
            .all(|l| l["chain"]["valid"] == true && l.get("error").is_none())
    );
    let ids: std::collections::BTreeSet<&str> = lines
        .iter()
        .map(|l| l["ticket"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), tickets);
    let peak = server.memory_kib("VmHWM");
    let growth_mib = peak.saturating_sub(before) / 1024;
    eprintln!(
        "export of {} MiB: RSS {before} KiB before, peak {peak} KiB",
        body.len() >> 20
    );
    assert!(
        growth_mib < 64,
        "a {} MiB export grew the server by {growth_mib} MiB (peak {} MiB)",
        body.len() >> 20,
        peak / 1024
    );
}
