//! Pure domain types of a 12345 ticket. No I/O, no Rhai, no SQL, no HTTP.

mod access;
mod action;
mod clock;
mod deadline;
mod request;
mod ticket;
mod time;
mod unit;
mod vocabulary;

pub use access::{Capability, Principal, Role, mask_name, mask_phone, role_may};
pub use action::{
    Action, PARTS, Part, RevisitOutcome, allowed_actions, is_allowed, part_actions, part_for,
    part_takes, status_after, status_after_revisit,
};
pub use clock::{Clock, ClockState, Settlement, settle, stop_for_new_round};
pub use deadline::DeadlineName;
pub use request::{
    ActionRequest, Consent, EXTENSION_CRITERIA, Evidence, Onsite, Reply, Resolution, Satisfaction,
    Signatory, TERMINATION_CRITERIA,
};
pub use ticket::{NewTicket, Rejection, Requester, Status, StatutoryLimit, Ticket};
pub use time::{format_instant, from_micros, to_micros};
pub use unit::{Unit, UnitLevel, UnitRef};
pub use vocabulary::{Category, Channel, Flag, Redirect, RouteMode, STANDARD_TOPICS};
