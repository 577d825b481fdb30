use actix_web::{HttpResponse, web};

use super::{AppState, Caller};

pub async fn list(_caller: Caller, state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.service.policies())
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionsQuery {
    #[serde(default)]
    sources: bool,
}

/// `GET /api/v1/policies/{id}/versions[?sources=true]`
pub async fn versions(
    _caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<VersionsQuery>,
) -> Result<HttpResponse, super::ApiError> {
    let with_sources = query.sources;
    let versions = state
        .run(move |service| service.policy_versions(&id, with_sources))
        .await?;
    Ok(HttpResponse::Ok().json(versions))
}
