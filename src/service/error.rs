use crate::policy::DecisionError;
use crate::store::StoreError;

/// Why a use case did not complete. Mapped to HTTP once, in `http::error`.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("jurisdiction `{jurisdiction}` is not served here (served: {})", served.join(", "))]
    UnknownJurisdiction {
        jurisdiction: String,
        served: Vec<String>,
    },
    #[error("the policy set of `{jurisdiction}` failed to load and has no good version: {error}")]
    PolicyUnavailable { jurisdiction: String, error: String },
    #[error("topic `{topic}` is not known to the policy of `{jurisdiction}`")]
    UnknownTopic { topic: String, jurisdiction: String },
    #[error("area `{area}` is not an area of `{jurisdiction}` (known: {})", known.join(", "))]
    UnknownArea {
        area: String,
        jurisdiction: String,
        known: Vec<String>,
    },
    #[error("`{field}` {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("`{field}`: {message}")]
    BadInput {
        field: &'static str,
        message: String,
    },
    #[error("`{field}` {message}")]
    BadQuery {
        field: &'static str,
        message: String,
    },
    #[error("no ticket `{0}`")]
    TicketNotFound(String),
    /// The caller's token does not reach this jurisdiction or unit.
    #[error("{0}")]
    Forbidden(String),
    #[error("no policy set `{0}`")]
    PolicyNotFound(String),
    #[error("the dry run failed: {0}")]
    EvaluationFailed(String),
    #[error("this Idempotency-Key was used for ticket `{ticket}` with a different body")]
    IdempotencyConflict { ticket: String },
    #[error("`{action}` is not allowed while the ticket is `{status}`")]
    ActionNotAllowed {
        action: &'static str,
        status: &'static str,
        allowed: Vec<&'static str>,
    },
    #[error("`{action}` is not the part of {acting} on this ticket: as {parts} it may {}", may.join(", "))]
    NotYourPart {
        action: &'static str,
        acting: String,
        parts: String,
        may: Vec<&'static str>,
    },
    #[error(
        "`{field}` {claimed} is more than {tolerance} away from the server's clock {now}: the time of record is the server's; only an admin token may backfill"
    )]
    AtOutOfRange {
        field: &'static str,
        claimed: String,
        now: String,
        tolerance: String,
    },
    #[error("policy `{policy}` defines no `{hook}` hook, so `{action}` cannot be decided")]
    NoRule {
        policy: String,
        hook: &'static str,
        action: &'static str,
    },
    /// The request contradicts the ticket's state (e.g. erasing what is erased).
    #[error("{0}")]
    Conflict(String),
    #[error("ticket `{0}` kept changing while this action was decided; try again")]
    Contended(String),
    #[error(transparent)]
    Decision(#[from] DecisionError),
    #[error("no policy set is active")]
    NoActivePolicies,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}
