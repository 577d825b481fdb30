//! Every error response: `{"error": {"code", "message", "details"}}` (API.md).

use actix_web::error::{JsonPayloadError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Value, json};

use crate::policy::DecisionError;
use crate::service::ServiceError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    pub fn from_json_error(err: JsonPayloadError) -> Self {
        match err {
            JsonPayloadError::Overflow { limit }
            | JsonPayloadError::OverflowKnownLength { limit, .. } => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body is larger than {limit} bytes"),
            ),
            JsonPayloadError::ContentType => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send JSON with `Content-Type: application/json`",
            ),
            JsonPayloadError::Deserialize(e) => {
                Self::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
                    .with_details(json!({"line": e.line(), "column": e.column()}))
            }
            other => Self::bad_request("malformed_json", other.to_string()),
        }
    }

    /// A raw body that does not parse as JSON.
    pub fn from_body_error(e: serde_json::Error) -> Self {
        Self::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
            .with_details(json!({"line": e.line(), "column": e.column()}))
    }

    pub fn from_query_error(err: QueryPayloadError) -> Self {
        Self::bad_request("invalid_query", err.to_string())
    }

    /// A body that is JSON but not the expected shape: names the offending field.
    pub fn invalid_field(err: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let inner = err.inner().to_string();
        // serde reports a missing field at the parent's path; name the field itself.
        let missing = inner
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let path = match (err.path().to_string(), missing) {
            (parent, Some(field)) if parent == "." => field.to_owned(),
            (parent, Some(field)) => format!("{parent}.{field}"),
            (path, None) => path,
        };
        let last = path.rsplit('.').next().unwrap_or_default();
        let message = if last == "at" || last == "until" || last.ends_with("_at") {
            format!(
                "`{path}` must be an RFC 3339 instant with offset, such as 2025-09-30T10:00:00+08:00"
            )
        } else if missing.is_some() {
            format!("`{path}` is required")
        } else {
            format!("`{path}`: {inner}")
        };
        Self::bad_request("invalid_field", message).with_details(json!({"field": path}))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, message = %self.message, "request failed");
        }
        HttpResponse::build(self.status).json(json!({
            "error": {"code": self.code, "message": self.message, "details": self.details}
        }))
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(_: actix_web::error::BlockingError) -> Self {
        Self::internal("the worker pool is shutting down")
    }
}

/// The one mapping from use-case errors to HTTP.
impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        let message = err.to_string();
        match err {
            ServiceError::UnknownJurisdiction { served, .. } => {
                Self::bad_request("unknown_jurisdiction", message)
                    .with_details(json!({"served": served}))
            }
            ServiceError::PolicyUnavailable { .. } => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "policy_unavailable",
                message,
            ),
            ServiceError::UnknownTopic { .. } => Self::bad_request("unknown_topic", message),
            ServiceError::UnknownArea { known, .. } => {
                Self::bad_request("unknown_area", message).with_details(json!({"known": known}))
            }
            ServiceError::Invalid { field, .. } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                message,
            )
            .with_details(json!({"field": field})),
            ServiceError::BadQuery { field, .. } => {
                Self::bad_request("invalid_query", message).with_details(json!({"field": field}))
            }
            ServiceError::TicketNotFound(_) => {
                Self::new(StatusCode::NOT_FOUND, "not_found", message)
            }
            ServiceError::Forbidden(_) => Self::new(StatusCode::FORBIDDEN, "forbidden", message),
            ServiceError::PolicyNotFound(_) => {
                Self::new(StatusCode::NOT_FOUND, "not_found", message)
            }
            ServiceError::EvaluationFailed(_) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "evaluation_failed",
                message,
            ),
            ServiceError::BadInput { field, .. } => {
                Self::bad_request("invalid_field", message).with_details(json!({"field": field}))
            }
            ServiceError::IdempotencyConflict { ticket } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                message,
            )
            .with_details(json!({"ticket": ticket})),
            ServiceError::ActionNotAllowed {
                status, allowed, ..
            } => Self::new(StatusCode::CONFLICT, "action_not_allowed", message)
                .with_details(json!({"status": status, "allowed": allowed})),
            ServiceError::NotYourPart {
                parts, may, acting, ..
            } => Self::new(StatusCode::FORBIDDEN, "not_your_part", message)
                .with_details(json!({"unit": acting, "parts": parts, "may": may})),
            ServiceError::AtOutOfRange { field, now, .. } => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "at_out_of_range", message)
                    .with_details(json!({"field": field, "server_time": now}))
            }
            ServiceError::NoRule { hook, .. } => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "no_rule", message)
                    .with_details(json!({"hook": hook}))
            }
            ServiceError::Contended(_) => Self::new(StatusCode::CONFLICT, "contended", message),
            ServiceError::Conflict(_) => Self::new(StatusCode::CONFLICT, "conflict", message),
            ServiceError::Decision(decision) => {
                let details = match &decision {
                    DecisionError::Script { location, .. } => json!({"location": location}),
                    _ => Value::Null,
                };
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "policy_error", message)
                    .with_details(details)
            }
            ServiceError::NoActivePolicies => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", message)
            }
            ServiceError::Store(StoreError::Detached { .. }) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                message,
            ),
            ServiceError::Store(StoreError::Pool(_)) => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "storage_busy", message)
            }
            ServiceError::Store(_) => {
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "storage_error", message)
            }
            ServiceError::Internal(_) => Self::internal(message),
        }
    }
}

pub async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for {} {}", req.method(), req.path()),
    )
    .error_response()
}
