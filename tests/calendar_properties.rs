//! Properties of the deadline arithmetic over the shipped calendar (DESIGN.md "Time").
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Timelike};
use jiesu::calendar::{Calendar, days, hours, load_dir, months, working_days};
use proptest::prelude::*;

fn cn() -> Arc<Calendar> {
    static CN: OnceLock<Arc<Calendar>> = OnceLock::new();
    CN.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("plugins/calendars");
        Arc::clone(load_dir(&dir).unwrap().get("cn").unwrap())
    })
    .clone()
}

fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

/// Instants between 2015 and the end of 2026, at minute resolution.
fn instant() -> impl Strategy<Value = DateTime<FixedOffset>> {
    let start = beijing()
        .with_ymd_and_hms(2015, 1, 1, 0, 0, 0)
        .unwrap()
        .timestamp();
    let end = beijing()
        .with_ymd_and_hms(2026, 11, 30, 23, 59, 0)
        .unwrap()
        .timestamp();
    (start / 60..end / 60).prop_map(|m| beijing().timestamp_opt(m * 60, 0).unwrap())
}

fn working_days_between(cal: &Calendar, from: NaiveDate, to: NaiveDate) -> i64 {
    let mut count = 0;
    let mut d = from;
    while d < to {
        d = d.succ_opt().unwrap();
        if cal.day(d).working {
            count += 1;
        }
    }
    count
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn lands_on_a_working_day_n_working_days_later(t in instant(), n in 1i64..40) {
        let cal = cn();
        let due = working_days(&cal, t, n).unwrap();
        prop_assert!(cal.day(due.at.date_naive()).working);
        let start_working = cal.day(t.date_naive()).working;
        if start_working {
            prop_assert_eq!(due.at.time(), t.time());
            prop_assert_eq!(working_days_between(&cal, t.date_naive(), due.at.date_naive()), n);
        } else {
            prop_assert_eq!(due.at.time(), NaiveTime::MIN);
            // From a day off, the first working day is the start (day zero).
            prop_assert_eq!(working_days_between(&cal, t.date_naive(), due.at.date_naive()), n + 1);
        }
        prop_assert!(due.at > t);
    }

    #[test]
    fn steps_compose(t in instant(), a in 0i64..25, b in 0i64..25) {
        let cal = cn();
        let stepwise = working_days(&cal, working_days(&cal, t, a).unwrap().at, b).unwrap();
        let direct = working_days(&cal, t, a + b).unwrap();
        prop_assert_eq!(stepwise.at, direct.at);
    }

    #[test]
    fn more_days_are_later(t in instant(), a in 0i64..30, extra in 1i64..30) {
        let cal = cn();
        prop_assert!(working_days(&cal, t, a).unwrap().at < working_days(&cal, t, a + extra).unwrap().at);
    }

    #[test]
    fn stepping_back_undoes_stepping_forward(t in instant(), n in 0i64..30) {
        let cal = cn();
        let start = working_days(&cal, t, 0).unwrap().at;
        let there = working_days(&cal, start, n).unwrap().at;
        prop_assert_eq!(working_days(&cal, there, -n).unwrap().at, start);
    }

    #[test]
    fn provisional_exactly_when_a_year_is_missing(t in instant(), n in 0i64..60) {
        let cal = cn();
        let due = working_days(&cal, t, n).unwrap();
        let last_held = 2026;
        prop_assert_eq!(due.provisional, due.at.date_naive() > NaiveDate::from_ymd_opt(last_held, 12, 31).unwrap());
    }

    #[test]
    fn calendar_time_is_exact(t in instant(), n in -10_000i64..10_000) {
        prop_assert_eq!(hours(t, n).unwrap() - t, Duration::hours(n));
        prop_assert_eq!(days(t, n).unwrap() - t, Duration::days(n));
    }

    #[test]
    fn months_keep_the_time_and_never_overshoot_the_month(t in instant(), n in 0i64..36) {
        let later = months(t, n).unwrap();
        prop_assert_eq!(later.time().num_seconds_from_midnight(), t.time().num_seconds_from_midnight());
        prop_assert!(chrono::Datelike::day(&later) <= chrono::Datelike::day(&t));
    }
}

#[test]
fn design_examples() {
    let cal = cn();
    let t = DateTime::parse_from_rfc3339("2025-09-30T10:00:00+08:00").unwrap();
    assert_eq!(
        working_days(&cal, t, 2).unwrap().at,
        DateTime::parse_from_rfc3339("2025-10-10T10:00:00+08:00").unwrap()
    );
    let late_2026 = DateTime::parse_from_rfc3339("2026-12-20T10:00:00+08:00").unwrap();
    assert!(working_days(&cal, late_2026, 20).unwrap().provisional);
}
