//! The deadline sweep: every clock whose next look has come is shown to the policy's
//! `on_overdue` with what already fired on it; what the policy returns fires exactly once.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use super::clocks::{MISSED, WARNED, policy_view};
use super::filing::decision_entry;
use super::{Service, ServiceError};
use crate::domain::{Principal, UnitRef, format_instant, from_micros, to_micros};
use crate::policy::{CompiledSet, Decision, Hook};
use crate::store::{DeadlineRow, Guard, NewNotification, TicketWrite};

/// Clocks read per query; the sweep repeats until none is due.
const BATCH: i64 = 512;
/// The most clocks one sweep handles. Clocks keep becoming due while it runs (backdated
/// filings are due at once); without a bound, a sweep under such inflow would never end.
/// What is left waits for the next sweep.
const MAX_PER_SWEEP: usize = 20_000;
/// A clock whose `on_overdue` failed is looked at again after this long.
const RETRY_AFTER_FAILURE: Duration = Duration::minutes(15);
const ACTION_KINDS: &[&str] = &["remind", "escalate", "notify", "refer"];

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
}

/// What `on_overdue` returned, checked.
struct Verdict {
    actions: Vec<FiredAction>,
    notes: Vec<Option<String>>,
    next: Option<i64>,
}

fn read_verdict(set: &CompiledSet, decision: &Decision) -> Result<Verdict, String> {
    let output = &decision.output;
    let listed = match output.get("actions") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(items)) => items.clone(),
        Some(_) => return Err("`actions` must be a list".into()),
    };
    let mut actions = Vec::new();
    let mut notes = Vec::new();
    for (i, item) in listed.iter().enumerate() {
        let kind = item.get("kind").and_then(Value::as_str).unwrap_or_default();
        if !ACTION_KINDS.contains(&kind) {
            return Err(format!(
                "`actions[{i}].kind` must be one of {}",
                ACTION_KINDS.join(", ")
            ));
        }
        let to = match item.get("to").and_then(Value::as_str) {
            Some(id) => Some(
                set.unit(id)
                    .map(|u| u.to_ref())
                    .ok_or_else(|| format!("`actions[{i}].to`: unit `{id}` is not declared"))?,
            ),
            None => None,
        };
        actions.push(FiredAction {
            kind: kind.to_owned(),
            to,
            channel: item
                .get("channel")
                .and_then(Value::as_str)
                .map(str::to_owned),
            cite: decision.cite.clone(),
        });
        notes.push(item.get("note").and_then(Value::as_str).map(str::to_owned));
    }
    let next = match output.get("next") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(
            DateTime::parse_from_rfc3339(text)
                .map(to_micros)
                .map_err(|_| format!("`next` is `{text}`, not an instant"))?,
        ),
        Some(other) => return Err(format!("`next` is {other}, not an instant")),
    };
    Ok(Verdict {
        actions,
        notes,
        next,
    })
}

