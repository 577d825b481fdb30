//! The JSON shapes of API.md, built from stored rows.

use chrono::FixedOffset;
use serde::Serialize;
use serde_json::Value;

use super::ServiceError;
use crate::audit::{ChainStatus, TrailEntry};
use crate::domain::{Clock, UnitRef, format_instant, from_micros, mask_name, mask_phone};
use crate::store::{StoreError, TicketRow};

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

pub(super) fn offset_of(row: &TicketRow) -> Result<FixedOffset, ServiceError> {
    FixedOffset::east_opt(row.utc_offset)
        .ok_or_else(|| corrupt("utc_offset", &row.id, row.utc_offset))
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
    pub(super) fn from_row(
        row: TicketRow,
        trail: Option<&[TrailEntry]>,
        clocks: &[Clock],
        unit_name: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ServiceError> {
        let offset = offset_of(&row)?;
        let at = |t: chrono::DateTime<chrono::Utc>| format_instant(t.with_timezone(&offset));
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
        let json = |what: &str, text: &str| -> Result<Value, ServiceError> {
            serde_json::from_str(text).map_err(|e| corrupt(what, &row.id, e))
        };
        let flags = serde_json::from_str(&row.flags).map_err(|e| corrupt("flags", &row.id, e))?;
        let assist_units = serde_json::from_str(&row.assist_units)
            .map_err(|e| corrupt("assist_units", &row.id, e))?;
        let deadlines = json("deadlines", &row.deadlines)?;
        let rejection = row
            .rejection
            .as_deref()
            .map(|r| json("rejection", r))
            .transpose()?;
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
        let requester =
            (row.requester_name.is_some() || row.requester_phone.is_some()).then(|| {
                RequesterView {
                    name: row.requester_name.clone(),
                    phone: row.requester_phone.clone(),
                }
            });
        let statutory_limit = row
            .statutory_limit
            .as_deref()
            .map(|s| json("statutory_limit", s))
            .transpose()?;
        Ok(Self {
            received_at: instant_text(row.received_at, offset, &row.id)?,
            recorded_at: instant_text(row.created_at, offset, &row.id)?,
            clocks,
            statutory_limit,
            dispatched_at: row
                .dispatched_at
                .map(|at| instant_text(at, offset, &row.id))
                .transpose()?,
            lead_unit: match (row.lead_unit_id, row.lead_unit_name) {
                (Some(id), Some(name)) => Some(UnitRef { id, name }),
                _ => None,
            },
            id: row.id,
            jurisdiction: row.jurisdiction,
            channel: row.channel,
            category: row.category,
            topic: row.topic,
            flags,
            area: row.area,
            content: row.content,
            requester,
            status: row.status,
            assist_units,
            route_mode: row.route_mode,
            deadlines,
            provisional: row.provisional,
            rejection,
            policy: PolicyRef {
                id: row.policy_id,
                version: row.policy_version,
            },
            decisions,
        })
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
