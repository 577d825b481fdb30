//! Reading tickets and trails.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::period::Period;
use super::views::{EntryView, TicketPage, TicketView, TrailView};
use super::{Service, ServiceError, require_jurisdiction};
use crate::audit::TrailEntry;
use crate::domain::Ticket;
use crate::domain::{Principal, Role, Status};
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

/// Whether a stored ticket is within the caller's scope.
fn covers(principal: &Principal, ticket: &Ticket) -> bool {
    principal.covers_ticket(
        &ticket.jurisdiction,
        ticket.lead_id(),
        ticket.assist.iter().map(|u| u.id.as_str()),
    )
}

impl Service {
    /// A ticket the caller may see. One outside its scope is "not found": whether it exists
    /// is itself not the caller's to know.
    pub(super) fn scoped_row(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<Ticket, ServiceError> {
        let not_found = || ServiceError::TicketNotFound(id.to_owned());
        let row = self
            .store
            .ticket(id)?
            .filter(|row| principal.covers_jurisdiction(&row.jurisdiction))
            .ok_or_else(not_found)?;
        if covers(principal, &row) {
            return Ok(row);
        }
        // A unit that owes a clock without leading or assisting (WS-4.1: the office signs)
        // sees the ticket it has a part in.
        if principal.role == Role::Unit
            && self
                .store
                .deadlines(id)?
                .iter()
                .any(|c| c.still_owed() && principal.units.contains(&c.unit))
        {
            return Ok(row);
        }
        Err(not_found())
    }

    /// A ticket as the service itself reads it, after a write it just made.
    pub(super) fn view(&self, id: &str) -> Result<TicketView, ServiceError> {
        let row = self
            .store
            .ticket(id)?
            .ok_or_else(|| ServiceError::TicketNotFound(id.to_owned()))?;
        self.full_view(row)
    }

    /// A row with its trail and clocks, as a ticket answer.
    pub(super) fn full_view(&self, ticket: Ticket) -> Result<TicketView, ServiceError> {
        let trail = self.store.trail(&ticket.id)?;
        let clocks = self.store.deadlines(&ticket.id)?;
        let namer = self.unit_namer(&ticket.jurisdiction);
        Ok(TicketView::from_ticket(
            ticket,
            Some(&trail),
            &clocks,
            &namer,
        ))
    }

    /// Names units by the set serving a jurisdiction now.
    pub(super) fn unit_namer(&self, jurisdiction: &str) -> impl Fn(&str) -> Option<String> + use<> {
        let set = self.registry.get(jurisdiction);
        move |id: &str| {
            set.as_ref()
                .and_then(|s| s.unit(id))
                .map(|u| u.name.clone())
        }
    }

    #[tracing::instrument(skip(self, principal), fields(caller = %principal.name))]
    pub fn ticket(&self, principal: &Principal, id: &str) -> Result<TicketView, ServiceError> {
        let row = self.scoped_row(principal, id)?;
        self.full_view(row)
    }

    #[tracing::instrument(skip(self, principal), fields(caller = %principal.name))]
    pub fn tickets(
        &self,
        principal: &Principal,
        query: TicketQuery,
        now: DateTime<Utc>,
    ) -> Result<TicketPage, ServiceError> {
        if let Some(j) = &query.jurisdiction {
            require_jurisdiction(principal, j)?;
        }
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
            within_jurisdictions: principal
                .jurisdictions
                .as_ref()
                .map(|js| js.iter().cloned().collect()),
            within_units: (principal.role == Role::Unit)
                .then(|| principal.units.iter().cloned().collect()),
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
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut clocks_of: std::collections::HashMap<String, Vec<crate::domain::Clock>> =
            std::collections::HashMap::new();
        for (ticket, clock) in self.store.deadlines_of(&ids)? {
            clocks_of.entry(ticket).or_default().push(clock);
        }
        let tickets = rows
            .into_iter()
            .map(|row| {
                let clocks = clocks_of.remove(&row.id).unwrap_or_default();
                let namer = self.unit_namer(&row.jurisdiction);
                TicketView::from_ticket(row, None, &clocks, &namer)
            })
            .collect();
        Ok(TicketPage {
            tickets,
            next_after,
        })
    }

    /// A ticket's whole trail, with its hash chain recomputed.
    #[tracing::instrument(skip(self, principal), fields(caller = %principal.name))]
    pub fn trail(&self, principal: &Principal, id: &str) -> Result<TrailView, ServiceError> {
        let row = self.scoped_row(principal, id)?;
        self.trail_of(row, principal.pii)
    }

    /// A row's trail, with its hash chain recomputed; the caller has checked the scope.
    /// Hashes of the first format were computed over the requester in the clear: with the
    /// rest of their preimage beside them a masked name or phone could be guessed and
    /// checked, so a caller without `pii` does not get them.
    fn trail_of(&self, row: Ticket, pii: bool) -> Result<TrailView, ServiceError> {
        let offset = row.offset();
        let evidence = self.store.ticket_evidence(&row.id)?;
        let chain =
            super::verify::ticket_integrity(&row.id, &evidence, self.store.verifier().as_ref());
        let entries = evidence.trail;
        let clocks = self.store.deadlines(&row.id)?;
        let namer = self.unit_namer(&row.jurisdiction);
        let ticket = TicketView::from_ticket(row, Some(&entries), &clocks, &namer);
        let hide = !pii && entries.iter().any(TrailEntry::hashes_personal_data);
        let entries = entries
            .into_iter()
            .map(|e| {
                let mut view = EntryView::from_entry(e, offset)?;
                if hide {
                    view.hash = HIDDEN_HASH.to_owned();
                    view.prev_hash = HIDDEN_HASH.to_owned();
                }
                Ok(view)
            })
            .collect::<Result<_, ServiceError>>()?;
        Ok(TrailView {
            ticket,
            entries,
            chain,
        })
    }
}

impl Service {
    /// `POST /api/v1/tickets/{id}/trail/{seq}/replay`.
    #[tracing::instrument(skip(self, principal), fields(caller = %principal.name))]
    pub fn replay(
        &self,
        principal: &Principal,
        id: &str,
        seq: i64,
    ) -> Result<super::Replayed, ServiceError> {
        self.scoped_row(principal, id)?;
        let entry = self
            .store
            .trail(id)?
            .into_iter()
            .find(|e| e.seq == seq)
            .ok_or_else(|| ServiceError::TicketNotFound(format!("{id}/trail/{seq}")))?;
        super::replay_entry(&self.store, &mut super::VersionCache::default(), &entry)
    }
}

/// What a caller without `pii` sees instead of a hash computed over personal data.
pub const HIDDEN_HASH: &str =
    "hidden: computed over personal data in the clear (an entry of the first format)";

/// Tickets per page of a streamed export: what one chunk of the response holds.
const EXPORT_PAGE: i64 = 100;

/// A period's trails, checked and scoped, to be read a page at a time.
#[derive(Debug, Clone)]
pub struct TrailExport {
    scope: TicketFilter,
    pii: bool,
}

impl Service {
    /// Checks a trails export (scope, jurisdiction, period) before anything is streamed.
    #[tracing::instrument(skip(self, principal), fields(caller = %principal.name))]
    pub fn trails_export(
        &self,
        principal: &Principal,
        jurisdiction: &str,
        from: &str,
        to: &str,
    ) -> Result<TrailExport, ServiceError> {
        require_jurisdiction(principal, jurisdiction)?;
        let offset = self.served_set(jurisdiction)?.manifest().offset;
        let period = Period::parse(from, to, offset)?;
        Ok(TrailExport {
            scope: TicketFilter {
                jurisdiction: Some(jurisdiction.to_owned()),
                within_units: (principal.role == Role::Unit)
                    .then(|| principal.units.iter().cloned().collect()),
                received_since: Some(period.from.timestamp_micros()),
                received_before: Some(period.to.timestamp_micros()),
                limit: EXPORT_PAGE,
                ..TicketFilter::default()
            },
            pii: principal.pii,
        })
    }

