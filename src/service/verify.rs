//! `jiesu verify`: every ticket's hash chain recomputed, the ledger's chain recomputed, and
//! the two cross-checked, so a changed entry, a removed entry and a removed ticket all show.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::ServiceError;
use crate::audit::{LedgerProblem, verify_chain, verify_ledger};
use crate::store::Store;

/// One ticket whose trail does not verify.
#[derive(Debug, Clone, Serialize)]
pub struct BrokenTicket {
    pub ticket: String,
    pub entry: Option<i64>,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    pub tickets: usize,
    pub entries: usize,
    pub broken: Vec<BrokenTicket>,
    pub ledger_entries: usize,
    pub ledger_head: Option<(i64, String)>,
    pub ledger_problems: Vec<LedgerProblem>,
}

impl VerifyReport {
    pub fn valid(&self) -> bool {
        self.broken.is_empty() && self.ledger_problems.is_empty()
    }
}

/// Verifies the whole database. `anchors` are ledger heads recorded earlier (seq, hash):
/// each must still be in the ledger, which is how truncating its tail shows.
pub fn verify_store(
    store: &Store,
    anchors: &[(i64, String)],
) -> Result<VerifyReport, ServiceError> {
    let mut report = VerifyReport::default();
    let tickets = store.first_hashes()?;
    report.tickets = tickets.len();
    for (id, _) in &tickets {
        let entries = store.trail(id)?;
        report.entries += entries.len();
        let status = verify_chain(id, &entries);
        if !status.valid {
            report.broken.push(BrokenTicket {
                ticket: id.clone(),
                entry: status.broken_at,
                reason: status.reason.unwrap_or_default(),
            });
        } else if entries.is_empty() {
            report.broken.push(BrokenTicket {
                ticket: id.clone(),
                entry: None,
                reason: "the ticket has no trail at all".into(),
            });
        }
    }

    let ledger = store.ledger()?;
    report.ledger_entries = ledger.len();
    report.ledger_head = ledger.last().map(|e| (e.seq, e.hash.clone()));
    report.ledger_problems = verify_ledger(&ledger);
    let first_of: BTreeMap<&str, Option<&str>> = tickets
        .iter()
        .map(|(id, first)| (id.as_str(), first.as_deref()))
        .collect();
    let mut ledgered = BTreeSet::new();
    for entry in &ledger {
        ledgered.insert(entry.ticket_id.as_str());
        let problem = |reason: String| LedgerProblem {
            seq: Some(entry.seq),
            ticket: Some(entry.ticket_id.clone()),
            reason,
        };
        match first_of.get(entry.ticket_id.as_str()) {
            None => report.ledger_problems.push(problem(
                "the ledger records this ticket, but it is gone from the database: deleted".into(),
            )),
            Some(first) if *first != Some(entry.first_hash.as_str()) => {
                report.ledger_problems.push(problem(
                    "the ticket's first trail entry is not the one the ledger recorded".into(),
                ));
            }
            Some(_) => {}
        }
    }
    for (id, _) in &tickets {
        if !ledgered.contains(id.as_str()) {
            report.ledger_problems.push(LedgerProblem {
                seq: None,
                ticket: Some(id.clone()),
                reason: "the ticket is not in the ledger: inserted around the server, or its ledger entry was removed".into(),
            });
        }
    }
    for (seq, hash) in anchors {
        let kept = ledger.iter().any(|e| e.seq == *seq && e.hash == *hash);
        if !kept {
            report.ledger_problems.push(LedgerProblem {
                seq: Some(*seq),
                ticket: None,
                reason: format!(
                    "the anchor {seq}:{hash} recorded earlier is no longer in the ledger"
                ),
            });
        }
    }
    Ok(report)
}
