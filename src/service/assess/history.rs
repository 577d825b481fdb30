//! One ticket's story as its trail tells it: the rounds (who led and assisted from when),
//! every action with the unit that took it, and how each earlier round's clocks ended.
//! Assessments read this, not the ticket's current state: a reopened ticket's first miss,
//! a return by a unit the ticket has since left, a co-unit's own clocks all stay visible.

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use crate::audit::TrailEntry;
use crate::domain::{Action, Clock, ClockState, DeadlineName, Ticket};

/// Who held the ticket in one round, and from when.
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    pub lead: Option<String>,
    pub assist: Vec<String>,
    pub started_at: DateTime<FixedOffset>,
}

/// One allowed action, charged to the unit that took it.
#[derive(Debug, Clone, PartialEq)]
pub struct Act {
    pub action: Action,
    /// The acting unit; `None` for the centre acting without a unit of its own.
    pub unit: Option<String>,
    /// The lead when the action was taken.
    pub lead: Option<String>,
    pub at: Option<DateTime<FixedOffset>>,
    /// The status the action left the ticket in.
    pub to: Option<String>,
    pub resolution: Option<String>,
    pub satisfaction: Option<String>,
    /// Taken by the sweep on the unit's behalf (PY-ops-7.2: a sign assumed), not by the unit.
    pub assumed: bool,
}

/// A clock as it ended, or as it stands now.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockOutcome {
    pub name: String,
    pub unit: String,
    pub due: DateTime<FixedOffset>,
    pub state: ClockState,
    pub met_at: Option<DateTime<FixedOffset>>,
}

impl ClockOutcome {
    pub fn of(clock: &Clock, offset: FixedOffset) -> ClockOutcome {
        ClockOutcome {
            name: clock.name.as_str().to_owned(),
            unit: clock.unit.clone(),
            due: clock.due.with_timezone(&offset),
            state: clock.state,
            met_at: clock.met_at.map(|t| t.with_timezone(&offset)),
        }
    }

    fn read(record: &Value) -> Option<ClockOutcome> {
        let instant = |key: &str| {
            record
                .get(key)
                .and_then(Value::as_str)
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        };
        let name = record.get("clock").and_then(Value::as_str)?;
        DeadlineName::parse(name)?;
        Some(ClockOutcome {
            name: name.to_owned(),
            unit: record.get("unit").and_then(Value::as_str)?.to_owned(),
            due: instant("due")?,
            state: ClockState::parse(record.get("state").and_then(Value::as_str)?)?,
            met_at: instant("met_at"),
        })
    }

    /// The verdict an assessment gives this clock `as_of` an instant: a clock still running
    /// past its due counts as missed, whether or not the sweep has looked at it yet.
    pub fn verdict(&self, as_of: DateTime<FixedOffset>) -> Verdict {
        match self.state {
            ClockState::Met => Verdict::Met,
            ClockState::Cancelled => Verdict::Cancelled,
            ClockState::Missed if self.met_at.is_some() => Verdict::Late,
            ClockState::Missed => Verdict::Overdue,
            ClockState::Open | ClockState::Warned if self.due < as_of => Verdict::Overdue,
            ClockState::Open | ClockState::Warned => Verdict::Running,
        }
    }
}

/// How an assessment counts one clock round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Met in time.
    Met,
    /// Met, after its due.
    Late,
    /// Its due passed and it was never met.
    Overdue,
    /// Running, due not yet passed.
    Running,
    /// Stopped without a verdict (the ticket moved on before it was due).
    Cancelled,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::Late => "late",
            Self::Overdue => "overdue",
            Self::Running => "open",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn missed(self) -> bool {
        matches!(self, Self::Late | Self::Overdue)
    }
}

/// A ticket's rounds, allowed actions and every clock round it ever ran.
#[derive(Debug, Default)]
pub struct Story {
    pub rounds: Vec<Round>,
    pub acts: Vec<Act>,
    pub clocks: Vec<ClockOutcome>,
}

