//! The project's calendar equals the holiday-cn reference data for every year both hold.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{Datelike, NaiveDate, Weekday};
use jiesu::calendar::load_dir;
use serde::Deserialize;

#[derive(Deserialize)]
struct ReferenceYear {
    year: i32,
    days: Vec<ReferenceDay>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReferenceDay {
    date: NaiveDate,
    is_off_day: bool,
}

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/calendars/holiday-cn")
}

#[test]
fn cn_toml_matches_holiday_cn_for_every_shared_year() {
    let dir = reference_dir();
    if !dir.is_dir() {
        eprintln!(
            "SKIPPED: {} is absent, so the calendar cannot be compared with the reference",
            dir.display()
        );
        return;
    }
    let mut reference: HashMap<NaiveDate, bool> = HashMap::new();
    let mut reference_years = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let is_year = path
            .file_stem()
            .and_then(|s| s.to_str())
            .is_some_and(|s| s.parse::<i32>().is_ok());
        if !is_year {
            continue;
        }
        let year: ReferenceYear =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        if !year.days.is_empty() {
            reference_years.push(year.year);
        }
        for day in year.days {
            reference.insert(day.date, !day.is_off_day);
        }
    }
    let calendars =
        load_dir(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("plugins/calendars")).unwrap();
    let cn = calendars.get("cn").unwrap();

    let shared: Vec<i32> = reference_years
        .iter()
        .copied()
        .filter(|y| cn.holds_year(*y))
        .collect();
    assert!(
        (2015..=2026).all(|y| shared.contains(&y)),
        "expected 2015–2026 in both, shared: {shared:?}"
    );
    let mut mismatches = Vec::new();
    for year in &shared {
        let mut date = NaiveDate::from_ymd_opt(*year, 1, 1).unwrap();
        while date.year() == *year {
            let weekday_rule = !matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
            let expected = reference.get(&date).copied().unwrap_or(weekday_rule);
            let day = cn.day(date);
            assert!(
                !day.provisional,
                "{date} is provisional but its year is held"
            );
            if day.working != expected {
                mismatches.push(format!(
                    "{date}: cn.toml says {}, holiday-cn says {}",
                    if day.working { "working" } else { "off" },
                    if expected { "working" } else { "off" }
                ));
            }
            date = date.succ_opt().unwrap();
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn a_reference_year_file_dropped_in_is_accepted_as_is() {
    let dir = reference_dir();
    if !dir.is_dir() {
        eprintln!("SKIPPED: {} is absent", dir.display());
        return;
    }
    // An administrator adds a year by dropping the holiday-cn file beside a calendar that
    // lacks it: here 2026, beside a cn.toml holding only 2025.
    let tmp = tempfile::tempdir().unwrap();
    let cn = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("plugins/calendars/cn.toml"),
    )
    .unwrap();
    let start = cn.find("[[year]]\nyear = 2026").unwrap();
    std::fs::write(tmp.path().join("cn.toml"), &cn[..start]).unwrap();
    std::fs::copy(dir.join("2026.json"), tmp.path().join("2026.json")).unwrap();
    let set = load_dir(tmp.path()).unwrap();
    let cal = set.get("cn").unwrap();
    assert!(cal.holds_year(2026));
    let make_up_saturday = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
    assert!(cal.day(make_up_saturday).working);
    assert!(
        !cal.day(NaiveDate::from_ymd_opt(2026, 2, 16).unwrap())
            .working
    );
}
