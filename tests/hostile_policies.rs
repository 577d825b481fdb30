//! Hostile policies: values built deep enough to overflow a default thread stack, values
//! whose size checks cost seconds, huge outputs, loops, recursion, and paths that lead out
//! of the policy folders. Through dry runs, live filings, actions and sweeps the server
//! stays up, every other set keeps serving, and each refusal names its file and hook.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{PolicyTree, Server, ServerOptions};
use serde_json::{Value, json};

const DEEP_ARRAY: &str = "let a = []; for i in 0..4000 { a = [a]; }";
const DEEP_MAP: &str = "let a = #{}; for i in 0..6000 { a = #{x: a}; }";
const DEEP_MIX: &str = "let a = []; for i in 0..5000 { a = [#{x: a}]; }";

fn filing(jurisdiction: &str, topic: &str, content: &str) -> Value {
    json!({"jurisdiction": jurisdiction, "channel": "phone", "category": "complaint",
           "topic": topic, "content": content, "received_at": "2026-03-02T09:00:00+08:00"})
}

/// The shipped anshan main.rhai, with `hook` first doing `prelude` when the ticket's
/// content holds `marker`.
fn poisoned(script: &str, hook: &str, params: &str, marker: &str, prelude: &str) -> String {
    let head = format!("fn {hook}({params}) {{");
    assert!(script.contains(&head), "{hook}");
    script.replace(
        &head,
        &format!("{head}\n    if ticket.content.contains(\"{marker}\") {{ {prelude} return #{{ kept: a }}; }}"),
    )
}

fn assert_alive(server: &Server) {
    assert_eq!(server.get("/healthz").0, 200, "{}", server.logs());
    let (status, filed) = server.post("/api/v1/tickets", &filing("hohhot", "noise", "噪音扰民"));
    assert_eq!(status, 201, "another set keeps serving: {filed}");
}

