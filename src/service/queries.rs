//! Reading tickets and trails.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::views::{EntryView, TicketPage, TicketView, TrailView, offset_of};
use super::{Service, ServiceError};
use crate::audit::verify_chain;
use crate::domain::Status;
use crate::store::TicketFilter;

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

/// `GET /api/v1/tickets` query parameters, as given.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketQuery {
    pub jurisdiction: Option<String>,
    pub status: Option<String>,
    pub unit: Option<String>,
    pub overdue: Option<bool>,
    pub limit: Option<i64>,
    pub after: Option<String>,
}

impl Service {
    #[tracing::instrument(skip(self))]
    pub fn ticket(&self, id: &str) -> Result<TicketView, ServiceError> {
        let row = self
            .store
            .ticket(id)?
            .ok_or_else(|| ServiceError::TicketNotFound(id.to_owned()))?;
        let trail = self.store.trail(id)?;
        TicketView::from_row(row, Some(&trail))
    }

    #[tracing::instrument(skip(self))]
    pub fn tickets(
        &self,
        query: TicketQuery,
        now: DateTime<Utc>,
    ) -> Result<TicketPage, ServiceError> {
        if let Some(status) = &query.status
            && Status::parse(status).is_none()
        {
            return Err(ServiceError::BadQuery {
                field: "status",
                message: format!("`{status}` is not a status"),
            });
        }
        let limit = query.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ServiceError::BadQuery {
                field: "limit",
                message: format!("must be between 1 and {MAX_PAGE}"),
            });
        }
        let filter = TicketFilter {
            jurisdiction: query.jurisdiction,
            status: query.status,
            unit: query.unit,
            overdue_at: query
                .overdue
                .unwrap_or(false)
                .then(|| now.timestamp_micros()),
            after: query.after,
            received_since: None,
            received_before: None,
            limit: limit + 1,
        };
        let mut rows = self.store.tickets(&filter)?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_after = if more {
            rows.last().map(|r| r.id.clone())
        } else {
            None
        };
        let tickets = rows
            .into_iter()
            .map(|row| TicketView::from_row(row, None))
            .collect::<Result<_, _>>()?;
        Ok(TicketPage {
            tickets,
            next_after,
        })
    }

    /// A ticket's whole trail, with its hash chain recomputed.
    #[tracing::instrument(skip(self))]
    pub fn trail(&self, id: &str) -> Result<TrailView, ServiceError> {
        let row = self
            .store
            .ticket(id)?
            .ok_or_else(|| ServiceError::TicketNotFound(id.to_owned()))?;
        let offset = offset_of(&row)?;
        let entries = self.store.trail(id)?;
        let chain = verify_chain(id, &entries);
        let ticket = TicketView::from_row(row, Some(&entries))?;
        let entries = entries
            .into_iter()
            .map(|e| EntryView::from_entry(e, offset))
            .collect::<Result<_, _>>()?;
        Ok(TrailView {
            ticket,
            entries,
            chain,
        })
    }
}
