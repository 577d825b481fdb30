//! A unit or the centre acts on a ticket: the status machine says whether the action may
//! happen now, the policy's review hook whether it is allowed, and one transaction records
//! the event, the decision and the new state.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use super::clocks::{
    CANCELLED, MET, MISSED, OPEN, WARNED, action_history, clock_rows, lead_deadlines_json,
    policy_view,
};
use super::filing::{decision_entry, invalid_output, unit_ref};
use super::{Service, ServiceError, TicketView};
use crate::audit::{EntryKind, TrailEntry};
use crate::domain::{
    Action, ActionRequest, DeadlineName, Principal, RevisitOutcome, Role, Status, UnitRef,
    allowed_actions, format_instant, is_allowed, status_after, status_after_revisit, to_micros,
};
use crate::policy::{CompiledSet, Decision, Hook};
use crate::store::{DeadlineRow, Guard, StoreError, TicketRow, TicketUpdate, TicketWrite};

/// A write decided on a stale read is decided again, this many times at most.
const MAX_ATTEMPTS: usize = 5;
const FUTURE_TOLERANCE: Duration = Duration::minutes(5);

#[derive(Debug, Clone, Serialize)]
pub struct ActionOutcome {
    pub outcome: &'static str,
    pub reasons: Vec<String>,
    pub cite: Vec<String>,
    pub ticket: TicketView,
}

fn review_hook(action: Action) -> Option<Hook> {
    match action {
        Action::Return => Some(Hook::ReviewReturn),
        Action::RequestExtension => Some(Hook::ReviewExtension),
        Action::RequestTermination => Some(Hook::ReviewTermination),
        Action::Resolve => Some(Hook::ReviewClosure),
        Action::Revisit => Some(Hook::OnRevisit),
        Action::Sign | Action::Contact | Action::Intervene | Action::Feedback => None,
    }
}

/// What a review hook decided.
struct Verdict {
    allowed: bool,
    reasons: Vec<String>,
    revisit: Option<RevisitOutcome>,
}

fn verdict(hook: Hook, output: &Value) -> Result<Verdict, String> {
    let outcome = output
        .get("outcome")
        .and_then(Value::as_str)
        .ok_or("`outcome` is required")?;
    let reasons = match (output.get("reasons"), output.get("reason")) {
        (Some(list), _) => serde_json::from_value(list.clone())
            .map_err(|_| "`reasons` must be a list of text".to_owned())?,
        (None, Some(Value::String(one))) => vec![one.clone()],
        _ => vec![],
    };
    if hook == Hook::OnRevisit {
        let revisit: RevisitOutcome = serde_json::from_value(json!(outcome)).map_err(|_| {
            format!("`outcome` `{outcome}` must be close, reopen, reverify or supervise")
        })?;
        return Ok(Verdict {
            allowed: true,
            reasons,
            revisit: Some(revisit),
        });
    }
    let allowed = match outcome {
        "allowed" => true,
        "denied" => false,
        other => return Err(format!("`outcome` `{other}` must be allowed or denied")),
    };
    Ok(Verdict {
        allowed,
        reasons,
        revisit: None,
    })
}

fn instant_field(output: &Value, key: &str) -> Result<DateTime<FixedOffset>, String> {
    output
        .get(key)
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .ok_or_else(|| format!("an allowed decision must give `{key}` as an instant"))
}

fn validate(request: &ActionRequest, now: DateTime<Utc>) -> Result<(), ServiceError> {
    let invalid = |field, message: String| Err(ServiceError::Invalid { field, message });
    if let Some(at) = request.at
        && at > now + FUTURE_TOLERANCE
    {
        return invalid("at", format!("{} is in the future", format_instant(at)));
    }
    match request.criteria_vocabulary() {
        Some(known) => {
            if let Some(bad) = request
                .criteria
                .iter()
                .find(|c| !known.contains(&c.as_str()))
            {
                return Err(ServiceError::BadInput {
                    field: "criteria",
                    message: format!("`{bad}` is not one of {}", known.join(", ")),
                });
            }
        }
        None if !request.criteria.is_empty() => {
            return invalid(
                "criteria",
                format!("do not apply to `{}`", request.action.as_str()),
            );
        }
        None => {}
    }
    if let Some(days) = request.working_days
        && !(1..=3_660).contains(&days)
    {
        return invalid("working_days", "must be between 1 and 3660".into());
    }
    Ok(())
}

