//! The deadline sweep: every clock whose next look has come is shown to the policy's
//! `on_overdue` with what already fired on it; what the policy returns fires exactly once.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use super::clocks::{action_history, policy_view};
use super::filing::decision_entry;
use super::outbox::fired_by;
use super::{Service, ServiceError};
use crate::domain::{
    Action, Clock, ClockState, DeadlineName, Principal, Status, Ticket, UnitRef, format_instant,
    from_micros, to_micros,
};
use crate::policy::{CompiledSet, Decision, Hook, Overdue, Verdict};
use crate::store::{Guard, TicketWrite};

/// Clocks read per query; the sweep repeats until none is due.
const BATCH: i64 = 512;
/// The most clocks one sweep handles. Clocks keep becoming due while it runs (backdated
/// filings are due at once); without a bound, a sweep under such inflow would never end.
/// What is left waits for the next sweep.
const MAX_PER_SWEEP: usize = 20_000;
/// Threads one sweep decides on at most (reads and decisions run in parallel; writes queue
/// on the store's writer).
const SWEEP_WORKERS: usize = 4;
/// A clock whose `on_overdue` failed is looked at again after this long.
const RETRY_AFTER_FAILURE: Duration = Duration::minutes(15);

#[derive(Debug, Clone, Serialize)]
pub struct FiredAction {
    pub kind: String,
    pub to: Option<UnitRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    pub cite: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FiredClock {
    pub ticket: String,
    pub clock: String,
    pub unit: String,
    pub actions: Vec<FiredAction>,
    /// What the passing of the clock stood for (PY-ops-7.2: `sign`, acceptance assumed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assumed: Option<&'static str>,
}

/// What looking at one clock came to, before it is written: the write, and what it fires
/// once the write applies.
struct Planned {
    write: TicketWrite,
    fired: Option<(FiredClock, Decision)>,
}

fn fired_actions(set: &CompiledSet, decision: &Decision) -> Vec<FiredAction> {
    decision
        .actions
        .iter()
        .map(|a| FiredAction {
            kind: a.kind.as_str().to_owned(),
            to: a
                .to
                .as_deref()
                .and_then(|id| set.unit(id))
                .map(|u| u.to_ref()),
            channel: a.channel.clone(),
            cite: decision.cite.clone(),
        })
        .collect()
}

impl Service {
    /// Sweeps every served jurisdiction's clocks as of `now`; returns what fired.
    pub fn sweep(&self, now: DateTime<Utc>) -> Result<Vec<FiredClock>, ServiceError> {
        self.sweep_within(now, None)
    }

    /// The sweep a caller asks for: only the jurisdictions its token covers (an admin token
    /// scoped to one county fires no other county's clocks).
    pub fn sweep_for(
        &self,
        principal: &crate::domain::Principal,
        now: DateTime<Utc>,
    ) -> Result<Vec<FiredClock>, ServiceError> {
        self.sweep_within(now, principal.jurisdictions.as_ref())
    }

    /// The jurisdictions served now, within `scope`.
    fn sweepable(&self, scope: Option<&std::collections::BTreeSet<String>>) -> Vec<String> {
        self.registry
            .active()
            .iter()
            .map(|s| s.id().to_owned())
            .filter(|id| scope.is_none_or(|js| js.contains(id)))
            .collect()
    }

    /// What a sweep as of `now` would fire within `scope`, deciding every due clock and
    /// writing nothing (`sweep --dry-run`).
    #[tracing::instrument(name = "sweep_preview", skip(self, scope))]
    pub fn sweep_preview(
        &self,
        now: DateTime<Utc>,
        scope: Option<&std::collections::BTreeSet<String>>,
    ) -> Result<Vec<FiredClock>, ServiceError> {
        let served = self.sweepable(scope);
        let due = self
            .store
            .due_deadlines(to_micros(now), &served, MAX_PER_SWEEP as i64)?;
        let mut fired = Vec::new();
        for (ticket, clock) in due {
            let planned = self.plan_clock(&ticket, clock, now)?;
            if let Some((done, _)) = planned.and_then(|p| p.fired)
                && (!done.actions.is_empty() || done.assumed.is_some())
            {
                fired.push(done);
            }
        }
        Ok(fired)
    }

