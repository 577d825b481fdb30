//! The tamper suite (issue 12): a database administrator edits every table, in every way
//! that matters (rewrites re-sealed with the hash functions, tail deletions, reorders,
//! forged tickets and rows, clock and notification edits, stored policy sources), and
//! `jiesu verify --public-key` names each one. Re-sealing without the signing key passes
//! the hash checks, so the last cases show what the signatures add.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{Server, ServerOptions};
use diesel::{Connection, RunQueryDsl, SqliteConnection};
use jiesu::audit::{LedgerEntry, TrailEntry, genesis_hash, ledger_genesis};
use jiesu::store::Store;
use serde_json::{Value, json};

fn run(args: &[&str]) -> (i32, String) {
    let (code, stdout, stderr) = common::jiesu(args);
    (code, format!("{stdout}{stderr}"))
}

fn q(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn opt(text: Option<&str>) -> String {
    text.map_or_else(|| "NULL".to_owned(), q)
}

fn sql(db: &Path, statements: &str) {
    let mut conn = SqliteConnection::establish(db.to_str().unwrap()).unwrap();
    // A store just dropped may still be closing its pool (and checkpointing): wait for it.
    diesel::sql_query("PRAGMA busy_timeout = 10000")
        .execute(&mut conn)
        .unwrap();
    for statement in statements.split(";\n").filter(|s| !s.trim().is_empty()) {
        diesel::sql_query(statement)
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}

fn url(db: &Path) -> String {
    format!("sqlite://{}", db.display())
}

fn store(db: &Path) -> Store {
    Store::connect_existing(&url(db)).unwrap()
}

fn insert_trail(entry: &TrailEntry) -> String {
    format!(
        "INSERT INTO trail_entries (ticket_id, seq, at, kind, actor, hook, outcome, policy_id, policy_version, input, output, cite, notes, duration_us, prev_hash, hash, format) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {});\n",
        q(&entry.ticket_id),
        entry.seq,
        entry.at,
        q(entry.kind.as_str()),
        q(&entry.actor),
        opt(entry.hook.as_deref()),
        opt(entry.outcome.as_deref()),
        opt(entry.policy_id.as_deref()),
        opt(entry.policy_version.as_deref()),
        q(&entry.input.to_string()),
        q(&entry.output.to_string()),
        q(&Value::from(entry.cite.clone()).to_string()),
        q(&Value::from(entry.notes.clone()).to_string()),
        entry.duration_us.map_or("NULL".into(), |d| d.to_string()),
        q(&entry.prev_hash),
        q(&entry.hash),
        entry.format
    )
}

/// What an attacker with the database (and so the ticket's secret) but not the signing
/// key does: edits a trail, then re-chains every hash after the edit.
fn reseal_trail(db: &Path, id: &str, edit: impl FnOnce(&mut Vec<TrailEntry>)) -> Vec<TrailEntry> {
    let store = store(db);
    let secret = store.ticket_secret(id).unwrap();
    let mut entries = store.trail(id).unwrap();
    drop(store);
    edit(&mut entries);
    let mut prev = genesis_hash(id);
    for (i, entry) in entries.iter_mut().enumerate() {
        entry.seq = i as i64 + 1;
        entry.prev_hash = prev;
        entry.hash = entry.compute_hash(secret.as_deref()).unwrap();
        prev = entry.hash.clone();
    }
    let mut statements = format!("DELETE FROM trail_entries WHERE ticket_id = {};\n", q(id));
    for entry in &entries {
        statements += &insert_trail(entry);
    }
    sql(db, &statements);
    entries
}

/// Re-chains the ledger after `edit`, keeping (now wrong) signatures or stripping them.
fn reseal_ledger(db: &Path, keep_signatures: bool, edit: impl FnOnce(&mut Vec<LedgerEntry>)) {
    let mut entries = store(db).ledger_page(0, 1_000_000).unwrap();
    edit(&mut entries);
    let mut prev = ledger_genesis();
    let mut statements = "DELETE FROM ledger;\n".to_owned();
    for (i, entry) in entries.iter_mut().enumerate() {
        entry.seq = i as i64 + 1;
        entry.prev_hash = prev;
        entry.hash = entry.compute_hash();
        prev = entry.hash.clone();
        if !keep_signatures {
            entry.key_id = None;
            entry.signature = None;
        }
        statements += &format!(
            "INSERT INTO ledger (seq, kind, subject, trail_seq, trail_hash, state, at, prev_hash, hash, format, key_id, signature) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {});\n",
            entry.seq,
            q(entry.kind.as_str()),
            q(&entry.subject),
            entry.trail_seq,
            q(&entry.trail_hash),
            opt(entry.state.as_deref()),
            entry.at,
            q(&entry.prev_hash),
            q(&entry.hash),
            entry.format,
            opt(entry.key_id.as_deref()),
            opt(entry.signature.as_deref()),
        );
    }
    sql(db, &statements);
}

/// The ledger after the trail of `id` was re-sealed: its entries point at the new hashes.
fn repoint(entries: &mut [LedgerEntry], id: &str, trail: &[TrailEntry]) {
    for entry in entries.iter_mut().filter(|e| e.subject == id) {
        if let Some(sealed) = trail.get((entry.trail_seq - 1) as usize) {
            entry.trail_hash = sealed.hash.clone();
        }
    }
}

struct Baseline {
    dir: tempfile::TempDir,
    db: PathBuf,
    public_key: PathBuf,
    anchor: String,
    /// anshan ticket with a requester, actions and an idempotent action.
    a: String,
    /// hohhot ticket.
    h: String,
    /// puyang ticket, resolved and revisited.
    p: String,
    clock: (String, String),
    notification: i64,
    policy: (String, String),
}

fn baseline() -> Baseline {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    let key = dir.path().join("ledger.key");
    let (code, out) = run(&["keygen", "--out", key.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let mut options = ServerOptions::new(&db);
    let key_arg: &'static str = Box::leak(key.to_str().unwrap().to_owned().into_boxed_str());
    options.args = vec!["--signing-key", key_arg];
    let server = Server::start_with(options);
    let file = |body: Value, key: Option<&str>| {
        let headers: Vec<(&str, &str)> = key.map(|k| ("Idempotency-Key", k)).into_iter().collect();
        let (status, ticket) = server.post_raw("/api/v1/tickets", &body.to_string(), &headers);
        assert_eq!(status, 201, "{ticket}");
        ticket["id"].as_str().unwrap().to_owned()
    };
    let act = |id: &str, body: Value, key: Option<&str>| {
        let headers: Vec<(&str, &str)> = key.map(|k| ("Idempotency-Key", k)).into_iter().collect();
        let (status, out) = server.post_raw(
            &format!("/api/v1/tickets/{id}/actions"),
            &body.to_string(),
            &headers,
        );
        assert_eq!(status, 200, "{out}");
    };
    let a = file(
        json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint", "topic": "noise",
               "content": "噪音", "received_at": "2026-03-02T09:00:00+08:00",
               "requester": {"name": "李四", "phone": "13900000000"}}),
        Some("filing-1"),
    );
    act(
        &a,
        json!({"action": "sign", "at": "2026-03-02T10:00:00+08:00"}),
        Some("sign-1"),
    );
    act(
        &a,
        json!({"action": "request_extension", "at": "2026-03-25T10:00:00+08:00", "reason": "检测",
                   "evidence": ["application_form"], "working_days": 5}),
        None,
    );
    let h = file(
        json!({"jurisdiction": "hohhot", "channel": "phone", "category": "help", "topic": "heating",
               "area": "saihan", "flags": ["multi_department"], "content": "停暖",
               "received_at": "2026-03-06T10:00:00+08:00"}),
        None,
    );
    let p = file(
        json!({"jurisdiction": "puyang-hualong", "channel": "phone", "category": "complaint",
               "topic": "waste", "content": "垃圾", "received_at": "2026-03-02T09:00:00+08:00"}),
        None,
    );
    act(
        &p,
        json!({"action": "sign", "at": "2026-03-02T10:00:00+08:00"}),
        None,
    );
    let (status, swept) = server.post(
        "/api/v1/admin/sweep",
        &json!({"now": "2026-06-01T10:00:00+08:00"}),
    );
    assert_eq!(status, 200, "{swept}");
    let (_, outbox) = server.get("/api/v1/notifications?limit=50");
    let notification = outbox["notifications"]
        .as_array()
        .and_then(|n| n.first())
        .and_then(|n| n["id"].as_i64())
        .unwrap_or_else(|| panic!("the sweep fired nothing: {outbox}"));
    let (_, ticket) = server.get(&format!("/api/v1/tickets/{a}"));
    let first_clock = &ticket["clocks"][0];
    let clock = (
        first_clock["name"].as_str().unwrap().to_owned(),
        first_clock["unit"]["id"].as_str().unwrap().to_owned(),
    );
    let (_, versions) = server.get("/api/v1/policies/anshan/versions");
    let policy = (
        "anshan".to_owned(),
        versions[0]["version"].as_str().unwrap().to_owned(),
    );
    server.kill();
    // Fold the WAL into the file, so a plain copy is the whole database.
    sql(&db, "PRAGMA wal_checkpoint(TRUNCATE)");
    let public_key = jiesu::audit::public_path(&key);
    let (code, out) = run(&[
        "verify",
        "--database",
        &url(&db),
        "--public-key",
        public_key.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("signature(s) checked"), "{out}");
    let anchor = out.split("anchor): ").nth(1).unwrap().trim().to_owned();
    Baseline {
        dir,
        db,
        public_key,
        anchor,
        a,
        h,
        p,
        clock,
        notification,
        policy,
    }
}

type Edit = Box<dyn Fn(&Path, &Baseline)>;

fn edits() -> Vec<(&'static str, Edit, &'static str)> {
    vec![
        (
            "a decision's output edited",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE trail_entries SET output = '{{\"lead\":\"as-housing\"}}' WHERE ticket_id = {} AND seq = 3",
                        q(&b.a)
                    ),
                )
            }),
            "content does not match its hash",
        ),
        (
            "an entry's cite edited",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE trail_entries SET cite = '[\"AS-9\"]' WHERE ticket_id = {} AND seq = 2",
                        q(&b.a)
                    ),
                )
            }),
            "content does not match its hash",
        ),
        (
            "an entry's kind edited",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE trail_entries SET kind = 'event' WHERE ticket_id = {} AND seq = 2",
                        q(&b.a)
                    ),
                )
            }),
            "content does not match its hash",
        ),
        (
            "an entry's format lowered",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE trail_entries SET format = 1 WHERE ticket_id = {} AND seq = 1",
                        q(&b.a)
                    ),
                )
            }),
            "content does not match its hash",
        ),
        (
            "one entry re-hashed alone",
            Box::new(|db, b| {
                let entries = store(db).trail(&b.a).unwrap();
                let mut changed = entries[1].clone();
                changed.actor = "someone else".into();
                changed.hash = changed
                    .compute_hash(store(db).ticket_secret(&b.a).unwrap().as_deref())
                    .unwrap();
                sql(
                    db,
                    &format!(
                        "UPDATE trail_entries SET actor = 'someone else', hash = {} WHERE ticket_id = {} AND seq = 2",
                        q(&changed.hash),
                        q(&b.a)
                    ),
                );
            }),
            "prev_hash does not match",
        ),
        (
            "a trail rewritten from entry 2 and re-sealed",
            Box::new(|db, b| {
                reseal_trail(db, &b.a, |e| e[1].output = json!({"outcome": "rejected"}));
            }),
            "is not the one ledger entry",
        ),
        (
            "the newest entry deleted",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "DELETE FROM trail_entries WHERE ticket_id = {} AND seq = (SELECT MAX(seq) FROM trail_entries WHERE ticket_id = {})",
                        q(&b.a),
                        q(&b.a)
                    ),
                )
            }),
            "the trail was truncated",
        ),
        (
            "the newest two entries deleted, the rest re-sealed",
            Box::new(|db, b| {
                reseal_trail(db, &b.a, |e| {
                    e.pop();
                    e.pop();
                });
            }),
            "the trail was truncated",
        ),
        (
            "a middle entry deleted",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "DELETE FROM trail_entries WHERE ticket_id = {} AND seq = 3",
                        q(&b.a)
                    ),
                )
            }),
            "expected seq 3",
        ),
        (
            "two entries swapped",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE trail_entries SET seq = -1 WHERE ticket_id = {id} AND seq = 2;\nUPDATE trail_entries SET seq = 2 WHERE ticket_id = {id} AND seq = 3;\nUPDATE trail_entries SET seq = 3 WHERE ticket_id = {id} AND seq = -1",
                        id = q(&b.a)
                    ),
                )
            }),
            "prev_hash does not match",
        ),
        (
            "a forged entry appended, chained",
            Box::new(|db, b| {
                reseal_trail(db, &b.h, |e| {
                    let mut forged = e.last().unwrap().clone();
                    forged.outcome = Some("resolve".into());
                    e.push(forged);
                });
            }),
            "appended around the server",
        ),
        (
            "an entry moved to another ticket",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE trail_entries SET ticket_id = {}, seq = 99 WHERE ticket_id = {} AND seq = 2",
                        q(&b.h),
                        q(&b.a)
                    ),
                )
            }),
            "expected seq",
        ),
        (
            "a ticket's status edited",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE tickets SET status = 'closed' WHERE id = {}",
                        q(&b.a)
                    ),
                )
            }),
            "row `tickets` is not what the last write",
        ),
        (
            "a ticket's lead unit edited",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE tickets SET lead_unit_id = 'as-housing' WHERE id = {}",
                        q(&b.a)
                    ),
                )
            }),
            "row `tickets` is not what the last write",
        ),
        (
            "a requester's phone edited",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE tickets SET requester_phone = '13800000000' WHERE id = {}",
                        q(&b.a)
                    ),
                )
            }),
            "row `tickets` is not what the last write",
        ),
        (
            "a ticket's revision rolled back",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!("UPDATE tickets SET revision = 0 WHERE id = {}", q(&b.a)),
                )
            }),
            "row `tickets` is not what the last write",
        ),
        (
            "a forged ticket inserted with a sealed trail",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "INSERT INTO tickets SELECT 'forged-ticket', jurisdiction, channel, category, topic, flags, area, content, requester_name, requester_phone, received_at, utc_offset, status, lead_unit_id, lead_unit_name, assist_units, route_mode, deadlines, resolve_due, provisional, rejection, policy_id, policy_version, created_at, updated_at, revision, dispatched_at, statutory_limit FROM tickets WHERE id = {}",
                        q(&b.h)
                    ),
                );
                reseal_trail(db, "forged-ticket", |e| {
                    let mut entries = store(db).trail(&b.h).unwrap();
                    for x in &mut entries {
                        x.ticket_id = "forged-ticket".into();
                    }
                    *e = entries;
                });
            }),
            "in no ledger entry: inserted around the server",
        ),
        (
            "a whole ticket deleted",
            Box::new(|db, b| {
                sql(
                    db,
                    &([
                        "trail_entries",
                        "deadlines",
                        "notifications",
                        "idempotency_keys",
                        "action_keys",
                        "ticket_secrets",
                    ]
                    .iter()
                    .map(|t| format!("DELETE FROM {t} WHERE ticket_id = {};\n", q(&b.p)))
                    .collect::<String>()
                        + format!("DELETE FROM tickets WHERE id = {}", q(&b.p)).as_str()),
                )
            }),
            "gone from the database: deleted",
        ),
        (
            "a ticket row deleted, its rows left",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "PRAGMA foreign_keys = OFF;\nDELETE FROM tickets WHERE id = {}",
                        q(&b.h)
                    ),
                )
            }),
            "which is gone from `tickets`",
        ),
        (
            "a clock missed turned met",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE deadlines SET state = 'met', met_at = due WHERE ticket_id = {} AND clock = {} AND unit_id = {}",
                        q(&b.a),
                        q(&b.clock.0),
                        q(&b.clock.1)
                    ),
                )
            }),
            "row `deadlines",
        ),
        (
            "a clock's due moved",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE deadlines SET due = due + 864000000000 WHERE ticket_id = {} AND clock = {}",
                        q(&b.a),
                        q(&b.clock.0)
                    ),
                )
            }),
            "row `deadlines",
        ),
        (
            "a clock deleted",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "DELETE FROM deadlines WHERE ticket_id = {} AND clock = {}",
                        q(&b.a),
                        q(&b.clock.0)
                    ),
                )
            }),
            "is gone: deleted around the server",
        ),
        (
            "a clock inserted",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "INSERT INTO deadlines SELECT ticket_id, jurisdiction, 'plan', unit_id, due, state, provisional, next_sweep_at, updated_at, met_by, cite, met_at, rounds FROM deadlines WHERE ticket_id = {} AND clock = {}",
                        q(&b.a),
                        q(&b.clock.0)
                    ),
                )
            }),
            "in no write the ledger recorded",
        ),
        (
            "a reminder turned into an escalation",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE notifications SET kind = 'escalate' WHERE id = {}",
                        b.notification
                    ),
                )
            }),
            "row `notifications",
        ),
        (
            "a forged escalation row",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "INSERT INTO notifications (ticket_id, clock, clock_unit, kind, to_unit_id, to_unit_name, channel, cite, note, created_at, seq) VALUES ({}, 'resolve', 'as-environment', 'escalate', 'as-supervision', '督办中心', NULL, '[]', NULL, 0, NULL)",
                        q(&b.a)
                    ),
                )
            }),
            "in no write the ledger recorded",
        ),
        (
            "a notification deleted",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!("DELETE FROM notifications WHERE id = {}", b.notification),
                )
            }),
            "is gone: deleted around the server",
        ),
        (
            "an idempotency key pointed at another ticket",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE idempotency_keys SET ticket_id = {} WHERE key = 'filing-1'",
                        q(&b.h)
                    ),
                )
            }),
            "row `idempotency_keys",
        ),
        (
            "an action key's body hash edited",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE action_keys SET body_hash = 'x' WHERE ticket_id = {}",
                        q(&b.a)
                    ),
                )
            }),
            "row `action_keys ",
        ),
        (
            "a ticket's secret replaced",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE ticket_secrets SET salt = '{}' WHERE ticket_id = {}",
                        "00".repeat(32),
                        q(&b.a)
                    ),
                )
            }),
            "content does not match its hash",
        ),
        (
            "a ticket's secret deleted",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!("DELETE FROM ticket_secrets WHERE ticket_id = {}", q(&b.a)),
                )
            }),
            "which is missing",
        ),
        (
            "a middle ledger entry deleted",
            Box::new(|db, _| sql(db, "DELETE FROM ledger WHERE seq = 3")),
            "ledger entry 3 is missing",
        ),
        (
            "a ledger entry's state edited",
            Box::new(|db, _| sql(db, "UPDATE ledger SET state = '{}' WHERE seq = 4")),
            "its hash does not match its content",
        ),
        (
            "the ledger's tail truncated",
            Box::new(|db, _| {
                sql(
                    db,
                    "DELETE FROM ledger WHERE seq >= (SELECT MAX(seq) - 1 FROM ledger)",
                )
            }),
            "no longer in the ledger",
        ),
        (
            "two ledger signatures swapped",
            Box::new(|db, _| {
                sql(
                    db,
                    "UPDATE ledger SET signature = (SELECT signature FROM ledger WHERE seq = 2) WHERE seq = 5",
                )
            }),
            "signature does not match",
        ),
        (
            "a forged ledger entry appended, unsigned",
            Box::new(|db, b| {
                reseal_ledger(db, true, |entries| {
                    let mut forged = entries.last().unwrap().clone();
                    forged.subject = b.h.clone();
                    forged.key_id = None;
                    forged.signature = None;
                    entries.push(forged);
                })
            }),
            "head is not signed",
        ),
        (
            "an entry's kind recased",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE trail_entries SET kind = 'Event' WHERE ticket_id = {} AND seq = 1",
                        q(&b.a)
                    ),
                )
            }),
            "content does not match its hash",
        ),
        (
            "a ledger entry's kind edited",
            Box::new(|db, _| sql(db, "UPDATE ledger SET kind = 'Ticket' WHERE seq = 2")),
            "its hash does not match its content",
        ),
        (
            "re-sealed, key ids stripped, a garbage signature on the head",
            Box::new(|db, b| {
                let trail =
                    reseal_trail(db, &b.a, |e| e[2].output = json!({"outcome": "rejected"}));
                reseal_ledger(db, false, |entries| repoint(entries, &b.a, &trail));
                sql(
                    db,
                    "UPDATE ledger SET signature = 'x' WHERE seq = (SELECT MAX(seq) FROM ledger)",
                );
            }),
            "half a signature",
        ),
        (
            "a trigger that turns missed clocks met",
            Box::new(|db, _| {
                sql(
                    db,
                    "CREATE TRIGGER fix_missed AFTER UPDATE OF state ON deadlines WHEN NEW.state = 'missed' BEGIN UPDATE deadlines SET state = 'met' WHERE rowid = NEW.rowid; END",
                )
            }),
            "trigger `fix_missed` was not made by the migrations",
        ),
        (
            "a table added to copy requesters into",
            Box::new(|db, _| sql(db, "CREATE TABLE loot (phone TEXT)")),
            "table `loot` was not made by the migrations",
        ),
        (
            "the migration record deleted",
            Box::new(|db, _| sql(db, "DELETE FROM __diesel_schema_migrations")),
            "the migrations recorded as applied",
        ),
        (
            "an entry's format set to an unknown one",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE trail_entries SET format = 99 WHERE ticket_id = {} AND seq = 2",
                        q(&b.a)
                    ),
                )
            }),
            "content does not match its hash",
        ),
        (
            "a ledger entry's format set to an unknown one",
            Box::new(|db, _| sql(db, "UPDATE ledger SET format = 7 WHERE seq = 3")),
            "its hash does not match its content",
        ),
        (
            "a duplicated key in a stored output",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE trail_entries SET output = replace(output, '{{', '{{\"lead\":\"as-housing\",') WHERE ticket_id = {} AND seq = 3",
                        q(&b.a)
                    ),
                )
            }),
            "content does not match its hash",
        ),
        (
            "a name forged beside an erasure marker",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE trail_entries SET input = json_set(input, '$.request.requester', json_object('$erased', 'abc', 'name', '李鬼')) WHERE ticket_id = {} AND seq = 1",
                        q(&b.a)
                    ),
                )
            }),
            "content does not match its hash",
        ),
        (
            "a live ticket's requester replaced by an erasure marker",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE trail_entries SET input = json_set(input, '$.request.requester', json_object('$erased', 'abc')) WHERE ticket_id = {} AND seq = 1",
                        q(&b.a)
                    ),
                )
            }),
            "content does not match its hash",
        ),
        (
            "an idempotency key left naming a missing ticket",
            Box::new(|db, _| {
                sql(
                    db,
                    "PRAGMA foreign_keys = OFF;\nINSERT INTO idempotency_keys (scope, key, body_hash, ticket_id, created_at) VALUES ('x', 'k', 'h', 'no-such-ticket', 0)",
                )
            }),
            "rows of `idempotency_keys` name this ticket",
        ),
        (
            "a ledger subject stored as a blob (hiding the ticket's newest write)",
            Box::new(|db, _| {
                sql(
                    db,
                    "UPDATE ledger SET subject = CAST(subject AS BLOB) WHERE seq = (SELECT MAX(seq) FROM ledger)",
                )
            }),
            "hold a value of another type in `subject`",
        ),
        (
            "a forged twin ticket with a blob id",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "INSERT INTO tickets SELECT CAST(id AS BLOB), jurisdiction, channel, category, topic, flags, area, content, requester_name, requester_phone, received_at, utc_offset, status, 'as-housing', lead_unit_name, assist_units, route_mode, deadlines, resolve_due, provisional, rejection, policy_id, policy_version, created_at, updated_at, revision, dispatched_at, statutory_limit FROM tickets WHERE id = {}",
                        q(&b.h)
                    ),
                )
            }),
            "hold a value of another type in `id`",
        ),
        (
            "a clock's next sweep stored as text",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE deadlines SET next_sweep_at = CAST(next_sweep_at AS TEXT) || 'x' WHERE ticket_id = {}",
                        q(&b.a)
                    ),
                )
            }),
            "hold a value of another type in `next_sweep_at`",
        ),
        (
            "a ticket's jurisdiction stored as a blob",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE tickets SET jurisdiction = CAST(jurisdiction AS BLOB) WHERE id = {}",
                        q(&b.a)
                    ),
                )
            }),
            "hold a value of another type in `jurisdiction`",
        ),
        (
            "trail and ledger re-sealed, signatures stripped",
            Box::new(|db, b| {
                let trail =
                    reseal_trail(db, &b.a, |e| e[2].output = json!({"outcome": "rejected"}));
                reseal_ledger(db, false, |entries| repoint(entries, &b.a, &trail));
            }),
            "head is not signed",
        ),
        (
            "trail and ledger re-sealed, signatures kept",
            Box::new(|db, b| {
                let trail =
                    reseal_trail(db, &b.a, |e| e[2].output = json!({"outcome": "rejected"}));
                reseal_ledger(db, true, |entries| repoint(entries, &b.a, &trail));
            }),
            "signature does not match",
        ),
        (
            "a stored policy source edited",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE policy_versions SET sources = replace(sources, 'as-environment', 'as-housing') WHERE policy_id = {} AND version = {}",
                        q(&b.policy.0),
                        q(&b.policy.1)
                    ),
                )
            }),
            "stored sources are not the ones the ledger recorded",
        ),
        (
            "a stored policy version deleted",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "DELETE FROM policy_versions WHERE policy_id = {} AND version = {}",
                        q(&b.policy.0),
                        q(&b.policy.1)
                    ),
                )
            }),
            "this policy version, but it is gone",
        ),
        (
            "a policy version inserted",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "INSERT INTO policy_versions SELECT policy_id, 'forged-version', sources, activated_at FROM policy_versions WHERE policy_id = {} AND version = {}",
                        q(&b.policy.0),
                        q(&b.policy.1)
                    ),
                )
            }),
            "in no ledger entry: inserted around the server",
        ),
        (
            "a policy version's activation time moved",
            Box::new(|db, b| {
                sql(
                    db,
                    &format!(
                        "UPDATE policy_versions SET activated_at = 0 WHERE policy_id = {}",
                        q(&b.policy.0)
                    ),
                )
            }),
            "row `policy_versions`",
        ),
    ]
}

