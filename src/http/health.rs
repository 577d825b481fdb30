use actix_web::{HttpResponse, web};
use serde_json::json;

use super::{AppState, error::ApiError};

/// Liveness: the process answers.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Readiness: the database file is the one opened and writable, some policy set is active,
/// the policy watch holds; 503 with the failing part otherwise.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let readiness = state
        .run(|service| Ok::<_, ApiError>(service.readiness()))
        .await?;
    let active = readiness
        .sets
        .iter()
        .filter(|s| s.status == crate::policy::PolicyStatus::Active)
        .count();
    let mut response = if readiness.ready {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    // Open to anyone: each set's state, not its error (file, line and source text are for
    // tokens that cover it, in `GET /api/v1/policies`).
    let sets: Vec<_> = readiness
        .sets
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "status": s.status,
                "version": s.version,
                "failing": s.last_error.is_some(),
                "serving_stored": s.serving_stored,
            })
        })
        .collect();
    Ok(response.json(json!({
        "status": if readiness.ready { "ready" } else { "not_ready" },
        "policies": active,
        "database": readiness.database,
        "sets": sets,
        "watcher": readiness.watcher,
    })))
}

/// Prometheus text: tickets filed, decisions and their durations, actions, fired actions,
/// policy set status.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.service.metrics())
}
