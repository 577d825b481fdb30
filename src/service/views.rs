//! The JSON shapes of API.md, built from stored rows.

use chrono::FixedOffset;
use serde::Serialize;
use serde_json::{Value, json};

use super::ServiceError;
use crate::audit::{ChainStatus, TrailEntry};
use crate::domain::{Clock, Ticket, UnitRef, format_instant, from_micros, mask_name, mask_phone};
use crate::store::StoreError;

#[derive(Debug, Clone, Serialize)]
pub struct PolicyRef {
    pub id: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DecisionSummary {
    pub hook: String,
    pub outcome: String,
    pub cite: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequesterView {
    pub name: Option<String>,
    pub phone: Option<String>,
}

/// One clock as a ticket answer shows it (API.md "Lifecycle additions").
#[derive(Debug, Clone, Serialize)]
pub struct ClockEntry {
    pub name: &'static str,
    pub unit: UnitRef,
    pub due: String,
    pub state: &'static str,
    pub met_at: Option<String>,
    pub rounds: i64,
    pub met_by: Vec<&'static str>,
    pub cite: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TicketView {
    pub id: String,
    pub jurisdiction: String,
    pub channel: String,
    pub category: String,
    pub topic: String,
    pub flags: Vec<String>,
    pub area: Option<String>,
    pub content: String,
    pub requester: Option<RequesterView>,
    /// The centre's receipt time (its claim; PY-6 counts from it).
    pub received_at: String,
    /// When this server received the filing: the time of record.
    pub recorded_at: String,
    /// When the lead unit last received it (filing, re-dispatch, redo); limits count from here.
    pub dispatched_at: Option<String>,
    pub status: String,
    pub lead_unit: Option<UnitRef>,
    pub assist_units: Vec<UnitRef>,
    pub route_mode: Option<String>,
    pub deadlines: Value,
    /// Every unit's clocks, co-units' included.
    pub clocks: Vec<ClockEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statutory_limit: Option<Value>,
    /// Some deadline reached a year the calendar does not hold: computed on weekdays alone.
    pub provisional: bool,
    pub rejection: Option<Value>,
    pub policy: PolicyRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decisions: Option<Vec<DecisionSummary>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TicketPage {
    pub tickets: Vec<TicketView>,
    /// Pass as `after` for the next page; `null` on the last page.
    pub next_after: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EntryView {
    pub seq: i64,
    pub at: String,
    pub kind: &'static str,
    pub actor: String,
    pub hook: Option<String>,
    pub outcome: Option<String>,
    pub policy: Option<PolicyRef>,
    pub input: Value,
    pub output: Value,
    pub cite: Vec<String>,
    pub notes: Vec<String>,
    pub duration_us: Option<i64>,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrailView {
    pub ticket: TicketView,
    pub entries: Vec<EntryView>,
    pub chain: ChainStatus,
}

fn corrupt(what: &str, id: &str, e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Store(StoreError::Corrupt(format!("ticket `{id}` {what}: {e}")))
}

pub(super) fn instant_text(
    micros: i64,
    offset: FixedOffset,
    id: &str,
) -> Result<String, ServiceError> {
    from_micros(micros, offset)
        .map(format_instant)
        .ok_or_else(|| corrupt("instant", id, micros))
}

impl TicketView {
    /// `unit_name` names the units clocks are owed by (the ticket's set knows them).
    pub(super) fn from_ticket(
        ticket: Ticket,
        trail: Option<&[TrailEntry]>,
        clocks: &[Clock],
        unit_name: &dyn Fn(&str) -> Option<String>,
    ) -> Self {
        let offset = ticket.offset();
        let at = |t: chrono::DateTime<chrono::Utc>| format_instant(t.with_timezone(&offset));
        let deadlines = json!(super::clocks::lead_deadlines(&ticket, clocks));
        let clocks = clocks
            .iter()
            .map(|c| ClockEntry {
                name: c.name.as_str(),
                unit: UnitRef {
                    id: c.unit.clone(),
                    name: unit_name(&c.unit).unwrap_or_else(|| c.unit.clone()),
                },
                due: at(c.due),
                state: c.state.as_str(),
                met_at: c.met_at.map(at),
                rounds: c.rounds,
                met_by: c.met_by.iter().map(|a| a.as_str()).collect(),
                cite: c.cite.clone(),
            })
            .collect();
        let decisions = trail.map(|entries| {
            entries
                .iter()
                .filter(|e| e.kind == crate::audit::EntryKind::Decision)
                .map(|e| DecisionSummary {
                    hook: e.hook.clone().unwrap_or_default(),
                    outcome: e.outcome.clone().unwrap_or_default(),
                    cite: e.cite.clone(),
                })
                .collect()
        });
        Self {
            received_at: format_instant(ticket.received_at),
            recorded_at: at(ticket.recorded_at),
            dispatched_at: ticket.dispatched_at.map(at),
            clocks,
            statutory_limit: ticket.statutory_limit.as_ref().map(|l| json!(l)),
            requester: ticket.requester.map(|r| RequesterView {
                name: r.name,
                phone: r.phone,
            }),
            lead_unit: ticket.lead,
            id: ticket.id,
            jurisdiction: ticket.jurisdiction,
            channel: ticket.channel.as_str().to_owned(),
            category: ticket.category.as_str().to_owned(),
            topic: ticket.topic,
            flags: ticket.flags.iter().map(|f| f.as_str().to_owned()).collect(),
            area: ticket.area,
            content: ticket.content,
            status: ticket.status.as_str().to_owned(),
            assist_units: ticket.assist,
            route_mode: ticket.route_mode.map(|m| m.as_str().to_owned()),
            deadlines,
            provisional: ticket.provisional,
            rejection: ticket.rejection.as_ref().map(|r| json!(r)),
            policy: PolicyRef {
                id: ticket.policy_id,
                version: ticket.policy_version,
            },
            decisions,
        }
    }
}

impl EntryView {
    pub(super) fn from_entry(e: TrailEntry, offset: FixedOffset) -> Result<Self, ServiceError> {
        Ok(Self {
            at: instant_text(e.at, offset, &e.ticket_id)?,
            seq: e.seq,
            kind: e.kind.as_str(),
            actor: e.actor,
            hook: e.hook,
            outcome: e.outcome,
            policy: match (e.policy_id, e.policy_version) {
                (Some(id), Some(version)) => Some(PolicyRef { id, version }),
                _ => None,
            },
            input: e.input,
            output: e.output,
            cite: e.cite,
            notes: e.notes,
            duration_us: e.duration_us,
            prev_hash: e.prev_hash,
            hash: e.hash,
        })
    }
}

/// Masks every requester's name and phone in a response (`张*`, `139****5678`), wherever
/// it appears: a ticket, a trail's filing event, an export. For callers without `pii`.
pub fn mask_pii(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if key == "requester"
                    && let Value::Object(person) = inner
                {
                    if let Some(Value::String(name)) = person.get_mut("name") {
                        *name = mask_name(name);
                    }
                    if let Some(Value::String(phone)) = person.get_mut("phone") {
                        *phone = mask_phone(phone);
                    }
                } else {
                    mask_pii(inner);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_pii),
        _ => {}
    }
}
