//! Tokens, roles and scopes, and requester privacy (issue 6's acceptance): no token → 401;
//! another jurisdiction → 403 (a listed or filed one) or 404 (a ticket by id); a unit sees
//! and acts on its own tickets only; intake cannot read trails; an auditor without `pii`
//! never sees a name or phone, one with `pii` does; logs never hold them.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Server, ServerOptions};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const NAME: &str = "张三丰";
const PHONE: &str = "13812345678";

fn token_entry(name: &str, role: &str, extra: &str) -> String {
    let digest = hex::encode(Sha256::digest(format!("secret-{name}").as_bytes()));
    format!("[[tokens]]\nname = \"{name}\"\nrole = \"{role}\"\n{extra}\nsha256 = \"{digest}\"\n\n")
}

fn secret(name: &str) -> String {
    format!("secret-{name}")
}

fn start(dir: &std::path::Path) -> Server {
    let config = dir.join("jiesu.toml");
    let mut text = String::new();
    text += &token_entry("intake-anshan", "intake", "jurisdictions = [\"anshan\"]");
    text += &token_entry(
        "env-desk",
        "unit",
        "jurisdictions = [\"anshan\"]\nunits = [\"as-environment\"]",
    );
    text += &token_entry(
        "housing-desk",
        "unit",
        "jurisdictions = [\"anshan\"]\nunits = [\"as-housing\"]",
    );
    text += &token_entry("auditor", "auditor", "jurisdictions = [\"anshan\"]");
    text += &token_entry(
        "auditor-pii",
        "auditor",
        "jurisdictions = [\"anshan\"]\npii = true",
    );
    text += &token_entry("supervisor", "supervisor", "jurisdictions = [\"anshan\"]");
    text += &token_entry("hohhot-auditor", "auditor", "jurisdictions = [\"hohhot\"]");
    std::fs::write(&config, text).unwrap();
    let config = config.to_str().unwrap().to_owned();
    let db = dir.join("j.db");
    let mut options = ServerOptions::new(&db);
    options.args = vec!["--config", Box::leak(config.into_boxed_str())];
    options.env = vec![("JIESU_ADMIN_TOKEN", "root-secret"), ("JIESU_LOG", "debug")];
    Server::start_with(options)
}

fn complaint(jurisdiction: &str) -> Value {
    json!({"jurisdiction": jurisdiction, "channel": "phone", "category": "complaint",
           "topic": "noise", "content": "夜间施工噪音",
           "requester": {"name": NAME, "phone": PHONE}})
}

