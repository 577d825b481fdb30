//! A clock: one deadline owed by one unit, met by the actions its policy names, and the pure
//! rules that settle clocks when an action comes in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Action, DeadlineName};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// Running, not yet looked at by the sweep.
    Open,
    /// Met by its owner in time.
    Met,
    /// Passed without being met (it stays missed when the owner acts late; `met_at` says when).
    Missed,
    /// Running, and the sweep has warned before it passes.
    Warned,
    /// Stopped without a verdict: the ticket moved on (re-dispatched, closed, terminated).
    Cancelled,
}

impl ClockState {
    pub const ALL: &'static [ClockState] = &[
        Self::Open,
        Self::Met,
        Self::Missed,
        Self::Warned,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Met => "met",
            Self::Missed => "missed",
            Self::Warned => "warned",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(name: &str) -> Option<ClockState> {
        Self::ALL.iter().copied().find(|s| s.as_str() == name)
    }

    /// Still running: the owner can meet it in time and the sweep watches it.
    pub fn is_live(self) -> bool {
        matches!(self, Self::Open | Self::Warned)
    }
}

/// One clock of one unit on one ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct Clock {
    pub name: DeadlineName,
    /// The unit that owes it.
    pub unit: String,
    pub due: DateTime<Utc>,
    pub state: ClockState,
    /// The actions of its owner that meet it.
    pub met_by: Vec<Action>,
    /// The rules that set it.
    pub cite: Vec<String>,
    /// When its owner met it (in time or late), by the time of record.
    pub met_at: Option<DateTime<Utc>>,
    /// How many times the sweep has acted on it.
    pub rounds: i64,
    /// Computed across a year the calendar lacks.
    pub provisional: bool,
    /// When the sweep looks at it next; `None`: never.
    pub next_sweep_at: Option<DateTime<Utc>>,
}

impl Clock {
    /// Whether its owner still owes it in the ticket's current round: running, or missed,
    /// not yet met late and still chased. Only such a clock gives a unit that neither leads
    /// nor assists a part on the ticket; a round that ended stops its clocks' chasing, and so
    /// the part of a unit the ticket moved away from.
    pub fn still_owed(&self) -> bool {
        self.state.is_live()
            || (self.state == ClockState::Missed
                && self.met_at.is_none()
                && self.next_sweep_at.is_some())
    }

    /// Whether `action` by `unit` meets this clock.
    pub fn met_by_action(&self, action: Action, unit: &str) -> bool {
        self.unit == unit && self.met_by.contains(&action)
    }

    fn settled(&self, state: ClockState, met_at: Option<DateTime<Utc>>) -> Clock {
        Clock {
            state,
            met_at,
            next_sweep_at: None,
            ..self.clone()
        }
    }
}

/// An action as the clocks see it: what was done, by which unit, at the time of record,
/// and whether the ticket is still with a unit afterwards.
#[derive(Debug, Clone, Copy)]
pub struct Settlement<'a> {
    pub action: Action,
    /// The acting unit; `None` for the centre acting without a unit of its own.
    pub unit: Option<&'a str>,
    /// Units the actor acts for besides its own: the centre's own units when the centre
    /// acts without naming one (its dispatch meets the centre's dispatch clock).
    pub acting_for: &'a [String],
    pub at: DateTime<Utc>,
    pub ticket_still_open: bool,
}

/// How a running clock ends when its round ends at `at` without it being met: past its due
/// it was missed (whether or not a sweep had looked yet), before it nobody can say.
fn stopped_at(clock: &Clock, at: DateTime<Utc>) -> ClockState {
    if clock.due < at {
        ClockState::Missed
    } else {
        ClockState::Cancelled
    }
}

