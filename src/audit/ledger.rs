//! The ledger: one hash-chained entry per filed ticket, so that removing a whole ticket —
//! row, trail and all — is as visible as changing one entry of its trail.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// One filing as the ledger records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub seq: i64,
    pub ticket_id: String,
    /// The hash of the ticket's first trail entry.
    pub first_hash: String,
    pub at: i64,
    pub prev_hash: String,
    pub hash: String,
}

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

impl LedgerEntry {
    /// The entry after `prev` (the genesis when `prev` is `None`).
    pub fn after(prev: Option<&LedgerEntry>, ticket_id: &str, first_hash: &str, at: i64) -> Self {
        let mut entry = Self {
            seq: prev.map_or(1, |p| p.seq + 1),
            ticket_id: ticket_id.to_owned(),
            first_hash: first_hash.to_owned(),
            at,
            prev_hash: prev.map_or_else(ledger_genesis, |p| p.hash.clone()),
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        entry
    }

    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        frame(&mut h, b"jiesu-ledger-v1");
        frame(&mut h, &self.seq.to_le_bytes());
        frame(&mut h, self.ticket_id.as_bytes());
        frame(&mut h, self.first_hash.as_bytes());
        frame(&mut h, &self.at.to_le_bytes());
        frame(&mut h, self.prev_hash.as_bytes());
        hex::encode(h.finalize())
    }
}

/// Something wrong with the ledger or a ticket it vouches for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerProblem {
    pub seq: Option<i64>,
    pub ticket: Option<String>,
    pub reason: String,
}

/// Checks the ledger's own chain: consecutive sequence numbers from 1, each entry's
/// `prev_hash` the hash before it, each hash recomputed.
pub fn verify_ledger(entries: &[LedgerEntry]) -> Vec<LedgerProblem> {
    let mut problems = Vec::new();
    let mut expected_prev = ledger_genesis();
    for (index, entry) in entries.iter().enumerate() {
        let problem = |reason: String| LedgerProblem {
            seq: Some(entry.seq),
            ticket: Some(entry.ticket_id.clone()),
            reason,
        };
        let expected_seq = index as i64 + 1;
        if entry.seq != expected_seq {
            problems.push(problem(format!(
                "ledger entry {expected_seq} is missing (the next stored is {})",
                entry.seq
            )));
        } else if entry.prev_hash != expected_prev {
            problems.push(problem(
                "its prev_hash is not the hash of the entry before: an entry was removed or changed".into(),
            ));
        } else if entry.compute_hash() != entry.hash {
            problems.push(problem("its hash does not match its content".into()));
        }
        if !problems.is_empty() {
            // After the first break every later entry fails too; one report says where.
            return problems;
        }
        expected_prev = entry.hash.clone();
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger(n: usize) -> Vec<LedgerEntry> {
        let mut entries: Vec<LedgerEntry> = Vec::new();
        for i in 0..n {
            let next =
                LedgerEntry::after(entries.last(), &format!("t{i}"), &format!("h{i}"), i as i64);
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
        changed[2].first_hash = "forged".into();
        assert_eq!(verify_ledger(&changed)[0].seq, Some(3));
    }
}
