use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde_json::Value;

use super::disclose::respond;
use super::{ApiError, AppState, Caller};
use crate::domain::{ActionRequest, Capability, NewTicket};
use crate::service::{ErasureRequest, TicketQuery};

/// Keys longer than this are not keys a client generated for one request.
const MAX_IDEMPOTENCY_KEY: usize = 200;

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| {
            !k.is_empty()
                && k.len() <= MAX_IDEMPOTENCY_KEY
                && k.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
        })
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_header",
                format!(
                    "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"
                ),
            )
        })?;
    Ok(Some(key.to_owned()))
}

/// `POST /api/v1/tickets`
pub async fn file(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Capability::FileTicket)?.clone();
    let key = idempotency_key(&req)?;
    let body = body.into_inner();
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "invalid_body",
            "the body must be a JSON object",
        ));
    }
    let request: NewTicket =
        serde_path_to_error::deserialize(body).map_err(ApiError::invalid_field)?;
    let who = principal.clone();
    let filing = state
        .run(move |service| service.file_ticket(&who, request, key.as_deref(), Utc::now()))
        .await?;
    let mut response = if filing.replayed {
        HttpResponse::Ok()
    } else {
        HttpResponse::Created()
    };
    response
        .insert_header((LOCATION, format!("/api/v1/tickets/{}", filing.ticket.id)))
        .insert_header(("Idempotent-Replayed", filing.replayed.to_string()));
    respond(&principal, response, filing.ticket)
}

/// `GET /api/v1/tickets`
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<TicketQuery>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Capability::ReadTickets)?.clone();
    let who = principal.clone();
    let page = state
        .run(move |service| service.tickets(&who, query.into_inner(), Utc::now()))
        .await?;
    respond(&principal, HttpResponse::Ok(), page)
}

/// `GET /api/v1/tickets/{id}`
pub async fn get(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Capability::ReadTickets)?.clone();
    let who = principal.clone();
    let view = state.run(move |service| service.ticket(&who, &id)).await?;
    respond(&principal, HttpResponse::Ok(), view)
}

/// `GET /api/v1/tickets/{id}/trail`
pub async fn trail(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Capability::ReadTrail)?.clone();
    let who = principal.clone();
    let view = state.run(move |service| service.trail(&who, &id)).await?;
    respond(&principal, HttpResponse::Ok(), view)
}

fn object_body(body: web::Json<Value>) -> Result<Value, ApiError> {
    let body = body.into_inner();
    if body.is_object() {
        Ok(body)
    } else {
        Err(ApiError::bad_request(
            "invalid_body",
            "the body must be a JSON object",
        ))
    }
}

/// `POST /api/v1/tickets/{id}/actions`
pub async fn act(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Capability::Act)?.clone();
    let key = idempotency_key(&req)?;
    let request: ActionRequest =
        serde_path_to_error::deserialize(object_body(body)?).map_err(ApiError::invalid_field)?;
    let who = principal.clone();
    let outcome = state
        .run(move |service| service.apply_action(&who, &id, request, key.as_deref(), Utc::now()))
        .await?;
    let mut response = HttpResponse::Ok();
    response.insert_header(("Idempotent-Replayed", outcome.replayed.to_string()));
    respond(&principal, response, outcome)
}

/// `POST /api/v1/tickets/{id}/trail/{seq}/replay`
pub async fn replay(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Capability::Replay)?.clone();
    let (id, seq) = path.into_inner();
    let who = principal.clone();
    let replayed = state
        .run(move |service| service.replay(&who, &id, seq))
        .await?;
    respond(&principal, HttpResponse::Ok(), replayed)
}

/// `POST /api/v1/tickets/{id}/erasure` — erases the requester's personal data (admin with
/// `pii`), keeping the chain verifiable; recorded as an `erased` event.
pub async fn erase(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Capability::Erase)?.clone();
    let request: ErasureRequest =
        serde_path_to_error::deserialize(object_body(body)?).map_err(ApiError::invalid_field)?;
    let who = principal.clone();
    let view = state
        .run(move |service| service.erase_requester(&who, &id, request, Utc::now()))
        .await?;
    respond(&principal, HttpResponse::Ok(), view)
}
