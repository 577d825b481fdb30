//! Writes after filing: actions and sweeps. Each is one immediate transaction, guarded so that
//! a write decided on a stale read is refused rather than applied twice.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::connection::{Store, StoreError};
use super::rows::{DeadlineRow, NewNotification, NotificationRow, TicketUpdate, TrailRow};
use super::schema::{action_keys, deadlines, notifications, tickets, trail_entries};
use crate::audit::{Signer, TrailEntry, seal_after};
use crate::domain::{Clock, Ticket};

/// What must still hold for a write to apply.
#[derive(Debug, Clone)]
pub enum Guard {
    /// The ticket is at this revision (nobody acted on it since it was read).
    Revision(i64),
    /// This clock is still due at this sweep instant (no other sweep handled it); `clock` is
    /// its new state, written by the same statement that checks it. With `revision`, the
    /// ticket must also still be at that revision (the sweep rewrites it).
    Sweep {
        clock: Clock,
        was: i64,
        revision: Option<i64>,
    },
}

#[derive(Debug, Clone)]
pub struct TicketWrite {
    pub ticket_id: String,
    pub jurisdiction: String,
    pub guard: Guard,
    /// The ticket's new state, when the write changes it.
    pub ticket: Option<Ticket>,
    /// Clocks to insert or replace.
    pub deadlines: Vec<Clock>,
    /// Every clock of the ticket once the write is done, when `ticket` is set: the
    /// projections on the ticket row (`deadlines`, `resolve_due`) are made from them.
    pub clocks_after: Vec<Clock>,
    /// Unsealed entries: numbered and chained inside the transaction.
    pub trail: Vec<TrailEntry>,
    /// Each `seq` is an offset into `trail`: the decision that fired it.
    pub notifications: Vec<NewNotification>,
    /// `(key, body hash)` of an idempotent action: recorded with the action's event.
    pub action_key: Option<(String, String)>,
}

/// What one write of a batch came to: its sealed entries, `None` when its guard no longer
/// held, or the error that rolled it back alone.
pub type Applied = Result<Option<Vec<TrailEntry>>, StoreError>;

/// What an earlier action with the same idempotency key was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenAction {
    pub body_hash: String,
    /// The action's event in the trail.
    pub seq: i64,
}

fn check_guard(conn: &mut SqliteConnection, write: &TicketWrite, now: i64) -> QueryResult<bool> {
    let changed = match &write.guard {
        Guard::Revision(revision) => diesel::update(
            tickets::table
                .filter(tickets::id.eq(&write.ticket_id))
                .filter(tickets::revision.eq(revision)),
        )
        .set((
            tickets::revision.eq(revision + 1),
            tickets::updated_at.eq(now),
        ))
        .execute(conn)?,
        Guard::Sweep {
            clock,
            was,
            revision,
        } => {
            if let Some(revision) = revision {
                let current = diesel::update(
                    tickets::table
                        .filter(tickets::id.eq(&write.ticket_id))
                        .filter(tickets::revision.eq(revision)),
                )
                .set(tickets::revision.eq(revision + 1))
                .execute(conn)?;
                if current == 0 {
                    return Ok(false);
                }
            }
            let row = DeadlineRow::encode(&write.ticket_id, &write.jurisdiction, clock, now);
            let claimed = diesel::update(
                deadlines::table
                    .filter(deadlines::ticket_id.eq(&write.ticket_id))
                    .filter(deadlines::clock.eq(&row.clock))
                    .filter(deadlines::unit_id.eq(&row.unit_id))
                    .filter(deadlines::next_sweep_at.eq(was)),
            )
            .set((
                deadlines::state.eq(&row.state),
                deadlines::next_sweep_at.eq(row.next_sweep_at),
                deadlines::met_at.eq(row.met_at),
                deadlines::rounds.eq(row.rounds),
                deadlines::updated_at.eq(now),
            ))
            .execute(conn)?;
            // Every claimed sweep bumps the ticket's revision, so an action decided on the
            // clocks as they were before is decided again.
            if claimed == 1 && revision.is_none() {
                diesel::update(tickets::table.filter(tickets::id.eq(&write.ticket_id)))
                    .set(tickets::revision.eq(tickets::revision + 1))
                    .execute(conn)?;
            }
            claimed
        }
    };
    Ok(changed == 1)
}

