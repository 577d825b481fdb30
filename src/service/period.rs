//! A period of received tickets, as assessments and exports take it: `from` and `to` from
//! a query, and the tickets received in `[from, to)`.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};

use super::{Service, ServiceError};
use crate::domain::Ticket;
use crate::domain::to_micros;
use crate::store::TicketFilter;

const PAGE: i64 = 5_000;

#[derive(Debug, Clone, Copy)]
pub(super) struct Period {
    pub from: DateTime<FixedOffset>,
    pub to: DateTime<FixedOffset>,
}

impl Period {
    /// Bounds as a query gives them (see [`bound`]); `from` must come first.
    pub fn parse(from: &str, to: &str, offset: FixedOffset) -> Result<Self, ServiceError> {
        let period = Self {
            from: bound("from", from, offset)?,
            to: bound("to", to, offset)?,
        };
        if period.from >= period.to {
            return Err(ServiceError::BadQuery {
                field: "from",
                message: "must be before `to`".into(),
            });
        }
        Ok(period)
    }
}

/// An RFC 3339 instant, or a date meaning its midnight in the set's timezone. A query
/// string decodes an unescaped `+08:00` as ` 08:00`; that one slip is read as meant.
fn bound(
    field: &'static str,
    text: &str,
    offset: FixedOffset,
) -> Result<DateTime<FixedOffset>, ServiceError> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(&text.trim_end().replace(' ', "+")) {
        return Ok(at);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_time(NaiveTime::MIN).and_local_timezone(offset).single())
        .ok_or_else(|| ServiceError::BadQuery {
            field,
            message: format!(
                "`{text}` is neither an RFC 3339 instant nor a date YYYY-MM-DD (a `+` in a query must be sent as %2B)"
            ),
        })
}

impl Service {
    /// The tickets matching `scope` (jurisdiction, units) received in the period, paged
    /// through in id order. More than `cap` is refused, not truncated: a report or export
    /// that silently stopped would mislead.
    pub(super) fn tickets_received(
        &self,
        scope: TicketFilter,
        period: Period,
        cap: usize,
    ) -> Result<Vec<Ticket>, ServiceError> {
        let mut rows = Vec::new();
        let mut after = None;
        loop {
            let page = self.store.tickets(&TicketFilter {
                received_since: Some(to_micros(period.from)),
                received_before: Some(to_micros(period.to)),
                after: after.clone(),
                limit: PAGE,
                ..scope.clone()
            })?;
            let done = (page.len() as i64) < PAGE;
            after = page.last().map(|r| r.id.clone());
            rows.extend(page);
            if rows.len() > cap {
                return Err(ServiceError::BadQuery {
                    field: "to",
                    message: format!(
                        "the period holds more than {cap} tickets: ask for a shorter one"
                    ),
                });
            }
            if done {
                return Ok(rows);
            }
        }
    }
}