/// The unit a unit token acts as: the one it names, or its only one; it must be the
/// token's and on the ticket (lead or co-unit).
fn acting_unit(
    principal: &Principal,
    row: &TicketRow,
    named: Option<String>,
) -> Result<String, ServiceError> {
    let unit = match named {
        Some(unit) => unit,
        None if principal.units.len() == 1 => {
            principal.units.iter().next().cloned().unwrap_or_default()
        }
        None => {
            return Err(ServiceError::Invalid {
                field: "unit",
                message: "is required: this token acts for several units".into(),
            });
        }
    };
    let on_ticket = row.lead_unit_id.as_deref() == Some(unit.as_str())
        || row.assist().iter().any(|u| u.id == unit);
    if principal.units.contains(&unit) && on_ticket {
        Ok(unit)
    } else {
        Err(ServiceError::Forbidden(format!(
            "unit `{unit}` is not this token's, or not on this ticket"
        )))
    }
}

/// The state an action leaves behind, before it is written.
struct Change {
    update: TicketUpdate,
    clocks: Vec<DeadlineRow>,
    decisions: Vec<Decision>,
}

impl Service {
    #[tracing::instrument(name = "apply_action", skip_all, fields(ticket = %ticket_id, action = request.action.as_str()))]
    pub fn apply_action(
        &self,
        principal: &Principal,
        ticket_id: &str,
        mut request: ActionRequest,
        now: DateTime<Utc>,
    ) -> Result<ActionOutcome, ServiceError> {
        validate(&request, now)?;
        let row = self.scoped_row(principal, ticket_id)?;
        match principal.role {
            Role::Unit => request.unit = Some(acting_unit(principal, &row, request.unit.take())?),
            Role::Supervisor if !self.store.escalated(ticket_id)? => {
                return Err(ServiceError::Forbidden(
                    "supervisors act on tickets the sweep has escalated or referred".into(),
                ));
            }
            _ => {}
        }
        let actor = principal.name.as_str();
        for _ in 0..MAX_ATTEMPTS {
            if let Some(outcome) = self.try_action(actor, ticket_id, &request, now)? {
                return Ok(outcome);
            }
        }
        Err(ServiceError::Contended(ticket_id.to_owned()))
    }

