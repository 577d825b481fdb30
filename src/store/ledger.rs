//! The ledger table: one entry appended in the transaction of every write, vouching for the
//! subject's last trail entry and a digest of each of its rows as the write left them.
//!
//! Appends are ordered by the single writer (SQLite) and, on a shared database, by the
//! primary key on `seq`: two writers that read the same head both try `head + 1`, one
//! commits and the other's transaction fails and is retried from the new head.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::connection::{Store, StoreError};
use super::rows::{DeadlineRow, LedgerRow, NotificationRow, PolicyVersionRow, TicketRow};
use super::schema::{
    action_keys, deadlines, idempotency_keys, ledger, notifications, policy_versions,
    ticket_secrets, tickets, trail_entries,
};
use crate::audit::{LedgerEntry, LedgerRecord, Signer, Subject, genesis_hash};

/// A row's digest: 128 bits of sha256 over its JSON, field by field as stored, keyed by
/// the ticket's secret while it has one. Rows hold the requester (the ticket row, the
/// filing's body hash): keyed, a digest kept in the ledger cannot be used to test a guess
/// at them once the requester is erased and the secret with it.
fn digest(secret: Option<&[u8]>, row: &impl Serialize) -> String {
    let bytes = serde_json::to_vec(row).unwrap_or_default();
    let mut hasher = Sha256::new();
    if let Some(secret) = secret {
        hasher.update((secret.len() as u64).to_le_bytes());
        hasher.update(secret);
    }
    hasher.update(&bytes);
    hex::encode(&hasher.finalize()[..16])
}

/// A ticket's secret, `None` once erased (or never made: tickets of format 1).
pub(super) fn secret_of(
    conn: &mut SqliteConnection,
    ticket_id: &str,
) -> QueryResult<Option<Vec<u8>>> {
    let salt: Option<Option<String>> = ticket_secrets::table
        .find(ticket_id)
        .select(ticket_secrets::salt)
        .first(conn)
        .optional()?;
    Ok(salt.flatten().and_then(|s| hex::decode(s).ok()))
}

/// A ticket's last trail entry: `(seq, hash)`.
pub(super) fn last_entry(
    conn: &mut SqliteConnection,
    ticket_id: &str,
) -> QueryResult<Option<(i64, String)>> {
    trail_entries::table
        .filter(trail_entries::ticket_id.eq(ticket_id))
        .order(trail_entries::seq.desc())
        .select((trail_entries::seq, trail_entries::hash))
        .first(conn)
        .optional()
}

/// Every row a ticket's trail explains, by name, with its digest.
pub(super) fn ticket_state(
    conn: &mut SqliteConnection,
    ticket_id: &str,
) -> QueryResult<BTreeMap<String, String>> {
    let mut state = BTreeMap::new();
    let secret: Option<(Option<String>, Option<i64>)> = ticket_secrets::table
        .find(ticket_id)
        .select((ticket_secrets::salt, ticket_secrets::erased_at))
        .first(conn)
        .optional()?;
    let key = secret
        .as_ref()
        .and_then(|(salt, _)| salt.as_deref())
        .and_then(|s| hex::decode(s).ok());
    let key = key.as_deref();
    if let Some(row) = tickets::table
        .find(ticket_id)
        .select(TicketRow::as_select())
        .first(conn)
        .optional()?
    {
        state.insert("tickets".to_owned(), digest(key, &row));
    }
    for row in deadlines::table
        .filter(deadlines::ticket_id.eq(ticket_id))
        .select(DeadlineRow::as_select())
        .load(conn)?
    {
        state.insert(
            format!("deadlines {}/{}", row.clock, row.unit_id),
            digest(key, &row),
        );
    }
    for row in notifications::table
        .filter(notifications::ticket_id.eq(ticket_id))
        .select(NotificationRow::as_select())
        .load(conn)?
    {
        state.insert(format!("notifications {}", row.id), digest(key, &row));
    }
    let keys: Vec<(String, String, i64, i64)> = action_keys::table
        .filter(action_keys::ticket_id.eq(ticket_id))
        .select((
            action_keys::key,
            action_keys::body_hash,
            action_keys::seq,
            action_keys::created_at,
        ))
        .load(conn)?;
    for row in keys {
        state.insert(format!("action_keys {:?}", row.0), digest(key, &row));
    }
    let keys: Vec<(String, String, String, i64)> = idempotency_keys::table
        .filter(idempotency_keys::ticket_id.eq(ticket_id))
        .select((
            idempotency_keys::scope,
            idempotency_keys::key,
            idempotency_keys::body_hash,
            idempotency_keys::created_at,
        ))
        .load(conn)?;
    for row in keys {
        // Debug-quoted parts: a scope or key holding the separator cannot pass for another.
        state.insert(
            format!("idempotency_keys {:?}/{:?}", row.0, row.1),
            digest(key, &row),
        );
    }
    if let Some(secret) = &secret {
        state.insert("ticket_secrets".to_owned(), digest(key, secret));
    }
    Ok(state)
}

