//! Servers with tokens per desk, and helpers to act as them: the lifecycle scenarios.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Server, ServerOptions};

pub const ADMIN: &str = "root-secret";

pub fn token_entry(name: &str, role: &str, extra: &str) -> String {
    let digest = hex::encode(Sha256::digest(format!("secret-{name}").as_bytes()));
    format!("[[tokens]]\nname = \"{name}\"\nrole = \"{role}\"\n{extra}\nsha256 = \"{digest}\"\n\n")
}

pub fn secret(name: &str) -> String {
    format!("secret-{name}")
}

/// A server with one token per desk: `(name, role, jurisdiction, unit)`.
pub fn start(dir: &std::path::Path, desks: &[(&str, &str, &str, Option<&str>)]) -> Server {
    let config = dir.join("jiesu.toml");
    let text: String = desks
        .iter()
        .map(|(name, role, jurisdiction, unit)| {
            let mut extra = format!("jurisdictions = [\"{jurisdiction}\"]");
            if let Some(unit) = unit {
                extra += &format!("\nunits = [\"{unit}\"]");
            }
            token_entry(name, role, &extra)
        })
        .collect();
    std::fs::write(&config, text).unwrap();
    let config: &'static str = Box::leak(config.to_str().unwrap().to_owned().into_boxed_str());
    let db: &'static std::path::Path = Box::leak(dir.join("j.db").into_boxed_path());
    let mut options = ServerOptions::new(db);
    options.args = vec!["--config", config];
    options.env = vec![("JIESU_ADMIN_TOKEN", ADMIN)];
    Server::start_with(options)
}

pub fn file_as(server: &Server, body: &Value, token: &str) -> Value {
    let (status, ticket) = server.post_as("/api/v1/tickets", body, Some(token));
    assert_eq!(status, 201, "{ticket}");
    ticket
}

pub fn act_as(server: &Server, id: &str, body: &Value, token: &str) -> (u16, Value) {
    server.post_as(&format!("/api/v1/tickets/{id}/actions"), body, Some(token))
}

pub fn sweep_as_admin(server: &Server, now: &str) -> Vec<Value> {
    let (status, body) = server.post_as("/api/v1/admin/sweep", &json!({"now": now}), Some(ADMIN));
    assert_eq!(status, 200, "{body}");
    body["fired"].as_array().unwrap().clone()
}

pub fn clock<'a>(ticket: &'a Value, name: &str, unit: &str) -> &'a Value {
    ticket["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name && c["unit"]["id"] == unit)
        .unwrap_or_else(|| panic!("no clock {name} of {unit} in {ticket}"))
}

pub fn trail(server: &Server, id: &str) -> Value {
    trail_as(server, id, Some(ADMIN))
}

pub fn trail_as(server: &Server, id: &str, token: Option<&str>) -> Value {
    let (status, trail) = server.get_as(&format!("/api/v1/tickets/{id}/trail"), token);
    assert_eq!(status, 200, "{trail}");
    assert_eq!(trail["chain"]["valid"], true, "{trail}");
    for entry in trail["entries"].as_array().unwrap() {
        if entry["kind"] == "decision" {
            assert!(!entry["cite"].as_array().unwrap().is_empty(), "{entry}");
        }
    }
    trail
}

pub fn in_days(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339()
}
