use diesel::prelude::*;

use super::schema::{deadlines, notifications, policy_versions, tickets, trail_entries};
use crate::audit::{EntryKind, LedgerEntry, Subject, TrailEntry};

/// A ticket as stored. JSON columns hold text; the service layer gives them types.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = tickets)]
pub(super) struct TicketRow {
    pub id: String,
    pub jurisdiction: String,
    pub channel: String,
    pub category: String,
    pub topic: String,
    pub flags: String,
    pub area: Option<String>,
    pub content: String,
    pub requester_name: Option<String>,
    pub requester_phone: Option<String>,
    pub received_at: i64,
    pub utc_offset: i32,
    pub status: String,
    pub lead_unit_id: Option<String>,
    pub lead_unit_name: Option<String>,
    pub assist_units: String,
    pub route_mode: Option<String>,
    pub deadlines: String,
    pub resolve_due: Option<i64>,
    pub provisional: bool,
    pub rejection: Option<String>,
    pub policy_id: String,
    pub policy_version: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub revision: i64,
    pub dispatched_at: Option<i64>,
    pub statutory_limit: Option<String>,
}

/// What an action changes on a ticket.
#[derive(Debug, Clone, PartialEq, AsChangeset)]
#[diesel(table_name = tickets)]
#[diesel(treat_none_as_null = true)]
pub(super) struct TicketUpdate {
    pub status: String,
    pub lead_unit_id: Option<String>,
    pub lead_unit_name: Option<String>,
    pub assist_units: String,
    pub deadlines: String,
    pub resolve_due: Option<i64>,
    pub provisional: bool,
    pub updated_at: i64,
    pub dispatched_at: Option<i64>,
}

/// One clock of one unit on one ticket, as stored; [`super::codec`] turns it into a
/// `domain::Clock` and back.
#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize,
)]
#[diesel(table_name = deadlines)]
#[diesel(treat_none_as_null = true)]
pub(super) struct DeadlineRow {
    pub ticket_id: String,
    pub jurisdiction: String,
    pub clock: String,
    pub unit_id: String,
    pub due: i64,
    pub state: String,
    pub provisional: bool,
    pub next_sweep_at: Option<i64>,
    pub updated_at: i64,
    pub met_by: String,
    pub cite: String,
    pub met_at: Option<i64>,
    pub rounds: i64,
}

/// A fired action, for deployments to deliver (SMS, e-mail, WeChat…).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = notifications)]
pub struct NotificationRow {
    pub id: i64,
    pub ticket_id: String,
    pub clock: Option<String>,
    pub clock_unit: Option<String>,
    pub kind: String,
    pub to_unit_id: Option<String>,
    pub to_unit_name: Option<String>,
    pub channel: Option<String>,
    pub cite: String,
    pub note: Option<String>,
    pub created_at: i64,
    pub seq: Option<i64>,
}

/// A fired action to store. `seq` is the offset of the deciding decision among the write's
/// trail entries (0 = the first); the store turns it into the entry's seq once sealed.
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = notifications)]
pub struct NewNotification {
    pub ticket_id: String,
    pub clock: Option<String>,
    pub clock_unit: Option<String>,
    pub kind: String,
    pub to_unit_id: Option<String>,
    pub to_unit_name: Option<String>,
    pub channel: Option<String>,
    pub cite: String,
    pub note: Option<String>,
    pub created_at: i64,
    pub seq: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = trail_entries)]
pub(super) struct TrailRow {
    ticket_id: String,
    seq: i64,
    at: i64,
    kind: String,
    actor: String,
    hook: Option<String>,
    outcome: Option<String>,
    policy_id: Option<String>,
    policy_version: Option<String>,
    input: String,
    output: String,
    cite: String,
    notes: String,
    duration_us: Option<i64>,
    prev_hash: String,
    hash: String,
    format: i32,
}

impl From<&TrailEntry> for TrailRow {
    fn from(e: &TrailEntry) -> Self {
        Self {
            ticket_id: e.ticket_id.clone(),
            seq: e.seq,
            at: e.at,
            kind: e.kind.as_str().to_owned(),
            actor: e.actor.clone(),
            hook: e.hook.clone(),
            outcome: e.outcome.clone(),
            policy_id: e.policy_id.clone(),
            policy_version: e.policy_version.clone(),
            input: e.input.to_string(),
            output: e.output.to_string(),
            cite: serde_json::Value::from(e.cite.clone()).to_string(),
            notes: serde_json::Value::from(e.notes.clone()).to_string(),
            duration_us: e.duration_us,
            prev_hash: e.prev_hash.clone(),
            hash: e.hash.clone(),
            format: e.format,
        }
    }
}