/// Appends entries to a ticket's chain, after its last stored entry.
fn append_trail(
    conn: &mut SqliteConnection,
    ticket_id: &str,
    entries: Vec<TrailEntry>,
) -> QueryResult<Vec<TrailEntry>> {
    if entries.is_empty() {
        return Ok(entries);
    }
    let secret = super::ledger::secret_of(conn, ticket_id)?;
    let last = super::ledger::last_entry(conn, ticket_id)?;
    let sealed = seal_after(ticket_id, last, entries, secret.as_deref()).map_err(|_| {
        diesel::result::Error::QueryBuilderError(
            "the ticket's requester secret is missing: its trail cannot be sealed".into(),
        )
    })?;
    let rows: Vec<TrailRow> = sealed.iter().map(TrailRow::from).collect();
    diesel::insert_into(trail_entries::table)
        .values(&rows)
        .execute(conn)?;
    Ok(sealed)
}

/// A write whose guard no longer holds: rolled back whole (a guard may have bumped the
/// revision before it found the clock taken, and a row changed without a ledger entry would
/// read as tampering), then reported as `None`.
fn guard_failed<T>(result: QueryResult<T>) -> QueryResult<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(diesel::result::Error::RollbackTransaction) => Ok(None),
        Err(e) => Err(e),
    }
}