/// The digest of a stored policy version's row.
pub(super) fn policy_state(row: &PolicyVersionRow) -> BTreeMap<String, String> {
    BTreeMap::from([("policy_versions".to_owned(), digest(None, row))])
}

fn sources_hash(row: &PolicyVersionRow) -> String {
    hex::encode(Sha256::digest(row.sources.as_bytes()))
}

pub(super) fn policy_subject(policy_id: &str, version: &str) -> String {
    format!("{policy_id}/{version}")
}

/// Appends an entry after the current head, signed when the store has a key.
fn append(
    conn: &mut SqliteConnection,
    record: LedgerRecord,
    signer: Option<&Signer>,
) -> QueryResult<()> {
    let head: Option<(i64, String)> = ledger::table
        .order(ledger::seq.desc())
        .select((ledger::seq, ledger::hash))
        .first(conn)
        .optional()?;
    let mut entry = LedgerEntry::after(head.as_ref().map(|(s, h)| (*s, h.as_str())), record);
    if let Some(signer) = signer {
        entry.key_id = Some(signer.id().to_owned());
        entry.signature = Some(signer.sign(&entry.hash));
    }
    diesel::insert_into(ledger::table)
        .values(LedgerRow::from(&entry))
        .execute(conn)?;
    Ok(())
}

/// Records a write to a ticket, inside the write's transaction: its last trail entry and
/// the digest of every row of it.
pub(super) fn seal_ticket(
    conn: &mut SqliteConnection,
    ticket_id: &str,
    at: i64,
    signer: Option<&Signer>,
) -> QueryResult<()> {
    let (trail_seq, trail_hash) =
        last_entry(conn, ticket_id)?.unwrap_or_else(|| (0, genesis_hash(ticket_id)));
    let state = ticket_state(conn, ticket_id)?;
    append(
        conn,
        LedgerRecord {
            kind: Subject::Ticket,
            subject: ticket_id.to_owned(),
            trail_seq,
            trail_hash,
            state: serde_json::to_string(&state).unwrap_or_default(),
            at,
        },
        signer,
    )
}

/// Records a policy version as stored, inside the transaction that stores it.
pub(super) fn seal_policy(
    conn: &mut SqliteConnection,
    row: &PolicyVersionRow,
    signer: Option<&Signer>,
) -> QueryResult<()> {
    append(
        conn,
        LedgerRecord {
            kind: Subject::Policy,
            subject: policy_subject(&row.policy_id, &row.version),
            trail_seq: 0,
            trail_hash: sources_hash(row),
            state: serde_json::to_string(&policy_state(row)).unwrap_or_default(),
            at: row.activated_at,
        },
        signer,
    )
}

/// One ticket's trail, secret, ledger entries and rows, as one transaction read them.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub trail: Vec<crate::audit::TrailEntry>,
    pub secret: Option<Vec<u8>>,
    pub ledger: Vec<LedgerEntry>,
    /// For each of those ledger entries that has a successor: the successor's `prev_hash`,
    /// by the entry's seq.
    pub successors: BTreeMap<i64, String>,
    pub rows: CurrentState,
}

