//! The tamper-evident trail: each entry's hash covers its content and the previous entry's
//! hash, so changing, removing or reordering any stored entry breaks every hash after it.
//! The ledger chains the tickets themselves, so removing a whole ticket shows too.

mod chain;
mod ledger;
mod signing;

pub use chain::{
    ChainStatus, ERASED, EntryKind, MissingSecret, TRAIL_FORMAT, TrailEntry, commitment,
    genesis_hash, requester_of, seal_after, verify_chain,
};
pub use ledger::{
    LEDGER_FORMAT, LedgerEntry, LedgerProblem, LedgerRecord, Subject, ledger_genesis, link_problem,
    verify_ledger,
};
pub use signing::{KeyError, Signer, Verifier, key_id, keygen, public_path};
