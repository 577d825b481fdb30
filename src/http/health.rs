use actix_web::{HttpResponse, web};
use serde_json::json;

use super::{AppState, error::ApiError};

/// Liveness: the process answers.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Readiness: the database answers and some policy set is active.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let active = state.run(|service| service.readiness()).await?;
    Ok(HttpResponse::Ok().json(json!({"status": "ready", "policies": active})))
}

/// Prometheus text: tickets filed, decisions and their durations, actions, fired actions,
/// policy set status.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.service.metrics())
}