    /// One attempt: `None` when the ticket changed since it was read.
    fn try_action(
        &self,
        actor: &str,
        ticket_id: &str,
        request: &ActionRequest,
        now: DateTime<Utc>,
    ) -> Result<Option<ActionOutcome>, ServiceError> {
        let row = self
            .store
            .ticket(ticket_id)?
            .ok_or_else(|| ServiceError::TicketNotFound(ticket_id.to_owned()))?;
        let status = Status::parse(&row.status).ok_or_else(|| {
            StoreError::Corrupt(format!("ticket `{ticket_id}` status `{}`", row.status))
        })?;
        if !is_allowed(status, request.action) {
            return Err(ServiceError::ActionNotAllowed {
                action: request.action.as_str(),
                status: status.as_str(),
                allowed: allowed_actions(status).iter().map(|a| a.as_str()).collect(),
            });
        }
        let set = self.served_set(&row.jurisdiction)?;
        let offset = set.manifest().offset;
        let at = request
            .at
            .unwrap_or_else(|| now.with_timezone(&offset))
            .with_timezone(&offset);
        let clocks = self.store.deadlines(ticket_id)?;
        let mut ticket = policy_view(&row, &clocks, offset);
        ticket["actions"] =
            action_history(&self.store.events(std::slice::from_ref(&row.id))?, offset);
        let mut request_json = json!(request);
        request_json["at"] = json!(format_instant(at));
        let now_us = to_micros(now);

        let mut change = Change {
            update: TicketUpdate {
                status: row.status.clone(),
                lead_unit_id: row.lead_unit_id.clone(),
                lead_unit_name: row.lead_unit_name.clone(),
                assist_units: row.assist_units.clone(),
                deadlines: row.deadlines.clone(),
                resolve_due: row.resolve_due,
                provisional: row.provisional,
                updated_at: now_us,
                dispatched_at: row.dispatched_at,
            },
            clocks: vec![],
            decisions: vec![],
        };
        let mut verdict_of = Verdict {
            allowed: true,
            reasons: vec![],
            revisit: None,
        };
        if let Some(hook) = review_hook(request.action) {
            if !set.defines(hook) {
                return Err(ServiceError::NoRule {
                    policy: set.id().to_owned(),
                    hook: hook.name(),
                    action: request.action.as_str(),
                });
            }
            let decision = set.decide(hook, &[ticket.clone(), request_json.clone()])?;
            verdict_of =
                verdict(hook, &decision.output).map_err(|m| invalid_output(&set, hook, m))?;
            change.decisions.push(decision);
        }

        let mut new_status = status;
        if verdict_of.allowed {
            new_status = match verdict_of.revisit {
                Some(outcome) => status_after_revisit(outcome),
                None => status_after(status, request.action),
            };
            self.apply_effects(
                &set,
                &row,
                &ticket,
                &clocks,
                request.action,
                &verdict_of,
                at,
                now_us,
                &mut change,
            )?;
            settle_clocks(
                &row,
                &clocks,
                request.action,
                new_status,
                at,
                now_us,
                &mut change.clocks,
            );
            change.update.status = new_status.as_str().to_owned();
        }

        let cite: Vec<String> = change
            .decisions
            .first()
            .map(|d| d.cite.clone())
            .unwrap_or_default();
        let outcome = if verdict_of.allowed {
            "allowed"
        } else {
            "denied"
        };
        let event = TrailEntry {
            ticket_id: ticket_id.to_owned(),
            seq: 0,
            at: now_us,
            kind: EntryKind::Event,
            actor: actor.to_owned(),
            hook: None,
            outcome: Some(request.action.as_str().to_owned()),
            policy_id: Some(set.id().to_owned()),
            policy_version: Some(set.version().to_owned()),
            input: request_json,
            output: json!({"outcome": outcome, "from": status.as_str(), "to": new_status.as_str(),
                           "lead": row.lead_unit_id, "reasons": verdict_of.reasons}),
            cite: cite.clone(),
            notes: vec![],
            duration_us: None,
            prev_hash: String::new(),
            hash: String::new(),
        };
        let decided = change.decisions.clone();
        let trail = std::iter::once(event)
            .chain(
                change
                    .decisions
                    .iter()
                    .map(|d| decision_entry(ticket_id, now_us, d)),
            )
            .collect();
        let write = TicketWrite {
            ticket_id: ticket_id.to_owned(),
            guard: Guard::Revision(row.revision),
            ticket: Some(change.update),
            deadlines: change.clocks,
            trail,
            notifications: vec![],
        };
        if self.store.apply(write, now_us)?.is_none() {
            return Ok(None);
        }
        self.metrics.decided(&decided);
        self.metrics.acted(request.action.as_str(), outcome);
        tracing::info!(outcome, status = new_status.as_str(), "action recorded");
        Ok(Some(ActionOutcome {
            outcome,
            reasons: verdict_of.reasons,
            cite,
            ticket: self.view(ticket_id)?,
        }))
    }

