//! Exports for auditors' own tools: one ticket's trail as CSV, a jurisdiction's trails for
//! a period as JSON Lines. Same scopes and the same PII masking as the JSON API.

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;

use super::disclose::disclosed;
use super::{ApiError, AppState, Caller};
use crate::domain::Capability;

const CSV_HEADER: &[&str] = &[
    "seq",
    "at",
    "kind",
    "actor",
    "hook",
    "outcome",
    "policy_id",
    "policy_version",
    "cite",
    "notes",
    "input",
    "output",
    "prev_hash",
    "hash",
];

fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn joined(value: &Value) -> String {
    value
        .as_array()
        .map(|items| items.iter().map(text).collect::<Vec<_>>().join("; "))
        .unwrap_or_default()
}

/// A disclosed trail (JSON) as CSV: one row per entry, JSON cells for input and output.
fn trail_csv(trail: &Value) -> Result<Vec<u8>, ApiError> {
    let fail = |e: csv::Error| ApiError::internal(format!("cannot write CSV: {e}"));
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(CSV_HEADER).map_err(fail)?;
    for entry in trail["entries"].as_array().into_iter().flatten() {
        writer
            .write_record([
                text(&entry["seq"]),
                text(&entry["at"]),
                text(&entry["kind"]),
                text(&entry["actor"]),
                text(&entry["hook"]),
                text(&entry["outcome"]),
                text(&entry["policy"]["id"]),
                text(&entry["policy"]["version"]),
                joined(&entry["cite"]),
                joined(&entry["notes"]),
                entry["input"].to_string(),
                entry["output"].to_string(),
                text(&entry["prev_hash"]),
                text(&entry["hash"]),
            ])
            .map_err(fail)?;
    }
    writer
        .into_inner()
        .map_err(|e| ApiError::internal(format!("cannot write CSV: {e}")))
}

/// `GET /api/v1/tickets/{id}/trail.csv`
pub async fn trail_csv_export(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Capability::Export)?.clone();
    let who = principal.clone();
    let ticket = id.clone();
    let trail = state
        .run(move |service| service.trail(&who, &ticket))
        .await?;
    let body = trail_csv(&disclosed(&principal, trail)?)?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"trail-{id}.csv\""),
        ))
        .body(body))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrailsQuery {
    jurisdiction: String,
    from: String,
    to: String,
}

/// `GET /api/v1/exports/trails?jurisdiction=&from=&to=` (instants or dates, as for
/// assessments) — JSON Lines, one ticket per line:
/// `{"ticket", "entries", "chain"}`.
pub async fn trails_jsonl(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<TrailsQuery>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Capability::Export)?.clone();
    let TrailsQuery {
        jurisdiction,
        from,
        to,
    } = query.into_inner();
    let who = principal.clone();
    let export = state
        .run(move |service| service.trails_export(&who, &jurisdiction, &from, &to))
        .await?;
    let stream = state.stream(move |service, out| {
        let mut after = None;
        loop {
            let (lines, next) = match service.trails_page(&export, after) {
                Ok((trails, next)) => {
                    let mut lines = String::new();
                    for trail in trails {
                        match disclosed(&principal, trail) {
                            Ok(value) => lines.push_str(&value.to_string()),
                            Err(e) => lines.push_str(&serde_json::json!({"error": e.to_string()}).to_string()),
                        }
                        lines.push('\n');
                    }
                    (lines, next)
                }
                // The head is sent: a failure mid-way is the last line, never a silent cut.
                Err(e) => (
                    serde_json::json!({"error": {"code": "export_failed", "message": e.to_string()}}).to_string() + "\n",
                    None,
                ),
            };
            if !out.send(web::Bytes::from(lines)) {
                return; // the client went away, or stopped reading
            }
            match next {
                Some(id) => after = Some(id),
                None => return,
            }
        }
    })?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/x-ndjson; charset=utf-8"))
        .streaming(stream))
}