/// The clocks an action changes, changed. A live clock its owner meets is `met` (or
/// `missed` when the time of record is past due); a missed clock met late keeps `missed`,
/// records `met_at` and is no longer chased; when the ticket leaves the open statuses every
/// live clock is `cancelled`. Clocks of other units are never touched by this unit's action.
pub fn settle(clocks: &[Clock], s: Settlement<'_>) -> Vec<Clock> {
    clocks
        .iter()
        .filter_map(|clock| {
            let meets = s.unit.is_some_and(|u| clock.met_by_action(s.action, u))
                || s.acting_for
                    .iter()
                    .any(|u| clock.met_by_action(s.action, u));
            match clock.state {
                state if state.is_live() && meets => {
                    let verdict = if s.at <= clock.due {
                        ClockState::Met
                    } else {
                        ClockState::Missed
                    };
                    Some(clock.settled(verdict, Some(s.at)))
                }
                ClockState::Missed if meets && clock.met_at.is_none() => {
                    Some(clock.settled(ClockState::Missed, Some(s.at)))
                }
                state if state.is_live() && !s.ticket_still_open => {
                    Some(clock.settled(stopped_at(clock, s.at), None))
                }
                ClockState::Missed if !s.ticket_still_open && clock.next_sweep_at.is_some() => {
                    Some(clock.settled(ClockState::Missed, clock.met_at))
                }
                _ => None,
            }
        })
        .collect()
}

