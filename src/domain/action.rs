//! What can happen to a ticket after filing, in which status, and by whom: two explicit
//! tables (status × action, and status × part × action) and the transitions they allow.

use serde::{Deserialize, Serialize};

use super::{DeadlineName, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Sign,
    Contact,
    Intervene,
    Feedback,
    Plan,
    ReportProgress,
    Reverify,
    Return,
    RequestExtension,
    RequestTermination,
    Resolve,
    Appeal,
    Dispatch,
    Supervise,
    Revisit,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::Sign,
        Action::Contact,
        Action::Intervene,
        Action::Feedback,
        Action::Plan,
        Action::ReportProgress,
        Action::Reverify,
        Action::Return,
        Action::RequestExtension,
        Action::RequestTermination,
        Action::Resolve,
        Action::Appeal,
        Action::Dispatch,
        Action::Supervise,
        Action::Revisit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sign => "sign",
            Self::Contact => "contact",
            Self::Intervene => "intervene",
            Self::Feedback => "feedback",
            Self::Plan => "plan",
            Self::ReportProgress => "report_progress",
            Self::Reverify => "reverify",
            Self::Return => "return",
            Self::RequestExtension => "request_extension",
            Self::RequestTermination => "request_termination",
            Self::Resolve => "resolve",
            Self::Appeal => "appeal",
            Self::Dispatch => "dispatch",
            Self::Supervise => "supervise",
            Self::Revisit => "revisit",
        }
    }

    pub fn parse(name: &str) -> Option<Action> {
        Self::ALL.iter().copied().find(|a| a.as_str() == name)
    }
}

impl DeadlineName {
    /// The action that meets a clock of this name when the policy names none (API.md
    /// "Lifecycle additions").
    pub fn default_met_by(self) -> Action {
        match self {
            Self::Sign => Action::Sign,
            Self::FirstContact => Action::Contact,
            Self::Intervene => Action::Intervene,
            Self::FirstFeedback => Action::Feedback,
            Self::Plan => Action::Plan,
            Self::Resolve | Self::ReportAfterDone => Action::Resolve,
            Self::Reverify => Action::Reverify,
            Self::ReturnBy => Action::Return,
        }
    }
}

/// The part a caller plays on one ticket. A unit can play several at once (the office that
/// owes the sign clock is also the centre that dispatches).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// 主办: the first-responsible unit.
    Lead,
    /// 协办: a co-unit, which owes the lead its own clocks (HH-17, PY-10.4).
    CoUnit,
    /// A unit that owes a clock on the ticket without handling it (WS-4.1: the office signs).
    ClockOwner,
    /// The hotline centre: assigns, supervises, calls the requester back.
    Centre,
}

impl Part {
    pub const ALL: &'static [Part] = &[Part::Lead, Part::CoUnit, Part::ClockOwner, Part::Centre];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lead => "lead",
            Self::CoUnit => "co_unit",
            Self::ClockOwner => "clock_owner",
            Self::Centre => "centre",
        }
    }

    /// Whether this part's actions move the ticket's status. A co-unit's or a clock owner's
    /// action settles its own clocks and leaves the ticket where the lead has it.
    pub fn moves_status(self) -> bool {
        matches!(self, Self::Lead | Self::Centre)
    }
}

/// What the lead does once it has signed.
const LEAD_SIGNED: &[Action] = &[
    Action::Contact,
    Action::Intervene,
    Action::Feedback,
    Action::Plan,
    Action::ReportProgress,
    Action::Reverify,
    Action::Return,
    Action::RequestExtension,
    Action::RequestTermination,
    Action::Resolve,
];
/// PY-7: a unit whose return was refused handles the ticket first and may appeal after.
const LEAD_REOPENED: &[Action] = &[
    Action::Contact,
    Action::Intervene,
    Action::Feedback,
    Action::Plan,
    Action::ReportProgress,
    Action::Reverify,
    Action::RequestExtension,
    Action::RequestTermination,
    Action::Resolve,
    Action::Appeal,
];
/// A co-unit signs, reports to the lead, explains a delay and asks for time on its own
/// clocks; it never returns, resolves or ends the lead's ticket.
const CO_UNIT: &[Action] = &[
    Action::Sign,
    Action::Contact,
    Action::Intervene,
    Action::Feedback,
    Action::Plan,
    Action::ReportProgress,
    Action::RequestExtension,
];
const CLOCK_OWNER: &[Action] = &[
    Action::Sign,
    Action::Contact,
    Action::Intervene,
    Action::Feedback,
    Action::Plan,
    Action::ReportProgress,
];
const CENTRE_OPEN: &[Action] = &[Action::Dispatch, Action::Supervise];
const CENTRE_RESOLVED: &[Action] = &[Action::Revisit, Action::Supervise];

