use chrono::{DateTime, FixedOffset, SecondsFormat, TimeZone, Utc};

/// The one textual form of an instant everywhere jiesu writes one: RFC 3339 with offset.
pub fn format_instant(at: DateTime<FixedOffset>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// Instants are stored as unix microseconds.
pub fn to_micros(at: DateTime<impl TimeZone>) -> i64 {
    at.timestamp_micros()
}

/// A stored instant in the given offset; `None` only for values outside chrono's range.
pub fn from_micros(micros: i64, offset: FixedOffset) -> Option<DateTime<FixedOffset>> {
    DateTime::<Utc>::from_timestamp_micros(micros).map(|t| t.with_timezone(&offset))
}