/// One write inside an open transaction; `RollbackTransaction` when its guard no longer
/// holds.
fn apply_one(
    conn: &mut SqliteConnection,
    write: TicketWrite,
    now: i64,
    signer: Option<&Signer>,
) -> QueryResult<Vec<TrailEntry>> {
    if !check_guard(conn, &write, now)? {
        return Err(diesel::result::Error::RollbackTransaction);
    }
    for clock in &write.deadlines {
        let row = DeadlineRow::encode(&write.ticket_id, &write.jurisdiction, clock, now);
        diesel::replace_into(deadlines::table)
            .values(&row)
            .execute(conn)?;
    }
    if let Some(ticket) = &write.ticket {
        diesel::update(tickets::table.filter(tickets::id.eq(&ticket.id)))
            .set(TicketUpdate::of(ticket, &write.clocks_after))
            .execute(conn)?;
    }
    let sealed = append_trail(conn, &write.ticket_id, write.trail)?;
    if !write.notifications.is_empty() {
        let rows: Vec<NewNotification> = write
            .notifications
            .into_iter()
            .map(|mut n| {
                n.seq = n
                    .seq
                    .and_then(|offset| sealed.get(usize::try_from(offset).ok()?))
                    .map(|e| e.seq);
                n
            })
            .collect();
        diesel::insert_into(notifications::table)
            .values(&rows)
            .execute(conn)?;
    }
    if let (Some((key, body_hash)), Some(event)) = (&write.action_key, sealed.first()) {
        diesel::insert_into(action_keys::table)
            .values((
                action_keys::ticket_id.eq(&write.ticket_id),
                action_keys::key.eq(key),
                action_keys::body_hash.eq(body_hash),
                action_keys::seq.eq(event.seq),
                action_keys::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    super::ledger::seal_ticket(conn, &write.ticket_id, now, signer)?;
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
        let signer = self.signer();
        match self.write(|conn| apply_one(conn, write, now, signer.as_deref())) {
            Ok(sealed) => Ok(Some(sealed)),
            Err(StoreError::Query(diesel::result::Error::RollbackTransaction)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Applies many writes in one transaction, each in a savepoint of its own: one that
    /// fails is rolled back alone and reported in its place, the others commit together.
    /// What a sweep batches, so a thousand fired clocks cost one commit.
    #[tracing::instrument(skip_all, fields(writes = writes.len()))]
    pub fn apply_all(
        &self,
        writes: Vec<TicketWrite>,
        now: i64,
    ) -> Result<Vec<Applied>, StoreError> {
        let signer = self.signer();
        self.write(|conn| {
            Ok(writes
                .into_iter()
                .map(|write| {
                    guard_failed(conn.transaction(|savepoint| {
                        apply_one(savepoint, write, now, signer.as_deref())
                    }))
                    .map_err(StoreError::from)
                })
                .collect())
        })
    }

    /// The action an idempotency key was used for on this ticket, if any.
    pub fn seen_action(
        &self,
        ticket_id: &str,
        key: &str,
    ) -> Result<Option<SeenAction>, StoreError> {
        Ok(action_keys::table
            .filter(action_keys::ticket_id.eq(ticket_id))
            .filter(action_keys::key.eq(key))
            .select((action_keys::body_hash, action_keys::seq))
            .first::<(String, i64)>(&mut self.conn()?)
            .optional()?
            .map(|(body_hash, seq)| SeenAction { body_hash, seq }))
    }

    pub fn deadlines(&self, ticket_id: &str) -> Result<Vec<Clock>, StoreError> {
        deadlines::table
            .filter(deadlines::ticket_id.eq(ticket_id))
            .order((deadlines::clock, deadlines::unit_id))
            .select(DeadlineRow::as_select())
            .load(&mut self.conn()?)?
            .into_iter()
            .map(|row| row.decode().map(|(_, clock)| clock))
            .collect()
    }

    /// The clocks of many tickets at once, each with its ticket id, in the same order per
    /// ticket.
    pub fn deadlines_of(&self, ticket_ids: &[String]) -> Result<Vec<(String, Clock)>, StoreError> {
        let mut clocks = Vec::new();
        let mut conn = self.conn()?;
        for chunk in ticket_ids.chunks(500) {
            for row in deadlines::table
                .filter(deadlines::ticket_id.eq_any(chunk))
                .order((deadlines::ticket_id, deadlines::clock, deadlines::unit_id))
                .select(DeadlineRow::as_select())
                .load(&mut conn)?
            {
                clocks.push(row.decode()?);
            }
        }
        Ok(clocks)
    }

    /// Clocks of these jurisdictions the sweeper should look at as of `now`, oldest first,
    /// each with its ticket id.
    pub fn due_deadlines(
        &self,
        now: i64,
        jurisdictions: &[String],
        limit: i64,
    ) -> Result<Vec<(String, Clock)>, StoreError> {
        deadlines::table
            .filter(deadlines::next_sweep_at.le(now))
            .filter(deadlines::jurisdiction.eq_any(jurisdictions))
            .order(deadlines::next_sweep_at)
            .limit(limit)
            .select(DeadlineRow::as_select())
            .load(&mut self.conn()?)?
            .into_iter()
            .map(DeadlineRow::decode)
            .collect()
    }

    /// Actions fired on one unit's clock of a ticket at or after `since` (microseconds),
    /// oldest first.
    pub fn fired(
        &self,
        ticket_id: &str,
        clock: &str,
        unit: &str,
        since: i64,
    ) -> Result<Vec<NotificationRow>, StoreError> {
        Ok(notifications::table
            .filter(notifications::ticket_id.eq(ticket_id))
            .filter(notifications::clock.eq(clock))
            .filter(notifications::clock_unit.eq(unit))
            .filter(notifications::created_at.ge(since))
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
            .filter(notifications::kind.eq_any(["escalate", "refer", "supervise"]))
            .count()
            .get_result(&mut self.conn()?)?;
        Ok(count > 0)
    }
}