/// Who may do what in each status (README "Who acts"). Statuses not listed allow nothing:
/// rejected, answered, closed and terminated tickets are final.
pub const PARTS: &[(Status, Part, &[Action])] = &[
    (
        Status::Dispatched,
        Part::Lead,
        &[Action::Sign, Action::Return],
    ),
    (Status::Dispatched, Part::CoUnit, CO_UNIT),
    (Status::Dispatched, Part::ClockOwner, CLOCK_OWNER),
    (Status::Dispatched, Part::Centre, CENTRE_OPEN),
    (Status::Signed, Part::Lead, LEAD_SIGNED),
    (Status::Signed, Part::CoUnit, CO_UNIT),
    (Status::Signed, Part::ClockOwner, CLOCK_OWNER),
    (Status::Signed, Part::Centre, CENTRE_OPEN),
    (Status::InProgress, Part::Lead, LEAD_REOPENED),
    (Status::InProgress, Part::CoUnit, CO_UNIT),
    (Status::InProgress, Part::ClockOwner, CLOCK_OWNER),
    (Status::InProgress, Part::Centre, CENTRE_OPEN),
    (Status::Reopened, Part::Lead, LEAD_REOPENED),
    (Status::Reopened, Part::CoUnit, CO_UNIT),
    (Status::Reopened, Part::ClockOwner, CLOCK_OWNER),
    (Status::Reopened, Part::Centre, CENTRE_OPEN),
    // Back with the centre after a return: only the centre can hand it on.
    (Status::Returned, Part::Centre, CENTRE_OPEN),
    (Status::Resolved, Part::Lead, &[Action::Appeal]),
    (Status::Resolved, Part::Centre, CENTRE_RESOLVED),
];

/// What one part may do in one status, in table order.
pub fn part_actions(status: Status, part: Part) -> &'static [Action] {
    PARTS
        .iter()
        .find(|(s, p, _)| *s == status && *p == part)
        .map_or(&[], |(_, _, actions)| actions)
}

/// Whether `part` may take `action` in some status: what the part is for.
pub fn part_takes(part: Part, action: Action) -> bool {
    Status::ALL
        .iter()
        .any(|s| part_actions(*s, part).contains(&action))
}

/// Whether any part may do this in this status: the status machine (409 when not).
pub fn is_allowed(status: Status, action: Action) -> bool {
    Part::ALL
        .iter()
        .any(|p| part_actions(status, *p).contains(&action))
}

/// Every action some part may take in this status, in `Action::ALL` order.
pub fn allowed_actions(status: Status) -> Vec<Action> {
    Action::ALL
        .iter()
        .copied()
        .filter(|a| is_allowed(status, *a))
        .collect()
}

/// The first of `parts` that may do `action` now, if any.
pub fn part_for(status: Status, parts: &[Part], action: Action) -> Option<Part> {
    parts
        .iter()
        .copied()
        .find(|p| part_actions(status, *p).contains(&action))
}

/// The status after an allowed action of a part that moves the status. `Return` goes back
/// to `dispatched` (to another unit) or `returned` (to the centre), decided by the review;
/// extension, progress reports, appeals and supervision keep the status; revisit outcomes
/// are decided by the policy, see [`status_after_revisit`].
pub fn status_after(status: Status, action: Action) -> Status {
    match action {
        Action::Sign => Status::Signed,
        Action::Contact
        | Action::Intervene
        | Action::Feedback
        | Action::Plan
        | Action::Reverify => Status::InProgress,
        Action::Return | Action::Dispatch => Status::Dispatched,
        Action::ReportProgress | Action::RequestExtension | Action::Appeal | Action::Supervise => {
            status
        }
        Action::RequestTermination => Status::Terminated,
        Action::Resolve => Status::Resolved,
        Action::Revisit => Status::Closed,
    }
}

/// What a revisit (`on_revisit`) decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevisitOutcome {
    Close,
    Reopen,
    Reverify,
    Supervise,
}

impl RevisitOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Close => "close",
            Self::Reopen => "reopen",
            Self::Reverify => "reverify",
            Self::Supervise => "supervise",
        }
    }
}