#[test]
fn every_edit_of_every_table_is_detected_by_name() {
    let base = baseline();
    let edits = edits();
    assert!(edits.len() >= 30, "the suite has {} edits", edits.len());
    let mut missed = Vec::new();
    for (i, (name, edit, expect)) in edits.iter().enumerate() {
        let copy = base.dir.path().join(format!("edit-{i}.db"));
        std::fs::copy(&base.db, &copy).unwrap();
        edit(&copy, &base);
        let (code, out) = run(&[
            "verify",
            "--database",
            &url(&copy),
            "--public-key",
            base.public_key.to_str().unwrap(),
            "--anchor",
            &base.anchor,
        ]);
        if code != 1 || !out.contains(expect) {
            missed.push(format!(
                "{name}: exit {code}, expected `{expect}` in:\n{out}"
            ));
        }
    }
    assert!(
        missed.is_empty(),
        "{} of {} edits not named:\n{}",
        missed.len(),
        edits.len(),
        missed.join("\n\n")
    );

    // Without the public key a full re-seal passes every hash: the signatures are what
    // catch it (README, "Auditing").
    let copy = base.dir.path().join("resealed.db");
    std::fs::copy(&base.db, &copy).unwrap();
    let trail = reseal_trail(&copy, &base.a, |e| {
        e[2].output = json!({"outcome": "rejected"})
    });
    reseal_ledger(&copy, false, |entries| repoint(entries, &base.a, &trail));
    let (code, out) = run(&["verify", "--database", &url(&copy)]);
    assert_eq!(code, 0, "hash checks alone cannot see a re-seal: {out}");
}

