//! Erasure of a requester's personal data (个人信息保护法 Art. 47): the ticket's name and
//! phone go, the filing event's requester is replaced by its commitment (so every hash
//! still verifies), and the ticket's secret goes too, so nobody can test a guess against
//! the commitment afterwards. One transaction, recorded by its own trail event.

use diesel::prelude::*;

use super::connection::{Store, StoreError};
use super::schema::{idempotency_keys, ticket_secrets, tickets, trail_entries};
use crate::audit::{ERASED, TrailEntry, commitment, requester_of};

/// Why a requester cannot be erased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unerasable {
    /// Erased before: there is nothing left to erase.
    AlreadyErased,
    /// Filed before personal data was committed: its hashes cover the data itself.
    FirstFormat,
}

impl Store {
    /// Erases the requester of `ticket_id` and appends `event`; `Ok(Err(_))` says why not.
    pub fn erase_requester(
        &self,
        ticket_id: &str,
        event: TrailEntry,
        now: i64,
    ) -> Result<Result<Vec<TrailEntry>, Unerasable>, StoreError> {
        let signer = self.signer();
        let mut refusal = None;
        let sealed = self.write(|conn| {
            let secret = super::ledger::secret_of(conn, ticket_id)?;
            let entries: Vec<super::rows::TrailRow> = trail_entries::table
                .filter(trail_entries::ticket_id.eq(ticket_id))
                .order(trail_entries::seq.asc())
                .select(super::rows::TrailRow::as_select())
                .load(conn)?;
            let entries: Vec<TrailEntry> = entries
                .into_iter()
                .map(super::rows::TrailRow::into_entry)
                .collect();
            let Some(secret) = secret else {
                refusal = Some(if entries.iter().any(TrailEntry::hashes_personal_data) {
                    Unerasable::FirstFormat
                } else {
                    Unerasable::AlreadyErased
                });
                return Ok(Vec::new());
            };
            for entry in &entries {
                let Some(requester) = requester_of(&entry.input) else {
                    continue;
                };
                if requester.get(ERASED).is_some() {
                    continue;
                }
                let mut input = entry.input.clone();
                let committed = commitment(&secret, requester);
                if let Some(slot) = input
                    .get_mut("request")
                    .and_then(|r| r.get_mut("requester"))
                {
                    *slot = serde_json::json!({ ERASED: committed });
                }
                diesel::update(
                    trail_entries::table
                        .filter(trail_entries::ticket_id.eq(ticket_id))
                        .filter(trail_entries::seq.eq(entry.seq)),
                )
                .set(trail_entries::input.eq(input.to_string()))
                .execute(conn)?;
            }
            diesel::update(tickets::table.find(ticket_id))
                .set((
                    tickets::requester_name.eq(None::<String>),
                    tickets::requester_phone.eq(None::<String>),
                    tickets::revision.eq(tickets::revision + 1),
                    tickets::updated_at.eq(now),
                ))
                .execute(conn)?;
            // The filing's body hash covers the requester too: after erasure a retry of that
            // key conflicts instead of testing a guess.
            diesel::update(
                idempotency_keys::table.filter(idempotency_keys::ticket_id.eq(ticket_id)),
            )
            .set(idempotency_keys::body_hash.eq("erased"))
            .execute(conn)?;
            diesel::update(ticket_secrets::table.find(ticket_id))
                .set((
                    ticket_secrets::salt.eq(None::<String>),
                    ticket_secrets::erased_at.eq(Some(now)),
                ))
                .execute(conn)?;
            let last = entries.last().map(|e| (e.seq, e.hash.clone()));
            let sealed = crate::audit::seal_after(ticket_id, last, vec![event], None)
                .map_err(|_| diesel::result::Error::RollbackTransaction)?;
            let rows: Vec<super::rows::TrailRow> =
                sealed.iter().map(super::rows::TrailRow::from).collect();
            diesel::insert_into(trail_entries::table)
                .values(&rows)
                .execute(conn)?;
            super::ledger::seal_ticket(conn, ticket_id, now, signer.as_deref())?;
            Ok(sealed)
        })?;
        if refusal.is_none() {
            // secure_delete zeroed the pages in the file; the log's copies go too.
            self.checkpoint();
        }
        Ok(match refusal {
            Some(why) => Err(why),
            None => Ok(sealed),
        })
    }
}
