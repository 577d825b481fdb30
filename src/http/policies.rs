use actix_web::{HttpResponse, web};

use super::{AppState, Caller};
use crate::domain::Capability;

pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, super::ApiError> {
    let principal = caller.require(Capability::ReadPolicies)?;
    Ok(HttpResponse::Ok().json(state.service.policies(principal)))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionsQuery {
    #[serde(default)]
    sources: bool,
}

/// `GET /api/v1/policies/{id}/versions[?sources=true]`
pub async fn versions(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<VersionsQuery>,
) -> Result<HttpResponse, super::ApiError> {
    let principal = caller.require(Capability::ReadPolicies)?.clone();
    let with_sources = query.sources;
    let versions = state
        .run(move |service| service.policy_versions(&principal, &id, with_sources))
        .await?;
    Ok(HttpResponse::Ok().json(versions))
}

/// `POST /api/v1/policies/{id}/evaluate` — a dry run; nothing is stored.
pub async fn evaluate(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, super::ApiError> {
    let principal = caller.require(Capability::EvaluatePolicy)?.clone();
    let request: crate::service::EvaluateRequest =
        serde_path_to_error::deserialize(body.into_inner())
            .map_err(super::ApiError::invalid_field)?;
    let decision = state
        .run(move |service| service.evaluate(&principal, &id, request))
        .await?;
    Ok(HttpResponse::Ok().json(decision))
}
