//! Working-day calendars and deadline arithmetic (DESIGN.md "Time").
//!
//! Knows nothing of Rhai, SQL or HTTP: the policy engine wraps these functions for scripts.

mod arithmetic;
mod days;
mod source;

pub use arithmetic::{Due, TimeError, days, hours, months, working_days, working_days_taken};
pub use days::{Calendar, DayStatus};
pub use source::{CalendarError, CalendarSet, load_dir};
