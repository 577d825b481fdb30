//! Clocks from decisions: what a `time_limits` decision declares, and the ticket as the
//! hooks see it afterwards.

use std::collections::BTreeMap;

use chrono::{FixedOffset, Utc};
use serde_json::{Value, json};

use crate::audit::TrailEntry;
use crate::domain::{Clock, ClockState, Ticket, UnitRef, format_instant, from_micros};
use crate::policy::{ClockSpec, TimeLimits, policy_ticket};

fn clock_of(spec: &ClockSpec, unit: &str, cite: &[String], provisional: bool) -> Clock {
    let due = spec.due.with_timezone(&Utc);
    let first_look = spec
        .warn
        .map(|w| w.with_timezone(&Utc))
        .filter(|w| *w < due)
        .unwrap_or(due);
    Clock {
        name: spec.name,
        unit: unit.to_owned(),
        due,
        state: ClockState::Open,
        met_by: spec.met_by.clone(),
        cite: if spec.cite.is_empty() {
            cite.to_vec()
        } else {
            spec.cite.clone()
        },
        met_at: None,
        rounds: 0,
        provisional,
        next_sweep_at: Some(first_look),
    }
}

/// Every clock a `time_limits` decision declares: the lead's, those of the units it names,
/// and those each co-unit owes the lead.
pub fn declared_clocks(
    limits: &TimeLimits,
    cite: &[String],
    lead: &UnitRef,
    assist: &[UnitRef],
    provisional: bool,
) -> Vec<Clock> {
    let mut clocks: Vec<Clock> = limits
        .clocks
        .iter()
        .map(|spec| {
            let unit = spec.unit.as_deref().unwrap_or(&lead.id);
            clock_of(spec, unit, cite, provisional)
        })
        .collect();
    for unit in assist {
        for spec in &limits.co_unit_clocks {
            // A clock `deadlines` already names for this unit is the one that stands.
            if !clocks
                .iter()
                .any(|c| c.name == spec.name && c.unit == unit.id)
            {
                clocks.push(clock_of(spec, &unit.id, cite, provisional));
            }
        }
    }
    clocks
}

/// The lead's clocks by name, as ticket answers and hooks show them (`deadlines`).
pub fn lead_deadlines(ticket: &Ticket, clocks: &[Clock]) -> BTreeMap<&'static str, String> {
    let offset = ticket.offset();
    clocks
        .iter()
        .filter(|c| Some(c.unit.as_str()) == ticket.lead_id() && c.state != ClockState::Cancelled)
        .map(|c| {
            (
                c.name.as_str(),
                format_instant(c.due.with_timezone(&offset)),
            )
        })
        .collect()
}

/// One clock as the trail records it when a round ends, and as assessments read it back.
pub fn clock_record(c: &Clock, offset: chrono::FixedOffset) -> Value {
    let at = |t: chrono::DateTime<Utc>| format_instant(t.with_timezone(&offset));
    json!({"clock": c.name.as_str(), "unit": c.unit, "due": at(c.due),
           "state": c.state.as_str(), "met_at": c.met_at.map(at)})
}

/// The ticket as hooks see it after filing: the filing view plus its state and clocks.
pub fn policy_view(ticket: &Ticket, clocks: &[Clock]) -> Value {
    let offset = ticket.offset();
    let at = |t: chrono::DateTime<Utc>| format_instant(t.with_timezone(&offset));
    let missed: Vec<&str> = clocks
        .iter()
        .filter(|c| c.state == ClockState::Missed)
        .map(|c| c.name.as_str())
        .collect();
    let all: Vec<Value> = clocks
        .iter()
        .map(|c| {
            json!({"name": c.name.as_str(), "unit": c.unit, "due": at(c.due),
                   "state": c.state.as_str(), "met_at": c.met_at.map(at), "rounds": c.rounds})
        })
        .collect();
    let mut view = policy_ticket(&ticket.id, &ticket.as_filed(), ticket.received_at);
    let state = json!({
        "dispatched_at": ticket.dispatched_at.map(at),
        "status": ticket.status.as_str(),
        "lead": ticket.lead_id(),
        "assist": ticket.assist.iter().map(|u| &u.id).collect::<Vec<_>>(),
        "mode": ticket.route_mode.map(|m| m.as_str()),
        "deadlines": lead_deadlines(ticket, clocks),
        "clocks": all,
        "missed": missed,
    });
    if let (Value::Object(view), Value::Object(state)) = (&mut view, state) {
        view.extend(state);
    }
    view
}

/// What was done to a ticket so far, as hooks see it: each action event with who did it, in
/// which part, at its time of record and whether it was allowed (PY-7 forbids a second
/// return, PY-21 reads a second revisit, HH-17 and HH-36 tell a unit that explained its
/// delay from a silent one). The filing event is left out.
pub fn action_history(events: &[TrailEntry], offset: FixedOffset) -> Value {
    let history: Vec<Value> = events
        .iter()
        .filter(|e| e.kind == crate::audit::EntryKind::Event)
        .filter_map(|e| {
            let action = e.outcome.as_deref().filter(|a| *a != "filed")?;
            let field = |key: &str| e.input.get(key).cloned().unwrap_or(Value::Null);
            Some(json!({
                "action": action,
                "outcome": e.output.get("outcome").cloned().unwrap_or(Value::Null),
                "status_after": e.output.get("to").cloned().unwrap_or(Value::Null),
                "part": e.output.get("part").cloned().unwrap_or(Value::Null),
                "unit": field("unit"),
                "lead": e.output.get("lead").cloned().unwrap_or(Value::Null),
                "at": e.input.get("at").cloned()
                    .or_else(|| from_micros(e.at, offset).map(|t| json!(format_instant(t))))
                    .unwrap_or(Value::Null),
                "reason": field("reason"),
                "progress": field("progress"),
                "satisfaction": field("satisfaction"),
                "resolution": e.input.pointer("/reply/resolution").cloned().unwrap_or(Value::Null),
            }))
        })
        .collect();
    Value::Array(history)
}