/// The trail API checks a ticket's ledger entries too: their hashes, their links to the
/// entries after them, their signatures with the server's key.
#[test]
fn the_trail_api_sees_a_ticket_resealed_with_its_ledger_entries_patched() {
    let base = baseline();
    let copy = base.dir.path().join("patched.db");
    std::fs::copy(&base.db, &copy).unwrap();
    let trail = reseal_trail(&copy, &base.a, |e| {
        e[2].output = json!({"lead": "as-housing"})
    });
    // Only this ticket's ledger rows are patched to the new hashes, not re-chained.
    for (seq, entry) in trail.iter().enumerate() {
        sql(
            &copy,
            &format!(
                "UPDATE ledger SET trail_hash = {} WHERE subject = {} AND trail_seq = {}",
                q(&entry.hash),
                q(&base.a),
                seq + 1
            ),
        );
    }
    let server = Server::start_with(ServerOptions::new(&copy));
    let (_, view) = server.get(&format!("/api/v1/tickets/{}/trail", base.a));
    assert_eq!(view["chain"]["valid"], false, "{}", view["chain"]);
    assert!(
        view["chain"]["reason"]
            .as_str()
            .unwrap()
            .contains("ledger entry"),
        "{}",
        view["chain"]
    );
}

#[test]
fn a_server_refuses_a_database_with_a_trigger_added() {
    let base = baseline();
    sql(
        &base.db,
        "CREATE TRIGGER reroute AFTER INSERT ON tickets BEGIN UPDATE tickets SET lead_unit_id = 'as-housing' WHERE id = NEW.id; END",
    );
    let (code, _, err) = common::jiesu(&[
        "serve",
        "--dev",
        "--bind",
        "127.0.0.1:0",
        "--database",
        &url(&base.db),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("trigger `reroute`"), "{err}");
}
