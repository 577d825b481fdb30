//! Entry points for fuzzing untrusted input (the `fuzz/` crate and a stable test drive
//! them): a filing body as the API parses it, and the conversion of a ticket into the
//! values a policy script receives. Neither may panic, whatever the bytes.

use chrono::{FixedOffset, Offset, Utc};
use serde_json::Value;

use crate::domain::{ActionRequest, NewTicket};
use crate::policy::{policy_ticket, to_dynamic, to_json};

/// Parses `data` as a filing body and, when it parses, builds the policy input from it and
/// converts it into script values and back.
pub fn ticket_input(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let offset = FixedOffset::east_opt(8 * 3600).unwrap_or(Utc.fix());
    if let Ok(ticket) = serde_json::from_value::<NewTicket>(value.clone()) {
        let received = ticket
            .received_at
            .unwrap_or_else(|| chrono::DateTime::UNIX_EPOCH.with_timezone(&offset));
        let input = policy_ticket("fuzz", &ticket, received);
        round_trip(&input, offset);
    }
    let _ = serde_json::from_value::<ActionRequest>(value.clone());
    round_trip(&value, offset);
}

fn round_trip(value: &Value, offset: FixedOffset) {
    let dynamic = to_dynamic(value, offset);
    let mut provisional = false;
    let _ = to_json(&dynamic, "", &mut provisional);
}
