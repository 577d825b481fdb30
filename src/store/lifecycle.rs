//! Writes after filing: actions and sweeps. Each is one immediate transaction, guarded so that
//! a write decided on a stale read is refused rather than applied twice.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::connection::{Store, StoreError};
use super::rows::{DeadlineRow, NewNotification, NotificationRow, TicketUpdate, TrailRow};
use super::schema::{deadlines, notifications, tickets, trail_entries};
use crate::audit::{TrailEntry, genesis_hash};

/// What must still hold for a write to apply.
#[derive(Debug, Clone)]
pub enum Guard {
    /// The ticket is at this revision (nobody acted on it since it was read).
    Revision(i64),
    /// This clock is still due at this sweep instant (no other sweep handled it). The write
    /// moves it to `state` and its next look to `next_sweep_at`.
    Sweep {
        clock: String,
        unit_id: String,
        was: i64,
        state: String,
        next_sweep_at: Option<i64>,
    },
}

#[derive(Debug, Clone)]
pub struct TicketWrite {
    pub ticket_id: String,
    pub guard: Guard,
    pub ticket: Option<TicketUpdate>,
    /// Clocks to insert or replace.
    pub deadlines: Vec<DeadlineRow>,
    /// Unsealed entries: numbered and chained inside the transaction.
    pub trail: Vec<TrailEntry>,
    pub notifications: Vec<NewNotification>,
}

fn check_guard(conn: &mut SqliteConnection, write: &TicketWrite, now: i64) -> QueryResult<bool> {
    let changed = match &write.guard {
        Guard::Revision(revision) => match &write.ticket {
            Some(update) => diesel::update(
                tickets::table
                    .filter(tickets::id.eq(&write.ticket_id))
                    .filter(tickets::revision.eq(revision)),
            )
            .set((update, tickets::revision.eq(revision + 1)))
            .execute(conn)?,
            None => diesel::update(
                tickets::table
                    .filter(tickets::id.eq(&write.ticket_id))
                    .filter(tickets::revision.eq(revision)),
            )
            .set((
                tickets::revision.eq(revision + 1),
                tickets::updated_at.eq(now),
            ))
            .execute(conn)?,
        },
        Guard::Sweep {
            clock,
            unit_id,
            was,
            state,
            next_sweep_at,
        } => diesel::update(
            deadlines::table
                .filter(deadlines::ticket_id.eq(&write.ticket_id))
                .filter(deadlines::clock.eq(clock))
                .filter(deadlines::unit_id.eq(unit_id))
                .filter(deadlines::next_sweep_at.eq(was)),
        )
        .set((
            deadlines::state.eq(state),
            deadlines::next_sweep_at.eq(next_sweep_at),
            deadlines::updated_at.eq(now),
        ))
        .execute(conn)?,
    };
    Ok(changed == 1)
}

/// Appends entries to a ticket's chain, after its last stored entry.
fn append_trail(
    conn: &mut SqliteConnection,
    ticket_id: &str,
    entries: Vec<TrailEntry>,
) -> QueryResult<Vec<TrailEntry>> {
    let last: Option<(i64, String)> = trail_entries::table
        .filter(trail_entries::ticket_id.eq(ticket_id))
        .order(trail_entries::seq.desc())
        .select((trail_entries::seq, trail_entries::hash))
        .first(conn)
        .optional()?;
    let (mut seq, mut prev) = last.unwrap_or_else(|| (0, genesis_hash(ticket_id)));
    let mut sealed = Vec::with_capacity(entries.len());
    for mut entry in entries {
        seq += 1;
        entry.seq = seq;
        entry.ticket_id = ticket_id.to_owned();
        let entry = entry.seal(prev);
        prev = entry.hash.clone();
        sealed.push(entry);
    }
    let rows: Vec<TrailRow> = sealed.iter().map(TrailRow::from).collect();
    diesel::insert_into(trail_entries::table)
        .values(&rows)
        .execute(conn)?;
    Ok(sealed)
}

