//! Reading calendars from `plugins/calendars/`: the project's own TOML format, and
//! holiday-cn JSON year files an administrator drops in beside it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::Calendar;

/// The longest holiday range a notice can plausibly announce; longer is a typo.
const MAX_RANGE_DAYS: i64 = 31;

/// The calendar a bare `YYYY.json` (a holiday-cn year file) extends.
const HOLIDAY_CN_DEFAULT: &str = "cn";

#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}`: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error(
        "year {year} of calendar `{calendar}` is defined twice: in `{first}` and in `{second}`"
    )]
    DuplicateYear {
        calendar: String,
        year: i32,
        first: String,
        second: String,
    },
}

/// Every calendar found in a directory, with the source files each was built from.
#[derive(Debug, Clone, Default)]
pub struct CalendarSet {
    calendars: BTreeMap<String, LoadedCalendar>,
}

#[derive(Debug, Clone)]
struct LoadedCalendar {
    calendar: Arc<Calendar>,
    sources: Vec<(String, String)>,
}

impl CalendarSet {
    pub fn get(&self, name: &str) -> Option<&Arc<Calendar>> {
        self.calendars.get(name).map(|c| &c.calendar)
    }

    /// The files (name relative to the calendars directory, content) a calendar was built from.
    pub fn sources(&self, name: &str) -> &[(String, String)] {
        self.calendars
            .get(name)
            .map(|c| c.sources.as_slice())
            .unwrap_or_default()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.calendars.keys().map(String::as_str)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    name: String,
    #[serde(default)]
    #[allow(dead_code, reason = "documentation for people reading the file")]
    description: Option<String>,
    #[serde(default)]
    year: Vec<YearEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearEntry {
    year: i32,
    notices: Vec<Notice>,
    #[serde(default)]
    holiday: Vec<HolidayEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Notice {
    title: String,
    #[serde(default)]
    #[allow(dead_code, reason = "citation for people reading the file")]
    url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayEntry {
    name: String,
    #[serde(default)]
    off: Vec<String>,
    #[serde(default)]
    work: Vec<String>,
}

/// The holiday-cn project's year file (https://github.com/NateScarlet/holiday-cn, MIT).
#[derive(Deserialize)]
struct HolidayCnFile {
    year: i32,
    papers: Vec<String>,
    days: Vec<HolidayCnDay>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HolidayCnDay {
    date: NaiveDate,
    is_off_day: bool,
}

#[derive(Default)]
struct Builder {
    /// year → file that announced it
    years: BTreeMap<i32, String>,
    overrides: HashMap<NaiveDate, (bool, String)>,
    sources: Vec<(String, String)>,
}

impl Builder {
    fn add_year(&mut self, calendar: &str, year: i32, file: &str) -> Result<(), CalendarError> {
        if let Some(first) = self.years.get(&year) {
            return Err(CalendarError::DuplicateYear {
                calendar: calendar.to_owned(),
                year,
                first: first.clone(),
                second: file.to_owned(),
            });
        }
        self.years.insert(year, file.to_owned());
        Ok(())
    }

    fn set(&mut self, date: NaiveDate, working: bool, path: &Path) -> Result<(), CalendarError> {
        let file = file_name(path);
        match self.overrides.get(&date) {
            Some((existing, _)) if *existing == working => Ok(()),
            Some((_, other)) => Err(invalid(
                path,
                format!(
                    "{date} is listed both as a day off and as a working day (see also `{other}`)"
                ),
            )),
            None => {
                self.overrides.insert(date, (working, file));
                Ok(())
            }
        }
    }

    fn build(self, name: String) -> LoadedCalendar {
        let mut hasher = Sha256::new();
        for (file, content) in &self.sources {
            hasher.update((file.len() as u64).to_le_bytes());
            hasher.update(file.as_bytes());
            hasher.update((content.len() as u64).to_le_bytes());
            hasher.update(content.as_bytes());
        }
        let version = hex::encode(hasher.finalize());
        let overrides = self
            .overrides
            .into_iter()
            .map(|(date, (working, _))| (date, working))
            .collect();
        let years: BTreeSet<i32> = self.years.into_keys().collect();
        LoadedCalendar {
            calendar: Arc::new(Calendar::new(name, years, overrides, version)),
            sources: self.sources,
        }
    }
}

fn invalid(path: &Path, message: impl Into<String>) -> CalendarError {
    CalendarError::Invalid {
        path: path.to_owned(),
        message: message.into(),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Loads every calendar of a directory: `NAME.toml` files, plus holiday-cn year files named
/// `YYYY.json` (extending `cn`) or `NAME-YYYY.json` (extending `NAME`).
pub fn load_dir(dir: &Path) -> Result<CalendarSet, CalendarError> {
    let io = |source| CalendarError::Io {
        path: dir.to_owned(),
        source,
    };
    // The folder itself must not lead out of the one holding it (a symlinked
    // `plugins/calendars`): its files are stored as policy sources and echoed in errors.
    if let (Some(parent), Ok(real)) = (dir.parent(), dir.canonicalize())
        && parent
            .canonicalize()
            .is_ok_and(|root| !real.starts_with(root))
    {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "the calendars folder leads outside plugins/ (a symlink?); hint: copy the files in instead",
        )));
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(io)?
        .into_iter()
        .map(|entry| entry.path())
        .filter(|p| p.is_file())
        .collect();
    // A calendar file reached through a symlink out of the folder is not read: its content
    // would be stored as policy source and shown with every version.
    if let Ok(root) = dir.canonicalize() {
        paths.retain(|p| p.canonicalize().is_ok_and(|real| real.starts_with(&root)));
    }
    paths.sort();

    let mut builders: BTreeMap<String, Builder> = BTreeMap::new();
    for path in &paths {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext != "toml" && ext != "json" {
            continue;
        }
        let content = std::fs::read_to_string(path).map_err(|source| CalendarError::Io {
            path: path.clone(),
            source,
        })?;
        if ext == "toml" {
            load_toml(path, &content, &mut builders)?;
        } else {
            load_holiday_cn(path, &content, &mut builders)?;
        }
    }
    Ok(CalendarSet {
        calendars: builders
            .into_iter()
            .map(|(name, b)| (name.clone(), b.build(name)))
            .collect(),
    })
}

fn load_toml(
    path: &Path,
    content: &str,
    builders: &mut BTreeMap<String, Builder>,
) -> Result<(), CalendarError> {
    let file: CalendarFile = toml::from_str(content).map_err(|e| invalid(path, e.to_string()))?;
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    if file.name != stem {
        return Err(invalid(
            path,
            format!(
                "calendar name `{}` must match the file name `{stem}`",
                file.name
            ),
        ));
    }
    let file_label = file_name(path);
    let builder = builders.entry(file.name.clone()).or_default();
    for year in &file.year {
        builder.add_year(&file.name, year.year, &file_label)?;
        if year.notices.iter().all(|n| n.title.trim().is_empty()) {
            return Err(invalid(
                path,
                format!("year {} cites no State Council notice", year.year),
            ));
        }
        for holiday in &year.holiday {
            for (entries, working) in [(&holiday.off, false), (&holiday.work, true)] {
                for entry in entries {
                    for date in parse_dates(path, &holiday.name, entry)? {
                        if (date.year() - year.year).abs() > 1 {
                            return Err(invalid(
                                path,
                                format!(
                                    "{date} ({}) is far from its notice's year {}",
                                    holiday.name, year.year
                                ),
                            ));
                        }
                        builder.set(date, working, path)?;
                    }
                }
            }
        }
    }
    builder.sources.push((file_label, content.to_owned()));
    Ok(())
}

fn parse_dates(path: &Path, holiday: &str, entry: &str) -> Result<Vec<NaiveDate>, CalendarError> {
    let parse = |s: &str| {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|e| invalid(path, format!("{holiday}: `{s}` is not a date: {e}")))
    };
    match entry.split_once("..") {
        None => Ok(vec![parse(entry)?]),
        Some((from, to)) => {
            let (from, to) = (parse(from)?, parse(to)?);
            let span = (to - from).num_days();
            if !(0..MAX_RANGE_DAYS).contains(&span) {
                return Err(invalid(
                    path,
                    format!(
                        "{holiday}: range `{entry}` must run forwards and span under {MAX_RANGE_DAYS} days"
                    ),
                ));
            }
            Ok(from.iter_days().take(span as usize + 1).collect())
        }
    }
}

fn load_holiday_cn(
    path: &Path,
    content: &str,
    builders: &mut BTreeMap<String, Builder>,
) -> Result<(), CalendarError> {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let (calendar, year_text) = match stem.rsplit_once('-') {
        Some((name, year)) => (name, year),
        None => (HOLIDAY_CN_DEFAULT, stem),
    };
    let Ok(year) = year_text.parse::<i32>() else {
        return Err(invalid(
            path,
            "a holiday-cn file must be named `YYYY.json` or `NAME-YYYY.json`",
        ));
    };
    let file: HolidayCnFile =
        serde_json::from_str(content).map_err(|e| invalid(path, e.to_string()))?;
    if file.year != year {
        return Err(invalid(
            path,
            format!("the file is named for {year} but holds year {}", file.year),
        ));
    }
    if file.papers.is_empty() {
        return Err(invalid(
            path,
            format!("year {year} cites no State Council notice"),
        ));
    }
    let label = file_name(path);
    let builder = builders.entry(calendar.to_owned()).or_default();
    builder.add_year(calendar, year, &label)?;
    for day in &file.days {
        builder.set(day.date, !day.is_off_day, path)?;
    }
    builder.sources.push((label, content.to_owned()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML_2025: &str = r#"
name = "cn"
[[year]]
year = 2025
notices = [{ title = "国务院办公厅关于2025年部分节假日安排的通知" }]
holiday = [{ name = "国庆节、中秋节", off = ["2025-10-01..2025-10-08"], work = ["2025-09-28", "2025-10-11"] }]
"#;

    fn write(dir: &Path, name: &str, content: &str) {
        std::fs::write(dir.join(name), content).unwrap();
    }

    #[test]
    fn reads_ranges_and_make_up_days() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "cn.toml", TOML_2025);
        let set = load_dir(dir.path()).unwrap();
        let cn = set.get("cn").unwrap();
        let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).unwrap();
        assert!(!cn.day(d(10, 8)).working);
        assert!(cn.day(d(10, 11)).working, "make-up Saturday");
        assert!(cn.day(d(10, 9)).working);
        assert!(!cn.day(d(10, 12)).working, "ordinary Sunday");
        assert!(!cn.day(d(10, 9)).provisional);
        assert!(
            cn.day(NaiveDate::from_ymd_opt(2027, 1, 4).unwrap())
                .provisional
        );
    }

    #[test]
    fn a_dropped_in_holiday_cn_year_extends_cn_and_changes_its_version() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "cn.toml", TOML_2025);
        let before = load_dir(dir.path())
            .unwrap()
            .get("cn")
            .unwrap()
            .version()
            .to_owned();
        write(
            dir.path(),
            "2027.json",
            r#"{"year":2027,"papers":["notice"],"days":[
                {"name":"元旦","date":"2027-01-01","isOffDay":true},
                {"name":"春节","date":"2027-02-07","isOffDay":false}]}"#,
        );
        let set = load_dir(dir.path()).unwrap();
        let cn = set.get("cn").unwrap();
        assert!(cn.holds_year(2027));
        assert!(cn.day(NaiveDate::from_ymd_opt(2027, 2, 7).unwrap()).working);
        assert!(!cn.day(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()).working);
        assert_ne!(cn.version(), before);
        assert_eq!(set.sources("cn").len(), 2);
    }

    #[test]
    fn a_year_defined_twice_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "cn.toml", TOML_2025);
        write(
            dir.path(),
            "2025.json",
            r#"{"year":2025,"papers":["x"],"days":[]}"#,
        );
        let err = load_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("2025") && err.contains("twice"), "{err}");
    }

    #[test]
    fn contradictions_and_typos_are_refused_with_the_file_named() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "cn.toml",
            &TOML_2025.replace("\"2025-10-11\"", "\"2025-10-03\""),
        );
        let err = load_dir(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("cn.toml") && err.contains("2025-10-03"),
            "{err}"
        );

        write(
            dir.path(),
            "cn.toml",
            &TOML_2025.replace("2025-10-08", "2025-13-08"),
        );
        let err = load_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("not a date"), "{err}");
    }

    #[test]
    fn a_misnamed_json_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "2026.json",
            r#"{"year":2027,"papers":["x"],"days":[]}"#,
        );
        assert!(load_dir(dir.path()).is_err());
    }
}