    /// What an allowed action changes beyond the status: a new lead (return), a later
    /// `resolve` (extension), or a fresh schedule (re-dispatch, redo after a revisit).
    #[allow(
        clippy::too_many_arguments,
        reason = "one call site; the pieces are the action's context"
    )]
    fn apply_effects(
        &self,
        set: &CompiledSet,
        row: &TicketRow,
        ticket: &Value,
        clocks: &[DeadlineRow],
        action: Action,
        verdict: &Verdict,
        at: DateTime<FixedOffset>,
        now_us: i64,
        change: &mut Change,
    ) -> Result<(), ServiceError> {
        let review = change
            .decisions
            .first()
            .map(|d| d.output.clone())
            .unwrap_or(Value::Null);
        let current_lead = match (&row.lead_unit_id, &row.lead_unit_name) {
            (Some(id), Some(name)) => Some(UnitRef {
                id: id.clone(),
                name: name.clone(),
            }),
            _ => None,
        };
        let assist = row.assist();
        let reschedule_for = match (action, verdict.revisit) {
            (Action::Return, _) => {
                let to = review.get("to").and_then(Value::as_str).ok_or_else(|| {
                    invalid_output(
                        set,
                        Hook::ReviewReturn,
                        "an allowed return must name `to`, the unit it goes to".into(),
                    )
                })?;
                Some((unit_ref(set, Hook::ReviewReturn, to)?, vec![]))
            }
            (
                Action::Revisit,
                Some(RevisitOutcome::Reopen | RevisitOutcome::Reverify | RevisitOutcome::Supervise),
            ) => current_lead.clone().map(|lead| (lead, assist.clone())),
            (Action::RequestExtension, _) => {
                let resolve = instant_field(&review, "resolve")
                    .map_err(|m| invalid_output(set, Hook::ReviewExtension, m))?;
                let due = to_micros(resolve);
                if let Some(lead) = &current_lead {
                    let mut deadlines: serde_json::Map<String, Value> =
                        serde_json::from_str(&row.deadlines).unwrap_or_default();
                    deadlines.insert(
                        "resolve".into(),
                        json!(format_instant(
                            resolve.with_timezone(&set.manifest().offset)
                        )),
                    );
                    change.update.deadlines = Value::Object(deadlines).to_string();
                    change.update.resolve_due = Some(due);
                    let provisional = clocks.iter().any(|c| c.provisional);
                    change.clocks.push(DeadlineRow {
                        ticket_id: row.id.clone(),
                        jurisdiction: row.jurisdiction.clone(),
                        clock: DeadlineName::Resolve.as_str().to_owned(),
                        unit_id: lead.id.clone(),
                        due,
                        state: OPEN.to_owned(),
                        provisional,
                        next_sweep_at: Some(due),
                        updated_at: now_us,
                    });
                }
                None
            }
            _ => None,
        };
        let Some((lead, assist)) = reschedule_for else {
            return Ok(());
        };
        // Re-dispatch and redo start a fresh schedule from this moment: cancel the old clocks.
        for old in clocks.iter().filter(|c| c.state != MET) {
            change.clocks.push(DeadlineRow {
                state: if old.state == MISSED {
                    MISSED.into()
                } else {
                    CANCELLED.into()
                },
                next_sweep_at: None,
                updated_at: now_us,
                ..old.clone()
            });
        }
        let mut routed = ticket.clone();
        routed["lead"] = json!(lead.id);
        routed["assist"] = json!(assist.iter().map(|u| &u.id).collect::<Vec<_>>());
        routed["dispatched_at"] = json!(format_instant(at));
        routed["status"] = json!(Status::Dispatched.as_str());
        // Rules that time a second round differently (PY-flow-3, PY-20) need to know why.
        routed["redo"] = json!(verdict.revisit.map_or("redispatch", RevisitOutcome::as_str));
        let timing = set.decide(Hook::TimeLimits, &[routed])?;
        let limits = timing
            .time_limits()
            .map_err(|m| invalid_output(set, Hook::TimeLimits, m))?;
        change.clocks.extend(clock_rows(
            &row.id,
            &row.jurisdiction,
            &lead,
            &assist,
            &limits,
            timing.provisional,
            now_us,
        ));
        change.update.deadlines = lead_deadlines_json(&limits, set.manifest().offset);
        change.update.resolve_due = limits
            .deadlines
            .get(&DeadlineName::Resolve)
            .map(|at| to_micros(*at));
        change.update.provisional = timing.provisional;
        change.update.dispatched_at = Some(to_micros(at));
        change.update.assist_units = json!(assist).to_string();
        change.update.lead_unit_id = Some(lead.id.clone());
        change.update.lead_unit_name = Some(lead.name.clone());
        change.decisions.push(timing);
        Ok(())
    }
}

/// The clock an action meets is met (or stays missed if late); a ticket that leaves the
/// open statuses stops every clock.
fn settle_clocks(
    row: &TicketRow,
    clocks: &[DeadlineRow],
    action: Action,
    new_status: Status,
    at: DateTime<FixedOffset>,
    now_us: i64,
    changes: &mut Vec<DeadlineRow>,
) {
    let at_us = to_micros(at);
    let replaced = |c: &DeadlineRow, changes: &Vec<DeadlineRow>| {
        changes
            .iter()
            .any(|n| n.clock == c.clock && n.unit_id == c.unit_id)
    };
    for clock in clocks {
        if replaced(clock, changes) {
            continue;
        }
        let live = clock.state == OPEN || clock.state == WARNED;
        let met_now = action.meets().is_some_and(|m| m.as_str() == clock.clock)
            && row.lead_unit_id.as_deref() == Some(clock.unit_id.as_str());
        let state = if met_now && live {
            if at_us <= clock.due { MET } else { MISSED }
        } else if !new_status.is_open() && live {
            CANCELLED
        } else if !new_status.is_open() || (met_now && clock.state == MISSED) {
            clock.state.as_str()
        } else {
            continue;
        };
        changes.push(DeadlineRow {
            state: state.to_owned(),
            next_sweep_at: None,
            updated_at: now_us,
            ..clock.clone()
        });
    }
}
