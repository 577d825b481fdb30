//! The one place that knows how the domain is stored: `domain::Clock` ↔ `deadlines` row,
//! and `domain::Ticket` ↔ `tickets` row, with the columns that only serve queries
//! (`deadlines`, `resolve_due`) projected from the ticket's clocks.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::connection::StoreError;
use super::rows::{DeadlineRow, TicketRow, TicketUpdate};
use crate::domain::{
    Action, Clock, ClockState, DeadlineName, Ticket, UnitRef, format_instant, from_micros,
    to_micros,
};

fn instant(micros: i64, what: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .ok_or_else(|| StoreError::Corrupt(format!("clock {what} {micros} is out of range")))
}

impl DeadlineRow {
    pub(super) fn encode(ticket_id: &str, jurisdiction: &str, clock: &Clock, now: i64) -> Self {
        let met_by: Vec<&str> = clock.met_by.iter().map(|a| a.as_str()).collect();
        Self {
            ticket_id: ticket_id.to_owned(),
            jurisdiction: jurisdiction.to_owned(),
            clock: clock.name.as_str().to_owned(),
            unit_id: clock.unit.clone(),
            due: to_micros(clock.due),
            state: clock.state.as_str().to_owned(),
            provisional: clock.provisional,
            next_sweep_at: clock.next_sweep_at.map(to_micros),
            updated_at: now,
            met_by: serde_json::Value::from(met_by).to_string(),
            cite: serde_json::Value::from(clock.cite.clone()).to_string(),
            met_at: clock.met_at.map(to_micros),
            rounds: clock.rounds,
        }
    }

    /// The clock a row holds. A row a database administrator has bent out of the
    /// vocabulary is reported, never guessed at.
    pub(super) fn decode(self) -> Result<(String, Clock), StoreError> {
        let bad = |what: &str, value: &str| {
            StoreError::Corrupt(format!(
                "ticket `{}` clock `{}` of `{}`: {what} `{value}`",
                self.ticket_id, self.clock, self.unit_id
            ))
        };
        let name = DeadlineName::parse(&self.clock).ok_or_else(|| bad("name", &self.clock))?;
        let state = ClockState::parse(&self.state).ok_or_else(|| bad("state", &self.state))?;
        let listed: Vec<String> =
            serde_json::from_str(&self.met_by).map_err(|_| bad("met_by", &self.met_by))?;
        let mut met_by = Vec::with_capacity(listed.len());
        for action in &listed {
            met_by.push(Action::parse(action).ok_or_else(|| bad("met_by", action))?);
        }
        if met_by.is_empty() {
            met_by.push(name.default_met_by());
        }
        let cite = serde_json::from_str(&self.cite).map_err(|_| bad("cite", &self.cite))?;
        let clock = Clock {
            name,
            due: instant(self.due, "due")?,
            state,
            met_by,
            cite,
            met_at: self.met_at.map(|m| instant(m, "met_at")).transpose()?,
            rounds: self.rounds,
            provisional: self.provisional,
            next_sweep_at: self
                .next_sweep_at
                .map(|n| instant(n, "next_sweep_at"))
                .transpose()?,
            unit: self.unit_id,
        };
        Ok((self.ticket_id, clock))
    }
}

/// The lead's clocks as the `deadlines` column snapshots them (name → instant), and its
/// `resolve` due for overdue queries.
fn lead_projection(ticket: &Ticket, clocks: &[Clock]) -> (String, Option<i64>) {
    let offset = ticket.offset();
    let own: Vec<&Clock> = ticket.lead_clocks(clocks).collect();
    let snapshot: BTreeMap<&str, String> = own
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                format_instant(c.due.with_timezone(&offset)),
            )
        })
        .collect();
    // A met `resolve` is no longer overdue, whatever its instant (HH-16: a report of how
    // it stands meets it before the matter is closed).
    let resolve = own
        .iter()
        .find(|c| c.name == DeadlineName::Resolve && c.still_owed())
        .map(|c| to_micros(c.due));
    (json!(snapshot).to_string(), resolve)
}

impl TicketRow {
    pub(super) fn encode(ticket: &Ticket, clocks: &[Clock]) -> Self {
        let (deadlines, resolve_due) = lead_projection(ticket, clocks);
        Self {
            id: ticket.id.clone(),
            jurisdiction: ticket.jurisdiction.clone(),
            channel: ticket.channel.as_str().to_owned(),
            category: ticket.category.as_str().to_owned(),
            topic: ticket.topic.clone(),
            flags: json!(ticket.flags).to_string(),
            area: ticket.area.clone(),
            content: ticket.content.clone(),
            requester_name: ticket.requester.as_ref().and_then(|r| r.name.clone()),
            requester_phone: ticket.requester.as_ref().and_then(|r| r.phone.clone()),
            received_at: to_micros(ticket.received_at),
            utc_offset: ticket.offset().local_minus_utc(),
            status: ticket.status.as_str().to_owned(),
            lead_unit_id: ticket.lead.as_ref().map(|u| u.id.clone()),
            lead_unit_name: ticket.lead.as_ref().map(|u| u.name.clone()),
            assist_units: json!(ticket.assist).to_string(),
            route_mode: ticket.route_mode.map(|m| m.as_str().to_owned()),
            deadlines,
            resolve_due,
            provisional: ticket.provisional,
            rejection: ticket.rejection.as_ref().map(|r| json!(r).to_string()),
            policy_id: ticket.policy_id.clone(),
            policy_version: ticket.policy_version.clone(),
            created_at: to_micros(ticket.recorded_at),
            updated_at: to_micros(ticket.updated_at),
            revision: ticket.revision,
            dispatched_at: ticket.dispatched_at.map(to_micros),
            statutory_limit: ticket
                .statutory_limit
                .as_ref()
                .map(|l| json!(l).to_string()),
        }
    }

