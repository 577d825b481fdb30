//! `jiesu simulate`: what a candidate policy would change. Stored tickets are re-decided
//! (accept → route → time_limits) by the candidate sets and compared with the decisions
//! recorded when they were filed. Nothing is written.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

use super::ServiceError;
use super::filing::decide;
use crate::audit::EntryKind;
use crate::domain::Ticket;
use crate::policy::{CompiledSet, policy_ticket};
use crate::store::{Store, StoreError, TicketFilter};

const PAGE: i64 = 2_000;

#[derive(Debug, Clone, Serialize)]
pub struct ChangedTicket {
    pub ticket: String,
    pub jurisdiction: String,
    pub changes: Vec<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct SimulationReport {
    pub tickets: usize,
    /// `hook: what happened` → how many tickets, e.g. `route: changed` → 12.
    pub outcomes: BTreeMap<String, usize>,
    pub changed: usize,
    pub failed: usize,
    pub sample: Vec<ChangedTicket>,
    #[serde(skip)]
    pub elapsed: Duration,
}

/// What was decided at filing, from the trail.
struct Recorded {
    accept: Option<String>,
    lead: Option<String>,
    deadlines: Value,
}

fn recorded(store: &Store, id: &str) -> Result<Recorded, StoreError> {
    let mut found = Recorded {
        accept: None,
        lead: None,
        deadlines: json!({}),
    };
    let mut seen = std::collections::HashSet::new();
    for entry in store.trail(id)? {
        let Some(hook) = entry
            .hook
            .as_deref()
            .filter(|_| entry.kind == EntryKind::Decision)
        else {
            continue;
        };
        if !seen.insert(hook.to_owned()) {
            continue;
        }
        match hook {
            "accept" => found.accept = entry.outcome.clone(),
            "route" => found.lead = entry.output["lead"].as_str().map(str::to_owned),
            "time_limits" => found.deadlines = entry.output["deadlines"].clone(),
            _ => {}
        }
    }
    Ok(found)
}

/// Re-decides one ticket; returns the per-hook outcome keys and the changes found.
fn simulate_one(
    store: &Store,
    set: &CompiledSet,
    row: &Ticket,
) -> Result<(Vec<String>, Vec<String>), String> {
    let offset = set.manifest().offset;
    let filed = row.as_filed();
    let ticket = policy_ticket(&row.id, &filed, row.received_at.with_timezone(&offset));
    let (_, outcome) = decide(set, &ticket).map_err(|e| e.to_string())?;
    let before = recorded(store, &row.id).map_err(|e| e.to_string())?;
    let accept_now = match outcome.status.as_str() {
        "rejected" => "rejected",
        "answered" => "answered",
        _ => "accepted",
    };
    let accept_before = before.accept.as_deref().unwrap_or("-");
    let mut keys = vec![format!("accept: {accept_before} → {accept_now}")];
    let mut changes = Vec::new();
    if accept_before != accept_now {
        changes.push(format!("accept {accept_before} → {accept_now}"));
    }
    let lead_now = outcome.lead.as_ref().map(|u| u.id.as_str());
    if before.lead.as_deref() == lead_now {
        keys.push("route: unchanged".into());
    } else {
        keys.push("route: changed".into());
        changes.push(format!(
            "lead {} → {}",
            before.lead.as_deref().unwrap_or("-"),
            lead_now.unwrap_or("-")
        ));
    }
    let deadlines_now = json!(outcome.deadlines);
    if before.deadlines == deadlines_now {
        keys.push("time_limits: unchanged".into());
    } else {
        keys.push("time_limits: changed".into());
        changes.push(format!(
            "deadlines {} → {}",
            before.deadlines, deadlines_now
        ));
    }
    Ok((keys, changes))
}

/// Re-decides every stored ticket matching `filter` with `candidates` (by jurisdiction), on
/// `threads` threads; keeps the first `sample` changed tickets.
pub fn simulate(
    store: &Store,
    candidates: &HashMap<String, Arc<CompiledSet>>,
    mut filter: TicketFilter,
    threads: usize,
    sample: usize,
) -> Result<SimulationReport, ServiceError> {
    let started = Instant::now();
    let report = Mutex::new(SimulationReport::default());
    filter.limit = PAGE;
    loop {
        let page = store.tickets(&filter)?;
        let Some(last) = page.last() else { break };
        filter.after = Some(last.id.clone());
        let chunk = page.len().div_ceil(threads.max(1));
        std::thread::scope(|s| {
            for rows in page.chunks(chunk.max(1)) {
                let report = &report;
                s.spawn(move || {
                    for row in rows {
                        let result = candidates
                            .get(&row.jurisdiction)
                            .ok_or_else(|| format!("no candidate set for `{}`", row.jurisdiction))
                            .and_then(|set| simulate_one(store, set, row));
                        let mut report = report
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                        report.tickets += 1;
                        match result {
                            Ok((keys, changes)) => {
                                for key in keys {
                                    *report.outcomes.entry(key).or_default() += 1;
                                }
                                if !changes.is_empty() {
                                    report.changed += 1;
                                    if report.sample.len() < sample {
                                        report.sample.push(ChangedTicket {
                                            ticket: row.id.clone(),
                                            jurisdiction: row.jurisdiction.clone(),
                                            changes,
                                        });
                                    }
                                }
                            }
                            Err(message) => {
                                report.failed += 1;
                                tracing::warn!(ticket = %row.id, %message, "could not re-decide");
                            }
                        }
                    }
                });
            }
        });
    }
    let mut report = report
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    report.elapsed = started.elapsed();
    Ok(report)
}