/// Clocks stopped because the ticket starts a new round at `at` (re-dispatch, redo): live
/// ones past their due are missed, the others cancelled; missed ones stay missed; none is
/// chased any more.
pub fn stop_for_new_round(clocks: &[Clock], at: DateTime<Utc>) -> Vec<Clock> {
    clocks
        .iter()
        .filter(|c| c.state != ClockState::Met)
        .filter(|c| c.state.is_live() || c.next_sweep_at.is_some())
        .map(|c| {
            let state = if c.state.is_live() {
                stopped_at(c, at)
            } else {
                c.state
            };
            c.settled(state, c.met_at)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, hour, 0, 0)
            .single()
            .expect("valid")
    }

    fn clock(name: DeadlineName, unit: &str, due: u32, met_by: &[Action]) -> Clock {
        Clock {
            name,
            unit: unit.into(),
            due: at(due),
            state: ClockState::Open,
            met_by: met_by.to_vec(),
            cite: vec!["X-1".into()],
            met_at: None,
            rounds: 0,
            provisional: false,
            next_sweep_at: Some(at(due)),
        }
    }

    fn by(action: Action, unit: &str, hour: u32, open: bool) -> Settlement<'_> {
        Settlement {
            action,
            unit: Some(unit),
            acting_for: &[],
            at: at(hour),
            ticket_still_open: open,
        }
    }

    #[test]
    fn the_owner_meets_its_own_clock_in_time() {
        let clocks = [clock(DeadlineName::Sign, "lead", 10, &[Action::Sign])];
        let changed = settle(&clocks, by(Action::Sign, "lead", 9, true));
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0].state, ClockState::Met);
        assert_eq!(changed[0].met_at, Some(at(9)));
        assert_eq!(changed[0].next_sweep_at, None);
    }

    #[test]
    fn a_co_units_feedback_meets_its_clock_and_not_the_leads() {
        let clocks = [
            clock(
                DeadlineName::FirstFeedback,
                "co",
                10,
                &[Action::Feedback, Action::ReportProgress],
            ),
            clock(DeadlineName::FirstFeedback, "lead", 10, &[Action::Feedback]),
        ];
        let changed = settle(&clocks, by(Action::ReportProgress, "co", 8, true));
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0].unit, "co");
        assert_eq!(changed[0].state, ClockState::Met);
    }

    #[test]
    fn another_units_action_never_meets_a_clock() {
        let clocks = [clock(DeadlineName::Resolve, "lead", 10, &[Action::Resolve])];
        assert!(settle(&clocks, by(Action::Resolve, "co", 8, true)).is_empty());
    }

    #[test]
    fn a_policy_named_action_meets_a_plan_clock() {
        let clocks = [clock(DeadlineName::Plan, "lead", 10, &[Action::Plan])];
        assert_eq!(
            settle(&clocks, by(Action::Plan, "lead", 10, true))[0].state,
            ClockState::Met
        );
        assert!(settle(&clocks, by(Action::Contact, "lead", 9, true)).is_empty());
    }

    #[test]
    fn late_is_missed_and_a_missed_clock_met_late_is_no_longer_chased() {
        let clocks = [clock(DeadlineName::Resolve, "lead", 10, &[Action::Resolve])];
        assert_eq!(
            settle(&clocks, by(Action::Resolve, "lead", 11, false))[0].state,
            ClockState::Missed
        );
        let mut missed = clocks[0].clone();
        missed.state = ClockState::Missed;
        missed.next_sweep_at = Some(at(12));
        let changed = settle(&[missed], by(Action::Resolve, "lead", 13, true));
        assert_eq!(changed[0].state, ClockState::Missed);
        assert_eq!(changed[0].met_at, Some(at(13)));
        assert_eq!(changed[0].next_sweep_at, None);
    }

    #[test]
    fn leaving_the_open_statuses_cancels_live_clocks_not_yet_due() {
        let mut met = clock(DeadlineName::Sign, "lead", 10, &[Action::Sign]);
        met.state = ClockState::Met;
        let clocks = [
            met,
            clock(DeadlineName::FirstFeedback, "co", 14, &[Action::Feedback]),
            clock(DeadlineName::Resolve, "lead", 20, &[Action::Resolve]),
        ];
        let changed = settle(&clocks, by(Action::Resolve, "lead", 12, false));
        let state = |unit: &str, name| {
            changed
                .iter()
                .find(|c| c.unit == unit && c.name == name)
                .map(|c| c.state)
        };
        assert_eq!(state("lead", DeadlineName::Resolve), Some(ClockState::Met));
        assert_eq!(
            state("co", DeadlineName::FirstFeedback),
            Some(ClockState::Cancelled)
        );
        assert_eq!(state("lead", DeadlineName::Sign), None);
    }

    #[test]
    fn a_stopped_missed_clock_gives_no_part() {
        let mut chased = clock(DeadlineName::Sign, "office", 10, &[Action::Sign]);
        chased.state = ClockState::Missed;
        assert!(chased.still_owed(), "missed and still chased: owed");
        let stopped = stop_for_new_round(&[chased.clone()], at(11));
        assert!(!stopped[0].still_owed(), "the round ended: no longer owed");
        chased.met_at = Some(at(11));
        assert!(!chased.still_owed(), "met late: done");
    }

    #[test]
    fn a_new_round_cancels_what_runs_and_keeps_what_was_missed() {
        let mut missed = clock(DeadlineName::Sign, "lead", 10, &[Action::Sign]);
        missed.state = ClockState::Missed;
        let mut met = clock(DeadlineName::FirstContact, "lead", 10, &[Action::Contact]);
        met.state = ClockState::Met;
        met.next_sweep_at = None;
        let clocks = [
            missed,
            met,
            clock(DeadlineName::Resolve, "lead", 20, &[Action::Resolve]),
        ];
        let stopped = stop_for_new_round(&clocks, at(12));
        assert_eq!(stopped.len(), 2);
        assert_eq!(stopped[0].state, ClockState::Missed);
        assert_eq!(stopped[1].state, ClockState::Cancelled);
        assert!(stopped.iter().all(|c| c.next_sweep_at.is_none()));
    }

    #[test]
    fn a_clock_past_due_when_its_round_ends_is_missed_not_cancelled() {
        let clocks = [
            clock(DeadlineName::Resolve, "lead", 10, &[Action::Resolve]),
            clock(DeadlineName::FirstFeedback, "co", 20, &[Action::Feedback]),
        ];
        // A new round at 12: the lead's clock (due 10) had passed, unseen by any sweep.
        let stopped = stop_for_new_round(&clocks, at(12));
        assert_eq!(stopped[0].state, ClockState::Missed);
        assert_eq!(stopped[0].met_at, None);
        assert_eq!(stopped[1].state, ClockState::Cancelled);
        // Closing at 12 by another unit's action: the same.
        let closed = settle(&clocks, by(Action::Resolve, "other", 12, false));
        assert_eq!(closed[0].state, ClockState::Missed);
        assert_eq!(closed[1].state, ClockState::Cancelled);
    }

    #[test]
    fn the_centre_acting_without_a_unit_meets_the_centres_own_clock() {
        let clocks = [clock(DeadlineName::Sign, "office", 10, &[Action::Dispatch])];
        let office = ["office".to_owned()];
        let changed = settle(
            &clocks,
            Settlement {
                action: Action::Dispatch,
                unit: None,
                acting_for: &office,
                at: at(9),
                ticket_still_open: true,
            },
        );
        assert_eq!(changed[0].state, ClockState::Met);
    }
}
