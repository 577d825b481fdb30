//! The one place that knows how a clock is stored: `domain::Clock` ↔ `deadlines` row.

use chrono::{DateTime, Utc};

use super::connection::StoreError;
use super::rows::DeadlineRow;
use crate::domain::{Action, Clock, ClockState, DeadlineName, to_micros};

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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_clock_survives_the_round_trip() {
        let due = Utc
            .with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
            .single()
            .expect("valid");
        let clock = Clock {
            name: DeadlineName::FirstFeedback,
            unit: "co".into(),
            due,
            state: ClockState::Missed,
            met_by: vec![Action::Feedback, Action::ReportProgress],
            cite: vec!["HH-17".into()],
            met_at: Some(due),
            rounds: 2,
            provisional: true,
            next_sweep_at: None,
        };
        let row = DeadlineRow::encode("t", "hohhot", &clock, 7);
        assert_eq!(row.decode().expect("decodes"), ("t".to_owned(), clock));
    }

    #[test]
    fn an_edited_state_is_reported() {
        let due = Utc
            .with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
            .single()
            .expect("valid");
        let clock = Clock {
            name: DeadlineName::Resolve,
            unit: "u".into(),
            due,
            state: ClockState::Open,
            met_by: vec![Action::Resolve],
            cite: vec![],
            met_at: None,
            rounds: 0,
            provisional: false,
            next_sweep_at: None,
        };
        let mut row = DeadlineRow::encode("t", "anshan", &clock, 7);
        row.state = "forgiven".into();
        let err = row.decode().expect_err("refused");
        assert!(err.to_string().contains("forgiven"), "{err}");
    }
}