    /// The page of an export after ticket `after`, and the id to continue after (`None`:
    /// the last page). Memory is one page, whatever the period holds.
    pub fn trails_page(
        &self,
        export: &TrailExport,
        after: Option<String>,
    ) -> Result<(Vec<TrailView>, Option<String>), ServiceError> {
        let page = self.store.tickets(&TicketFilter {
            after,
            ..export.scope.clone()
        })?;
        let next = (page.len() as i64 == EXPORT_PAGE)
            .then(|| page.last().map(|r| r.id.clone()))
            .flatten();
        let trails = page
            .into_iter()
            .map(|row| self.trail_of(row, export.pii))
            .collect::<Result<_, _>>()?;
        Ok((trails, next))
    }
}

/// What the auditor's page of one ticket shows: its trail (whose ticket carries every
/// unit's clocks), and the text of every rule, by the policy version that cited it.
pub struct TicketPageData {
    pub trail: TrailView,
    /// version → rule id → text, as that version's stored `rules.toml` says.
    pub rules: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
}

impl Service {
    /// Everything the auditor's page of a ticket shows, from one scoped read of it.
    pub fn ticket_page(
        &self,
        principal: &Principal,
        id: &str,
    ) -> Result<TicketPageData, ServiceError> {
        let row = self.scoped_row(principal, id)?;
        let trail = self.trail_of(row, principal.pii)?;
        let mut rules = std::collections::BTreeMap::new();
        for entry in &trail.entries {
            let Some(policy) = &entry.policy else {
                continue;
            };
            if rules.contains_key(&policy.version) {
                continue;
            }
            rules.insert(
                policy.version.clone(),
                self.rule_texts(&policy.id, &policy.version)?,
            );
        }
        Ok(TicketPageData { trail, rules })
    }

    /// The rule texts of one stored version, by id.
    fn rule_texts(
        &self,
        policy: &str,
        version: &str,
    ) -> Result<std::collections::BTreeMap<String, String>, ServiceError> {
        let Some(row) = self.store.policy_version(policy, version)? else {
            return Ok(std::collections::BTreeMap::new());
        };
        let sources: std::collections::BTreeMap<String, String> =
            serde_json::from_str(&row.sources).unwrap_or_default();
        Ok(crate::policy::RuleBook::texts_of(&sources))
    }
}