impl TrailRow {
    /// Reads a stored row back. Unparseable JSON is kept as a JSON string, so the entry still
    /// fails verification instead of vanishing: tampering must stay visible.
    pub(super) fn into_entry(self) -> TrailEntry {
        let json = |text: &str| {
            serde_json::from_str(text).unwrap_or(serde_json::Value::String(text.to_owned()))
        };
        let list = |text: &str| {
            serde_json::from_str::<Vec<String>>(text).unwrap_or_else(|_| vec![text.to_owned()])
        };
        let (input, output) = (json(&self.input), json(&self.output));
        let (cite, notes) = (list(&self.cite), list(&self.notes));
        // The JSON columns are stored exactly as written (serde_json's form). Text that
        // parses to the same value but is not that form (a duplicated key, other spacing)
        // was written around the server: the hash is replaced so the entry fails here,
        // and so does a kind edited to anything but a known one (`Event`, `x`).
        let stored_form = |value: &serde_json::Value, text: &str| {
            serde_json::to_string(value).is_ok_and(|form| form == text)
        };
        let canonical = stored_form(&input, &self.input)
            && stored_form(&output, &self.output)
            && stored_form(&serde_json::Value::from(cite.clone()), &self.cite)
            && stored_form(&serde_json::Value::from(notes.clone()), &self.notes);
        let kind = EntryKind::parse(&self.kind);
        let hash = match (kind, canonical) {
            (Some(_), true) => self.hash,
            (None, _) => format!("(unreadable kind `{}`)", self.kind),
            (Some(_), false) => "(JSON not in its stored form)".to_owned(),
        };
        TrailEntry {
            ticket_id: self.ticket_id,
            seq: self.seq,
            at: self.at,
            kind: kind.unwrap_or(EntryKind::Event),
            actor: self.actor,
            hook: self.hook,
            outcome: self.outcome,
            policy_id: self.policy_id,
            policy_version: self.policy_version,
            input,
            output,
            cite,
            notes,
            duration_us: self.duration_us,
            prev_hash: self.prev_hash,
            hash,
            format: self.format,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = policy_versions)]
pub struct PolicyVersionRow {
    pub policy_id: String,
    pub version: String,
    pub sources: String,
    pub activated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::ledger)]
pub(super) struct LedgerRow {
    seq: i64,
    kind: String,
    subject: String,
    trail_seq: i64,
    trail_hash: String,
    state: Option<String>,
    at: i64,
    prev_hash: String,
    hash: String,
    format: i32,
    key_id: Option<String>,
    signature: Option<String>,
}

impl From<&LedgerEntry> for LedgerRow {
    fn from(e: &LedgerEntry) -> Self {
        Self {
            seq: e.seq,
            kind: e.kind.as_str().to_owned(),
            subject: e.subject.clone(),
            trail_seq: e.trail_seq,
            trail_hash: e.trail_hash.clone(),
            state: e.state.clone(),
            at: e.at,
            prev_hash: e.prev_hash.clone(),
            hash: e.hash.clone(),
            format: e.format,
            key_id: e.key_id.clone(),
            signature: e.signature.clone(),
        }
    }
}

impl LedgerRow {
    /// An unknown kind reads as a ticket: the entry's hash then fails, so the edit shows.
    pub(super) fn into_entry(self) -> LedgerEntry {
        let kind = Subject::parse(&self.kind);
        let hash = match kind {
            Some(_) => self.hash,
            None => format!("(unreadable kind `{}`)", self.kind),
        };
        LedgerEntry {
            seq: self.seq,
            kind: kind.unwrap_or(Subject::Ticket),
            subject: self.subject,
            trail_seq: self.trail_seq,
            trail_hash: self.trail_hash,
            state: self.state,
            at: self.at,
            prev_hash: self.prev_hash,
            hash,
            format: self.format,
            key_id: self.key_id,
            signature: self.signature,
        }
    }
}
