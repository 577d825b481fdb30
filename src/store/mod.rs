//! Tickets, trails and policy versions in SQL (diesel). Every write is one transaction.

mod codec;
mod connection;
mod erasure;
mod ledger;
mod lifecycle;
mod rows;
mod schema;
mod schema_check;
mod tickets;

pub use connection::{DatabaseUrl, Store, StoreError};
pub use erasure::Unerasable;
pub use ledger::{CurrentState, Evidence};
pub use lifecycle::{Guard, SeenAction, TicketWrite};
pub use rows::{NewNotification, NotificationRow, PolicyVersionRow};
pub use tickets::{Filed, Idempotency, TicketFilter};
