//! Tickets, trails and policy versions in SQL (diesel). Every write is one transaction.

mod connection;
mod rows;
mod schema;
mod tickets;

pub use connection::{DatabaseUrl, Store, StoreError};
pub use rows::{PolicyVersionRow, TicketRow};
pub use tickets::TicketFilter;
