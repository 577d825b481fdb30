//! Pure domain types of a 12345 ticket. No I/O, no Rhai, no SQL, no HTTP.

mod deadline;
mod ticket;
mod time;
mod unit;
mod vocabulary;

pub use deadline::DeadlineName;
pub use ticket::{NewTicket, Rejection, Requester, Status};
pub use time::{format_instant, from_micros, to_micros};
pub use unit::{Unit, UnitLevel, UnitRef};
pub use vocabulary::{Category, Channel, Flag, Redirect, RouteMode, STANDARD_TOPICS};
