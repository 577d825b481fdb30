//! What can happen to a ticket after filing, and in which status: one explicit table.

use serde::{Deserialize, Serialize};

use super::{DeadlineName, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Sign,
    Contact,
    Intervene,
    Feedback,
    Return,
    RequestExtension,
    RequestTermination,
    Resolve,
    Revisit,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::Sign,
        Action::Contact,
        Action::Intervene,
        Action::Feedback,
        Action::Return,
        Action::RequestExtension,
        Action::RequestTermination,
        Action::Resolve,
        Action::Revisit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sign => "sign",
            Self::Contact => "contact",
            Self::Intervene => "intervene",
            Self::Feedback => "feedback",
            Self::Return => "return",
            Self::RequestExtension => "request_extension",
            Self::RequestTermination => "request_termination",
            Self::Resolve => "resolve",
            Self::Revisit => "revisit",
        }
    }

    /// The clock this action satisfies, if any.
    pub fn meets(self) -> Option<DeadlineName> {
        match self {
            Self::Sign => Some(DeadlineName::Sign),
            Self::Contact => Some(DeadlineName::FirstContact),
            Self::Intervene => Some(DeadlineName::Intervene),
            Self::Feedback => Some(DeadlineName::FirstFeedback),
            Self::Resolve => Some(DeadlineName::Resolve),
            _ => None,
        }
    }
}

/// What a unit may do while it handles a ticket.
const HANDLING: &[Action] = &[
    Action::Contact,
    Action::Intervene,
    Action::Feedback,
    Action::RequestExtension,
    Action::RequestTermination,
    Action::Resolve,
];

/// The status machine (DESIGN.md "Tickets, actions, trail"): which actions each status allows.
/// Rejected, answered, closed and terminated tickets are final.
pub const ALLOWED: &[(Status, &[Action])] = &[
    (Status::Dispatched, &[Action::Sign, Action::Return]),
    (
        Status::Signed,
        &[
            Action::Contact,
            Action::Intervene,
            Action::Feedback,
            Action::Return,
            Action::RequestExtension,
            Action::RequestTermination,
            Action::Resolve,
        ],
    ),
    (Status::InProgress, HANDLING),
    // A reopened ticket is handled again by the same unit, as in progress.
    (Status::Reopened, HANDLING),
    (Status::Resolved, &[Action::Revisit]),
];

/// The actions a status allows, in table order.
pub fn allowed_actions(status: Status) -> &'static [Action] {
    ALLOWED
        .iter()
        .find(|(s, _)| *s == status)
        .map_or(&[], |(_, actions)| actions)
}

pub fn is_allowed(status: Status, action: Action) -> bool {
    allowed_actions(status).contains(&action)
}

/// The status after an allowed action whose review (if any) allowed it. `Return` goes back
/// to `dispatched` (to another unit); extension keeps the status; revisit outcomes are
/// decided by the policy, see [`status_after_revisit`].
pub fn status_after(status: Status, action: Action) -> Status {
    match action {
        Action::Sign => Status::Signed,
        Action::Contact | Action::Intervene | Action::Feedback => Status::InProgress,
        Action::Return => Status::Dispatched,
        Action::RequestExtension => status,
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

    /// The table, written out pair by pair: every status × every action.
    fn expected(status: Status, action: Action) -> bool {
        use Action::*;
        use Status::*;
        matches!(
            (status, action),
            (Dispatched, Sign | Return)
                | (
                    Signed,
                    Contact
                        | Intervene
                        | Feedback
                        | Return
                        | RequestExtension
                        | RequestTermination
                        | Resolve
                )
                | (
                    InProgress | Reopened,
                    Contact
                        | Intervene
                        | Feedback
                        | RequestExtension
                        | RequestTermination
                        | Resolve
                )
                | (Resolved, Revisit)
        )
    }

    #[test]
    fn every_allowed_and_every_forbidden_transition() {
        let mut allowed = 0;
        for status in Status::ALL {
            for action in Action::ALL {
                assert_eq!(
                    is_allowed(*status, *action),
                    expected(*status, *action),
                    "{} in {}",
                    action.as_str(),
                    status.as_str()
                );
                allowed += usize::from(is_allowed(*status, *action));
            }
        }
        assert_eq!(allowed, 2 + 7 + 6 + 6 + 1);
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
            (Reopened, Feedback, InProgress),
            (Signed, Return, Dispatched),
            (InProgress, RequestExtension, InProgress),
            (Signed, RequestExtension, Signed),
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
            status_after_revisit(RevisitOutcome::Reverify),
            Status::Reopened
        );
    }
}