pub fn status_after_revisit(outcome: RevisitOutcome) -> Status {
    match outcome {
        RevisitOutcome::Close => Status::Closed,
        RevisitOutcome::Reopen | RevisitOutcome::Reverify | RevisitOutcome::Supervise => {
            Status::Reopened
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parts table, written out cell by cell: every status × part × action.
    fn expected(status: Status, part: Part, action: Action) -> bool {
        use Action::*;
        use Part::*;
        use Status::*;
        let open = matches!(status, Dispatched | Signed | InProgress | Reopened);
        match (part, status) {
            (Lead, Dispatched) => matches!(action, Sign | Return),
            (Lead, Signed) => matches!(
                action,
                Contact
                    | Intervene
                    | Feedback
                    | Plan
                    | ReportProgress
                    | Reverify
                    | Return
                    | RequestExtension
                    | RequestTermination
                    | Resolve
            ),
            (Lead, InProgress | Reopened) => matches!(
                action,
                Contact
                    | Intervene
                    | Feedback
                    | Plan
                    | ReportProgress
                    | Reverify
                    | RequestExtension
                    | RequestTermination
                    | Resolve
                    | Appeal
            ),
            (Lead, Resolved) => action == Appeal,
            (CoUnit, _) if open => matches!(
                action,
                Sign | Contact | Intervene | Feedback | Plan | ReportProgress | RequestExtension
            ),
            (ClockOwner, _) if open => matches!(
                action,
                Sign | Contact | Intervene | Feedback | Plan | ReportProgress
            ),
            (Centre, _) if open || status == Returned => matches!(action, Dispatch | Supervise),
            (Centre, Resolved) => matches!(action, Revisit | Supervise),
            _ => false,
        }
    }

    #[test]
    fn every_cell_of_the_parts_table() {
        let mut allowed = 0;
        for status in Status::ALL {
            for part in Part::ALL {
                for action in Action::ALL {
                    let may = part_actions(*status, *part).contains(action);
                    assert_eq!(
                        may,
                        expected(*status, *part, *action),
                        "{} by {} in {}",
                        action.as_str(),
                        part.as_str(),
                        status.as_str()
                    );
                    allowed += usize::from(may);
                }
            }
        }
        // lead 2+10+10+10+1, co-unit 4×7, clock owner 4×6, centre 5×2+2.
        assert_eq!(allowed, 33 + 28 + 24 + 12);
    }

    #[test]
    fn a_co_unit_never_resolves_returns_or_ends_the_leads_ticket() {
        for status in Status::ALL {
            for action in [
                Action::Resolve,
                Action::Return,
                Action::RequestTermination,
                Action::Dispatch,
            ] {
                assert!(!part_actions(*status, Part::CoUnit).contains(&action));
                assert!(!part_actions(*status, Part::ClockOwner).contains(&action));
            }
        }
    }

    #[test]
    fn only_the_centre_dispatches_supervises_and_revisits() {
        for action in [Action::Dispatch, Action::Supervise, Action::Revisit] {
            assert!(part_takes(Part::Centre, action));
            for part in [Part::Lead, Part::CoUnit, Part::ClockOwner] {
                assert!(!part_takes(part, action), "{}", action.as_str());
            }
        }
    }

    #[test]
    fn final_statuses_allow_nothing() {
        for status in [
            Status::Rejected,
            Status::Answered,
            Status::Closed,
            Status::Terminated,
        ] {
            assert!(allowed_actions(status).is_empty(), "{}", status.as_str());
        }
    }

    #[test]
    fn where_each_allowed_action_leads() {
        use Action::*;
        use Status::*;
        for (from, action, to) in [
            (Dispatched, Sign, Signed),
            (Signed, Contact, InProgress),
            (Signed, Plan, InProgress),
            (Reopened, Feedback, InProgress),
            (Reopened, Reverify, InProgress),
            (Signed, Return, Dispatched),
            (Returned, Dispatch, Dispatched),
            (InProgress, RequestExtension, InProgress),
            (Signed, ReportProgress, Signed),
            (InProgress, Supervise, InProgress),
            (InProgress, RequestTermination, Terminated),
            (InProgress, Resolve, Resolved),
        ] {
            assert_eq!(
                status_after(from, action),
                to,
                "{} in {}",
                action.as_str(),
                from.as_str()
            );
        }
        assert_eq!(status_after_revisit(RevisitOutcome::Close), Status::Closed);
        assert_eq!(
            status_after_revisit(RevisitOutcome::Reopen),
            Status::Reopened
        );
        assert_eq!(
            status_after_revisit(RevisitOutcome::Supervise),
            Status::Reopened
        );
    }

    #[test]
    fn every_clock_name_has_a_default_action_that_some_unit_can_take() {
        for name in DeadlineName::ALL {
            let action = name.default_met_by();
            assert!(
                [Part::Lead, Part::CoUnit].iter().any(|p| Status::ALL
                    .iter()
                    .any(|s| part_actions(*s, *p).contains(&action))),
                "{}",
                name.as_str()
            );
        }
    }
}
