//! What a response may show of a requester: everything to a caller with `pii`, masked
//! name and phone (`张*`, `139****5678`) to any other, in every body the API, the exports
//! and the pages send.

use actix_web::{HttpResponse, HttpResponseBuilder};
use serde::Serialize;
use serde_json::Value;

use super::ApiError;
use crate::domain::Principal;
use crate::service::mask_pii;

/// The body as JSON, masked for a caller without `pii`.
pub(super) fn disclosed(principal: &Principal, body: impl Serialize) -> Result<Value, ApiError> {
    let mut value = serde_json::to_value(body)
        .map_err(|e| ApiError::internal(format!("cannot serialise a response: {e}")))?;
    if !principal.pii {
        mask_pii(&mut value);
    }
    Ok(value)
}

/// Sends `body` as JSON; a caller with `pii` gets it serialised directly, without the
/// detour through a JSON tree that masking needs.
pub(super) fn respond(
    principal: &Principal,
    mut response: HttpResponseBuilder,
    body: impl Serialize,
) -> Result<HttpResponse, ApiError> {
    if principal.pii {
        Ok(response.json(body))
    } else {
        Ok(response.json(disclosed(principal, body)?))
    }
}
