//! `POST /api/v1/tickets/{id}/erasure`: a requester's personal data erased on a legal
//! request, the chain kept verifiable, the erasure itself on the trail.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::{Service, ServiceError, TicketView};
use crate::audit::{EntryKind, TRAIL_FORMAT, TrailEntry};
use crate::domain::{Capability, Principal};
use crate::store::Unerasable;

/// The law the erasure answers to, recorded with it.
pub const ERASURE_BASIS: &str = "个人信息保护法第四十七条";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    /// Why: the request's reference, e.g. the requester's written request and its date.
    pub reason: String,
}

impl Service {
    #[tracing::instrument(name = "erase_requester", skip(self, principal, request), fields(caller = %principal.name))]
    pub fn erase_requester(
        &self,
        principal: &Principal,
        id: &str,
        request: ErasureRequest,
        now: DateTime<Utc>,
    ) -> Result<TicketView, ServiceError> {
        if !principal.may(Capability::Erase) || !principal.pii {
            return Err(ServiceError::Forbidden(
                "erasing personal data needs an admin token with `pii = true`".into(),
            ));
        }
        if request.reason.trim().is_empty() {
            return Err(ServiceError::Invalid {
                field: "reason",
                message: "must say which legal request this answers".into(),
            });
        }
        self.scoped_row(principal, id)?;
        let at = now.timestamp_micros();
        let event = TrailEntry {
            ticket_id: id.to_owned(),
            seq: 0,
            at,
            kind: EntryKind::Event,
            actor: principal.name.clone(),
            hook: None,
            outcome: Some("erased".to_owned()),
            policy_id: None,
            policy_version: None,
            input: json!({"reason": request.reason, "basis": ERASURE_BASIS}),
            output: json!({"erased": ["requester.name", "requester.phone"]}),
            cite: vec![],
            notes: vec![],
            duration_us: None,
            prev_hash: String::new(),
            hash: String::new(),
            format: TRAIL_FORMAT,
        };
        match self.store.erase_requester(id, event, at)? {
            Ok(_) => self.view(id),
            Err(Unerasable::AlreadyErased) => Err(ServiceError::Conflict(
                "the requester of this ticket was erased before".into(),
            )),
            Err(Unerasable::FirstFormat) => Err(ServiceError::Conflict(
                "this ticket was filed before personal data was committed through a secret: its hashes cover the name and phone themselves, so erasing them would break its chain; hint: export and seal the trail first, then erase by a database procedure the auditor witnesses".into(),
            )),
        }
    }
}
