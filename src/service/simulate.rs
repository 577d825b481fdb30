//! `jiesu simulate`: what a candidate policy would change. Stored tickets are re-decided
//! (accept → route → time_limits) by the candidate sets and compared, field by field, with
//! the version serving now (`--against active`) or with what was recorded when each ticket
//! was filed (`--against recorded`). Nothing is written.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::ServiceError;
use super::clocks::declared_clocks;
use super::filing::{Outcome, decide};
use crate::audit::{EntryKind, TrailEntry};
use crate::domain::{Ticket, UnitRef, format_instant};
use crate::policy::{AcceptOutcome, CompiledSet, Hook, Verdict, policy_ticket, verdict_of};
use crate::store::{Store, TicketFilter};

const PAGE: i64 = 2_000;

/// What the candidate is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Against {
    /// The version serving now, re-deciding the same ticket.
    Active,
    /// The decisions recorded in each ticket's trail when it was filed.
    Recorded,
}

/// Everything a filing decides, in a form two decisions can be compared in.
#[derive(Debug, Clone, PartialEq, Default)]
struct Decided {
    status: String,
    rejection: Option<String>,
    redirect: Option<String>,
    lead: Option<String>,
    assist: Vec<String>,
    mode: Option<String>,
    /// `clock@unit` → due.
    clocks: BTreeMap<String, String>,
}

impl Decided {
    fn clocks_of(
        limits: Option<(&crate::policy::TimeLimits, &[String])>,
        lead: Option<&str>,
        assist: &[String],
        offset: chrono::FixedOffset,
    ) -> BTreeMap<String, String> {
        let (Some((limits, cite)), Some(lead)) = (limits, lead) else {
            return BTreeMap::new();
        };
        // Only ids matter to the comparison; names are the set's business.
        let unit = |id: &str| UnitRef {
            id: id.to_owned(),
            name: id.to_owned(),
        };
        let assist: Vec<UnitRef> = assist.iter().map(|a| unit(a)).collect();
        declared_clocks(limits, cite, &unit(lead), &assist, false)
            .into_iter()
            .map(|c| {
                // What meets a clock is decided too: `sign` met by dispatch or not is a change.
                let met_by: Vec<&str> = c.met_by.iter().map(|a| a.as_str()).collect();
                (
                    format!("{}@{}", c.name.as_str(), c.unit),
                    format!(
                        "{} (met by {})",
                        format_instant(c.due.with_timezone(&offset)),
                        met_by.join(", ")
                    ),
                )
            })
            .collect()
    }

    fn of(outcome: &Outcome, offset: chrono::FixedOffset) -> Decided {
        let lead = outcome.lead.as_ref().map(|u| u.id.clone());
        let mut assist: Vec<String> = outcome.assist.iter().map(|u| u.id.clone()).collect();
        assist.sort();
        Decided {
            status: outcome.status.as_str().to_owned(),
            rejection: outcome.rejection.as_ref().map(|r| r.reason.clone()),
            redirect: outcome
                .rejection
                .as_ref()
                .and_then(|r| r.redirect.as_ref())
                .map(|r| serde_json::json!(r).to_string()),
            clocks: Self::clocks_of(
                outcome.limits.as_ref().map(|(l, c)| (l, c.as_slice())),
                lead.as_deref(),
                &assist,
                offset,
            ),
            lead,
            assist,
            mode: outcome.mode.map(|m| m.as_str().to_owned()),
        }
    }

