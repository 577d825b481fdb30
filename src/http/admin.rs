use actix_web::{HttpResponse, web};
use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, AppState, Caller};
use crate::domain::Capability;
use crate::service::ServiceError;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepRequest {
    #[serde(default)]
    now: Option<DateTime<FixedOffset>>,
    /// Decide what would fire, write nothing.
    #[serde(default)]
    dry_run: bool,
}

/// `POST /api/v1/admin/sweep` — runs the deadline sweep as of `now` (default: now).
pub async fn sweep(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Capability::Sweep)?.clone();
    // An empty body sweeps as of now; a body that is not a sweep request is refused, never
    // taken for an empty one (a typo must not fire real reminders).
    let request: SweepRequest = if body.iter().all(u8::is_ascii_whitespace) {
        SweepRequest::default()
    } else {
        let value: Value = serde_json::from_slice(&body).map_err(ApiError::from_body_error)?;
        match value {
            Value::Null => SweepRequest::default(),
            // An array would deserialize into the struct's fields in order (`[]` as all
            // defaults): a sweep request is an object or nothing.
            Value::Object(_) => {
                serde_path_to_error::deserialize(value).map_err(ApiError::invalid_field)?
            }
            _ => {
                return Err(ApiError::bad_request(
                    "invalid_body",
                    "the body must be a JSON object (or empty)",
                ));
            }
        }
    };
    let now = request.now.map_or_else(Utc::now, |t| t.with_timezone(&Utc));
    let dry_run = request.dry_run;
    let fired = state
        .run(move |service| {
            if dry_run {
                service.sweep_preview(now, principal.jurisdictions.as_ref())
            } else {
                service.sweep_for(&principal, now)
            }
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({"fired": fired, "dry_run": dry_run})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationQuery {
    #[serde(default)]
    after: Option<i64>,
    #[serde(default)]
    limit: Option<i64>,
}

const MAX_PAGE: i64 = 500;

/// `GET /api/v1/notifications?after=` — the outbox of fired actions, oldest first.
pub async fn notifications(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<NotificationQuery>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Capability::ReadNotifications)?.clone();
    let after = query.after.unwrap_or(0);
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ServiceError::BadQuery {
            field: "limit",
            message: format!("must be between 1 and {MAX_PAGE}"),
        }
        .into());
    }
    let page = state
        .run(move |service| service.notifications(&principal, after, limit))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentQuery {
    jurisdiction: String,
    from: String,
    to: String,
}

/// `GET /api/v1/assessments?jurisdiction=&from=&to=` — the policy's assessment of the
/// tickets received in `[from, to)`; `from`/`to` are RFC 3339 instants or dates.
pub async fn assessments(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<AssessmentQuery>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Capability::ReadAssessments)?.clone();
    let AssessmentQuery {
        jurisdiction,
        from,
        to,
    } = query.into_inner();
    let assessment = state
        .run(move |service| service.assess(&principal, &jurisdiction, &from, &to, Utc::now()))
        .await?;
    Ok(HttpResponse::Ok().json(assessment))
}
