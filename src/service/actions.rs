//! A unit or the centre acts on a ticket: the status machine says whether the action may
//! happen now, the parts table whether this caller may take it, the policy's review hook
//! whether it is allowed, and one transaction records the event, the decisions, the clocks
//! they settle or move and the accountability they fire.

use chrono::{DateTime, Duration, FixedOffset, SubsecRound, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::clocks::{action_history, clock_record, declared_clocks, policy_view};
use super::filing::{decision_entry, invalid_output, unit_ref};
use super::outbox::fired_by_all;
use super::{Service, ServiceError, TicketView};
use crate::audit::{EntryKind, TrailEntry};
use crate::domain::{
    Action, ActionRequest, Clock, Part, Principal, RevisitOutcome, Role, Settlement, Status,
    Ticket, UnitLevel, UnitRef, allowed_actions, format_instant, is_allowed, part_actions,
    part_for, part_takes, settle, status_after, status_after_revisit, stop_for_new_round,
    to_micros,
};
use crate::policy::{CompiledSet, Decision, Hook, Review, Verdict};
use crate::store::{Guard, StoreError, TicketWrite};

/// A write decided on a stale read is decided again, this many times at most.
const MAX_ATTEMPTS: usize = 5;
/// How far a caller's `at` may be from the server's clock before it is a backfill.
const AT_TOLERANCE: Duration = Duration::minutes(5);

#[derive(Debug, Clone, Serialize)]
pub struct ActionOutcome {
    pub outcome: &'static str,
    pub reasons: Vec<String>,
    pub cite: Vec<String>,
    pub ticket: TicketView,
    /// Answered from an earlier request with the same Idempotency-Key.
    #[serde(skip)]
    pub replayed: bool,
}

fn review_hook(action: Action) -> Option<Hook> {
    match action {
        Action::Return => Some(Hook::ReviewReturn),
        Action::RequestExtension => Some(Hook::ReviewExtension),
        Action::RequestTermination => Some(Hook::ReviewTermination),
        Action::Resolve => Some(Hook::ReviewClosure),
        Action::Revisit => Some(Hook::OnRevisit),
        Action::Dispatch => Some(Hook::ReviewDispatch),
        Action::Appeal => Some(Hook::ReviewAppeal),
        Action::Supervise => Some(Hook::OnSupervise),
        Action::Sign
        | Action::Contact
        | Action::Intervene
        | Action::Feedback
        | Action::Plan
        | Action::ReportProgress
        | Action::Reverify => None,
    }
}

/// Hooks a set may leave out: then the centre's own choice stands.
fn hook_optional(action: Action) -> bool {
    action == Action::Dispatch
}

fn validate(request: &ActionRequest) -> Result<(), ServiceError> {
    let invalid = |field, message: String| Err(ServiceError::Invalid { field, message });
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

/// Refuses a claimed instant further than `tolerance` from the server's clock unless an
/// admin sends it (backfill and import).
pub(super) fn bounded_claim(
    principal: &Principal,
    claimed: Option<DateTime<FixedOffset>>,
    field: &'static str,
    tolerance: Duration,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, ServiceError> {
    // Stored instants are microseconds: a claim finer than that would differ from its own
    // stored copy (a false change in a simulation, a clock round counted twice).
    let Some(claimed) = claimed.map(|c| c.with_timezone(&Utc).trunc_subsecs(6)) else {
        return Ok(None);
    };
    if principal.role == Role::Admin || (claimed - now).abs() <= tolerance {
        return Ok(Some(claimed));
    }
    Err(ServiceError::AtOutOfRange {
        field,
        claimed: claimed.to_rfc3339(),
        now: now.to_rfc3339(),
        tolerance: format!("{} minutes", tolerance.num_minutes()),
    })
}

/// The time an action counts at: the server's clock; only an admin's backfill counts at the
/// time it sends (the server's own is kept beside it). Within the tolerance a caller's
/// clock merely drifts, and the server's time stands, so a few minutes cannot turn a clock
/// that just passed into one met.
fn time_of_record(
    principal: &Principal,
    claimed: Option<DateTime<FixedOffset>>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, ServiceError> {
    let claimed = bounded_claim(principal, claimed, "at", AT_TOLERANCE, now)?;
    Ok(match claimed {
        Some(at) if principal.role == Role::Admin => at,
        _ => now,
    })
}

/// Who acts: the unit (if any) and every part it plays on this ticket.
struct Actor {
    unit: Option<String>,
    parts: Vec<Part>,
}

impl Actor {
    fn describe(&self) -> String {
        self.unit.clone().unwrap_or_else(|| "the centre".into())
    }
}

/// The parts a unit plays on a ticket.
fn parts_of(unit: &str, ticket: &Ticket, clocks: &[Clock], set: &CompiledSet) -> Vec<Part> {
    let mut parts = Vec::new();
    if ticket.lead_id() == Some(unit) {
        parts.push(Part::Lead);
    }
    if ticket.assist.iter().any(|u| u.id == unit) {
        parts.push(Part::CoUnit);
    }
    if parts.is_empty() && clocks.iter().any(|c| c.unit == unit && c.still_owed()) {
        parts.push(Part::ClockOwner);
    }
    if set.unit(unit).is_some_and(|u| u.level == UnitLevel::Centre) {
        parts.push(Part::Centre);
    }
    parts
}

fn actor(
    principal: &Principal,
    row: &Ticket,
    clocks: &[Clock],
    set: &CompiledSet,
    request: &ActionRequest,
) -> Result<Actor, ServiceError> {
    match principal.role {
        Role::Unit => {
            let unit = match &request.unit {
                Some(unit) => unit.clone(),
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
            let parts = parts_of(&unit, row, clocks, set);
            if !principal.units.contains(&unit) || parts.is_empty() {
                return Err(ServiceError::Forbidden(format!(
                    "unit `{unit}` is not this token's, or has no part on this ticket"
                )));
            }
            Ok(Actor {
                unit: Some(unit),
                parts,
            })
        }
        Role::Admin => match &request.unit {
            Some(unit) => {
                if set.unit(unit).is_none() {
                    return Err(ServiceError::Invalid {
                        field: "unit",
                        message: format!("`{unit}` is not a unit of `{}`", set.id()),
                    });
                }
                let mut parts = parts_of(unit, row, clocks, set);
                if !parts.contains(&Part::Centre) {
                    parts.push(Part::Centre);
                }
                Ok(Actor {
                    unit: Some(unit.clone()),
                    parts,
                })
            }
            // An admin naming no unit acts for the centre, or for the lead in its part.
            None if part_takes(Part::Centre, request.action) || row.lead.is_none() => Ok(Actor {
                unit: None,
                parts: vec![Part::Centre],
            }),
            None => Ok(Actor {
                unit: row.lead_id().map(str::to_owned),
                parts: vec![Part::Lead, Part::Centre],
            }),
        },
        Role::Intake | Role::Supervisor | Role::Auditor => Ok(Actor {
            unit: None,
            parts: vec![Part::Centre],
        }),
    }
}

/// Every unit a request names is one the ticket's jurisdiction declares, whoever names it:
/// a supervisor or the centre scoped to one county cannot put another county's unit (or an
/// invented one) on the trail, where assessments would charge it.
fn named_units_declared(set: &CompiledSet, request: &ActionRequest) -> Result<(), ServiceError> {
    let named = [
        ("unit", request.unit.as_deref()),
        ("suggested_unit", request.suggested_unit.as_deref()),
        ("lead", request.lead.as_deref()),
    ]
    .into_iter()
    .filter_map(|(field, id)| id.map(|id| (field, id)))
    .chain(request.assist.iter().map(|id| ("assist", id.as_str())));
    for (field, id) in named {
        declared(set, field, id)?;
    }
    Ok(())
}

/// A unit the centre names, as the set declares it; an unknown one is the caller's error.
fn declared(set: &CompiledSet, field: &'static str, id: &str) -> Result<UnitRef, ServiceError> {
    set.unit(id)
        .map(|u| u.to_ref())
        .ok_or_else(|| ServiceError::Invalid {
            field,
            message: format!("`{id}` is not a unit of `{}`", set.id()),
        })
}

/// Replaces clocks with the same name and unit, keeping the last word.
fn merge(into: &mut Vec<Clock>, changed: Vec<Clock>) {
    for clock in changed {
        into.retain(|c| !(c.name == clock.name && c.unit == clock.unit));
        into.push(clock);
    }
}

/// The state an action leaves behind, before it is written.
struct Change {
    /// The ticket as the action leaves it.
    ticket: Ticket,
    /// Every clock after the action (what is written is what differs from before).
    clocks: Vec<Clock>,
    changed: Vec<Clock>,
    decisions: Vec<Decision>,
    /// Clocks an extension moved: `{clock, unit, from, to}`.
    moved: Vec<Value>,
    /// A new round's units and how every clock of the round before it ended: the new
    /// round's clocks replace them in the store, so only the trail keeps the earlier
    /// round's outcome (a reopened ticket's first miss stays a miss in assessments).
    round: Option<Value>,
}

impl Change {
    fn apply(&mut self, changed: Vec<Clock>) {
        merge(&mut self.clocks, changed.clone());
        merge(&mut self.changed, changed);
    }
}

impl Service {
    #[tracing::instrument(name = "apply_action", skip_all, fields(ticket = %ticket_id, action = request.action.as_str()))]
    pub fn apply_action(
        &self,
        principal: &Principal,
        ticket_id: &str,
        request: ActionRequest,
        idempotency_key: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<ActionOutcome, ServiceError> {
        let now = now.trunc_subsecs(6);
        validate(&request)?;
        let mut read = Some(self.scoped_row(principal, ticket_id)?);
        if principal.role == Role::Supervisor && !self.store.escalated(ticket_id)? {
            return Err(ServiceError::Forbidden(
                "supervisors act on tickets the sweep has escalated, referred or supervised".into(),
            ));
        }
        // A key is the caller's own: another caller's same key is another request.
        let key =
            idempotency_key.map(|k| (format!("{}\u{1f}{k}", principal.name), body_hash(&request)));
        // A retry is answered as the first time, however late it comes.
        if let Some(key) = &key
            && let Some(replayed) = self.replayed_action(ticket_id, key)?
        {
            return Ok(replayed);
        }
        let at = time_of_record(principal, request.at, now)?;
        for _ in 0..MAX_ATTEMPTS {
            // The first attempt decides on the scoped read; a retry reads again.
            let row = match read.take() {
                Some(row) => row,
                None => self
                    .store
                    .ticket(ticket_id)?
                    .ok_or_else(|| ServiceError::TicketNotFound(ticket_id.to_owned()))?,
            };
            if let Some(outcome) =
                self.try_action(principal, row, &request, key.as_ref(), at, now)?
            {
                return Ok(outcome);
            }
        }
        Err(ServiceError::Contended(ticket_id.to_owned()))
    }

    /// The answer an earlier action with the same key got, if there was one.
    fn replayed_action(
        &self,
        ticket_id: &str,
        key: &(String, String),
    ) -> Result<Option<ActionOutcome>, ServiceError> {
        let Some(seen) = self.store.seen_action(ticket_id, &key.0)? else {
            return Ok(None);
        };
        if seen.body_hash != key.1 {
            return Err(ServiceError::IdempotencyConflict {
                ticket: ticket_id.to_owned(),
            });
        }
        let trail = self.store.trail(ticket_id)?;
        let event = trail.iter().find(|e| e.seq == seen.seq).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "ticket `{ticket_id}` action key names a missing entry {}",
                seen.seq
            ))
        })?;
        let allowed = event.output.get("outcome").and_then(Value::as_str) == Some("allowed");
        let reasons = event
            .output
            .get("reasons")
            .and_then(|r| serde_json::from_value(r.clone()).ok())
            .unwrap_or_default();
        Ok(Some(ActionOutcome {
            outcome: if allowed { "allowed" } else { "denied" },
            reasons,
            cite: event.cite.clone(),
            ticket: self.view(ticket_id)?,
            replayed: true,
        }))
    }

    /// One attempt: `None` when the ticket changed since it was read.
    fn try_action(
        &self,
        principal: &Principal,
        row: Ticket,
        request: &ActionRequest,
        key: Option<&(String, String)>,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<ActionOutcome>, ServiceError> {
        let ticket_id = row.id.as_str();
        if let Some(key) = key
            && let Some(replayed) = self.replayed_action(ticket_id, key)?
        {
            return Ok(Some(replayed));
        }
        let status = row.status;
        if !is_allowed(status, request.action) {
            return Err(ServiceError::ActionNotAllowed {
                action: request.action.as_str(),
                status: status.as_str(),
                allowed: allowed_actions(status).iter().map(|a| a.as_str()).collect(),
            });
        }
        let set = self.served_set(&row.jurisdiction)?;
        let clocks = self.store.deadlines(ticket_id)?;
        named_units_declared(&set, request)?;
        let acting = actor(principal, &row, &clocks, &set, request)?;
        let Some(part) = part_for(status, &acting.parts, request.action) else {
            let may: Vec<&'static str> = acting
                .parts
                .iter()
                .flat_map(|p| part_actions(status, *p).iter().copied())
                .collect::<std::collections::BTreeSet<Action>>()
                .into_iter()
                .map(Action::as_str)
                .collect();
            return Err(ServiceError::NotYourPart {
                action: request.action.as_str(),
                acting: acting.describe(),
                parts: acting
                    .parts
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(" and "),
                may,
            });
        };
        // A unit that only owes clocks may take just the actions that meet them.
        if part == Part::ClockOwner {
            let owed: std::collections::BTreeSet<Action> = clocks
                .iter()
                .filter(|c| Some(c.unit.as_str()) == acting.unit.as_deref() && c.still_owed())
                .flat_map(|c| c.met_by.iter().copied())
                .collect();
            if !owed.contains(&request.action) {
                return Err(ServiceError::NotYourPart {
                    action: request.action.as_str(),
                    acting: acting.describe(),
                    parts: part.as_str().to_owned(),
                    may: owed.into_iter().map(Action::as_str).collect(),
                });
            }
        }
        let offset = set.manifest().offset;
        let at_local = at.with_timezone(&offset);
        let mut ticket = policy_view(&row, &clocks);
        // One read of the trail serves the hooks (its events) and the answer (its decisions).
        let trail_before = self.store.trail(ticket_id)?;
        ticket["actions"] = action_history(&trail_before, offset);
        let mut request_json = json!(request);
        request_json["at"] = json!(format_instant(at_local));
        request_json["unit"] = json!(acting.unit);
        request_json["part"] = json!(part.as_str());
        let now_us = to_micros(now);

        let mut change = Change {
            ticket: Ticket {
                updated_at: now,
                ..row.clone()
            },
            clocks: clocks.clone(),
            changed: vec![],
            decisions: vec![],
            moved: vec![],
            round: None,
        };
        let mut review = Review {
            allowed: true,
            ..Review::default()
        };
        let mut revisit = None;
        if let Some(hook) = review_hook(request.action) {
            if set.defines(hook) {
                let decision = set.decide(hook, &[ticket.clone(), request_json.clone()])?;
                match &decision.verdict {
                    Verdict::Review(r) => review = r.clone(),
                    Verdict::Revisit { outcome, reasons } => {
                        revisit = Some(*outcome);
                        review.reasons = reasons.clone();
                    }
                    _ => {}
                }
                change.decisions.push(decision);
            } else if !hook_optional(request.action) {
                return Err(ServiceError::NoRule {
                    policy: set.id().to_owned(),
                    hook: hook.name(),
                    action: request.action.as_str(),
                });
            }
        }

        let mut new_status = status;
        if review.allowed {
            new_status = match (request.action, revisit) {
                (Action::Revisit, Some(outcome)) => status_after_revisit(outcome),
                (Action::Return, _) if review.to.is_none() => Status::Returned,
                (action, _) if part.moves_status() => status_after(status, action),
                _ => status,
            };
            // The centre acting without naming a unit acts for its own units: its dispatch
            // meets the clock the centre owes to dispatch (HH-15, WS-4.1).
            let centre_units: Vec<String> = if acting.unit.is_none() {
                clocks
                    .iter()
                    .map(|c| c.unit.clone())
                    .filter(|u| set.unit(u).is_some_and(|u| u.level == UnitLevel::Centre))
                    .collect()
            } else {
                vec![]
            };
            let settled = settle(
                &clocks,
                Settlement {
                    action: request.action,
                    unit: acting.unit.as_deref(),
                    acting_for: &centre_units,
                    at,
                    ticket_still_open: new_status.is_open(),
                },
            );
            change.apply(settled);
            self.apply_effects(
                &set,
                &row,
                &ticket,
                request,
                &acting,
                &review,
                revisit,
                at_local,
                &mut change,
            )?;
            change.ticket.status = new_status;
        }

        let cite: Vec<String> = change
            .decisions
            .first()
            .map(|d| d.cite.clone())
            .unwrap_or_default();
        let outcome = if review.allowed { "allowed" } else { "denied" };
        let mut output = json!({"outcome": outcome, "from": status.as_str(), "to": new_status.as_str(),
                                "lead": row.lead_id(), "part": part.as_str(), "reasons": review.reasons,
                                "time_of_record": format_instant(at_local),
                                "recorded_at": format_instant(now.with_timezone(&offset))});
        if let Some(unit) = &acting.unit {
            output["unit"] = json!(unit);
        }
        if !change.moved.is_empty() {
            output["moved"] = Value::Array(change.moved.clone());
        }
        if let Some(round) = change.round.take() {
            output["round"] = round;
        }
        let event = TrailEntry {
            ticket_id: ticket_id.to_owned(),
            seq: 0,
            at: now_us,
            kind: EntryKind::Event,
            actor: principal.name.clone(),
            hook: None,
            outcome: Some(request.action.as_str().to_owned()),
            policy_id: Some(set.id().to_owned()),
            policy_version: Some(set.version().to_owned()),
            input: request_json,
            output,
            cite: cite.clone(),
            notes: vec![],
            duration_us: None,
            prev_hash: String::new(),
            hash: String::new(),
            format: crate::audit::TRAIL_FORMAT,
        };
        // The event stands first; decision i stands at offset i + 1.
        let notifications = fired_by_all(&set, ticket_id, &change.decisions, 1, now_us);
        let decided = change.decisions.clone();
        let clocks_after = change.clocks.clone();
        let after = Ticket {
            revision: row.revision + 1,
            ..change.ticket.clone()
        };
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
            jurisdiction: row.jurisdiction.clone(),
            guard: Guard::Revision(row.revision),
            ticket: Some(change.ticket),
            deadlines: change.changed,
            clocks_after: clocks_after.clone(),
            trail,
            notifications,
            action_key: key.cloned(),
        };
        let Some(sealed) = self.store.apply(write, now_us)? else {
            return Ok(None);
        };
        self.metrics.decided(&decided);
        self.metrics.acted(request.action.as_str(), outcome);
        tracing::info!(
            outcome,
            status = new_status.as_str(),
            part = part.as_str(),
            "action recorded"
        );
        // The answer is what was just written: no second read.
        let trail: Vec<_> = trail_before.into_iter().chain(sealed).collect();
        let namer = |id: &str| set.unit(id).map(|u| u.name.clone());
        Ok(Some(ActionOutcome {
            outcome,
            reasons: review.reasons,
            cite,
            ticket: TicketView::from_ticket(after, Some(&trail), &clocks_after, &namer),
            replayed: false,
        }))
    }

    /// What an allowed action changes beyond the status and the clocks it meets: a new lead
    /// (return to a unit, the centre's dispatch), moved clocks (extension), or a fresh
    /// schedule (re-dispatch, redo after a revisit).
    #[allow(
        clippy::too_many_arguments,
        reason = "one call site; the pieces are the action's context"
    )]
    fn apply_effects(
        &self,
        set: &CompiledSet,
        row: &Ticket,
        ticket: &Value,
        request: &ActionRequest,
        acting: &Actor,
        review: &Review,
        revisit: Option<RevisitOutcome>,
        at: DateTime<FixedOffset>,
        change: &mut Change,
    ) -> Result<(), ServiceError> {
        let current_lead = row.lead.clone();
        let new_round = match (request.action, revisit) {
            (Action::Return, _) => match &review.to {
                Some(to) => Some((unit_ref(set, Hook::ReviewReturn, to)?, vec![], "redispatch")),
                // Back with the centre: settling already stopped every clock, since a
                // returned ticket is not open; nobody's run until the centre assigns it, and
                // the unit that returned it no longer holds it (the trail says who did).
                None => {
                    change.ticket.lead = None;
                    change.ticket.assist = vec![];
                    None
                }
            },
            (Action::Dispatch, _) => {
                let lead_id = review.lead.as_ref().or(request.lead.as_ref());
                let lead_id = lead_id.ok_or_else(|| ServiceError::Invalid {
                    field: "lead",
                    message: "is required: the unit the centre assigns".into(),
                })?;
                let assist_ids = if review.lead.is_some() {
                    &review.assist
                } else {
                    &request.assist
                };
                let lead = declared(set, "lead", lead_id)?;
                let mut assist = Vec::new();
                for id in assist_ids.iter().filter(|id| **id != lead.id) {
                    let unit = declared(set, "assist", id)?;
                    if !assist.contains(&unit) {
                        assist.push(unit);
                    }
                }
                Some((lead, assist, "dispatch"))
            }
            (
                Action::Revisit,
                Some(RevisitOutcome::Reopen | RevisitOutcome::Reverify | RevisitOutcome::Supervise),
            ) => current_lead.clone().map(|lead| {
                (
                    lead,
                    row.assist.clone(),
                    revisit.map_or("reopen", RevisitOutcome::as_str),
                )
            }),
            (Action::RequestExtension, _) => {
                let co_unit = row.lead_id() != acting.unit.as_deref()
                    && acting
                        .unit
                        .as_ref()
                        .is_some_and(|u| row.assist.iter().any(|a| &a.id == u));
                self.move_clocks(set, acting, co_unit, current_lead.as_ref(), review, change)?;
                None
            }
            _ => None,
        };
        let Some((lead, assist, redo)) = new_round else {
            return Ok(());
        };
        self.start_round(set, ticket, lead, assist, redo, at, change)
    }

    /// An allowed extension moves each clock its review names; only running clocks move,
    /// and each move is recorded in the action's event.
    fn move_clocks(
        &self,
        set: &CompiledSet,
        acting: &Actor,
        co_unit: bool,
        lead: Option<&UnitRef>,
        review: &Review,
        change: &mut Change,
    ) -> Result<(), ServiceError> {
        let offset = set.manifest().offset;
        let own = acting.unit.clone().or_else(|| lead.map(|l| l.id.clone()));
        let mut moved = Vec::new();
        for m in &review.moves {
            if co_unit && m.unit.is_some() && m.unit != own {
                return Err(invalid_output(
                    set,
                    Hook::ReviewExtension,
                    format!(
                        "moves clock `{}` of `{}` on a co-unit's request: a co-unit's extension moves only its own clocks",
                        m.name.as_str(),
                        m.unit.as_deref().unwrap_or_default()
                    ),
                ));
            }
            let unit = m.unit.clone().or_else(|| own.clone()).unwrap_or_default();
            let Some(clock) = change
                .clocks
                .iter()
                .find(|c| c.name == m.name && c.unit == unit)
                .cloned()
            else {
                // A co-unit asks for time on its own clocks only; the lead's are the lead's.
                if co_unit {
                    return Err(ServiceError::Invalid {
                        field: "action",
                        message: format!(
                            "moves clock `{}`, which co-unit `{unit}` does not owe: a co-unit's extension moves only its own clocks",
                            m.name.as_str()
                        ),
                    });
                }
                return Err(invalid_output(
                    set,
                    Hook::ReviewExtension,
                    format!(
                        "moves clock `{}` of `{unit}`, which the ticket does not have",
                        m.name.as_str()
                    ),
                ));
            };
            // The policy granted it, but the clock is settled already (met, or missed by a
            // sweep): nothing is left to extend. The request's fault, not the policy's.
            if !clock.state.is_live() {
                return Err(ServiceError::Conflict(format!(
                    "clock `{}` of `{unit}` is {} already: only a running clock can be extended",
                    m.name.as_str(),
                    clock.state.as_str()
                )));
            }
            let due = m.due.with_timezone(&Utc);
            change
                .moved
                .push(json!({"clock": m.name.as_str(), "unit": unit,
                "from": format_instant(clock.due.with_timezone(&offset)),
                "to": format_instant(m.due.with_timezone(&offset))}));
            moved.push(Clock {
                due,
                state: crate::domain::ClockState::Open,
                next_sweep_at: Some(due),
                ..clock
            });
        }
        change.apply(moved);
        Ok(())
    }

    /// Re-dispatch and redo start a fresh schedule from this moment: the old clocks stop and
    /// `time_limits` decides the new ones, knowing why (PY-flow-3, PY-20 time a second round
    /// differently).
    #[allow(
        clippy::too_many_arguments,
        reason = "the new round's context, taken apart from the action's"
    )]
    fn start_round(
        &self,
        set: &CompiledSet,
        ticket: &Value,
        lead: UnitRef,
        assist: Vec<UnitRef>,
        redo: &str,
        at: DateTime<FixedOffset>,
        change: &mut Change,
    ) -> Result<(), ServiceError> {
        let round_started = change.ticket.dispatched_at;
        let stopped = stop_for_new_round(&change.clocks.clone(), at.with_timezone(&Utc));
        change.apply(stopped.clone());
        let offset = set.manifest().offset;
        let mut routed = ticket.clone();
        routed["lead"] = json!(lead.id);
        routed["assist"] = json!(assist.iter().map(|u| &u.id).collect::<Vec<_>>());
        routed["dispatched_at"] = json!(format_instant(at));
        routed["status"] = json!(Status::Dispatched.as_str());
        routed["redo"] = json!(redo);
        let timing = set.decide(Hook::TimeLimits, &[routed])?;
        let limits = timing
            .time_limits()
            .map_err(|m| invalid_output(set, Hook::TimeLimits, m))?;
        let declared = declared_clocks(&limits, &timing.cite, &lead, &assist, timing.provisional);
        // What this boundary ends, each clock round once: the clocks it stopped, those met in
        // the round now ending, and those the new round replaces. The keys the new round
        // declares tell an assessment which stored clocks are new rounds.
        let key = |c: &Clock| (c.name, c.unit.clone());
        let ended: Vec<Value> = change
            .clocks
            .iter()
            .filter(|c| {
                stopped.iter().any(|s| key(s) == key(c))
                    || c.met_at
                        .zip(round_started)
                        .is_some_and(|(met, start)| met >= start)
                    || declared.iter().any(|d| key(d) == key(c))
            })
            .map(|c| clock_record(c, offset))
            .collect();
        change.round = Some(json!({
            "lead": lead.id,
            "assist": assist.iter().map(|u| &u.id).collect::<Vec<_>>(),
            "ended": ended,
            "declared": declared.iter().map(|c| json!({"clock": c.name.as_str(), "unit": c.unit})).collect::<Vec<_>>(),
        }));
        change.apply(declared);
        change.ticket.provisional = timing.provisional;
        change.ticket.dispatched_at = Some(at.with_timezone(&Utc));
        change.ticket.assist = assist;
        change.ticket.lead = Some(lead);
        change.decisions.push(timing);
        Ok(())
    }
}

/// What makes two action requests the same request.
fn body_hash(request: &ActionRequest) -> String {
    hex::encode(Sha256::digest(json!(request).to_string()))
}
