use diesel::prelude::*;
use diesel::sqlite::Sqlite;

use super::connection::{Store, StoreError};
use super::rows::{DeadlineRow, NewNotification, PolicyVersionRow, TicketRow, TrailRow};
use super::schema::{
    deadlines, idempotency_keys, policy_versions, ticket_secrets, tickets, trail_entries,
};
use crate::audit::TrailEntry;
use crate::domain::{Clock, Ticket};

/// Statuses in which a passed `resolve` deadline counts as overdue.
const OPEN_STATUSES: &[&str] = &["dispatched", "signed", "in_progress", "reopened"];

/// What filing with an idempotency key came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Filed {
    /// Written, with the trail as sealed.
    Created(Vec<TrailEntry>),
    /// The key was used before with the same body: that ticket.
    Replayed(String),
    /// The key was used before with another body.
    KeyConflict(String),
}

/// A filing's idempotency key, and whose it is: keys of different callers never meet.
#[derive(Debug, Clone, Copy)]
pub struct Idempotency<'a> {
    /// The jurisdiction and the caller's token name.
    pub scope: &'a str,
    pub key: &'a str,
    pub body_hash: &'a str,
}

/// `GET /api/v1/tickets` filters, already validated.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub jurisdiction: Option<String>,
    pub status: Option<String>,
    pub unit: Option<String>,
    /// Overdue as of this instant (unix microseconds).
    pub overdue_at: Option<i64>,
    pub after: Option<String>,
    /// Received at or after this instant (unix microseconds).
    pub received_since: Option<i64>,
    /// Received before this instant (unix microseconds).
    pub received_before: Option<i64>,
    /// Only these jurisdictions (a token's scope).
    pub within_jurisdictions: Option<Vec<String>>,
    /// Only tickets one of these units leads or assists (a unit token's scope).
    pub within_units: Option<Vec<String>>,
    pub limit: i64,
}