/// A subject's rows as they are now, for `verify` to compare with what the ledger recorded.
#[derive(Debug, Clone, Default)]
pub struct CurrentState {
    pub rows: BTreeMap<String, String>,
    /// For a policy version: the hash of its stored sources.
    pub sources_hash: Option<String>,
}

impl Store {
    /// The whole ledger, in order, a page at a time.
    pub fn ledger_page(&self, after: i64, limit: i64) -> Result<Vec<LedgerEntry>, StoreError> {
        let rows: Vec<LedgerRow> = ledger::table
            .filter(ledger::seq.gt(after))
            .order(ledger::seq.asc())
            .limit(limit)
            .select(LedgerRow::as_select())
            .load(&mut self.conn()?)?;
        Ok(rows.into_iter().map(LedgerRow::into_entry).collect())
    }

    /// Whether a stored policy version is the one the ledger sealed: its last ledger entry
    /// binds these sources and is itself intact. What a server checks before serving a
    /// stored version in place of broken files.
    pub fn policy_version_sealed(&self, row: &PolicyVersionRow) -> Result<bool, StoreError> {
        let entries = self.ledger_of(&policy_subject(&row.policy_id, &row.version))?;
        Ok(entries.last().is_some_and(|entry| {
            entry.kind == Subject::Policy
                && entry.trail_hash == sources_hash(row)
                && entry.compute_hash() == entry.hash
        }))
    }

    /// Every ledger entry about one subject, in order.
    pub fn ledger_of(&self, subject: &str) -> Result<Vec<LedgerEntry>, StoreError> {
        let rows: Vec<LedgerRow> = ledger::table
            .filter(ledger::subject.eq(subject))
            .order(ledger::seq.asc())
            .select(LedgerRow::as_select())
            .load(&mut self.conn()?)?;
        Ok(rows.into_iter().map(LedgerRow::into_entry).collect())
    }

    /// Every ticket id, oldest first.
    pub fn ticket_ids(&self) -> Result<Vec<String>, StoreError> {
        Ok(tickets::table
            .order((tickets::created_at.asc(), tickets::id.asc()))
            .select(tickets::id)
            .load(&mut self.conn()?)?)
    }

    /// Ticket ids that rows of other tables name but `tickets` does not hold: what a deleted
    /// ticket leaves behind.
    pub fn orphaned_ticket_ids(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut conn = self.conn()?;
        let mut orphans = Vec::new();
        let known = tickets::table.select(tickets::id);
        let trail: Vec<String> = trail_entries::table
            .filter(trail_entries::ticket_id.ne_all(known))
            .select(trail_entries::ticket_id)
            .distinct()
            .load(&mut conn)?;
        orphans.extend(trail.into_iter().map(|t| ("trail_entries".to_owned(), t)));
        let clocks: Vec<String> = deadlines::table
            .filter(deadlines::ticket_id.ne_all(tickets::table.select(tickets::id)))
            .select(deadlines::ticket_id)
            .distinct()
            .load(&mut conn)?;
        orphans.extend(clocks.into_iter().map(|t| ("deadlines".to_owned(), t)));
        let notes: Vec<String> = notifications::table
            .filter(notifications::ticket_id.ne_all(tickets::table.select(tickets::id)))
            .select(notifications::ticket_id)
            .distinct()
            .load(&mut conn)?;
        orphans.extend(notes.into_iter().map(|t| ("notifications".to_owned(), t)));
        let keys: Vec<String> = idempotency_keys::table
            .filter(idempotency_keys::ticket_id.ne_all(tickets::table.select(tickets::id)))
            .select(idempotency_keys::ticket_id)
            .distinct()
            .load(&mut conn)?;
        orphans.extend(keys.into_iter().map(|t| ("idempotency_keys".to_owned(), t)));
        let keys: Vec<String> = action_keys::table
            .filter(action_keys::ticket_id.ne_all(tickets::table.select(tickets::id)))
            .select(action_keys::ticket_id)
            .distinct()
            .load(&mut conn)?;
        orphans.extend(keys.into_iter().map(|t| ("action_keys".to_owned(), t)));
        let secrets: Vec<String> = ticket_secrets::table
            .filter(ticket_secrets::ticket_id.ne_all(tickets::table.select(tickets::id)))
            .select(ticket_secrets::ticket_id)
            .load(&mut conn)?;
        orphans.extend(
            secrets
                .into_iter()
                .map(|t| ("ticket_secrets".to_owned(), t)),
        );
        Ok(orphans)
    }

