//! The `Instant` type scripts see: a moment in the jurisdiction's timezone that remembers
//! whether it was computed across a year the calendar does not hold (`provisional`).

use chrono::{DateTime, FixedOffset};

use crate::calendar::Due;
use crate::domain::format_instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instant {
    pub at: DateTime<FixedOffset>,
    pub provisional: bool,
}

impl Instant {
    pub fn exact(at: DateTime<FixedOffset>) -> Self {
        Self {
            at,
            provisional: false,
        }
    }

    /// Stepping from a provisional instant keeps the result provisional.
    pub fn then(self, due: Due) -> Self {
        Self {
            at: due.at,
            provisional: self.provisional || due.provisional,
        }
    }

    pub fn rfc3339(&self) -> String {
        format_instant(self.at)
    }
}