impl Store {
    /// Writes a new ticket, its first trail entries (sealed here) and its clocks in one
    /// immediate transaction. With an idempotency key already used, writes nothing and says for which
    /// ticket, and whether the body was the same.
    #[tracing::instrument(skip_all, fields(ticket = %ticket.id))]
    pub fn insert_ticket(
        &self,
        ticket: &Ticket,
        trail: Vec<TrailEntry>,
        clocks: &[Clock],
        notifications: &[NewNotification],
        idempotency: Option<Idempotency<'_>>,
    ) -> Result<Filed, StoreError> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)
            .map_err(|e| StoreError::Corrupt(format!("no randomness: {e}")))?;
        let trail = crate::audit::seal_after(&ticket.id, None, trail, Some(&secret))
            .map_err(|_| StoreError::Corrupt("a requester could not be committed".into()))?;
        let signer = self.signer();
        let ticket = TicketRow::encode(ticket, clocks);
        let rows: Vec<TrailRow> = trail.iter().map(TrailRow::from).collect();
        let clocks: Vec<DeadlineRow> = clocks
            .iter()
            .map(|c| DeadlineRow::encode(&ticket.id, &ticket.jurisdiction, c, ticket.created_at))
            .collect();
        self.write(|conn| {
            if let Some(Idempotency {
                scope,
                key,
                body_hash,
            }) = idempotency
            {
                let seen: Option<(String, String)> = idempotency_keys::table
                    .find((scope, key))
                    .select((idempotency_keys::body_hash, idempotency_keys::ticket_id))
                    .first(conn)
                    .optional()?;
                if let Some((hash, id)) = seen {
                    return Ok(if hash == body_hash {
                        Filed::Replayed(id)
                    } else {
                        Filed::KeyConflict(id)
                    });
                }
            }
            diesel::insert_into(tickets::table)
                .values(&ticket)
                .execute(conn)?;
            diesel::insert_into(trail_entries::table)
                .values(&rows)
                .execute(conn)?;
            diesel::insert_into(deadlines::table)
                .values(&clocks)
                .execute(conn)?;
            // Offsets are trail positions; a new ticket's trail starts at seq 1.
            let fired: Vec<NewNotification> = notifications
                .iter()
                .cloned()
                .map(|mut n| {
                    n.seq = n.seq.map(|offset| offset + 1);
                    n
                })
                .collect();
            if !fired.is_empty() {
                diesel::insert_into(super::schema::notifications::table)
                    .values(&fired)
                    .execute(conn)?;
            }
            diesel::insert_into(ticket_secrets::table)
                .values((
                    ticket_secrets::ticket_id.eq(&ticket.id),
                    ticket_secrets::salt.eq(hex::encode(secret)),
                ))
                .execute(conn)?;
            if let Some(Idempotency {
                scope,
                key,
                body_hash,
            }) = idempotency
            {
                diesel::insert_into(idempotency_keys::table)
                    .values((
                        idempotency_keys::scope.eq(scope),
                        idempotency_keys::key.eq(key),
                        idempotency_keys::body_hash.eq(body_hash),
                        idempotency_keys::ticket_id.eq(&ticket.id),
                        idempotency_keys::created_at.eq(ticket.created_at),
                    ))
                    .execute(conn)?;
            }
            super::ledger::seal_ticket(conn, &ticket.id, ticket.created_at, signer.as_deref())?;
            Ok(Filed::Created(trail.clone()))
        })
    }

    #[tracing::instrument(skip(self))]
    pub fn ticket(&self, id: &str) -> Result<Option<Ticket>, StoreError> {
        tickets::table
            .find(id)
            .select(TicketRow::as_select())
            .first(&mut self.conn()?)
            .optional()?
            .map(TicketRow::decode)
            .transpose()
    }

    #[tracing::instrument(skip(self))]
    pub fn tickets(&self, filter: &TicketFilter) -> Result<Vec<Ticket>, StoreError> {
        let mut query = tickets::table
            .select(TicketRow::as_select())
            .into_boxed::<Sqlite>();
        if let Some(j) = &filter.jurisdiction {
            query = query.filter(tickets::jurisdiction.eq(j));
        }
        if let Some(s) = &filter.status {
            query = query.filter(tickets::status.eq(s));
        }
        if let Some(u) = &filter.unit {
            query = query.filter(tickets::lead_unit_id.eq(u));
        }
        if let Some(now) = filter.overdue_at {
            query = query
                .filter(tickets::resolve_due.lt(now))
                .filter(tickets::status.eq_any(OPEN_STATUSES));
        }
        if let Some(since) = filter.received_since {
            query = query.filter(tickets::received_at.ge(since));
        }
        if let Some(before) = filter.received_before {
            query = query.filter(tickets::received_at.lt(before));
        }
        if let Some(js) = &filter.within_jurisdictions {
            query = query.filter(tickets::jurisdiction.eq_any(js.clone()));
        }
        if let Some(units) = &filter.within_units {
            // Co-units are stored as JSON `[{"id": …, "name": …}]`; unit ids are plain
            // identifiers, so the quoted id pattern matches exactly that unit.
            let mut scope: Box<
                dyn BoxableExpression<tickets::table, Sqlite, SqlType = diesel::sql_types::Bool>,
            > = Box::new(
                tickets::lead_unit_id
                    .eq_any(units.clone())
                    .assume_not_null(),
            );
            for unit in units {
                let pattern = format!("%\"id\":\"{}\"%", unit.replace(['%', '_', '\\'], ""));
                scope = Box::new(scope.or(tickets::assist_units.like(pattern)));
            }
            // A unit that owes a running clock without leading or assisting (WS-4.1: the
            // office signs) finds the tickets it must act on.
            let owing = deadlines::table
                .filter(deadlines::unit_id.eq_any(units.clone()))
                .filter(deadlines::state.eq_any(["open", "warned"]))
                .select(deadlines::ticket_id);
            scope = Box::new(scope.or(tickets::id.eq_any(owing)));
            query = query.filter(scope);
        }
        if let Some(after) = &filter.after {
            query = query.filter(tickets::id.gt(after));
        }
        query
            .order(tickets::id.asc())
            .limit(filter.limit)
            .load(&mut self.conn()?)?
            .into_iter()
            .map(TicketRow::decode)
            .collect()
    }

    /// A ticket's trail in `seq` order.
    #[tracing::instrument(skip(self))]
    pub fn trail(&self, ticket_id: &str) -> Result<Vec<TrailEntry>, StoreError> {
        let rows: Vec<TrailRow> = trail_entries::table
            .filter(trail_entries::ticket_id.eq(ticket_id))
            .order(trail_entries::seq.asc())
            .select(TrailRow::as_select())
            .load(&mut self.conn()?)?;
        Ok(rows.into_iter().map(TrailRow::into_entry).collect())
    }

    /// One entry of a ticket's trail.
    pub fn trail_entry(&self, ticket_id: &str, seq: i64) -> Result<Option<TrailEntry>, StoreError> {
        Ok(trail_entries::table
            .filter(trail_entries::ticket_id.eq(ticket_id))
            .filter(trail_entries::seq.eq(seq))
            .select(TrailRow::as_select())
            .first(&mut self.conn()?)
            .optional()?
            .map(TrailRow::into_entry))
    }

    /// The action events (not decisions) of some tickets, oldest first per ticket: what
    /// review hooks and assessments read of a ticket's history.
    pub fn events(&self, ticket_ids: &[String]) -> Result<Vec<TrailEntry>, StoreError> {
        let mut entries = Vec::new();
        let mut conn = self.conn()?;
        // Bounded IN lists keep every backend under its bind-parameter limit.
        for chunk in ticket_ids.chunks(500) {
            let rows: Vec<TrailRow> = trail_entries::table
                .filter(trail_entries::ticket_id.eq_any(chunk))
                .filter(trail_entries::kind.eq("event"))
                .order((trail_entries::ticket_id.asc(), trail_entries::seq.asc()))
                .select(TrailRow::as_select())
                .load(&mut conn)?;
            entries.extend(rows.into_iter().map(TrailRow::into_entry));
        }
        Ok(entries)
    }

    /// Stores an activated policy version with its sources; storing it again changes nothing.
    #[tracing::instrument(skip_all, fields(policy = %row.policy_id, version = %row.version))]
    pub fn record_policy_version(&self, row: &PolicyVersionRow) -> Result<(), StoreError> {
        let signer = self.signer();
        self.write(|conn| {
            let inserted = diesel::insert_or_ignore_into(policy_versions::table)
                .values(row)
                .execute(conn)?;
            // The first instance to store a version seals it; the others find it stored.
            if inserted == 1 {
                super::ledger::seal_policy(conn, row, signer.as_deref())?;
            }
            Ok(())
        })
    }

    /// Every stored version of a set, newest activation first.
    pub fn policy_versions(&self, policy_id: &str) -> Result<Vec<PolicyVersionRow>, StoreError> {
        Ok(policy_versions::table
            .filter(policy_versions::policy_id.eq(policy_id))
            .order(policy_versions::activated_at.desc())
            .select(PolicyVersionRow::as_select())
            .load(&mut self.conn()?)?)
    }

    pub fn policy_version(
        &self,
        policy_id: &str,
        version: &str,
    ) -> Result<Option<PolicyVersionRow>, StoreError> {
        Ok(policy_versions::table
            .find((policy_id, version))
            .select(PolicyVersionRow::as_select())
            .first(&mut self.conn()?)
            .optional()?)
    }
}
