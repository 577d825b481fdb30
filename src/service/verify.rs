//! `jiesu verify`: every ticket's hash chain recomputed, the ledger's chain and signatures
//! checked, and the two cross-checked: every trail entry the ledger vouches for is still the
//! one it recorded, no entry stands outside the ledger, and every row a trail explains
//! (ticket, clocks, notifications, keys) is what the last write left. A changed, removed,
//! reordered or appended entry, a removed ticket and a row edited around the server all show,
//! each by name.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ServiceError;
use crate::audit::{
    ChainStatus, LedgerEntry, LedgerProblem, Subject, TrailEntry, Verifier, ledger_genesis,
    link_problem, verify_chain,
};
use crate::store::{CurrentState, Evidence, Store};

/// One ticket (or stored policy version) that does not verify, and why.
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
    pub policy_versions: usize,
    pub broken: Vec<BrokenTicket>,
    pub ledger_entries: usize,
    pub ledger_head: Option<(i64, String)>,
    /// Entries whose signature was checked against the given public keys.
    pub signatures_checked: usize,
    pub ledger_problems: Vec<LedgerProblem>,
    /// Triggers, views, tables or indexes the migrations did not make, and the like.
    pub schema_problems: Vec<String>,
}

impl VerifyReport {
    pub fn valid(&self) -> bool {
        self.broken.is_empty() && self.ledger_problems.is_empty() && self.schema_problems.is_empty()
    }
}

/// What the ledger says of one subject: every trail entry it vouched for, and the state
/// its last write left.
#[derive(Debug, Clone, Default)]
pub struct Vouched {
    /// `(ledger seq, trail seq, trail hash)`, in ledger order.
    pub entries: Vec<(i64, i64, String)>,
    /// The last format-2 entry's `(ledger seq, state)`.
    pub state: Option<(i64, String)>,
}

impl Vouched {
    fn record(&mut self, entry: &LedgerEntry) {
        self.entries
            .push((entry.seq, entry.trail_seq, entry.trail_hash.clone()));
        if let Some(state) = &entry.state {
            self.state = Some((entry.seq, state.clone()));
        }
    }
}

/// What is wrong with one ticket: its chain, then the ledger's view of it, then its rows.
pub fn ticket_problems(
    id: &str,
    trail: &[TrailEntry],
    secret: Option<&[u8]>,
    vouched: Option<&Vouched>,
    rows: &CurrentState,
) -> Vec<BrokenTicket> {
    let broken = |entry: Option<i64>, reason: String| BrokenTicket {
        ticket: id.to_owned(),
        entry,
        reason,
    };
    let mut problems = Vec::new();
    let chain = verify_chain(id, trail, secret);
    if !chain.valid {
        problems.push(broken(chain.broken_at, chain.reason.unwrap_or_default()));
    }
    let Some(vouched) = vouched.filter(|v| !v.entries.is_empty()) else {
        problems.push(broken(
            None,
            "the ticket is in no ledger entry: inserted around the server, or its ledger entries were removed".into(),
        ));
        return problems;
    };
    for (seq, trail_seq, trail_hash) in &vouched.entries {
        let Ok(index) = usize::try_from(trail_seq - 1) else {
            continue;
        };
        match trail.get(index) {
            None => problems.push(broken(
                Some(*trail_seq),
                format!(
                    "ledger entry {seq} vouches for trail entry {trail_seq}, which is gone: the trail was truncated to {} entr(ies)",
                    trail.len()
                ),
            )),
            Some(entry) if entry.hash != *trail_hash => problems.push(broken(
                Some(*trail_seq),
                format!("trail entry {trail_seq} is not the one ledger entry {seq} recorded: rewritten and re-sealed"),
            )),
            Some(_) => {}
        }
    }
    let last = vouched
        .entries
        .iter()
        .map(|(_, s, _)| *s)
        .max()
        .unwrap_or(0);
    if (trail.len() as i64) > last {
        problems.push(broken(
            Some(last + 1),
            format!(
                "trail entries {} to {} are in no ledger entry: appended around the server",
                last + 1,
                trail.len()
            ),
        ));
    }
    if let Some((seq, state)) = &vouched.state {
        problems.extend(
            row_problems(*seq, state, &rows.rows)
                .into_iter()
                .map(|reason| broken(None, reason)),
        );
    }
    problems
}

/// Rows that differ from the digests ledger entry `seq` recorded, by name.
fn row_problems(seq: i64, recorded: &str, rows: &BTreeMap<String, String>) -> Vec<String> {
    let Ok(expected) = serde_json::from_str::<BTreeMap<String, String>>(recorded) else {
        return vec![format!("ledger entry {seq} holds no readable row digests")];
    };
    let mut problems = Vec::new();
    for (row, digest) in &expected {
        match rows.get(row) {
            None => problems.push(format!(
                "row `{row}` is gone: deleted around the server after ledger entry {seq}"
            )),
            Some(now) if now != digest => problems.push(format!(
                "row `{row}` is not what the last write (ledger entry {seq}) left: edited around the server"
            )),
            Some(_) => {}
        }
    }
    for row in rows.keys().filter(|r| !expected.contains_key(*r)) {
        problems.push(format!(
            "row `{row}` is in no write the ledger recorded: inserted around the server"
        ));
    }
    problems
}

