//! Accountability a decision fires, as outbox rows written with the decision itself.

use serde_json::json;

use crate::policy::{CompiledSet, Decision};
use crate::store::NewNotification;

/// The outbox rows of one decision. `offset` is the decision's place among the write's
/// trail entries; `clock` names the clock (and its owner) a sweep fired on.
pub fn fired_by(
    set: &CompiledSet,
    ticket_id: &str,
    decision: &Decision,
    offset: usize,
    clock: Option<(&str, &str)>,
    now: i64,
) -> Vec<NewNotification> {
    decision
        .actions
        .iter()
        .map(|action| {
            let to = action.to.as_deref().and_then(|id| set.unit(id));
            NewNotification {
                ticket_id: ticket_id.to_owned(),
                clock: clock.map(|(name, _)| name.to_owned()),
                clock_unit: clock.map(|(_, unit)| unit.to_owned()),
                kind: action.kind.as_str().to_owned(),
                to_unit_id: to.map(|u| u.id.clone()),
                to_unit_name: to.map(|u| u.name.clone()),
                channel: action.channel.clone(),
                cite: json!(decision.cite).to_string(),
                note: action.note.clone(),
                created_at: now,
                seq: i64::try_from(offset).ok(),
            }
        })
        .collect()
}

/// Every decision's rows, the decisions standing at `first_offset`, `first_offset + 1`, …
pub fn fired_by_all(
    set: &CompiledSet,
    ticket_id: &str,
    decisions: &[Decision],
    first_offset: usize,
    now: i64,
) -> Vec<NewNotification> {
    decisions
        .iter()
        .enumerate()
        .flat_map(|(i, d)| fired_by(set, ticket_id, d, first_offset + i, None, now))
        .collect()
}
