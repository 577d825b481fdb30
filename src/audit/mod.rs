//! The tamper-evident trail: each entry's hash covers its content and the previous entry's
//! hash, so changing, removing or reordering any stored entry breaks every hash after it.

mod chain;

pub use chain::{ChainStatus, EntryKind, TrailEntry, genesis_hash, verify_chain};