impl Store {
    /// Applies a write if its guard still holds; `None` if it does not (retry or skip).
    #[tracing::instrument(skip_all, fields(ticket = %write.ticket_id))]
    pub fn apply(
        &self,
        write: TicketWrite,
        now: i64,
    ) -> Result<Option<Vec<TrailEntry>>, StoreError> {
        self.write(|conn| {
            if !check_guard(conn, &write, now)? {
                return Ok(None);
            }
            for row in &write.deadlines {
                diesel::replace_into(deadlines::table)
                    .values(row)
                    .execute(conn)?;
            }
            if !write.notifications.is_empty() {
                diesel::insert_into(notifications::table)
                    .values(&write.notifications)
                    .execute(conn)?;
            }
            append_trail(conn, &write.ticket_id, write.trail).map(Some)
        })
    }

    pub fn deadlines(&self, ticket_id: &str) -> Result<Vec<DeadlineRow>, StoreError> {
        Ok(deadlines::table
            .filter(deadlines::ticket_id.eq(ticket_id))
            .order((deadlines::clock, deadlines::unit_id))
            .select(DeadlineRow::as_select())
            .load(&mut self.conn()?)?)
    }

    /// The clocks of many tickets at once, in the same order per ticket.
    pub fn deadlines_of(&self, ticket_ids: &[String]) -> Result<Vec<DeadlineRow>, StoreError> {
        let mut rows = Vec::new();
        let mut conn = self.conn()?;
        for chunk in ticket_ids.chunks(500) {
            rows.extend(
                deadlines::table
                    .filter(deadlines::ticket_id.eq_any(chunk))
                    .order((deadlines::ticket_id, deadlines::clock, deadlines::unit_id))
                    .select(DeadlineRow::as_select())
                    .load(&mut conn)?,
            );
        }
        Ok(rows)
    }

    /// Clocks of these jurisdictions the sweeper should look at as of `now`, oldest first.
    pub fn due_deadlines(
        &self,
        now: i64,
        jurisdictions: &[String],
        limit: i64,
    ) -> Result<Vec<DeadlineRow>, StoreError> {
        Ok(deadlines::table
            .filter(deadlines::next_sweep_at.le(now))
            .filter(deadlines::jurisdiction.eq_any(jurisdictions))
            .order(deadlines::next_sweep_at)
            .limit(limit)
            .select(DeadlineRow::as_select())
            .load(&mut self.conn()?)?)
    }

    /// Actions already fired on one clock of a ticket, oldest first.
    pub fn fired(&self, ticket_id: &str, clock: &str) -> Result<Vec<NotificationRow>, StoreError> {
        Ok(notifications::table
            .filter(notifications::ticket_id.eq(ticket_id))
            .filter(notifications::clock.eq(clock))
            .order(notifications::id)
            .select(NotificationRow::as_select())
            .load(&mut self.conn()?)?)
    }

    /// The outbox after `after`, oldest first; with `jurisdictions`, only their tickets'.
    pub fn notifications(
        &self,
        after: i64,
        limit: i64,
        jurisdictions: Option<&[String]>,
    ) -> Result<Vec<NotificationRow>, StoreError> {
        let mut query = notifications::table
            .inner_join(tickets::table.on(tickets::id.eq(notifications::ticket_id)))
            .filter(notifications::id.gt(after))
            .into_boxed::<diesel::sqlite::Sqlite>();
        if let Some(js) = jurisdictions {
            query = query.filter(tickets::jurisdiction.eq_any(js.to_vec()));
        }
        Ok(query
            .order(notifications::id)
            .limit(limit)
            .select(NotificationRow::as_select())
            .load(&mut self.conn()?)?)
    }

    /// Whether the sweep has escalated or referred this ticket: what lets a supervisor act.
    pub fn escalated(&self, ticket_id: &str) -> Result<bool, StoreError> {
        let count: i64 = notifications::table
            .filter(notifications::ticket_id.eq(ticket_id))
            .filter(notifications::kind.eq_any(["escalate", "refer"]))
            .count()
            .get_result(&mut self.conn()?)?;
        Ok(count > 0)
    }
}
