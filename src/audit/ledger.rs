//! The ledger: one hash-chained entry per write, so that removing, rewriting, reordering or
//! truncating any ticket's trail, removing a whole ticket, or editing a row the trail
//! explains is as visible as changing one entry of a trail.
//!
//! Format 1 entries (before issue 12) vouched only for each ticket's first trail entry; they
//! keep their hashes. Format 2 entries name the subject's last trail entry after the write
//! and a digest of every row the write left.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// What a ledger entry vouches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// A ticket: its trail and its rows.
    Ticket,
    /// A stored policy version: its sources, which replay and the auditor's rule text use.
    Policy,
}

impl Subject {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ticket => "ticket",
            Self::Policy => "policy",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ticket" => Some(Self::Ticket),
            "policy" => Some(Self::Policy),
            _ => None,
        }
    }
}

/// One write as the ledger records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub seq: i64,
    pub kind: Subject,
    /// The ticket id, or `policy_id/version`.
    pub subject: String,
    /// The subject's last trail entry after the write (format 1: always 1; policies: 0).
    pub trail_seq: i64,
    /// Its hash; for a policy, the hash of its stored sources.
    pub trail_hash: String,
    /// JSON `{row: digest}` of the subject's rows after the write (format 2).
    pub state: Option<String>,
    pub at: i64,
    pub prev_hash: String,
    pub hash: String,
    pub format: i32,
    /// The signing key's id and the signature over `hash`, when the server signs.
    pub key_id: Option<String>,
    pub signature: Option<String>,
}

/// The format new entries are written in.
pub const LEDGER_FORMAT: i32 = 2;

fn frame(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

/// The `prev_hash` of the first ledger entry.
pub fn ledger_genesis() -> String {
    let mut hasher = Sha256::new();
    frame(&mut hasher, b"jiesu-ledger-genesis-v1");
    hex::encode(hasher.finalize())
}

/// What a write asks the ledger to record.
#[derive(Debug, Clone)]
pub struct LedgerRecord {
    pub kind: Subject,
    pub subject: String,
    pub trail_seq: i64,
    pub trail_hash: String,
    pub state: String,
    pub at: i64,
}

impl LedgerEntry {
    /// The entry after `prev` (the genesis when `prev` is `None`), unsigned.
    pub fn after(prev: Option<(i64, &str)>, record: LedgerRecord) -> Self {
        let mut entry = Self {
            seq: prev.map_or(1, |(seq, _)| seq + 1),
            kind: record.kind,
            subject: record.subject,
            trail_seq: record.trail_seq,
            trail_hash: record.trail_hash,
            state: Some(record.state),
            at: record.at,
            prev_hash: prev.map_or_else(ledger_genesis, |(_, hash)| hash.to_owned()),
            hash: String::new(),
            format: LEDGER_FORMAT,
            key_id: None,
            signature: None,
        };
        entry.hash = entry.compute_hash();
        entry
    }

    pub fn compute_hash(&self) -> String {
        if !(1..=LEDGER_FORMAT).contains(&self.format) {
            return format!("(unknown format {})", self.format);
        }
        let mut h = Sha256::new();
        if self.format == 1 {
            frame(&mut h, b"jiesu-ledger-v1");
            frame(&mut h, &self.seq.to_le_bytes());
            frame(&mut h, self.subject.as_bytes());
            frame(&mut h, self.trail_hash.as_bytes());
            frame(&mut h, &self.at.to_le_bytes());
            frame(&mut h, self.prev_hash.as_bytes());
            return hex::encode(h.finalize());
        }
        frame(&mut h, b"jiesu-ledger-v2");
        frame(&mut h, &self.seq.to_le_bytes());
        frame(&mut h, self.kind.as_str().as_bytes());
        frame(&mut h, self.subject.as_bytes());
        frame(&mut h, &self.trail_seq.to_le_bytes());
        frame(&mut h, self.trail_hash.as_bytes());
        frame(&mut h, self.state.as_deref().unwrap_or_default().as_bytes());
        frame(&mut h, &self.at.to_le_bytes());
        frame(&mut h, self.prev_hash.as_bytes());
        hex::encode(h.finalize())
    }
}

/// Something wrong with the ledger or a subject it vouches for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerProblem {
    pub seq: Option<i64>,
    pub ticket: Option<String>,
    pub reason: String,
}

/// What is wrong with one entry as a link of the chain: not the `expected_seq`th, not after
/// the entry whose hash is `expected_prev`, or not matching its own hash. `verify` walks a
/// ledger too large to hold with this, a page at a time.
pub fn link_problem(entry: &LedgerEntry, expected_seq: i64, expected_prev: &str) -> Option<String> {
    if entry.seq != expected_seq {
        return Some(format!(
            "ledger entry {expected_seq} is missing (the next stored is {})",
            entry.seq
        ));
    }
    if entry.prev_hash != expected_prev {
        return Some(
            "its prev_hash is not the hash of the entry before: an entry was removed or changed"
                .into(),
        );
    }
    if entry.compute_hash() != entry.hash {
        return Some("its hash does not match its content: the entry was edited".into());
    }
    None
}

/// Checks the ledger's own chain: consecutive sequence numbers from 1, each entry's
/// `prev_hash` the hash before it, each hash recomputed.
pub fn verify_ledger(entries: &[LedgerEntry]) -> Vec<LedgerProblem> {
    let mut expected_prev = ledger_genesis();
    for (index, entry) in entries.iter().enumerate() {
        let problem = |reason: String| {
            vec![LedgerProblem {
                seq: Some(entry.seq),
                ticket: Some(entry.subject.clone()),
                reason,
            }]
        };
        // After the first break every later entry fails too; one report says where.
        if let Some(reason) = link_problem(entry, index as i64 + 1, &expected_prev) {
            return problem(reason);
        }
        expected_prev = entry.hash.clone();
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger(n: usize) -> Vec<LedgerEntry> {
        let mut entries: Vec<LedgerEntry> = Vec::new();
        for i in 0..n {
            let record = LedgerRecord {
                kind: Subject::Ticket,
                subject: format!("t{i}"),
                trail_seq: 1,
                trail_hash: format!("h{i}"),
                state: "{}".into(),
                at: i as i64,
            };
            let next = LedgerEntry::after(entries.last().map(|e| (e.seq, e.hash.as_str())), record);
            entries.push(next);
        }
        entries
    }

    #[test]
    fn an_intact_ledger_verifies_and_any_removal_or_change_does_not() {
        let entries = ledger(4);
        assert!(verify_ledger(&entries).is_empty());

        let mut removed = entries.clone();
        removed.remove(1);
        let problems = verify_ledger(&removed);
        assert_eq!(problems[0].seq, Some(3), "{problems:?}");

        let mut changed = entries.clone();
        changed[2].trail_hash = "forged".into();
        assert_eq!(verify_ledger(&changed)[0].seq, Some(3));

        let mut restated = entries;
        restated[1].state = Some("{\"t\":\"x\"}".into());
        assert_eq!(verify_ledger(&restated)[0].seq, Some(2));
    }
}