impl Service {
    /// Sweeps every served jurisdiction's clocks as of `now`; returns what fired.
    #[tracing::instrument(name = "sweep", skip(self))]
    pub fn sweep(&self, now: DateTime<Utc>) -> Result<Vec<FiredClock>, ServiceError> {
        let now_us = to_micros(now);
        let served: Vec<String> = self
            .registry
            .active()
            .iter()
            .map(|s| s.id().to_owned())
            .collect();
        let mut fired = Vec::new();
        let mut looked = 0usize;
        while looked < MAX_PER_SWEEP {
            let due = self.store.due_deadlines(now_us, &served, BATCH)?;
            if due.is_empty() {
                break;
            }
            for clock in due {
                looked += 1;
                if let Some(done) = self.sweep_clock(clock, now)?
                    && !done.actions.is_empty()
                {
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

    fn sweep_clock(
        &self,
        clock: DeadlineRow,
        now: DateTime<Utc>,
    ) -> Result<Option<FiredClock>, ServiceError> {
        let now_us = to_micros(now);
        let Some(was) = clock.next_sweep_at else {
            return Ok(None);
        };
        let guard = |state: &str, next: Option<i64>| Guard::Sweep {
            clock: clock.clock.clone(),
            unit_id: clock.unit_id.clone(),
            was,
            state: state.to_owned(),
            next_sweep_at: next,
        };
        let stop = |state: &str| TicketWrite {
            ticket_id: clock.ticket_id.clone(),
            guard: guard(state, None),
            ticket: None,
            deadlines: vec![],
            trail: vec![],
            notifications: vec![],
        };
        let Some(ticket) = self.store.ticket(&clock.ticket_id)? else {
            self.store.apply(stop(&clock.state), now_us)?;
            return Ok(None);
        };
        let open = crate::domain::Status::parse(&ticket.status).is_some_and(|s| s.is_open());
        if !open {
            self.store.apply(stop(&clock.state), now_us)?;
            return Ok(None);
        }
        let retry_later = |write: TicketWrite| -> Result<Option<FiredClock>, ServiceError> {
            let retry = now_us + RETRY_AFTER_FAILURE.num_microseconds().unwrap_or(0);
            let mut write = write;
            write.guard = guard(&clock.state, Some(retry));
            self.store.apply(write, now_us)?;
            Ok(None)
        };
        // A set that stopped serving mid-sweep puts this clock off; the sweep goes on.
        let set = match self.served_set(&ticket.jurisdiction) {
            Ok(set) => set,
            Err(e) => {
                tracing::warn!(ticket = %clock.ticket_id, error = %e, "no policy to sweep with; retrying later");
                return retry_later(stop(&clock.state));
            }
        };
        let offset = set.manifest().offset;
        let instant = |us: i64| from_micros(us, offset).map(format_instant);
        let passed = now_us >= clock.due;
        let history: Vec<Value> = self
            .store
            .fired(&clock.ticket_id, &clock.clock)?
            .into_iter()
            .map(|n| {
                json!({"kind": n.kind, "to": n.to_unit_id, "channel": n.channel,
                       "at": instant(n.created_at), "cite": serde_json::from_str::<Value>(&n.cite).unwrap_or(Value::Null)})
            })
            .collect();
        let clocks = self.store.deadlines(&clock.ticket_id)?;
        let view = policy_view(&ticket, &clocks, offset);
        let clock_json = json!({"name": clock.clock, "unit": clock.unit_id, "due": instant(clock.due),
                                "now": instant(now_us), "passed": passed, "state": clock.state});

        let decided = set
            .decide(Hook::OnOverdue, &[view, clock_json, Value::Array(history)])
            .map_err(|e| e.to_string())
            .and_then(|d| read_verdict(&set, &d).map(|v| (d, v)));
        let (decision, verdict) = match decided {
            Ok(done) => done,
            Err(message) => {
                tracing::error!(ticket = %clock.ticket_id, clock = %clock.clock, %message, "on_overdue failed; retrying later");
                return retry_later(stop(&clock.state));
            }
        };
        // A pre-deadline look comes back at the deadline unless the policy says otherwise;
        // a `next` not after `now` would spin, so it ends the watch instead.
        let next = match (verdict.next, passed) {
            (Some(n), _) if n > now_us => Some(n),
            (Some(_), _) => None,
            (None, false) => Some(clock.due),
            (None, true) => None,
        };
        let state = if passed { MISSED } else { WARNED };
        let notifications = verdict
            .actions
            .iter()
            .zip(&verdict.notes)
            .map(|(a, note)| NewNotification {
                ticket_id: clock.ticket_id.clone(),
                clock: clock.clock.clone(),
                kind: a.kind.clone(),
                to_unit_id: a.to.as_ref().map(|u| u.id.clone()),
                to_unit_name: a.to.as_ref().map(|u| u.name.clone()),
                channel: a.channel.clone(),
                cite: json!(a.cite).to_string(),
                note: note.clone(),
                created_at: now_us,
            })
            .collect();
        let write = TicketWrite {
            ticket_id: clock.ticket_id.clone(),
            guard: guard(state, next),
            ticket: None,
            deadlines: vec![],
            trail: vec![decision_entry(&clock.ticket_id, now_us, &decision)],
            notifications,
        };
        // Another sweeper got there first: it fired, this one does not.
        let applied = self.store.apply(write, now_us)?;
        if applied.is_some() {
            self.metrics.decided(std::slice::from_ref(&decision));
            for action in &verdict.actions {
                self.metrics.fired(&action.kind);
            }
        }
        Ok(applied.map(|_| FiredClock {
            ticket: clock.ticket_id.clone(),
            clock: clock.clock.clone(),
            unit: clock.unit_id.clone(),
            actions: verdict.actions,
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
                json!({"id": n.id, "ticket": n.ticket_id, "clock": n.clock, "kind": n.kind,
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
