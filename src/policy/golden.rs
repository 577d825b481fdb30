//! Golden tests: `policies/<id>/tests/*.toml`, each case a hook input and the decision it must
//! produce, `cite` included. A set whose golden tests fail is not activated.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Value, json};

use super::contract::{Hook, policy_ticket};
use super::error::{PolicyError, SourceLocation, toml_error};
use super::set::CompiledSet;
use crate::domain::{ActionRequest, NewTicket};

/// Cases that leave `received_at` out are filed at this instant, a Monday morning in a
/// year the shipped calendar holds, so they stay deterministic.
pub const DEFAULT_RECEIVED_AT: &str = "2025-03-03T09:00:00+08:00";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GoldenFile {
    #[serde(default)]
    case: Vec<GoldenCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GoldenCase {
    name: String,
    hook: String,
    #[serde(default)]
    ticket: toml::Table,
    #[serde(default)]
    request: Option<toml::Table>,
    #[serde(default)]
    clock: Option<toml::Table>,
    #[serde(default)]
    history: Vec<toml::Table>,
    /// `assess`: the period assessed and its per-unit counts.
    #[serde(default)]
    period: Option<toml::Table>,
    #[serde(default)]
    units: Vec<toml::Table>,
    #[serde(default)]
    expect: Option<toml::Table>,
    /// The hook must fail, with this text in its error.
    #[serde(default)]
    expect_error: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CaseResult {
    pub file: String,
    pub name: String,
    pub failure: Option<String>,
    /// The rule ids the case asserts in its expected `cite`.
    pub cites: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct GoldenReport {
    pub set: String,
    pub results: Vec<CaseResult>,
    /// Rule ids that passing cases assert in their expected `cite`.
    pub cited: BTreeSet<String>,
}

impl GoldenReport {
    pub fn failures(&self) -> impl Iterator<Item = &CaseResult> {
        self.results.iter().filter(|r| r.failure.is_some())
    }

    pub fn passed(&self) -> bool {
        self.failures().next().is_none()
    }

    /// The first failure as a policy error, for blocking activation.
    pub fn first_error(&self) -> Option<PolicyError> {
        self.failures().next().map(|r| PolicyError::GoldenFailed {
            file: r.file.clone(),
            case: r.name.clone(),
            message: r.failure.clone().unwrap_or_default(),
        })
    }
}

pub fn toml_to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => json!(f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => table_to_json(table),
    }
}

fn table_to_json(table: &toml::Table) -> Value {
    Value::Object(
        table
            .iter()
            .map(|(k, v)| (k.clone(), toml_to_json(v)))
            .collect(),
    )
}

/// Runs every golden case of a set.
pub fn run_golden_tests(set: &CompiledSet) -> Result<GoldenReport, PolicyError> {
    let mut report = GoldenReport {
        set: set.id().to_owned(),
        ..GoldenReport::default()
    };
    let dir = set.tests_dir();
    if !dir.is_dir() {
        return Ok(report);
    }
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .and_then(|entries| entries.collect::<Result<Vec<_>, _>>())
        .map_err(|e| location_error(dir, format!("cannot read: {e}")))?
        .into_iter()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for path in files {
        let label = format!(
            "policies/{}/tests/{}",
            set.id(),
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        );
        // Inside the set's folder: a symlinked `tests/` must not read files elsewhere.
        let text = super::confine::read_within(dir.parent().unwrap_or(dir), &path)
            .map_err(|e| location_error(Path::new(&label), format!("cannot read: {e}")))?;
        let file: GoldenFile = toml::from_str(&text).map_err(|e| toml_error(&label, &text, &e))?;
        for (index, case) in file.case.iter().enumerate() {
            let failure = run_case(set, case, index).err();
            let cites: Vec<String> = case
                .expect
                .as_ref()
                .and_then(|e| e.get("cite"))
                .and_then(|c| c.as_array())
                .map(|ids| {
                    ids.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if failure.is_none() {
                report.cited.extend(cites.iter().cloned());
            }
            report.results.push(CaseResult {
                file: label.clone(),
                name: case.name.clone(),
                failure,
                cites,
            });
        }
    }
    Ok(report)
}

fn location_error(path: &Path, message: String) -> PolicyError {
    PolicyError::Source(SourceLocation {
        file: path.display().to_string(),
        line: None,
        column: None,
        message,
    })
}

/// Ticket fields that exist after filing (what actions and sweeps see), beside the filing's.
const STATE_FIELDS: &[&str] = &[
    "status",
    "lead",
    "assist",
    "mode",
    "deadlines",
    "clocks",
    "missed",
    "dispatched_at",
    "actions",
    "redo",
];

fn golden_ticket(set: &CompiledSet, case: &GoldenCase, index: usize) -> Result<Value, String> {
    ticket_input(
        set,
        table_to_json(&case.ticket),
        &format!("golden-{}", index + 1),
    )
}

/// A hook's `ticket` argument from filing fields plus, optionally, the state a ticket has
/// after filing (`status`, `lead`, `deadlines`…). Filing fields left out get defaults:
/// the set's jurisdiction, channel `phone`, empty content, received [`DEFAULT_RECEIVED_AT`].
pub fn ticket_input(set: &CompiledSet, mut fields: Value, id: &str) -> Result<Value, String> {
    let Value::Object(map) = &mut fields else {
        return Err("`ticket` must be a table".into());
    };
    let state: Vec<(String, Value)> = STATE_FIELDS
        .iter()
        .filter_map(|k| map.remove(*k).map(|v| ((*k).to_owned(), v)))
        .collect();
    for (key, default) in [
        ("jurisdiction", json!(set.id())),
        ("channel", json!("phone")),
        ("content", json!("")),
        ("received_at", json!(DEFAULT_RECEIVED_AT)),
    ] {
        map.entry(key).or_insert(default);
    }
    let ticket: NewTicket = serde_path_to_error::deserialize(&fields)
        .map_err(|e| format!("`ticket.{}`: {}", e.path(), e.inner()))?;
    let received_at = ticket
        .received_at
        .ok_or("`ticket.received_at` is required")?
        .with_timezone(&set.manifest().offset);
    let mut view = policy_ticket(id, &ticket, received_at);
    for (key, value) in state {
        view[key] = value;
    }
    Ok(view)
}

/// A review hook's `request` argument: an action body, checked as the API checks it.
pub fn request_input(fields: Value) -> Result<Value, String> {
    let request: ActionRequest = serde_path_to_error::deserialize(fields)
        .map_err(|e| format!("`request.{}`: {}", e.path(), e.inner()))?;
    Ok(json!(request))
}

fn run_case(set: &CompiledSet, case: &GoldenCase, index: usize) -> Result<(), String> {
    let hook = Hook::parse(&case.hook).ok_or_else(|| format!("unknown hook `{}`", case.hook))?;
    let mut args = Vec::new();
    for param in hook.params() {
        let arg = match *param {
            "ticket" => Some(golden_ticket(set, case, index)?),
            // Review hooks get the whole action request, as the server hands it over.
            "request" | "reply" | "feedback" => case
                .request
                .as_ref()
                .map(|r| request_input(table_to_json(r)))
                .transpose()?,
            "clock" => case.clock.as_ref().map(table_to_json),
            "history" => Some(Value::Array(
                case.history.iter().map(table_to_json).collect(),
            )),
            "period" => case.period.as_ref().map(table_to_json),
            "units" => Some(Value::Array(case.units.iter().map(table_to_json).collect())),
            _ => None,
        };
        args.push(arg.ok_or_else(|| {
            format!(
                "hook `{}` takes {}: give `{param}` as a table",
                hook.name(),
                hook.params().join(", ")
            )
        })?);
    }
    match (set.decide(hook, &args), &case.expect_error) {
        (Ok(decision), None) => {
            let expect = case
                .expect
                .as_ref()
                .ok_or("a case needs `expect` or `expect_error`")?;
            matches(&table_to_json(expect), &decision.output, "")
        }
        (Ok(decision), Some(wanted)) => Err(format!(
            "expected an error containing `{wanted}`, got {}",
            decision.output
        )),
        (Err(e), Some(wanted)) if e.to_string().contains(wanted.as_str()) => Ok(()),
        (Err(e), _) => Err(e.to_string()),
    }
}

/// `expected` must be contained in `actual`: maps by key (extra keys allowed), lists element
/// by element (same length), except `cite`, which is compared as a set.
fn matches(expected: &Value, actual: &Value, path: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Object(want), Value::Object(have)) => {
            for (key, w) in want {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                let h = have
                    .get(key)
                    .ok_or_else(|| format!("`{child}` missing; expected {w}"))?;
                if key == "cite" {
                    let set = |v: &Value| -> BTreeSet<String> {
                        v.as_array()
                            .map(|a| a.iter().map(|x| x.to_string()).collect())
                            .unwrap_or_default()
                    };
                    if set(w) != set(h) {
                        return Err(format!("`{child}` is {h}; expected {w}"));
                    }
                } else {
                    matches(w, h, &child)?;
                }
            }
            Ok(())
        }
        (Value::Array(want), Value::Array(have)) if want.len() == have.len() => want
            .iter()
            .zip(have)
            .enumerate()
            .try_for_each(|(i, (w, h))| matches(w, h, &format!("{path}[{i}]"))),
        (w, h) if w == h => Ok(()),
        (w, h) => Err(format!(
            "`{}` is {h}; expected {w}",
            if path.is_empty() { "(result)" } else { path }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations_are_subsets_and_cite_is_a_set() {
        let actual = json!({"lead": "a", "assist": ["b"], "cite": ["X-1", "X-2"], "note": "n"});
        assert!(matches(&json!({"lead": "a", "cite": ["X-2", "X-1"]}), &actual, "").is_ok());
        assert!(matches(&json!({"cite": ["X-1"]}), &actual, "").is_err());
        assert!(matches(&json!({"assist": []}), &actual, "").is_err());
        let err = matches(&json!({"lead": "z"}), &actual, "").unwrap_err();
        assert!(err.contains("`lead`"), "{err}");
        assert!(matches(&json!({"missing": 1}), &actual, "").is_err());
    }
}