#[test]
fn dry_runs_of_hostile_candidates_fail_alone_and_name_file_and_hook() {
    let tree = PolicyTree::shipped();
    // A plugin that is a symlink to a file outside plugins/.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.rhai"),
        "export const SECRET = \"机密\";",
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.rhai"),
        tree.plugins().join("leak.rhai"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(ServerOptions::for_tree(&dir.path().join("j.db"), &tree));
    let path = "/api/v1/policies/anshan/evaluate";
    let ticket = json!({"category": "complaint", "topic": "noise"});
    let route = |body: &str| {
        format!(
            "fn accept(t) {{ #{{ outcome: \"accepted\", cite: [\"AS-3\"] }} }}\nfn route(t) {{ {body} }}"
        )
    };
    let cases = [
        (
            "deep array returned",
            route(
                "let a = []; for i in 0..200 { a = [a]; } #{ lead: \"as-environment\", cite: [\"AS-3\"], x: a }",
            ),
            "nested deeper than 32 levels",
        ),
        (
            "deep array dropped",
            route(&format!(
                "{DEEP_ARRAY} #{{ lead: \"as-environment\", cite: [\"AS-3\"] }}"
            )),
            "ms of CPU",
        ),
        (
            "deep map dropped",
            route(&format!(
                "{DEEP_MAP} #{{ lead: \"as-environment\", cite: [\"AS-3\"] }}"
            )),
            "ms of CPU",
        ),
        (
            "deep mix dropped",
            route(&format!(
                "{DEEP_MIX} #{{ lead: \"as-environment\", cite: [\"AS-3\"] }}"
            )),
            "ms of CPU",
        ),
        (
            "huge output",
            route(
                "let m = #{}; for i in 0..9000 { m[`key-number-padding-${i}`] = i; } #{ lead: \"as-environment\", cite: [\"AS-3\"], x: m }",
            ),
            "larger than 256 KiB",
        ),
        ("endless loop", route("loop { }"), "endless loop"),
        (
            "endless recursion",
            format!("fn deeper(n) {{ deeper(n + 1) }}\n{}", route("deeper(0)")),
            "endless recursion",
        ),
        (
            "symlinked plugin",
            format!(
                "import \"leak\" as leak;\n{}",
                route("#{ lead: leak::SECRET, cite: [\"AS-3\"] }")
            ),
            "no plugin `leak`",
        ),
    ];
    for (name, script, expect) in cases {
        let started = Instant::now();
        let (status, body) = server.post(
            path,
            &json!({"hook": "route", "ticket": ticket, "sources": {"main.rhai": script}}),
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{name} took {:?}",
            started.elapsed()
        );
        assert_eq!(status, 422, "{name}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(expect), "{name}: {body}");
        assert!(
            message.contains("policies/anshan/main.rhai") || message.contains("route"),
            "{name} names file or hook: {body}"
        );
        assert!(!message.contains("机密"), "{name} leaks: {body}");
        assert_alive(&server);
    }
    // A chain of plugins, each spending most of a budget and importing the next: one
    // budget covers them all, so the dry run stops within it, not 300 ms per plugin.
    let mut sources = serde_json::Map::new();
    for i in 0..30 {
        sources.insert(
            format!("plugins/chain{i}.rhai"),
            json!(format!(
                "let a = []; for i in 0..1500 {{ a = [a]; }}\n{}",
                if i < 29 {
                    format!("import \"chain{}\" as next;", i + 1)
                } else {
                    String::new()
                }
            )),
        );
    }
    sources.insert(
        "main.rhai".into(),
        json!(format!(
            "import \"chain0\" as c;\n{}",
            route("#{ lead: \"as-environment\", cite: [\"AS-3\"] }")
        )),
    );
    let started = Instant::now();
    let (status, body) = server.post(
        path,
        &json!({"hook": "route", "ticket": ticket, "sources": sources}),
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "chained plugins took {:?}",
        started.elapsed()
    );
    assert_eq!(status, 422, "{body}");
    assert_alive(&server);

    let (status, body) = server.post(
        path,
        &json!({"hook": "route", "ticket": ticket,
                "sources": {"policy.toml": "id = \"anshan\"\nname = \"x\"\nextends = \"../../../etc\"\n"}}),
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a set folder under policies/"),
        "{body}"
    );
    assert_alive(&server);
}

#[test]
fn a_live_policy_that_turns_hostile_on_one_ticket_fails_that_ticket_only() {
    let tree = PolicyTree::shipped();
    let main = tree.policies().join("anshan/main.rhai");
    let mut script = std::fs::read_to_string(&main).unwrap();
    script = poisoned(&script, "route", "ticket", "深路由", DEEP_MIX);
    script = poisoned(
        &script,
        "on_overdue",
        "ticket, clock, history",
        "深提醒",
        DEEP_MAP,
    );
    script = poisoned(
        &script,
        "review_closure",
        "ticket, request",
        "深办结",
        DEEP_ARRAY,
    );
    std::fs::write(&main, script).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(ServerOptions::for_tree(&dir.path().join("j.db"), &tree));

    // Filing: the hostile route fails this filing, names file and hook, and writes nothing.
    let started = Instant::now();
    let (status, body) = server.post("/api/v1/tickets", &filing("anshan", "noise", "深路由"));
    assert!(started.elapsed() < Duration::from_secs(10));
    // API.md: a defect of the policy, not of the request.
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["error"]["code"], "policy_error", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("route") && message.contains("ms of CPU"),
        "{body}"
    );
    assert_eq!(
        body["error"]["details"]["location"]["file"], "policies/anshan/main.rhai",
        "{body}"
    );
    let (_, page) = server.get("/api/v1/tickets?jurisdiction=anshan");
    assert_eq!(
        page["tickets"].as_array().unwrap().len(),
        0,
        "nothing half-written"
    );
    assert_alive(&server);

    // Sweeps: the hostile clock fails alone; the other ticket's clock still fires.
    let (s1, calm) = server.post("/api/v1/tickets", &filing("anshan", "noise", "噪音"));
    let (s2, hostile) = server.post("/api/v1/tickets", &filing("anshan", "noise", "深提醒"));
    let (s3, closing) = server.post("/api/v1/tickets", &filing("anshan", "noise", "深办结"));
    assert_eq!((s1, s2, s3), (201, 201, 201), "{calm} {hostile} {closing}");
    // Actions: a closure reviewed by the hostile hook fails this action only.
    let id = closing["id"].as_str().unwrap();
    let (status, signed) = server.post(
        &format!("/api/v1/tickets/{id}/actions"),
        &json!({"action": "sign", "at": "2026-03-02T10:00:00+08:00"}),
    );
    assert_eq!(status, 200, "{signed}");
    let (status, body) = server.post(&format!("/api/v1/tickets/{id}/actions"),
        &json!({"action": "resolve", "at": "2026-03-03T09:00:00+08:00", "reply": {"result": "已处理"}}));
    assert_eq!(status, 500, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("review_closure"),
        "{body}"
    );
    let (_, trail) = server.get(&format!("/api/v1/tickets/{id}/trail"));
    let entries = trail["entries"].as_array().unwrap();
    assert!(
        entries.iter().all(|e| e["input"]["action"] != "resolve"),
        "nothing recorded: {trail}"
    );
    let (status, swept) = server.post(
        "/api/v1/admin/sweep",
        &json!({"now": "2026-06-01T09:00:00+08:00"}),
    );
    assert_eq!(status, 200, "{swept}");
    let fired: Vec<&str> = swept["fired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["ticket"].as_str().unwrap())
        .collect();
    assert!(fired.contains(&calm["id"].as_str().unwrap()), "{swept}");
    assert!(!fired.contains(&hostile["id"].as_str().unwrap()), "{swept}");
    assert!(
        server.logs().contains("on_overdue failed"),
        "the failure is logged"
    );
    assert_alive(&server);

    assert_alive(&server);
}

#[test]
fn a_hostile_edit_is_refused_by_the_live_reload_and_the_old_version_serves() {
    let tree = PolicyTree::shipped();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(ServerOptions::for_tree(&dir.path().join("j.db"), &tree));
    let (_, before) = server.post("/api/v1/tickets", &filing("anshan", "noise", "噪音"));
    let version = before["policy"]["version"].clone();
    let main = tree.policies().join("anshan/main.rhai");
    let script = std::fs::read_to_string(&main).unwrap();
    // Every route now builds a value deep enough to overflow a default stack: the golden
    // run on the watcher's thread hits it first.
    std::fs::write(
        &main,
        script.replace(
            "fn route(ticket) {",
            &format!("fn route(ticket) {{\n    {DEEP_MIX}"),
        ),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        let (_, list) = server.get("/api/v1/policies");
        let anshan = list
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == "anshan")
            .unwrap()
            .clone();
        if !anshan["last_error"].is_null() {
            break anshan;
        }
        assert!(
            Instant::now() < deadline,
            "the edit was never looked at:\n{}",
            server.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        status["version"], version,
        "the old version serves: {status}"
    );
    assert!(
        status["last_error"]["file"]
            .as_str()
            .unwrap()
            .contains("anshan"),
        "{status}"
    );
    let (code, filed) = server.post("/api/v1/tickets", &filing("anshan", "noise", "噪音"));
    assert_eq!(code, 201, "{filed}");
    assert_eq!(filed["policy"]["version"], version);
    assert_alive(&server);
}