/// The integrity of one ticket, as its trail view shows it: its chain, and the ledger's
/// entries about it against its trail and rows. The ledger's own chain and signatures are
/// `jiesu verify`'s to check: they span every ticket.
pub fn ticket_integrity(id: &str, evidence: &Evidence, verifier: Option<&Verifier>) -> ChainStatus {
    let trail = &evidence.trail;
    let mut vouched = Vouched::default();
    for entry in &evidence.ledger {
        vouched.record(entry);
    }
    let mut problems: Vec<BrokenTicket> = evidence
        .ledger
        .iter()
        .filter_map(|entry| {
            ledger_entry_problem(entry, evidence.successors.get(&entry.seq), verifier)
        })
        .map(|reason| BrokenTicket {
            ticket: id.to_owned(),
            entry: None,
            reason,
        })
        .collect();
    problems.extend(ticket_problems(
        id,
        trail,
        evidence.secret.as_deref(),
        Some(&vouched),
        &evidence.rows,
    ));
    match problems.into_iter().next() {
        None => ChainStatus {
            valid: !trail.is_empty(),
            entries: trail.len(),
            broken_at: None,
            reason: trail
                .is_empty()
                .then(|| "the ticket has no trail".to_owned()),
        },
        Some(first) => ChainStatus {
            valid: false,
            entries: trail.len(),
            broken_at: first.entry,
            reason: Some(first.reason),
        },
    }
}

/// What is wrong with one of a ticket's ledger entries on its own: its hash, its link to
/// the entry after it, its signature (with the server's key).
fn ledger_entry_problem(
    entry: &LedgerEntry,
    successor_prev: Option<&String>,
    verifier: Option<&Verifier>,
) -> Option<String> {
    if entry.compute_hash() != entry.hash {
        return Some(format!(
            "ledger entry {} does not match its hash: edited",
            entry.seq
        ));
    }
    if successor_prev.is_some_and(|prev| *prev != entry.hash) {
        return Some(format!(
            "ledger entry {} is not the one the entry after it chains to: re-sealed",
            entry.seq
        ));
    }
    let verifier = verifier?;
    match (&entry.key_id, &entry.signature) {
        (Some(key), Some(signature)) => verifier
            .check(key, &entry.hash, signature)
            .err()
            .map(|reason| format!("ledger entry {}: {reason}", entry.seq)),
        // Entries written before the server had its key are unsigned; whether signing ever
        // stopped is the whole ledger's question (`jiesu verify`).
        _ => None,
    }
}

/// How many ledger entries are read at a time.
const LEDGER_PAGE: i64 = 10_000;

/// Checks the ledger's chain page by page and, with `verifier`, each entry's signature;
/// returns what it vouches for, by subject.
fn walk_ledger(
    store: &Store,
    verifier: &Verifier,
    report: &mut VerifyReport,
) -> Result<BTreeMap<(Subject, String), Vouched>, ServiceError> {
    let mut vouched: BTreeMap<(Subject, String), Vouched> = BTreeMap::new();
    let mut expected_prev = ledger_genesis();
    let mut after = 0;
    let mut chain_broken = false;
    let mut signing_began: Option<i64> = None;
    // Only a head whose own signature checks out vouches for the chain behind it.
    let mut head_verified = false;
    let mut last: Option<LedgerEntry> = None;
    loop {
        let page = store.ledger_page(after, LEDGER_PAGE)?;
        let Some(tail) = page.last() else { break };
        after = tail.seq;
        for entry in page {
            report.ledger_entries += 1;
            let problem = |reason: String| LedgerProblem {
                seq: Some(entry.seq),
                ticket: Some(entry.subject.clone()),
                reason,
            };
            if !chain_broken {
                let reason = link_problem(&entry, report.ledger_entries as i64, &expected_prev);
                if let Some(reason) = reason {
                    // After the first break every later link fails too; one report says where.
                    report.ledger_problems.push(problem(reason));
                    chain_broken = true;
                }
            }
            expected_prev.clone_from(&entry.hash);
            if !verifier.is_empty() {
                head_verified = false;
                match (&entry.key_id, &entry.signature) {
                    (Some(key), Some(signature)) => {
                        signing_began.get_or_insert(entry.seq);
                        report.signatures_checked += 1;
                        match verifier.check(key, &entry.hash, signature) {
                            Ok(()) => head_verified = true,
                            Err(reason) => report.ledger_problems.push(problem(reason)),
                        }
                    }
                    (None, None) if signing_began.is_none() => {}
                    (None, None) => report.ledger_problems.push(problem(
                        "it is unsigned, though entries before it are signed: written without the key".into(),
                    )),
                    _ => report.ledger_problems.push(problem(
                        "it carries half a signature (a key id without a signature, or a signature without a key id): edited".into(),
                    )),
                }
            }
            vouched
                .entry((entry.kind, entry.subject.clone()))
                .or_default()
                .record(&entry);
            last = Some(entry);
        }
    }
    report.ledger_head = last.as_ref().map(|e| (e.seq, e.hash.clone()));
    if !verifier.is_empty()
        && let Some(head) = &last
        && !head_verified
    {
        report.ledger_problems.push(LedgerProblem {
            seq: Some(head.seq),
            ticket: Some(head.subject.clone()),
            reason: "the ledger's head is not signed by any given key: the ledger was re-sealed or extended without the key".into(),
        });
    }
    Ok(vouched)
}

