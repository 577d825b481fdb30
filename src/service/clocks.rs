//! Deadlines as rows: from a `time_limits` decision to the clocks the sweeper watches.

use std::collections::BTreeMap;

use chrono::FixedOffset;
use serde_json::{Value, json};

use crate::audit::TrailEntry;
use crate::domain::{UnitRef, format_instant, from_micros, to_micros};
use crate::policy::TimeLimits;
use crate::store::{DeadlineRow, TicketRow};

pub const OPEN: &str = "open";
pub const MET: &str = "met";
pub const MISSED: &str = "missed";
pub const WARNED: &str = "warned";
pub const CANCELLED: &str = "cancelled";

/// One row per clock: the lead's deadlines, each co-unit's, with the first sweep at the
/// warning instant where the policy asked for one, else at the deadline.
pub fn clock_rows(
    ticket_id: &str,
    jurisdiction: &str,
    lead: &UnitRef,
    assist: &[UnitRef],
    limits: &TimeLimits,
    provisional: bool,
    now: i64,
) -> Vec<DeadlineRow> {
    let row = |clock: &str, unit: &str, due: i64, warn: Option<i64>| DeadlineRow {
        ticket_id: ticket_id.to_owned(),
        jurisdiction: jurisdiction.to_owned(),
        clock: clock.to_owned(),
        unit_id: unit.to_owned(),
        due,
        state: OPEN.to_owned(),
        provisional,
        next_sweep_at: Some(warn.filter(|w| *w < due).unwrap_or(due)),
        updated_at: now,
    };
    let mut rows: Vec<DeadlineRow> = limits
        .deadlines
        .iter()
        .map(|(name, at)| {
            let warn = limits.warn.get(name).map(|w| to_micros(*w));
            row(name.as_str(), &lead.id, to_micros(*at), warn)
        })
        .collect();
    for unit in assist {
        rows.extend(
            limits
                .co_unit_deadlines
                .iter()
                .map(|(name, at)| row(name.as_str(), &unit.id, to_micros(*at), None)),
        );
    }
    rows
}

/// The ticket's `deadlines` snapshot: the lead unit's clocks, name → instant.
pub fn lead_deadlines_json(limits: &TimeLimits, offset: FixedOffset) -> String {
    let map: BTreeMap<&str, String> = limits
        .deadlines
        .iter()
        .map(|(name, at)| (name.as_str(), format_instant(at.with_timezone(&offset))))
        .collect();
    json!(map).to_string()
}

/// The ticket as hooks see it after filing: the filing view plus its state and clocks.
pub fn policy_view(row: &TicketRow, clocks: &[DeadlineRow], offset: FixedOffset) -> Value {
    let instant = |micros: i64| from_micros(micros, offset).map(format_instant);
    let flags: Value = serde_json::from_str(&row.flags).unwrap_or_else(|_| json!([]));
    let assist: Vec<String> = row.assist().into_iter().map(|u| u.id).collect();
    let lead = row.lead_unit_id.clone();
    let lead_clocks: BTreeMap<&str, Option<String>> = clocks
        .iter()
        .filter(|c| Some(&c.unit_id) == lead.as_ref() && c.state != CANCELLED)
        .map(|c| (c.clock.as_str(), instant(c.due)))
        .collect();
    let missed: Vec<&str> = clocks
        .iter()
        .filter(|c| c.state == MISSED)
        .map(|c| c.clock.as_str())
        .collect();
    json!({
        "id": row.id,
        "jurisdiction": row.jurisdiction,
        "channel": row.channel,
        "category": row.category,
        "topic": row.topic,
        "flags": flags,
        "area": row.area,
        "content": row.content,
        "received_at": instant(row.received_at),
        "dispatched_at": row.dispatched_at.and_then(instant),
        "status": row.status,
        "lead": lead,
        "assist": assist,
        "mode": row.route_mode,
        "deadlines": lead_clocks,
        "missed": missed,
    })
}

/// What was done to a ticket so far, as review hooks see it: each action event with who
/// did it and whether it was allowed (PY-7 forbids a second return, PY-21 reads a second
/// revisit). The filing event is left out.
pub fn action_history(events: &[TrailEntry], offset: FixedOffset) -> Value {
    let history: Vec<Value> = events
        .iter()
        .filter_map(|e| {
            let action = e.outcome.as_deref().filter(|a| *a != "filed")?;
            Some(json!({
                "action": action,
                "outcome": e.output.get("outcome").cloned().unwrap_or(Value::Null),
                "status_after": e.output.get("to").cloned().unwrap_or(Value::Null),
                "unit": e.input.get("unit").cloned().unwrap_or(Value::Null),
                "lead": e.output.get("lead").cloned().unwrap_or(Value::Null),
                "at": e.input.get("at").cloned()
                    .or_else(|| from_micros(e.at, offset).map(|t| json!(format_instant(t))))
                    .unwrap_or(Value::Null),
                "satisfaction": e.input.get("satisfaction").cloned().unwrap_or(Value::Null),
                "resolution": e.input.pointer("/reply/resolution").cloned().unwrap_or(Value::Null),
            }))
        })
        .collect();
    Value::Array(history)
}
