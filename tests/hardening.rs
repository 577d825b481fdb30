//! Hostile input (issue 6): a few hundred mutated bodies against every endpoint that takes
//! one, and none gets a 5xx; the server keeps serving and stores nothing half-written.
//! Each body also goes through the fuzz target's entry point in-process.
#![allow(clippy::unwrap_used)]

mod common;

use common::Server;
use serde_json::{Value, json};

/// A small deterministic generator: the same bodies every run, so a failure reproduces.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const ODD_VALUES: &[&str] = &[
    "null",
    "0",
    "-1",
    "1e308",
    "-9223372036854775809",
    "\"\"",
    "[]",
    "{}",
    "true",
    "\"2026-13-45T25:61:00+08:00\"",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "[[[[[[[[[[]]]]]]]]]]",
    "\"9999-12-31T23:59:59+14:00\"",
    "\"0001-01-01T00:00:00-12:00\"",
];

/// Every field of `seed` replaced by every odd value.
fn structured(seed: &Value) -> Vec<String> {
    let mut bodies = Vec::new();
    let Value::Object(fields) = seed else {
        return bodies;
    };
    for key in fields.keys() {
        for odd in ODD_VALUES {
            let mut body = seed.clone();
            body[key] = serde_json::from_str(odd).unwrap_or(Value::Null);
            bodies.push(body.to_string());
        }
        let mut body = seed.clone();
        body[key] = json!("长".repeat(30_000));
        bodies.push(body.to_string());
    }
    bodies
}

/// Byte-level damage: flips, cuts, duplications and insertions.
fn mangled(seed: &str, rng: &mut XorShift, count: usize) -> Vec<String> {
    let inserts = [
        "{", "}", "[", "]", "\"", ",", ":", "\\", "\u{0}", "1e999", "\u{202e}", "𠀀",
    ];
    (0..count)
        .map(|_| {
            let mut bytes = seed.as_bytes().to_vec();
            for _ in 0..=rng.below(4) {
                if bytes.is_empty() {
                    break;
                }
                let at = rng.below(bytes.len());
                match rng.below(4) {
                    0 => bytes[at] ^= 1 << rng.below(8),
                    1 => {
                        let end = (at + rng.below(20)).min(bytes.len());
                        bytes.drain(at..end);
                    }
                    2 => {
                        let end = (at + rng.below(20)).min(bytes.len());
                        let span = bytes[at..end].to_vec();
                        bytes.splice(at..at, span);
                    }
                    _ => {
                        let insert = inserts[rng.below(inserts.len())].as_bytes();
                        bytes.splice(at..at, insert.iter().copied());
                    }
                }
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
        .collect()
}

#[test]
fn mutated_bodies_never_get_a_5xx() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    let filing = json!({"jurisdiction": "puyang-hualong", "channel": "phone", "category": "complaint",
        "topic": "waste", "flags": ["multi_department"], "area": "yuecun", "content": "垃圾",
        "requester": {"name": "王五", "phone": "13700000000"},
        "received_at": "2026-03-02T09:00:00+08:00"});
    let (status, ticket) = server.post("/api/v1/tickets", &filing);
    assert_eq!(status, 201, "{ticket}");
    let id = ticket["id"].as_str().unwrap().to_owned();
    let action = json!({"action": "request_extension", "at": "2026-03-06T10:00:00+08:00",
        "reason": "检测", "evidence": ["application_form"], "signatures": ["main_leader"],
        "working_days": 3, "until": "2026-03-12T10:00:00+08:00", "unit": "py-urban",
        "criteria": ["other"], "reply": {"result": "x", "completed_at": "2026-03-05T10:00:00+08:00"},
        "satisfaction": "neutral"});
    let evaluate = json!({"hook": "review_extension", "ticket": {"category": "complaint", "topic": "waste",
        "deadlines": {"resolve": "2026-03-09T09:00:00+08:00"}}, "request": action.clone()});
    let sweep = json!({"now": "2026-04-01T10:00:00+08:00"});

    let mut rng = XorShift(0x5eed_1234_abcd_0001);
    let targets: Vec<(String, Value)> = vec![
        ("/api/v1/tickets".into(), filing.clone()),
        (format!("/api/v1/tickets/{id}/actions"), action.clone()),
        ("/api/v1/policies/puyang-hualong/evaluate".into(), evaluate),
        ("/api/v1/admin/sweep".into(), sweep),
    ];
    let mut sent = 0;
    let mut failures = Vec::new();
    for (path, seed) in &targets {
        let mut bodies = structured(seed);
        bodies.extend(mangled(&seed.to_string(), &mut rng, 60));
        bodies.push("[".repeat(100_000));
        bodies.push(format!("{{\"content\": \"{}\"}}", "x".repeat(70_000)));
        for body in bodies {
            jiesu::fuzzing::ticket_input(body.as_bytes());
            let (status, answer) = server.post_raw(path, &body, &[]);
            sent += 1;
            if status >= 500 {
                failures.push(format!(
                    "{path} {status} {answer} <- {}",
                    &body[..body.len().min(300)]
                ));
            } else if status >= 400 {
                assert!(
                    answer["error"]["code"].is_string(),
                    "{path} {status}: {answer}"
                );
            }
        }
    }
    assert!(sent >= 300, "only {sent} bodies sent");
    assert!(
        failures.is_empty(),
        "{} 5xx of {sent}:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Still serving, and every stored ticket is whole.
    assert_eq!(server.get("/healthz").0, 200);
    let (status, page) = server.get("/api/v1/tickets?limit=500");
    assert_eq!(status, 200);
    for t in page["tickets"].as_array().unwrap() {
        let (_, trail) = server.get(&format!(
            "/api/v1/tickets/{}/trail",
            t["id"].as_str().unwrap()
        ));
        assert_eq!(trail["chain"]["valid"], true, "{trail}");
        assert!(trail["entries"].as_array().unwrap().len() >= 2, "{trail}");
    }
}

#[test]
fn odd_paths_and_queries_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("j.db"));
    for path in [
        "/api/v1/tickets?limit=0",
        "/api/v1/tickets?limit=abc",
        "/api/v1/tickets?status=nonsense",
        "/api/v1/tickets?bogus=1",
        "/api/v1/tickets/%00%ff/trail",
        "/api/v1/tickets/..%2f..%2fetc/trail",
        "/api/v1/notifications?after=-1&limit=100000",
        "/api/v1/assessments?jurisdiction=anshan",
        "/api/v1/policies/..%2f/versions",
        "/api/v1/nothing-here",
    ] {
        let (status, body) = server.get(path);
        assert!((400..500).contains(&status), "{path}: {status} {body}");
        assert!(body["error"]["code"].is_string(), "{path}: {body}");
    }
}