/// Verifies the whole database. `anchors` are ledger heads recorded earlier (seq, hash):
/// each must still be in the ledger, which is how truncating its tail shows. With public
/// keys in `verifier`, every signed entry's signature is checked and the head must be signed.
pub fn verify_store(
    store: &Store,
    anchors: &[(i64, String)],
    verifier: &Verifier,
) -> Result<VerifyReport, ServiceError> {
    let mut report = VerifyReport {
        schema_problems: store.schema_differences()?,
        ..VerifyReport::default()
    };
    let mut vouched = walk_ledger(store, verifier, &mut report)?;

    let ids = store.ticket_ids()?;
    report.tickets = ids.len();
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = ids.len().div_ceil(workers).max(1);
    let results: Vec<Result<(usize, Vec<BrokenTicket>), ServiceError>> = std::thread::scope(|s| {
        let handles: Vec<_> = ids
            .chunks(chunk)
            .map(|share| {
                s.spawn(move || {
                    let mut entries = 0;
                    let mut broken = Vec::new();
                    for id in share {
                        // One transaction per ticket, its ledger entries included: a server
                        // writing while verify runs cannot make a healthy ticket look edited.
                        let evidence = store.ticket_evidence(id)?;
                        entries += evidence.trail.len();
                        let mut mine = Vouched::default();
                        for entry in &evidence.ledger {
                            mine.record(entry);
                        }
                        broken.extend(ticket_problems(
                            id,
                            &evidence.trail,
                            evidence.secret.as_deref(),
                            Some(&mine),
                            &evidence.rows,
                        ));
                    }
                    Ok((entries, broken))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(ServiceError::Internal("a verify worker failed".into()))
                })
            })
            .collect()
    });
    for result in results {
        let (entries, broken) = result?;
        report.entries += entries;
        report.broken.extend(broken);
    }
    for id in &ids {
        vouched.remove(&(Subject::Ticket, id.clone()));
    }

    let policies = store.policy_states()?;
    report.policy_versions = policies.len();
    for (subject, current) in &policies {
        let broken = |reason: String| BrokenTicket {
            ticket: format!("policy {subject}"),
            entry: None,
            reason,
        };
        match vouched.remove(&(Subject::Policy, subject.clone())) {
            None => report.broken.push(broken(
                "the stored policy version is in no ledger entry: inserted around the server"
                    .into(),
            )),
            Some(v) => {
                if v.entries.last().map(|(_, _, h)| h) != current.sources_hash.as_ref() {
                    report.broken.push(broken(
                        "its stored sources are not the ones the ledger recorded: edited around the server".into(),
                    ));
                }
                if let Some((seq, state)) = &v.state {
                    report.broken.extend(
                        row_problems(*seq, state, &current.rows)
                            .into_iter()
                            .map(broken),
                    );
                }
            }
        }
    }
    for ((kind, subject), v) in vouched {
        report.ledger_problems.push(LedgerProblem {
            seq: v.entries.first().map(|(seq, _, _)| *seq),
            ticket: Some(subject),
            reason: match kind {
                Subject::Ticket => "the ledger records this ticket, but it is gone from the database: deleted".into(),
                Subject::Policy => "the ledger records this policy version, but it is gone from the database: deleted".into(),
            },
        });
    }
    for (table, ticket) in store.orphaned_ticket_ids()? {
        report.broken.push(BrokenTicket {
            ticket,
            entry: None,
            reason: format!(
                "rows of `{table}` name this ticket, which is gone from `tickets`: deleted"
            ),
        });
    }
    for (seq, hash) in anchors {
        let kept = store
            .ledger_page(seq - 1, 1)?
            .first()
            .is_some_and(|e| e.seq == *seq && e.hash == *hash);
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
