//! Personal data survives the hash (IM-15, 个人信息保护法): what a token without `pii`
//! receives (the masked requester, the entry's hash and the rest of its preimage) does not
//! let it recover the phone number; the same harness with the ticket's secret does, so the
//! attack is real. Erasure removes the data and the secret and keeps every chain whole.
#![allow(clippy::unwrap_used)]

mod common;

use common::desks::{self, ADMIN, secret};
use jiesu::audit::{EntryKind, TRAIL_FORMAT, TrailEntry};
use jiesu::store::Store;
use serde_json::{Value, json};

/// The filing event as a caller sees it, turned back into the entry that was hashed.
fn entry_from_view(ticket: &str, view: &Value) -> TrailEntry {
    let at = chrono::DateTime::parse_from_rfc3339(view["at"].as_str().unwrap()).unwrap();
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let list = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_owned())
            .collect()
    };
    TrailEntry {
        ticket_id: ticket.to_owned(),
        seq: view["seq"].as_i64().unwrap(),
        at: at.timestamp_micros(),
        kind: EntryKind::parse(view["kind"].as_str().unwrap()).unwrap(),
        actor: view["actor"].as_str().unwrap().to_owned(),
        hook: text(&view["hook"]),
        outcome: text(&view["outcome"]),
        policy_id: text(&view["policy"]["id"]),
        policy_version: text(&view["policy"]["version"]),
        input: view["input"].clone(),
        output: view["output"].clone(),
        cite: list(&view["cite"]),
        notes: list(&view["notes"]),
        duration_us: view["duration_us"].as_i64(),
        prev_hash: view["prev_hash"].as_str().unwrap().to_owned(),
        hash: String::new(),
        format: TRAIL_FORMAT,
    }
}

/// Every phone the mask `138****5678` allows, tried against the shown hash: how many match.
fn guesses_that_match(entry: &TrailEntry, shown_hash: &str, secret: Option<&[u8]>) -> usize {
    let mut matches = 0;
    for middle in 0..10_000 {
        let mut guess = entry.clone();
        guess.input["request"]["requester"]["phone"] = json!(format!("138{middle:04}5678"));
        // As format 2 with whatever secret the caller has, and as format 1 (in the clear).
        let hashes = [guess.compute_hash(secret).ok(), {
            let mut clear = guess.clone();
            clear.format = 1;
            clear.compute_hash(None).ok()
        }];
        if hashes.iter().flatten().any(|h| h == shown_hash) {
            matches += 1;
        }
    }
    matches
}

#[test]
fn a_masked_phone_cannot_be_recovered_from_what_a_non_pii_token_receives() {
    let dir = tempfile::tempdir().unwrap();
    let server = desks::start(dir.path(), &[("audit", "auditor", "anshan", None)]);
    let ticket = desks::file_as(
        &server,
        &json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint", "topic": "noise",
                "content": "噪音", "received_at": "2026-03-02T09:00:00+08:00",
                "requester": {"phone": "13812345678"}}),
        ADMIN,
    );
    let id = ticket["id"].as_str().unwrap();
    let trail = desks::trail_as(&server, id, Some(&secret("audit")));
    let filed = &trail["entries"][0];
    assert_eq!(
        filed["input"]["request"]["requester"]["phone"], "138****5678",
        "{filed}"
    );
    let shown_hash = filed["hash"].as_str().unwrap();
    let entry = entry_from_view(id, filed);

    // What the auditor has: no secret. Not one of the 10,000 candidates checks out.
    assert_eq!(guesses_that_match(&entry, shown_hash, None), 0);
    assert_eq!(guesses_that_match(&entry, shown_hash, Some(&[0u8; 32])), 0);

    // The same harness with the ticket's secret (what only the server holds) finds it,
    // exactly once: the preimage above is the real one (README, "Personal data").
    let store = Store::connect_existing(&format!("sqlite://{}", dir.path().join("j.db").display()))
        .unwrap();
    let ticket_secret = store.ticket_secret(id).unwrap().unwrap();
    assert_eq!(
        guesses_that_match(&entry, shown_hash, Some(&ticket_secret)),
        1
    );
}

#[test]
fn erasure_removes_the_data_and_the_secret_and_keeps_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let server = desks::start(dir.path(), &[("audit", "auditor", "anshan", None)]);
    let ticket = desks::file_as(
        &server,
        &json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint", "topic": "noise",
                "content": "噪音", "received_at": "2026-03-02T09:00:00+08:00",
                "requester": {"name": "王五", "phone": "13812345678"}}),
        ADMIN,
    );
    let id = ticket["id"].as_str().unwrap();
    let path = format!("/api/v1/tickets/{id}/erasure");
    let request = json!({"reason": "诉求人书面申请删除个人信息（2026-03-10）"});

    let (status, body) = server.post_as(&path, &request, Some(&secret("audit")));
    assert_eq!(status, 403, "an auditor may not erase: {body}");
    let (status, body) = server.post_as(&path, &json!({"reason": " "}), Some(ADMIN));
    assert_eq!(status, 422, "a reason is required: {body}");

    let (status, erased) = server.post_as(&path, &request, Some(ADMIN));
    assert_eq!(status, 200, "{erased}");
    assert_eq!(erased["requester"], Value::Null, "{erased}");
    let trail = desks::trail(&server, id);
    assert_eq!(trail["chain"]["valid"], true, "{trail}");
    let entries = trail["entries"].as_array().unwrap();
    let last = entries.last().unwrap();
    assert_eq!(last["outcome"], "erased");
    assert_eq!(last["input"]["basis"], "个人信息保护法第四十七条");
    let kept = entries[0]["input"]["request"]["requester"].to_string();
    assert!(
        kept.contains("$erased") && !kept.contains("王") && !kept.contains("5678"),
        "{kept}"
    );
    assert!(!trail.to_string().contains("13812345678"), "{trail}");

    let (status, again) = server.post_as(&path, &request, Some(ADMIN));
    assert_eq!(status, 409, "{again}");
    // Nothing of the erased requester is left in the files, the write-ahead log included.
    server.kill();
    for suffix in ["", "-wal"] {
        let file = format!("{}{suffix}", dir.path().join("j.db").display());
        let bytes = std::fs::read(&file).unwrap_or_default();
        let phone = b"13812345678";
        assert!(
            !bytes.windows(phone.len()).any(|w| w == phone),
            "{file} still holds the erased phone"
        );
    }

    let url = format!("sqlite://{}", dir.path().join("j.db").display());
    let store = Store::connect_existing(&url).unwrap();
    assert_eq!(
        store.ticket_secret(id).unwrap(),
        None,
        "the secret is gone too"
    );
    drop(store);
    let (code, out, err) = common::jiesu(&["verify", "--database", &url]);
    assert_eq!(code, 0, "{out}{err}");
}