#[test]
fn roles_scopes_and_privacy() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let as_ = |name: &str| Some(secret(name));

    // No token, a wrong token.
    let (status, body) = server.get_as("/api/v1/tickets", None);
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "missing_token");
    let (status, body) = server.get_as("/api/v1/tickets", Some("guess"));
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "invalid_token");

    // Intake files in its jurisdiction; the response masks the requester (no `pii`).
    let intake = as_("intake-anshan");
    let (status, ticket) =
        server.post_as("/api/v1/tickets", &complaint("anshan"), intake.as_deref());
    assert_eq!(status, 201, "{ticket}");
    assert_eq!(ticket["requester"]["name"], "张**");
    assert_eq!(ticket["requester"]["phone"], "138****5678");
    let id = ticket["id"].as_str().unwrap().to_owned();
    let (status, body) = server.post_as("/api/v1/tickets", &complaint("hohhot"), intake.as_deref());
    assert_eq!(status, 403, "{body}");
    // Intake reads tickets but not trails.
    let (status, _) = server.get_as(&format!("/api/v1/tickets/{id}"), intake.as_deref());
    assert_eq!(status, 200);
    let (status, body) = server.get_as(&format!("/api/v1/tickets/{id}/trail"), intake.as_deref());
    assert_eq!(status, 403, "{body}");
    let (status, body) = server.get_as("/api/v1/tickets?jurisdiction=hohhot", intake.as_deref());
    assert_eq!(status, 403, "{body}");

    // Units: the lead unit sees and acts; another unit sees nothing of it.
    let env = as_("env-desk");
    let housing = as_("housing-desk");
    let (status, _) = server.get_as(&format!("/api/v1/tickets/{id}"), env.as_deref());
    assert_eq!(status, 200);
    let (status, body) = server.get_as(&format!("/api/v1/tickets/{id}"), housing.as_deref());
    assert_eq!(status, 404, "existence does not leak: {body}");
    let (_, page) = server.get_as("/api/v1/tickets", housing.as_deref());
    assert_eq!(page["tickets"], json!([]), "{page}");
    let (_, page) = server.get_as("/api/v1/tickets", env.as_deref());
    assert_eq!(page["tickets"].as_array().unwrap().len(), 1, "{page}");
    // A unit acts at the server's time: a backdated `at` is refused for every token but admin.
    let (status, body) = server.post_as(
        &format!("/api/v1/tickets/{id}/actions"),
        &json!({"action": "sign", "at": "2026-03-02T10:00:00+08:00"}),
        env.as_deref(),
    );
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "at_out_of_range");
    let sign = json!({"action": "sign"});
    let (status, body) = server.post_as(
        &format!("/api/v1/tickets/{id}/actions"),
        &sign,
        housing.as_deref(),
    );
    assert_eq!(status, 404, "{body}");
    let (status, body) = server.post_as(
        &format!("/api/v1/tickets/{id}/actions"),
        &json!({"action": "sign", "unit": "as-housing"}),
        env.as_deref(),
    );
    assert_eq!(status, 403, "a unit acts only as its own: {body}");
    let (status, body) = server.post_as(
        &format!("/api/v1/tickets/{id}/actions"),
        &sign,
        env.as_deref(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ticket"]["status"], "signed");
    let (status, body) = server.post_as("/api/v1/tickets", &complaint("anshan"), env.as_deref());
    assert_eq!(status, 403, "units do not file: {body}");

    // Auditors read trails; without `pii` no name or phone appears anywhere in them.
    let (status, trail) = server.get_as(
        &format!("/api/v1/tickets/{id}/trail"),
        as_("auditor").as_deref(),
    );
    assert_eq!(status, 200, "{trail}");
    let text = trail.to_string();
    assert!(!text.contains(NAME) && !text.contains(PHONE), "{text}");
    assert!(text.contains("138****5678"), "{text}");
    assert_eq!(trail["chain"]["valid"], true);
    let (_, trail) = server.get_as(
        &format!("/api/v1/tickets/{id}/trail"),
        as_("auditor-pii").as_deref(),
    );
    let text = trail.to_string();
    assert!(text.contains(NAME) && text.contains(PHONE), "{text}");
    // The acting unit's token is the trail's actor.
    let actors: Vec<&str> = trail["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert!(
        actors.contains(&"intake-anshan") && actors.contains(&"env-desk"),
        "{actors:?}"
    );
    // Exports mask the same way.
    let (status, _, csv) = server.get_text(
        &format!("/api/v1/tickets/{id}/trail.csv"),
        as_("auditor").as_deref(),
    );
    assert_eq!(status, 200);
    assert!(!csv.contains(NAME) && !csv.contains(PHONE), "{csv}");
    let day = |offset: i64| {
        (chrono::Utc::now() + chrono::Duration::days(offset))
            .format("%Y-%m-%d")
            .to_string()
    };
    let (status, _, lines) = server.get_text(
        &format!(
            "/api/v1/exports/trails?jurisdiction=anshan&from={}&to={}",
            day(-1),
            day(2)
        ),
        as_("auditor").as_deref(),
    );
    assert_eq!(status, 200);
    assert!(
        lines.contains("138****5678") && !lines.contains(PHONE),
        "{lines}"
    );
    let (status, _, _) = server.get_text(
        &format!("/api/v1/tickets/{id}/trail.csv"),
        intake.as_deref(),
    );
    assert_eq!(status, 403, "intake does not export trails");
    // Another jurisdiction's auditor: the ticket does not exist for it.
    let (status, _) = server.get_as(
        &format!("/api/v1/tickets/{id}/trail"),
        as_("hohhot-auditor").as_deref(),
    );
    assert_eq!(status, 404);
    // Auditors change nothing; supervisors act only on escalated tickets.
    let (status, _) = server.post_as(
        &format!("/api/v1/tickets/{id}/actions"),
        &sign,
        as_("auditor").as_deref(),
    );
    assert_eq!(status, 403);
    let contact = json!({"action": "contact"});
    let supervise = json!({"action": "supervise", "reason": "当事人对反馈结果提出合理质疑"});
    let (status, body) = server.post_as(
        &format!("/api/v1/tickets/{id}/actions"),
        &contact,
        as_("supervisor").as_deref(),
    );
    assert_eq!(status, 403, "{body}");
    let (status, _) = server.post_as(
        "/api/v1/admin/sweep",
        &json!({"now": "2026-04-10T10:00:00+08:00"}),
        as_("auditor").as_deref(),
    );
    assert_eq!(status, 403);
    // The bootstrap admin sweeps past the 20 working days: two reminders, then the
    // escalation (AS-5).
    let past = chrono::Utc::now() + chrono::Duration::days(45);
    for days in [0, 4, 8] {
        let now = (past + chrono::Duration::days(days)).to_rfc3339();
        let (status, body) = server.post_as(
            "/api/v1/admin/sweep",
            &json!({"now": now}),
            Some("root-secret"),
        );
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = server.post_as(
        &format!("/api/v1/tickets/{id}/actions"),
        &contact,
        as_("supervisor").as_deref(),
    );
    assert_eq!(
        status, 403,
        "a supervisor acts for the centre, not the unit: {body}"
    );
    assert_eq!(body["error"]["code"], "not_your_part");
    let (status, body) = server.post_as(
        &format!("/api/v1/tickets/{id}/actions"),
        &supervise,
        as_("supervisor").as_deref(),
    );
    assert_eq!(
        status, 200,
        "after the escalation the supervisor supervises: {body}"
    );
    assert_eq!(body["cite"], json!(["AS-5"]));
    let (status, outbox) = server.get_as("/api/v1/notifications", as_("hohhot-auditor").as_deref());
    assert_eq!(status, 200);
    assert_eq!(
        outbox["notifications"],
        json!([]),
        "another jurisdiction's outbox: {outbox}"
    );

    // Logs (at debug) never hold the requester.
    let logs = server.logs();
    assert!(
        logs.contains("file_ticket"),
        "debug logs were written: {logs}"
    );
    assert!(
        !logs.contains(NAME) && !logs.contains(PHONE),
        "PII in logs: {logs}"
    );
}

#[test]
fn token_hash_prints_the_digest_the_config_wants() {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jiesu"))
        .args(["token", "hash"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"s3cret\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        hex::encode(Sha256::digest(b"s3cret"))
    );
}