fn text(value: &Value, pointer: &str) -> Option<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn units(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

impl Story {
    /// Reads a ticket's action events (in trail order) and its clocks as stored now.
    /// Trails written before rounds were recorded fall back, for the first round, to the
    /// lead the first action saw (or the ticket's current units).
    pub fn read(ticket: &Ticket, events: &[&TrailEntry], clocks: &[&Clock]) -> Story {
        let offset = ticket.offset();
        let mut story = Story::default();
        // Each boundary's ended clocks; `declared`: the keys the new round declared, when the
        // trail records them.
        let mut ended: Vec<ClockOutcome> = Vec::new();
        let mut last_declared: Option<Vec<(String, String)>> = None;
        let mut first_round: Option<Round> = None;
        for event in events {
            let output = &event.output;
            if event.outcome.as_deref() == Some("filed") {
                let lead = text(output, "/lead");
                if lead.is_some() {
                    first_round = Some(Round {
                        lead,
                        assist: units(output.get("assist")),
                        started_at: ticket.received_at,
                    });
                }
                continue;
            }
            // A trail from before rounds were recorded: the first action saw the first lead.
            if first_round.is_none()
                && story.rounds.is_empty()
                && story.acts.is_empty()
                && let Some(lead) = text(output, "/lead")
            {
                first_round = Some(Round {
                    lead: Some(lead),
                    assist: vec![],
                    started_at: ticket.received_at,
                });
            }
            if story.rounds.is_empty()
                && let Some(round) = first_round.take()
            {
                story.rounds.push(round);
            }
            if text(output, "/outcome").as_deref() != Some("allowed") {
                continue;
            }
            let Some(action) = event.outcome.as_deref().and_then(Action::parse) else {
                continue;
            };
            let at = text(output, "/time_of_record")
                .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                .map(|t| t.with_timezone(&offset));
            let lead = text(output, "/lead");
            // The acting unit: recorded in the output since rounds are, in the request before;
            // an event naming neither was the lead's own only when its part says so.
            let unit = text(output, "/unit")
                .or_else(|| text(&event.input, "/unit"))
                .or_else(|| {
                    (text(output, "/part").as_deref() == Some("lead"))
                        .then(|| lead.clone())
                        .flatten()
                });
            story.acts.push(Act {
                action,
                unit,
                lead,
                at,
                to: text(output, "/to"),
                resolution: text(&event.input, "/reply/resolution"),
                satisfaction: text(&event.input, "/satisfaction"),
                assumed: output.get("assumed").and_then(Value::as_bool) == Some(true),
            });
            if let Some(round) = output.get("round") {
                let records: Vec<ClockOutcome> = round
                    .get("ended")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(ClockOutcome::read).collect())
                    .unwrap_or_default();
                last_declared = round.get("declared").and_then(Value::as_array).map(|keys| {
                    keys.iter()
                        .filter_map(|k| Some((text(k, "/clock")?, text(k, "/unit")?)))
                        .collect()
                });
                for record in records {
                    // Each boundary records a clock round once; a trail that lists every
                    // clock at every boundary (no `declared`) repeats the ones left alone.
                    if last_declared.is_some() || !ended.contains(&record) {
                        ended.push(record);
                    }
                }
                story.rounds.push(Round {
                    lead: text(round, "/lead"),
                    assist: units(round.get("assist")),
                    started_at: at.unwrap_or(ticket.received_at),
                });
            }
        }
        if story.rounds.is_empty() {
            match first_round {
                Some(round) => story.rounds.push(round),
                None if ticket.lead.is_some() => story.rounds.push(Round {
                    lead: ticket.lead_id().map(str::to_owned),
                    assist: ticket.assist.iter().map(|u| u.id.clone()).collect(),
                    started_at: ticket
                        .dispatched_at
                        .map_or(ticket.received_at, |t| t.with_timezone(&offset)),
                }),
                None => {}
            }
        }
        // A stored clock is the latest round's when that round declared it; otherwise it is
        // the round that ended it, as it stands now (met late since, perhaps): it replaces
        // that record.
        for clock in clocks.iter().map(|c| ClockOutcome::of(c, offset)) {
            let key = (clock.name.clone(), clock.unit.clone());
            let redeclared = last_declared.as_ref().is_some_and(|d| d.contains(&key));
            let same_round = ended
                .iter()
                .rposition(|e| e.name == clock.name && e.unit == clock.unit);
            match (redeclared, same_round, &last_declared) {
                (true, _, _) | (false, None, _) => ended.push(clock),
                (false, Some(i), Some(_)) => ended[i] = clock,
                (false, Some(_), None) => {
                    if !ended.contains(&clock) {
                        ended.push(clock);
                    }
                }
            }
        }
        story.clocks = ended;
        story
    }

    /// When `unit` first led this ticket: handling is counted from there, across reopenings.
    pub fn led_since(&self, unit: &str) -> Option<DateTime<FixedOffset>> {
        self.rounds
            .iter()
            .find(|r| r.lead.as_deref() == Some(unit))
            .map(|r| r.started_at)
    }

    /// Every unit that led the ticket in some round, in order, each once.
    pub fn leads(&self) -> Vec<&str> {
        let mut leads: Vec<&str> = Vec::new();
        for lead in self.rounds.iter().filter_map(|r| r.lead.as_deref()) {
            if !leads.contains(&lead) {
                leads.push(lead);
            }
        }
        leads
    }

    /// Every unit that assisted in some round and never led it.
    pub fn co_units(&self) -> Vec<&str> {
        let leads = self.leads();
        let mut co: Vec<&str> = Vec::new();
        for unit in self.rounds.iter().flat_map(|r| r.assist.iter()) {
            if !leads.contains(&unit.as_str()) && !co.contains(&unit.as_str()) {
                co.push(unit);
            }
        }
        co
    }

    /// The resolve that stands: the last allowed resolve, unless a revisit reopened the
    /// ticket after it (then the unit has not finished).
    pub fn standing_resolve(&self) -> Option<&Act> {
        let last = self
            .acts
            .iter()
            .rposition(|a| a.action == Action::Resolve)?;
        let reopened_after = self.acts[last + 1..].iter().any(|a| {
            a.action == Action::Revisit && a.to.as_deref().is_some_and(|to| to != "closed")
        });
        (!reopened_after).then(|| &self.acts[last])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::EntryKind;
    use crate::domain::{Category, Channel, Status, UnitRef};
    use serde_json::json;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).expect("test instant")
    }

    fn unit(id: &str) -> UnitRef {
        UnitRef {
            id: id.into(),
            name: id.into(),
        }
    }

    fn ticket(lead: &str, assist: &[&str]) -> Ticket {
        let received = at("2026-03-02T09:00:00+08:00");
        Ticket {
            id: "t".into(),
            jurisdiction: "x".into(),
            channel: Channel::Phone,
            category: Category::Complaint,
            topic: "noise".into(),
            flags: vec![],
            area: None,
            content: String::new(),
            requester: None,
            received_at: received,
            recorded_at: received.to_utc(),
            updated_at: received.to_utc(),
            status: Status::InProgress,
            lead: Some(unit(lead)),
            assist: assist.iter().map(|a| unit(a)).collect(),
            route_mode: None,
            dispatched_at: Some(received.to_utc()),
            provisional: false,
            rejection: None,
            statutory_limit: None,
            policy_id: "x".into(),
            policy_version: "v".into(),
            revision: 0,
        }
    }

    fn event(outcome: &str, input: Value, output: Value) -> TrailEntry {
        TrailEntry {
            ticket_id: "t".into(),
            seq: 0,
            at: 0,
            kind: EntryKind::Event,
            actor: "desk".into(),
            hook: None,
            outcome: Some(outcome.into()),
            policy_id: None,
            policy_version: None,
            input,
            output,
            cite: vec![],
            notes: vec![],
            duration_us: None,
            prev_hash: String::new(),
            hash: String::new(),
            format: crate::audit::TRAIL_FORMAT,
        }
    }

    fn clock(name: DeadlineName, unit: &str, due: &str, state: ClockState) -> Clock {
        Clock {
            name,
            unit: unit.into(),
            due: at(due).to_utc(),
            state,
            met_by: vec![Action::Resolve],
            cite: vec![],
            met_at: None,
            rounds: 0,
            provisional: false,
            next_sweep_at: None,
        }
    }

    #[test]
    fn an_old_trail_charges_a_co_units_act_to_the_co_unit_and_finds_the_first_lead() {
        // Written before events named the acting unit or the rounds: the filing names no
        // lead, the request does name the unit, and the ticket has since moved to `b`.
        let events = [
            event("filed", json!({}), json!({"status": "dispatched"})),
            event(
                "request_extension",
                json!({"unit": "co"}),
                json!({"outcome": "allowed", "lead": "a", "part": "co_unit"}),
            ),
            event(
                "return",
                json!({}),
                json!({"outcome": "allowed", "lead": "a", "part": "lead"}),
            ),
        ];
        let refs: Vec<&TrailEntry> = events.iter().collect();
        let story = Story::read(&ticket("b", &["co"]), &refs, &[]);
        assert_eq!(story.acts[0].unit.as_deref(), Some("co"), "not the lead's");
        assert_eq!(story.acts[1].unit.as_deref(), Some("a"));
        assert_eq!(
            story.leads(),
            ["a"],
            "the first lead is the one the first action saw"
        );
    }

    #[test]
    fn each_clock_round_counts_once_and_a_stored_clock_met_late_replaces_its_record() {
        let t = ticket("b", &[]);
        let round = json!({
            "lead": "b", "assist": [],
            "ended": [
                {"clock": "resolve", "unit": "a", "due": "2026-03-30T09:00:00+08:00", "state": "missed", "met_at": null},
                {"clock": "sign", "unit": "centre", "due": "2026-03-03T09:00:00+08:00", "state": "missed", "met_at": null},
            ],
            "declared": [{"clock": "resolve", "unit": "b"}],
        });
        let events = [
            event(
                "filed",
                json!({}),
                json!({"status": "dispatched", "lead": "a", "assist": []}),
            ),
            event(
                "dispatch",
                json!({}),
                json!({"outcome": "allowed", "lead": "a", "time_of_record": "2026-04-01T10:00:00+08:00", "round": round}),
            ),
        ];
        let refs: Vec<&TrailEntry> = events.iter().collect();
        let mut met_late = clock(
            DeadlineName::Sign,
            "centre",
            "2026-03-03T09:00:00+08:00",
            ClockState::Missed,
        );
        met_late.met_at = Some(at("2026-04-02T09:00:00+08:00").to_utc());
        let stored = [
            clock(
                DeadlineName::Resolve,
                "a",
                "2026-03-30T09:00:00+08:00",
                ClockState::Missed,
            ),
            met_late,
            clock(
                DeadlineName::Resolve,
                "b",
                "2026-04-29T10:00:00+08:00",
                ClockState::Open,
            ),
        ];
        let stored: Vec<&Clock> = stored.iter().collect();
        let story = Story::read(&t, &refs, &stored);
        let as_of = at("2026-04-10T00:00:00+08:00");
        let verdicts: Vec<(String, String, &str)> = story
            .clocks
            .iter()
            .map(|c| (c.name.clone(), c.unit.clone(), c.verdict(as_of).as_str()))
            .collect();
        assert_eq!(verdicts.len(), 3, "{verdicts:?}");
        assert!(verdicts.contains(&("resolve".into(), "a".into(), "overdue")));
        assert!(verdicts.contains(&("resolve".into(), "b".into(), "open")));
        assert!(
            verdicts.contains(&("sign".into(), "centre".into(), "late")),
            "the stored version of the ended round wins: {verdicts:?}"
        );
    }
}
