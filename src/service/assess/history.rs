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
    /// Trails written before rounds were recorded fall back to the ticket's current units
    /// for the first round.
    pub fn read(ticket: &Ticket, events: &[&TrailEntry], clocks: &[&Clock]) -> Story {
        let offset = ticket.offset();
        let mut story = Story::default();
        let mut ended: Vec<ClockOutcome> = Vec::new();
        for event in events {
            let output = &event.output;
            if event.outcome.as_deref() == Some("filed") {
                let lead = text(output, "/lead").or_else(|| ticket.lead_id().map(str::to_owned));
                let assist = if output.get("assist").is_some() {
                    units(output.get("assist"))
                } else {
                    ticket.assist.iter().map(|u| u.id.clone()).collect()
                };
                if lead.is_some() {
                    story.rounds.push(Round {
                        lead,
                        assist,
                        started_at: ticket.received_at,
                    });
                }
                continue;
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
            // Older events name no acting unit: the lead's part was the lead's.
            let unit = text(output, "/unit").or_else(|| {
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
            });
            if let Some(round) = output.get("round") {
                if let Some(records) = round.get("ended").and_then(Value::as_array) {
                    ended.extend(records.iter().filter_map(ClockOutcome::read));
                }
                story.rounds.push(Round {
                    lead: text(round, "/lead"),
                    assist: units(round.get("assist")),
                    started_at: at.unwrap_or(ticket.received_at),
                });
            }
        }
        if story.rounds.is_empty() && ticket.lead.is_some() {
            story.rounds.push(Round {
                lead: ticket.lead_id().map(str::to_owned),
                assist: ticket.assist.iter().map(|u| u.id.clone()).collect(),
                started_at: ticket
                    .dispatched_at
                    .map_or(ticket.received_at, |t| t.with_timezone(&offset)),
            });
        }
        // A round's end records every clock as it stood; one a later round left alone is
        // recorded again and still stored: count each clock round once.
        for clock in ended
            .into_iter()
            .chain(clocks.iter().map(|c| ClockOutcome::of(c, offset)))
        {
            if !story.clocks.contains(&clock) {
                story.clocks.push(clock);
            }
        }
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