    /// The filing decisions a trail recorded, read with the same contract they were made
    /// under: accept, then route, then time_limits (the first of each).
    fn recorded(trail: &[TrailEntry], offset: chrono::FixedOffset) -> Result<Decided, String> {
        let first = |hook: Hook| {
            trail
                .iter()
                .find(|e| e.kind == EntryKind::Decision && e.hook.as_deref() == Some(hook.name()))
        };
        let accept = first(Hook::Accept).ok_or("the trail records no accept decision")?;
        let mut decided = Decided::default();
        match verdict_of(Hook::Accept, &accept.output)? {
            Verdict::Accept(AcceptOutcome::Rejected { reason, redirect }) => {
                decided.status = "rejected".into();
                decided.rejection = Some(reason);
                decided.redirect = redirect.map(|r| serde_json::json!(r).to_string());
                return Ok(decided);
            }
            Verdict::Accept(AcceptOutcome::Answered { .. }) => {
                decided.status = "answered".into();
                return Ok(decided);
            }
            _ => decided.status = "dispatched".into(),
        }
        let route = first(Hook::Route).ok_or("the trail records no route decision")?;
        if let Verdict::Route(r) = verdict_of(Hook::Route, &route.output)? {
            let mut assist: Vec<String> = Vec::new();
            for id in r.assist {
                if id != r.lead && !assist.contains(&id) {
                    assist.push(id);
                }
            }
            assist.sort();
            decided.lead = Some(r.lead);
            decided.assist = assist;
            decided.mode = Some(r.mode.as_str().to_owned());
        }
        let timing = first(Hook::TimeLimits).ok_or("the trail records no time_limits decision")?;
        if let Verdict::TimeLimits(limits) = verdict_of(Hook::TimeLimits, &timing.output)? {
            decided.clocks = Self::clocks_of(
                Some((&limits, &timing.cite)),
                decided.lead.as_deref(),
                &decided.assist,
                offset,
            );
        }
        Ok(decided)
    }

    /// One line per field that differs, `before → after`.
    fn changes_to(&self, after: &Decided) -> Vec<String> {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let mut changes = Vec::new();
        if self.status != after.status {
            changes.push(format!("status {} → {}", self.status, after.status));
        }
        if self.rejection != after.rejection {
            changes.push(format!(
                "rejection {} → {}",
                show(&self.rejection),
                show(&after.rejection)
            ));
        }
        if self.redirect != after.redirect {
            changes.push(format!(
                "redirect {} → {}",
                show(&self.redirect),
                show(&after.redirect)
            ));
        }
        if self.lead != after.lead {
            changes.push(format!("lead {} → {}", show(&self.lead), show(&after.lead)));
        }
        if self.assist != after.assist {
            changes.push(format!(
                "co-units [{}] → [{}]",
                self.assist.join(", "),
                after.assist.join(", ")
            ));
        }
        if self.mode != after.mode {
            changes.push(format!("mode {} → {}", show(&self.mode), show(&after.mode)));
        }
        let names: std::collections::BTreeSet<&String> =
            self.clocks.keys().chain(after.clocks.keys()).collect();
        for name in names {
            let (before, now) = (self.clocks.get(name), after.clocks.get(name));
            if before != now {
                changes.push(format!(
                    "clock {name} {} → {}",
                    before.map_or("-", String::as_str),
                    now.map_or("-", String::as_str)
                ));
            }
        }
        changes
    }

