use chrono::{DateTime, Duration, FixedOffset, Months, NaiveDate, NaiveTime};

use super::Calendar;

/// The most working days one call may step; a larger count is a script defect, not a deadline.
const MAX_WORKING_DAYS: i64 = 3_660;

/// A computed deadline instant, and whether any day it crossed was in an unannounced year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub at: DateTime<FixedOffset>,
    pub provisional: bool,
}

impl Due {
    pub fn exact(at: DateTime<FixedOffset>) -> Self {
        Self {
            at,
            provisional: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("`{count}` {unit} from {from} is out of range")]
    OutOfRange {
        count: i64,
        unit: &'static str,
        from: DateTime<FixedOffset>,
    },
}

fn out_of_range(t: DateTime<FixedOffset>, count: i64, unit: &'static str) -> TimeError {
    TimeError::OutOfRange {
        count,
        unit,
        from: t,
    }
}

/// `t + n` hours of calendar time: emergencies do not pause on holidays.
pub fn hours(t: DateTime<FixedOffset>, n: i64) -> Result<DateTime<FixedOffset>, TimeError> {
    Duration::try_hours(n)
        .and_then(|d| t.checked_add_signed(d))
        .ok_or_else(|| out_of_range(t, n, "hours"))
}

/// `t + n` calendar days, keeping the time of day.
pub fn days(t: DateTime<FixedOffset>, n: i64) -> Result<DateTime<FixedOffset>, TimeError> {
    Duration::try_days(n)
        .and_then(|d| t.checked_add_signed(d))
        .ok_or_else(|| out_of_range(t, n, "days"))
}

/// `t + n` calendar months; a day past the end of the target month clamps to its last day.
pub fn months(t: DateTime<FixedOffset>, n: i64) -> Result<DateTime<FixedOffset>, TimeError> {
    let magnitude = u32::try_from(n.unsigned_abs()).map_err(|_| out_of_range(t, n, "months"))?;
    let result = if n >= 0 {
        t.checked_add_months(Months::new(magnitude))
    } else {
        t.checked_sub_months(Months::new(magnitude))
    };
    result.ok_or_else(|| out_of_range(t, n, "months"))
}

/// `t + n` working days (DESIGN.md "Time"): if `t` is not a working day, start at 00:00 of
/// the next working day; then step to the next (or, for negative `n`, previous) working day
/// `|n|` times, keeping the time of day.
pub fn working_days(
    calendar: &Calendar,
    t: DateTime<FixedOffset>,
    n: i64,
) -> Result<Due, TimeError> {
    if n.abs() > MAX_WORKING_DAYS {
        return Err(out_of_range(t, n, "working days"));
    }
    let fail = || out_of_range(t, n, "working days");
    let mut provisional = false;
    let mut date = t.date_naive();
    let mut time = t.time();

    let first = calendar.day(date);
    provisional |= first.provisional;
    if !first.working {
        date = adjacent_working_day(calendar, date, true, &mut provisional).ok_or_else(fail)?;
        time = NaiveTime::MIN;
    }
    for _ in 0..n.abs() {
        date = adjacent_working_day(calendar, date, n > 0, &mut provisional).ok_or_else(fail)?;
    }
    let at = date
        .and_time(time)
        .and_local_timezone(*t.offset())
        .single()
        .ok_or_else(fail)?;
    Ok(Due { at, provisional })
}

/// How many working days handling from `from` to `to` took, counted as deadlines are: the
/// smallest `n` with `working_days(from, n) >= to`. Assessments compare it with their own
/// limits (PY-29 counts a complaint on time within 7 working days).
pub fn working_days_taken(
    calendar: &Calendar,
    from: DateTime<FixedOffset>,
    to: DateTime<FixedOffset>,
) -> Result<i64, TimeError> {
    for n in 0..=MAX_WORKING_DAYS {
        if working_days(calendar, from, n)?.at >= to {
            return Ok(n);
        }
    }
    Err(out_of_range(from, MAX_WORKING_DAYS, "working days"))
}

/// The nearest working day after (`forward`) or before `date`.
fn adjacent_working_day(
    calendar: &Calendar,
    mut date: NaiveDate,
    forward: bool,
    provisional: &mut bool,
) -> Option<NaiveDate> {
    loop {
        date = if forward {
            date.succ_opt()?
        } else {
            date.pred_opt()?
        };
        let day = calendar.day(date);
        *provisional |= day.provisional;
        if day.working {
            return Some(date);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn working_days_taken_inverts_working_days() {
        let calendar = Calendar::new(
            "t".into(),
            BTreeSet::from([2026]),
            HashMap::new(),
            "v".into(),
        );
        let from = at("2026-03-02T09:00:00+08:00"); // a Monday
        assert_eq!(working_days_taken(&calendar, from, from).unwrap(), 0);
        assert_eq!(
            working_days_taken(&calendar, from, at("2026-03-02T17:00:00+08:00")).unwrap(),
            1
        );
        // Friday 09:00 is exactly 4 working days; the weekend adds none.
        assert_eq!(
            working_days_taken(&calendar, from, at("2026-03-06T09:00:00+08:00")).unwrap(),
            4
        );
        assert_eq!(
            working_days_taken(&calendar, from, at("2026-03-07T12:00:00+08:00")).unwrap(),
            5
        );
    }

    use std::collections::{BTreeSet, HashMap};

    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    /// October 2025 as announced: 1–8 off, Sunday 28 Sep and Saturday 11 Oct worked.
    fn calendar_2025() -> Calendar {
        let mut overrides = HashMap::new();
        for d in 1..=8 {
            overrides.insert(NaiveDate::from_ymd_opt(2025, 10, d).unwrap(), false);
        }
        overrides.insert(NaiveDate::from_ymd_opt(2025, 9, 28).unwrap(), true);
        overrides.insert(NaiveDate::from_ymd_opt(2025, 10, 11).unwrap(), true);
        Calendar::new("t".into(), BTreeSet::from([2025]), overrides, "v".into())
    }

    #[test]
    fn design_example_two_working_days_across_national_day() {
        let due = working_days(&calendar_2025(), at("2025-09-30T10:00:00+08:00"), 2).unwrap();
        assert_eq!(due.at, at("2025-10-10T10:00:00+08:00"));
        assert!(!due.provisional);
    }

    #[test]
    fn a_start_on_a_holiday_begins_at_midnight_of_the_next_working_day() {
        let due = working_days(&calendar_2025(), at("2025-10-03T15:00:00+08:00"), 2).unwrap();
        // 9 Oct 00:00, then 10 Oct, then the make-up Saturday 11 Oct.
        assert_eq!(due.at, at("2025-10-11T00:00:00+08:00"));
    }

    #[test]
    fn zero_working_days_only_normalises_the_start() {
        let cal = calendar_2025();
        let working = at("2025-09-30T10:00:00+08:00");
        assert_eq!(working_days(&cal, working, 0).unwrap().at, working);
        let holiday = at("2025-10-05T10:00:00+08:00");
        assert_eq!(
            working_days(&cal, holiday, 0).unwrap().at,
            at("2025-10-09T00:00:00+08:00")
        );
    }

    #[test]
    fn negative_counts_step_back_over_holidays() {
        let due = working_days(&calendar_2025(), at("2025-10-10T10:00:00+08:00"), -2).unwrap();
        assert_eq!(due.at, at("2025-09-30T10:00:00+08:00"));
    }

    #[test]
    fn a_deadline_reaching_an_unannounced_year_is_provisional() {
        let due = working_days(&calendar_2025(), at("2025-12-30T10:00:00+08:00"), 5).unwrap();
        assert!(due.provisional);
        // Weekdays alone: 31 Dec, 1, 2, 5, 6 Jan.
        assert_eq!(due.at, at("2026-01-06T10:00:00+08:00"));
    }

    #[test]
    fn absurd_counts_are_errors_not_hangs() {
        let cal = calendar_2025();
        let t = at("2025-09-30T10:00:00+08:00");
        assert!(working_days(&cal, t, 1_000_000).is_err());
        assert!(hours(t, i64::MAX).is_err());
        assert!(months(t, i64::MIN).is_err());
    }

    #[test]
    fn calendar_time_ignores_holidays() {
        let t = at("2025-09-30T22:00:00+08:00");
        assert_eq!(hours(t, 2).unwrap(), at("2025-10-01T00:00:00+08:00"));
        assert_eq!(days(t, 3).unwrap(), at("2025-10-03T22:00:00+08:00"));
        assert_eq!(
            months(at("2025-01-31T09:00:00+08:00"), 1).unwrap(),
            at("2025-02-28T09:00:00+08:00")
        );
    }
}