    /// The ticket a row holds; a value bent out of the vocabulary is reported, not guessed.
    pub(super) fn decode(self) -> Result<Ticket, StoreError> {
        let id = self.id.clone();
        let bad = |what: &str, e: &dyn std::fmt::Display| {
            StoreError::Corrupt(format!("ticket `{id}` {what}: {e}"))
        };
        let word = |text: &str| Value::String(text.to_owned());
        fn typed<T: DeserializeOwned>(value: Value) -> Result<T, String> {
            serde_json::from_value(value).map_err(|e| e.to_string())
        }
        let json_text = |what: &str, text: &str| -> Result<Value, StoreError> {
            serde_json::from_str(text).map_err(|e| bad(what, &e))
        };
        let offset = FixedOffset::east_opt(self.utc_offset)
            .ok_or_else(|| bad("utc_offset", &self.utc_offset))?;
        let instant = |what: &str, micros: i64| {
            DateTime::<Utc>::from_timestamp_micros(micros).ok_or_else(|| bad(what, &micros))
        };
        let requester =
            (self.requester_name.is_some() || self.requester_phone.is_some()).then(|| {
                crate::domain::Requester {
                    name: self.requester_name.clone(),
                    phone: self.requester_phone.clone(),
                }
            });
        let lead = match (self.lead_unit_id, self.lead_unit_name) {
            (Some(id), Some(name)) => Some(UnitRef { id, name }),
            _ => None,
        };
        Ok(Ticket {
            channel: typed(word(&self.channel)).map_err(|e| bad("channel", &e))?,
            category: typed(word(&self.category)).map_err(|e| bad("category", &e))?,
            flags: typed(json_text("flags", &self.flags)?).map_err(|e| bad("flags", &e))?,
            received_at: from_micros(self.received_at, offset)
                .ok_or_else(|| bad("received_at", &self.received_at))?,
            recorded_at: instant("created_at", self.created_at)?,
            updated_at: instant("updated_at", self.updated_at)?,
            status: crate::domain::Status::parse(&self.status)
                .ok_or_else(|| bad("status", &self.status))?,
            assist: typed(json_text("assist_units", &self.assist_units)?)
                .map_err(|e| bad("assist_units", &e))?,
            route_mode: self
                .route_mode
                .as_deref()
                .map(|m| typed(Value::String(m.to_owned())).map_err(|e| bad("route_mode", &e)))
                .transpose()?,
            dispatched_at: self
                .dispatched_at
                .map(|d| instant("dispatched_at", d))
                .transpose()?,
            rejection: self
                .rejection
                .as_deref()
                .map(|r| typed(json_text("rejection", r)?).map_err(|e| bad("rejection", &e)))
                .transpose()?,
            statutory_limit: self
                .statutory_limit
                .as_deref()
                .map(|l| {
                    typed(json_text("statutory_limit", l)?).map_err(|e| bad("statutory_limit", &e))
                })
                .transpose()?,
            id: self.id,
            jurisdiction: self.jurisdiction,
            topic: self.topic,
            area: self.area,
            content: self.content,
            requester,
            lead,
            provisional: self.provisional,
            policy_id: self.policy_id,
            policy_version: self.policy_version,
            revision: self.revision,
        })
    }
}

impl TicketUpdate {
    /// What a write changes on a ticket: its state, and the projections of its clocks.
    pub(super) fn of(ticket: &Ticket, clocks: &[Clock]) -> Self {
        let (deadlines, resolve_due) = lead_projection(ticket, clocks);
        Self {
            status: ticket.status.as_str().to_owned(),
            lead_unit_id: ticket.lead.as_ref().map(|u| u.id.clone()),
            lead_unit_name: ticket.lead.as_ref().map(|u| u.name.clone()),
            assist_units: json!(ticket.assist).to_string(),
            deadlines,
            resolve_due,
            provisional: ticket.provisional,
            updated_at: to_micros(ticket.updated_at),
            dispatched_at: ticket.dispatched_at.map(to_micros),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn clock(state: ClockState) -> Clock {
        let due = Utc
            .with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
            .single()
            .expect("valid");
        Clock {
            name: DeadlineName::FirstFeedback,
            unit: "co".into(),
            due,
            state,
            met_by: vec![Action::Feedback, Action::ReportProgress],
            cite: vec!["HH-17".into()],
            met_at: Some(due),
            rounds: 2,
            provisional: true,
            next_sweep_at: None,
        }
    }

    #[test]
    fn a_clock_survives_the_round_trip() {
        let clock = clock(ClockState::Missed);
        let row = DeadlineRow::encode("t", "hohhot", &clock, 7);
        assert_eq!(row.decode().expect("decodes"), ("t".to_owned(), clock));
    }

    #[test]
    fn an_edited_state_is_reported() {
        let mut row = DeadlineRow::encode("t", "hohhot", &clock(ClockState::Open), 7);
        row.state = "forgiven".into();
        let err = row.decode().expect_err("refused");
        assert!(err.to_string().contains("forgiven"), "{err}");
    }
}