    /// Which of the compared fields differ, for the per-field totals.
    fn fields_changed(&self, after: &Decided) -> Vec<&'static str> {
        let mut fields = Vec::new();
        for (field, differs) in [
            ("status", self.status != after.status),
            ("rejection", self.rejection != after.rejection),
            ("redirect", self.redirect != after.redirect),
            ("lead", self.lead != after.lead),
            ("co-units", self.assist != after.assist),
            ("mode", self.mode != after.mode),
            ("clocks", self.clocks != after.clocks),
        ] {
            if differs {
                fields.push(field);
            }
        }
        fields
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangedTicket {
    pub ticket: String,
    pub jurisdiction: String,
    pub changes: Vec<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct SimulationReport {
    pub against: Option<Against>,
    pub tickets: usize,
    /// Tickets of jurisdictions the candidate folder has no set for: not re-decided.
    pub skipped: usize,
    pub changed: usize,
    /// Compared field → tickets on which it changed.
    pub fields: BTreeMap<String, usize>,
    pub failed: usize,
    /// Why tickets could not be re-decided: cause → how many, with one ticket for each.
    pub failures: BTreeMap<String, FailureGroup>,
    pub sample: Vec<ChangedTicket>,
    #[serde(skip)]
    pub elapsed: Duration,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct FailureGroup {
    pub tickets: usize,
    pub example: String,
}

/// The sets a simulation decides with: the candidate, and (for `--against active`) the
/// version serving now, both by jurisdiction.
pub struct Simulation<'a> {
    pub candidates: &'a HashMap<String, Arc<CompiledSet>>,
    pub active: Option<&'a HashMap<String, Arc<CompiledSet>>>,
    pub sample: usize,
    pub threads: usize,
    /// Called after each page of tickets with how many were re-decided so far.
    pub progress: &'a (dyn Fn(usize) + Sync),
}

/// The cause a failure is grouped under: its message, which names the file, line and
/// column where the script failed, so one fault is one group.
fn cause_of(message: &str) -> String {
    message.chars().take(300).collect()
}

impl Simulation<'_> {
    /// `Ok(None)`: the candidate folder has no set for the ticket's jurisdiction (skipped).
    #[allow(clippy::type_complexity, reason = "one private call site")]
    fn one(
        &self,
        store: &Store,
        row: &Ticket,
    ) -> Result<Option<Vec<(String, Vec<&'static str>)>>, String> {
        let Some(candidate) = self.candidates.get(&row.jurisdiction) else {
            return Ok(None);
        };
        let filed = row.as_filed();
        // Each set sees the ticket in its own timezone, as at filing.
        let decide_with = |set: &CompiledSet| {
            let offset = set.manifest().offset;
            let ticket = policy_ticket(&row.id, &filed, row.received_at.with_timezone(&offset));
            decide(set, &ticket)
                .map(|(_, outcome)| Decided::of(&outcome, offset))
                .map_err(|e| e.to_string())
        };
        let offset = candidate.manifest().offset;
        let after = decide_with(candidate).map_err(|e| format!("candidate: {e}"))?;
        let before = match self.active {
            Some(active) => {
                let set = active
                    .get(&row.jurisdiction)
                    .ok_or_else(|| format!("no active set for `{}`", row.jurisdiction))?;
                decide_with(set).map_err(|e| format!("active: {e}"))?
            }
            None => {
                let trail = store.trail(&row.id).map_err(|e| e.to_string())?;
                Decided::recorded(&trail, offset).map_err(|e| format!("recorded: {e}"))?
            }
        };
        let fields = before.fields_changed(&after);
        Ok(Some(
            before
                .changes_to(&after)
                .into_iter()
                .map(|c| (c, fields.clone()))
                .collect(),
        ))
    }

    /// Re-decides every stored ticket matching `filter`.
    pub fn run(
        &self,
        store: &Store,
        mut filter: TicketFilter,
    ) -> Result<SimulationReport, ServiceError> {
        let started = Instant::now();
        let report = Mutex::new(SimulationReport {
            against: Some(if self.active.is_some() {
                Against::Active
            } else {
                Against::Recorded
            }),
            ..SimulationReport::default()
        });
        filter.limit = PAGE;
        loop {
            let page = store.tickets(&filter)?;
            let Some(last) = page.last() else { break };
            filter.after = Some(last.id.clone());
            let chunk = page.len().div_ceil(self.threads.max(1));
            std::thread::scope(|s| {
                for rows in page.chunks(chunk.max(1)) {
                    let report = &report;
                    crate::policy::stack::spawn_scoped(s, "jiesu-simulate", move || {
                        for row in rows {
                            let result = self.one(store, row);
                            let mut report = report
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner);
                            if !matches!(result, Ok(None)) {
                                report.tickets += 1;
                            }
                            match result {
                                Ok(None) => {
                                    report.skipped += 1;
                                    continue;
                                }
                                Ok(Some(changes)) if changes.is_empty() => {}
                                Ok(Some(changes)) => {
                                    report.changed += 1;
                                    if let Some((_, fields)) = changes.first() {
                                        for field in fields {
                                            *report
                                                .fields
                                                .entry((*field).to_owned())
                                                .or_default() += 1;
                                        }
                                    }
                                    if report.sample.len() < self.sample {
                                        report.sample.push(ChangedTicket {
                                            ticket: row.id.clone(),
                                            jurisdiction: row.jurisdiction.clone(),
                                            changes: changes.into_iter().map(|(c, _)| c).collect(),
                                        });
                                    }
                                }
                                Err(message) => {
                                    report.failed += 1;
                                    let group =
                                        report.failures.entry(cause_of(&message)).or_default();
                                    group.tickets += 1;
                                    if group.example.is_empty() {
                                        group.example = row.id.clone();
                                    }
                                    tracing::warn!(ticket = %row.id, %message, "could not re-decide");
                                }
                            }
                        }
                    });
                }
            });
            let done = report
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .tickets;
            (self.progress)(done);
        }
        let mut report = report
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        report.elapsed = started.elapsed();
        Ok(report)
    }
}
