use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde_json::Value;

use super::{ApiError, AppState, Caller};
use crate::domain::NewTicket;
use crate::service::TicketQuery;

/// `POST /api/v1/tickets`
pub async fn file(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "invalid_body",
            "the body must be a JSON object",
        ));
    }
    let request: NewTicket =
        serde_path_to_error::deserialize(body).map_err(ApiError::invalid_field)?;
    let view = state
        .run(move |service| service.file_ticket(&caller.name, request, Utc::now()))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/tickets/{}", view.id)))
        .json(view))
}

/// `GET /api/v1/tickets`
pub async fn list(
    _caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<TicketQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = state
        .run(move |service| service.tickets(query.into_inner(), Utc::now()))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// `GET /api/v1/tickets/{id}`
pub async fn get(
    _caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view = state.run(move |service| service.ticket(&id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `GET /api/v1/tickets/{id}/trail`
pub async fn trail(
    _caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view = state.run(move |service| service.trail(&id)).await?;
    Ok(HttpResponse::Ok().json(view))
}
