use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate, Weekday};

/// Whether a date is worked, and whether the answer rests on an announced calendar year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayStatus {
    pub working: bool,
    /// The date's year has no State Council notice in the calendar yet: weekdays alone decided.
    pub provisional: bool,
}

/// A working-day calendar: the weekday rule, amended by announced holidays and make-up days.
#[derive(Debug, Clone)]
pub struct Calendar {
    name: String,
    /// Years whose notice the calendar holds; other years are provisional.
    years: BTreeSet<i32>,
    /// Dates whose status differs from, or is confirmed against, the weekday rule.
    overrides: HashMap<NaiveDate, bool>,
    /// sha256 of the files this calendar was built from.
    version: String,
}

impl Calendar {
    pub(crate) fn new(
        name: String,
        years: BTreeSet<i32>,
        overrides: HashMap<NaiveDate, bool>,
        version: String,
    ) -> Self {
        Self {
            name,
            years,
            overrides,
            version,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    pub fn holds_year(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    pub fn day(&self, date: NaiveDate) -> DayStatus {
        let weekday_rule = !matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        DayStatus {
            working: self.overrides.get(&date).copied().unwrap_or(weekday_rule),
            provisional: !self.years.contains(&date.year()),
        }
    }
}