    #[tracing::instrument(name = "sweep", skip(self, scope))]
    fn sweep_within(
        &self,
        now: DateTime<Utc>,
        scope: Option<&std::collections::BTreeSet<String>>,
    ) -> Result<Vec<FiredClock>, ServiceError> {
        let now_us = to_micros(now);
        let served = self.sweepable(scope);
        let mut fired = Vec::new();
        let mut looked = 0usize;
        while looked < MAX_PER_SWEEP {
            let due = self.store.due_deadlines(now_us, &served, BATCH)?;
            if due.is_empty() {
                break;
            }
            looked += due.len();
            for done in self.sweep_batch(due, now)?.into_iter().flatten() {
                if !done.actions.is_empty() || done.assumed.is_some() {
                    fired.push(done);
                }
            }
        }
        if looked >= MAX_PER_SWEEP {
            tracing::warn!(
                looked,
                "sweep stopped at its bound; the next sweep continues"
            );
        }
        tracing::info!(looked, fired = fired.len(), "sweep done");
        Ok(fired)
    }

    /// Decides a batch of due clocks on every core, then writes them all in one
    /// transaction (each write in a savepoint, under its own guard): the clocks another
    /// sweeper got to first fire nothing here. Results keep the batch's order.
    fn sweep_batch(
        &self,
        due: Vec<(String, Clock)>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<FiredClock>>, ServiceError> {
        let workers = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, SWEEP_WORKERS);
        let planned: Vec<Option<Planned>> = if workers == 1 || due.len() < 2 * workers {
            due.into_iter()
                .map(|(ticket, clock)| self.plan_clock(&ticket, clock, now))
                .collect::<Result<_, _>>()?
        } else {
            let per_worker = due.len().div_ceil(workers);
            let parent = tracing::Span::current();
            let chunks: Vec<Result<Vec<Option<Planned>>, ServiceError>> = std::thread::scope(|s| {
                let handles: Vec<_> = due
                    .chunks(per_worker)
                    .map(|chunk| {
                        let parent = parent.clone();
                        crate::policy::stack::spawn_scoped(s, "jiesu-sweep", move || {
                            let _span = parent.enter();
                            chunk
                                .iter()
                                .map(|(ticket, clock)| self.plan_clock(ticket, clock.clone(), now))
                                .collect()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| {
                            Err(ServiceError::Internal("a sweep worker panicked".into()))
                        })
                    })
                    .collect()
            });
            let mut planned = Vec::with_capacity(due.len());
            for chunk in chunks {
                planned.extend(chunk?);
            }
            planned
        };
        let (writes, fired): (Vec<TicketWrite>, Vec<Option<(FiredClock, Decision)>>) = planned
            .into_iter()
            .flatten()
            .map(|p| (p.write, p.fired))
            .unzip();
        let applied = self.store.apply_all(writes, to_micros(now))?;
        let mut results = Vec::with_capacity(fired.len());
        for (outcome, fired) in applied.into_iter().zip(fired) {
            match outcome {
                Ok(Some(_)) => {
                    let Some((fired, decision)) = fired else {
                        results.push(None);
                        continue;
                    };
                    self.metrics.decided(std::slice::from_ref(&decision));
                    for action in &fired.actions {
                        self.metrics.fired(&action.kind);
                    }
                    results.push(Some(fired));
                }
                // Another sweeper got there first: it fired, this one does not.
                Ok(None) => results.push(None),
                Err(e) => {
                    tracing::error!(error = %e, "a swept clock could not be written; it stays due");
                    results.push(None);
                }
            }
        }
        Ok(results)
    }

    /// Looks at one due clock: reads its ticket, asks `on_overdue`, and plans the write.
    fn plan_clock(
        &self,
        ticket_id: &str,
        clock: Clock,
        now: DateTime<Utc>,
    ) -> Result<Option<Planned>, ServiceError> {
        let now_us = to_micros(now);
        let Some(was) = clock.next_sweep_at.map(to_micros) else {
            return Ok(None);
        };
        let write = |jurisdiction: &str, clock: Clock| TicketWrite {
            ticket_id: ticket_id.to_owned(),
            jurisdiction: jurisdiction.to_owned(),
            guard: Guard::Sweep {
                clock,
                was,
                revision: None,
            },
            ticket: None,
            deadlines: vec![],
            clocks_after: vec![],
            trail: vec![],
            notifications: vec![],
            action_key: None,
        };
        let only = |write: TicketWrite| Ok(Some(Planned { write, fired: None }));
        let unwatched = Clock {
            next_sweep_at: None,
            ..clock.clone()
        };
        let Some(ticket) = self.store.ticket(ticket_id)? else {
            return only(write("", unwatched));
        };
        let status = ticket.status;
        if !status.is_open() {
            return only(write(&ticket.jurisdiction, unwatched));
        }
        let retry_later = || {
            let later = Clock {
                next_sweep_at: Some(now + RETRY_AFTER_FAILURE),
                ..clock.clone()
            };
            only(write(&ticket.jurisdiction, later))
        };
        // A set that stopped serving mid-sweep puts this clock off; the sweep goes on.
        let set = match self.served_set(&ticket.jurisdiction) {
            Ok(set) => set,
            Err(e) => {
                tracing::warn!(ticket = %ticket_id, error = %e, "no policy to sweep with; retrying later");
                return retry_later();
            }
        };
        let offset = set.manifest().offset;
        let instant = |us: i64| from_micros(us, offset).map(format_instant);
        let passed = now >= clock.due;
        // The ladder is the current round's: what fired on this clock before a re-dispatch or
        // a reopening judged the round that ended, and a new round starts from the first rung.
        let round_start = to_micros(ticket.dispatched_at.unwrap_or(ticket.received_at.to_utc()));
        let history: Vec<Value> = self
            .store
            .fired(ticket_id, clock.name.as_str(), &clock.unit, round_start)?
            .into_iter()
            .map(|n| {
                json!({"kind": n.kind, "to": n.to_unit_id, "channel": n.channel,
                       "at": instant(n.created_at), "cite": serde_json::from_str::<Value>(&n.cite).unwrap_or(Value::Null)})
            })
            .collect();
        let clocks = self.store.deadlines(ticket_id)?;
        let mut view = policy_view(&ticket, &clocks);
        view["actions"] = action_history(
            &self.store.events(std::slice::from_ref(&ticket.id))?,
            offset,
        );
        let clock_json = json!({"name": clock.name.as_str(), "unit": clock.unit,
                                "due": instant(to_micros(clock.due)), "now": instant(now_us),
                                "passed": passed, "state": clock.state.as_str(),
                                "rounds": clock.rounds, "cite": clock.cite});

        let decided = set.decide(Hook::OnOverdue, &[view, clock_json, Value::Array(history)]);
        let decision = match decided {
            Ok(decision) => decision,
            Err(e) => {
                tracing::error!(ticket = %ticket_id, clock = clock.name.as_str(), error = %e, "on_overdue failed; retrying later");
                return retry_later();
            }
        };
        let overdue = match &decision.verdict {
            Verdict::Overdue(o) => o.clone(),
            _ => Overdue::default(),
        };
        // A pre-deadline look comes back at the deadline unless the policy says otherwise;
        // a `next` not after `now` would spin, so it ends the watch instead.
        let next = match (overdue.next.map(|n| n.with_timezone(&Utc)), passed) {
            (Some(n), _) if n > now => Some(n),
            (Some(_), _) => None,
            (None, false) => Some(clock.due),
            (None, true) => None,
        };
        let actions = fired_actions(&set, &decision);
        // PY-ops-7.2 逾期视为默认接受: a passed sign clock can stand for the sign itself.
        let assumed = (overdue.assume == Some(Action::Sign)
            && clock.name == DeadlineName::Sign
            && passed
            && status == Status::Dispatched
            && ticket.lead_id() == Some(clock.unit.as_str()))
        .then_some(Action::Sign);
        let swept = Clock {
            state: if passed {
                ClockState::Missed
            } else {
                ClockState::Warned
            },
            next_sweep_at: if assumed.is_some() { None } else { next },
            rounds: clock.rounds + i64::from(!actions.is_empty()),
            ..clock.clone()
        };
        let mut trail = vec![decision_entry(ticket_id, now_us, &decision)];
        let mut update = None;
        if let Some(action) = assumed {
            update = Some(Ticket {
                status: Status::Signed,
                updated_at: now,
                ..ticket.clone()
            });
            trail.push(crate::audit::TrailEntry {
                ticket_id: ticket_id.to_owned(),
                seq: 0,
                at: now_us,
                kind: crate::audit::EntryKind::Event,
                actor: format!("sweep:{}", set.id()),
                hook: None,
                outcome: Some(action.as_str().to_owned()),
                policy_id: Some(set.id().to_owned()),
                policy_version: Some(set.version().to_owned()),
                input: json!({"action": action.as_str(), "unit": clock.unit, "assumed": true,
                              "at": instant(now_us)}),
                output: json!({"outcome": "allowed", "from": Status::Dispatched.as_str(),
                               "to": Status::Signed.as_str(), "lead": ticket.lead_id(),
                               "part": "lead", "assumed": true, "reasons": []}),
                cite: decision.cite.clone(),
                notes: vec!["acceptance assumed when the signing window passed".into()],
                duration_us: None,
                prev_hash: String::new(),
                hash: String::new(),
                format: crate::audit::TRAIL_FORMAT,
            });
        }
        let notifications = fired_by(
            &set,
            ticket_id,
            &decision,
            0,
            Some((clock.name.as_str(), clock.unit.as_str())),
            now_us,
        );
        let mut write = write(&ticket.jurisdiction, swept.clone());
        if update.is_some() {
            write.clocks_after = clocks
                .iter()
                .map(|c| {
                    if c.name == swept.name && c.unit == swept.unit {
                        swept.clone()
                    } else {
                        c.clone()
                    }
                })
                .collect();
        }
        if update.is_some() {
            // The assumed sign rewrites the ticket: only if nobody acted since it was read.
            write.guard = Guard::Sweep {
                clock: swept.clone(),
                was,
                revision: Some(ticket.revision),
            };
        }
        write.ticket = update;
        write.trail = trail;
        write.notifications = notifications;
        let fired = FiredClock {
            ticket: ticket_id.to_owned(),
            clock: clock.name.as_str().to_owned(),
            unit: clock.unit.clone(),
            actions,
            assumed: assumed.map(Action::as_str),
        };
        Ok(Some(Planned {
            write,
            fired: Some((fired, decision)),
        }))
    }
}

/// `GET /api/v1/notifications`: fired actions after a cursor, for delivery by SMS, e-mail…
#[derive(Debug, Clone, Serialize)]
pub struct NotificationPage {
    pub notifications: Vec<Value>,
    pub next_after: Option<i64>,
}

impl Service {
    pub fn notifications(
        &self,
        principal: &Principal,
        after: i64,
        limit: i64,
    ) -> Result<NotificationPage, ServiceError> {
        let scope: Option<Vec<String>> = principal
            .jurisdictions
            .as_ref()
            .map(|js| js.iter().cloned().collect());
        let rows = self.store.notifications(after, limit, scope.as_deref())?;
        let next_after = rows.last().map(|r| r.id);
        let notifications = rows
            .into_iter()
            .map(|n| {
                json!({"id": n.id, "ticket": n.ticket_id, "clock": n.clock, "seq": n.seq, "kind": n.kind,
                       "to": n.to_unit_id.map(|id| json!({"id": id, "name": n.to_unit_name})),
                       "channel": n.channel, "note": n.note,
                       "cite": serde_json::from_str::<Value>(&n.cite).unwrap_or(Value::Null),
                       "at": DateTime::<Utc>::from_timestamp_micros(n.created_at).map(|t| t.to_rfc3339())})
            })
            .collect();
        Ok(NotificationPage {
            notifications,
            next_after,
        })
    }
}
