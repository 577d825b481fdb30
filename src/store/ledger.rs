//! The ledger table: appended in the filing transaction, read by `jiesu verify`.

use diesel::prelude::*;

use super::connection::{Store, StoreError};
use super::rows::LedgerRow;
use super::schema::{ledger, tickets, trail_entries};
use crate::audit::LedgerEntry;

/// Appends the ledger entry of a ticket being filed, inside the filing's transaction.
pub(super) fn append(
    conn: &mut SqliteConnection,
    ticket_id: &str,
    first_hash: &str,
    at: i64,
) -> QueryResult<()> {
    let last: Option<LedgerRow> = ledger::table
        .order(ledger::seq.desc())
        .select(LedgerRow::as_select())
        .first(conn)
        .optional()?;
    let last = last.map(LedgerRow::into_entry);
    let entry = LedgerEntry::after(last.as_ref(), ticket_id, first_hash, at);
    diesel::insert_into(ledger::table)
        .values(LedgerRow::from(&entry))
        .execute(conn)?;
    Ok(())
}

impl Store {
    /// The whole ledger, in order.
    pub fn ledger(&self) -> Result<Vec<LedgerEntry>, StoreError> {
        let rows: Vec<LedgerRow> = ledger::table
            .order(ledger::seq.asc())
            .select(LedgerRow::as_select())
            .load(&mut self.conn()?)?;
        Ok(rows.into_iter().map(LedgerRow::into_entry).collect())
    }

    /// Every ticket id with the hash of its first trail entry (`None`: no trail at all).
    pub fn first_hashes(&self) -> Result<Vec<(String, Option<String>)>, StoreError> {
        Ok(tickets::table
            .left_join(
                trail_entries::table.on(trail_entries::ticket_id
                    .eq(tickets::id)
                    .and(trail_entries::seq.eq(1))),
            )
            .order((tickets::created_at.asc(), tickets::id.asc()))
            .select((tickets::id, trail_entries::hash.nullable()))
            .load(&mut self.conn()?)?)
    }

    /// Gives tickets filed before the ledger existed their entries, oldest first, so a
    /// database upgraded in place is fully covered from then on.
    pub(super) fn backfill_ledger(&self) -> Result<usize, StoreError> {
        self.write(|conn| {
            let ledgered: Vec<String> = ledger::table.select(ledger::ticket_id).load(conn)?;
            if !ledgered.is_empty() {
                return Ok(0);
            }
            let missing: Vec<(String, i64, Option<String>)> = tickets::table
                .left_join(
                    trail_entries::table.on(trail_entries::ticket_id
                        .eq(tickets::id)
                        .and(trail_entries::seq.eq(1))),
                )
                .order((tickets::created_at.asc(), tickets::id.asc()))
                .select((
                    tickets::id,
                    tickets::created_at,
                    trail_entries::hash.nullable(),
                ))
                .load(conn)?;
            let count = missing.len();
            for (id, at, first) in missing {
                append(conn, &id, first.as_deref().unwrap_or_default(), at)?;
            }
            Ok(count)
        })
    }
}