    /// Everything a ticket's integrity is judged on, read in one transaction so a write
    /// committing meanwhile cannot make a healthy ticket look tampered with.
    pub fn ticket_evidence(&self, ticket_id: &str) -> Result<Evidence, StoreError> {
        let mut conn = self.conn()?;
        Ok(conn.transaction(|conn| {
            let trail: Vec<super::rows::TrailRow> = trail_entries::table
                .filter(trail_entries::ticket_id.eq(ticket_id))
                .order(trail_entries::seq.asc())
                .select(super::rows::TrailRow::as_select())
                .load(conn)?;
            let secret = secret_of(conn, ticket_id)?;
            let ledger: Vec<LedgerRow> = ledger::table
                .filter(ledger::subject.eq(ticket_id))
                .order(ledger::seq.asc())
                .select(LedgerRow::as_select())
                .load(conn)?;
            let rows = ticket_state(conn, ticket_id)?;
            let ledger: Vec<LedgerEntry> = ledger.into_iter().map(LedgerRow::into_entry).collect();
            let after: Vec<i64> = ledger.iter().map(|e| e.seq + 1).collect();
            let successors: Vec<(i64, String)> = ledger::table
                .filter(ledger::seq.eq_any(after))
                .select((ledger::seq, ledger::prev_hash))
                .load(conn)?;
            QueryResult::Ok(Evidence {
                successors: successors
                    .into_iter()
                    .map(|(seq, prev)| (seq - 1, prev))
                    .collect(),
                trail: trail
                    .into_iter()
                    .map(super::rows::TrailRow::into_entry)
                    .collect(),
                secret,
                ledger,
                rows: CurrentState {
                    rows,
                    sources_hash: None,
                },
            })
        })?)
    }

    /// Every stored policy version: subject and its current state.
    pub fn policy_states(&self) -> Result<BTreeMap<String, CurrentState>, StoreError> {
        let rows: Vec<PolicyVersionRow> = policy_versions::table
            .select(PolicyVersionRow::as_select())
            .load(&mut self.conn()?)?;
        Ok(rows
            .iter()
            .map(|row| {
                (
                    policy_subject(&row.policy_id, &row.version),
                    CurrentState {
                        rows: policy_state(row),
                        sources_hash: Some(sources_hash(row)),
                    },
                )
            })
            .collect())
    }

    /// A ticket's secret, `None` once erased (or never made: tickets of format 1).
    pub fn ticket_secret(&self, ticket_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut conn = self.conn()?;
        Ok(secret_of(&mut conn, ticket_id)?)
    }

    /// Seals every ticket and policy version once, after the trust migration: the ledger
    /// then vouches for each as the database held it when upgraded.
    pub(super) fn seal_existing(&self) -> Result<usize, StoreError> {
        let ids = self.ticket_ids()?;
        let signer = self.signer();
        let versions: Vec<PolicyVersionRow> = policy_versions::table
            .order(policy_versions::activated_at.asc())
            .select(PolicyVersionRow::as_select())
            .load(&mut self.conn()?)?;
        let upgraded_at = chrono::Utc::now().timestamp_micros();
        self.write(|conn| {
            for row in &versions {
                seal_policy(conn, row, signer.as_deref())?;
            }
            for id in &ids {
                seal_ticket(conn, id, upgraded_at, signer.as_deref())?;
            }
            Ok(())
        })?;
        Ok(ids.len() + versions.len())
    }
}
