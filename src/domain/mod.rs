//! Pure domain types of a 12345 ticket. No I/O, no Rhai, no SQL, no HTTP.

mod access;
mod action;
mod deadline;
mod request;
mod ticket;
mod time;
mod unit;
mod vocabulary;

pub use access::{Capability, Principal, Role, mask_name, mask_phone, role_may};
pub use action::{
    ALLOWED, Action, RevisitOutcome, allowed_actions, is_allowed, status_after,
    status_after_revisit,
};
pub use deadline::DeadlineName;
pub use request::{
    ActionRequest, EXTENSION_CRITERIA, Evidence, Reply, Resolution, Satisfaction, Signatory,
    TERMINATION_CRITERIA,
};
pub use ticket::{NewTicket, Rejection, Requester, Status};
pub use time::{format_instant, from_micros, to_micros};
pub use unit::{Unit, UnitLevel, UnitRef};
pub use vocabulary::{Category, Channel, Flag, Redirect, RouteMode, STANDARD_TOPICS};
