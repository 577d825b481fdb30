//! The tamper-evident trail: each entry's hash covers its content and the previous entry's
//! hash, so changing, removing or reordering any stored entry breaks every hash after it.
//! The ledger chains the tickets themselves, so removing a whole ticket shows too.

mod chain;
mod ledger;

pub use chain::{ChainStatus, EntryKind, TrailEntry, genesis_hash, seal_after, verify_chain};
pub use ledger::{LedgerEntry, LedgerProblem, ledger_genesis, verify_ledger};
