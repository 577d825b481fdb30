//! The policy contract: hooks, what they are given, and what they must return.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::domain::{DeadlineName, NewTicket, Redirect, RouteMode, format_instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hook {
    Accept,
    Route,
    TimeLimits,
    ReviewReturn,
    ReviewExtension,
    ReviewTermination,
    ReviewClosure,
    OnRevisit,
    OnOverdue,
    Assess,
}

impl Hook {
    pub const ALL: &'static [Hook] = &[
        Hook::Accept,
        Hook::Route,
        Hook::TimeLimits,
        Hook::ReviewReturn,
        Hook::ReviewExtension,
        Hook::ReviewTermination,
        Hook::ReviewClosure,
        Hook::OnRevisit,
        Hook::OnOverdue,
        Hook::Assess,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::Route => "route",
            Self::TimeLimits => "time_limits",
            Self::ReviewReturn => "review_return",
            Self::ReviewExtension => "review_extension",
            Self::ReviewTermination => "review_termination",
            Self::ReviewClosure => "review_closure",
            Self::OnRevisit => "on_revisit",
            Self::OnOverdue => "on_overdue",
            Self::Assess => "assess",
        }
    }

    pub fn parse(name: &str) -> Option<Hook> {
        Self::ALL.iter().copied().find(|h| h.name() == name)
    }

    /// The hook's parameters, in order: the names its input is recorded under.
    pub fn params(self) -> &'static [&'static str] {
        match self {
            Self::Accept | Self::Route | Self::TimeLimits => &["ticket"],
            Self::ReviewReturn | Self::ReviewExtension | Self::ReviewTermination => {
                &["ticket", "request"]
            }
            Self::ReviewClosure => &["ticket", "reply"],
            Self::OnRevisit => &["ticket", "feedback"],
            Self::OnOverdue => &["ticket", "clock", "history"],
            Self::Assess => &["period", "units"],
        }
    }
}

/// One made decision: what the hook was given, what it returned, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub hook: Hook,
    pub policy_id: String,
    pub policy_version: String,
    /// The hook's arguments by parameter name.
    pub input: Value,
    /// The hook's returned map, as JSON.
    pub output: Value,
    pub outcome: String,
    pub cite: Vec<String>,
    pub notes: Vec<String>,
    /// Some instant in the output was computed across a year the calendar lacks.
    pub provisional: bool,
    #[serde(skip)]
    pub duration: Duration,
}

/// The fields every returned map may carry besides its hook's own.
#[derive(Deserialize)]
struct Trace {
    #[serde(default)]
    cite: Vec<String>,
    #[serde(default)]
    note: Option<NoteField>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NoteField {
    One(String),
    Many(Vec<String>),
}

/// Extracts `cite` and `note`; a decision without a cite is a policy defect.
pub fn trace_of(output: &Value) -> Result<(Vec<String>, Vec<String>), String> {
    if !output.is_object() {
        return Err(format!("a hook must return a map, not `{output}`"));
    }
    let trace = Trace::deserialize(output)
        .map_err(|e| format!("`cite` must be a list of rule ids and `note` text: {e}"))?;
    if trace.cite.is_empty() || trace.cite.iter().any(|c| c.trim().is_empty()) {
        return Err("every decision must `cite` the rule ids that made it".into());
    }
    let notes = match trace.note {
        None => vec![],
        Some(NoteField::One(n)) => vec![n],
        Some(NoteField::Many(n)) => n,
    };
    Ok((trace.cite, notes))
}

/// `accept`: accepted, rejected (with where to go instead), or answered without dispatch.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum AcceptOutcome {
    Accepted,
    Rejected {
        reason: String,
        #[serde(default)]
        redirect: Option<Redirect>,
    },
    Answered {
        #[serde(default)]
        answer: Option<String>,
    },
}

/// `route`: the first-responsible unit and its co-units.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RouteDecision {
    pub lead: String,
    #[serde(default)]
    pub assist: Vec<String>,
    pub mode: RouteMode,
}

/// `time_limits`: named deadlines of the lead unit; those each co-unit owes the lead unit
/// (HH-17); and, optionally, when to warn before a deadline passes.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeLimits {
    pub deadlines: BTreeMap<DeadlineName, DateTime<FixedOffset>>,
    pub co_unit_deadlines: BTreeMap<DeadlineName, DateTime<FixedOffset>>,
    pub warn: BTreeMap<DeadlineName, DateTime<FixedOffset>>,
}

fn typed<T: for<'de> Deserialize<'de>>(output: &Value) -> Result<T, String> {
    // Unknown fields are allowed: `cite`, `note` and a set's own extras ride along.
    serde_path_to_error::deserialize(output).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            e.inner().to_string()
        } else {
            format!("`{path}`: {}", e.inner())
        }
    })
}

impl Decision {
    pub fn accept_outcome(&self) -> Result<AcceptOutcome, String> {
        typed(&self.output)
    }

    pub fn route(&self) -> Result<RouteDecision, String> {
        typed(&self.output)
    }

    pub fn time_limits(&self) -> Result<TimeLimits, String> {
        time_limits_of(&self.output)
    }
}

fn instants_of(
    output: &Value,
    key: &str,
) -> Result<BTreeMap<DeadlineName, DateTime<FixedOffset>>, String> {
    let Some(value) = output.get(key) else {
        return Ok(BTreeMap::new());
    };
    let Some(entries) = value.as_object() else {
        return Err(format!("`{key}` must be a map of deadline name to instant"));
    };
    let mut deadlines = BTreeMap::new();
    for (name, at) in entries {
        let clock = DeadlineName::parse(name)
            .ok_or_else(|| format!("`{key}.{name}` is not a deadline name"))?;
        let instant = at
            .as_str()
            .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
            .ok_or_else(|| {
                format!(
                    "`{key}.{name}` is {at}, not an instant: compute it with working_days(), hours(), days() or months()"
                )
            })?;
        deadlines.insert(clock, instant);
    }
    Ok(deadlines)
}

/// Reads a `time_limits` output, saying which deadline is wrong and how, in a script
/// author's terms.
fn time_limits_of(output: &Value) -> Result<TimeLimits, String> {
    if !output.get("deadlines").is_some_and(Value::is_object) {
        return Err("`deadlines` must be a map of deadline name to instant".into());
    }
    Ok(TimeLimits {
        deadlines: instants_of(output, "deadlines")?,
        co_unit_deadlines: instants_of(output, "co_unit_deadlines")?,
        warn: instants_of(output, "warn")?,
    })
}

/// The short outcome recorded beside each decision, validating the output on the way.
pub fn outcome_of(hook: Hook, output: &Value) -> Result<String, String> {
    match hook {
        Hook::Accept => typed::<AcceptOutcome>(output).map(|o| match o {
            AcceptOutcome::Accepted => "accepted".into(),
            AcceptOutcome::Rejected { .. } => "rejected".into(),
            AcceptOutcome::Answered { .. } => "answered".into(),
        }),
        Hook::Route => typed::<RouteDecision>(output).map(|r| r.mode.as_str().into()),
        Hook::TimeLimits => time_limits_of(output).map(|_| "scheduled".into()),
        _ => Ok(output
            .get("outcome")
            .and_then(Value::as_str)
            .unwrap_or("decided")
            .to_owned()),
    }
}

/// The ticket as every hook sees it. Requester name and phone are left out on purpose:
/// no rule needs them, and what a script never sees it cannot leak (IM-15).
pub fn policy_ticket(id: &str, ticket: &NewTicket, received_at: DateTime<FixedOffset>) -> Value {
    json!({
        "id": id,
        "jurisdiction": ticket.jurisdiction,
        "channel": ticket.channel.as_str(),
        "category": ticket.category.as_str(),
        "topic": ticket.topic,
        "flags": ticket.flags.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
        "area": ticket.area,
        "content": ticket.content,
        "received_at": format_instant(received_at),
        "dispatched_at": format_instant(received_at),
        "status": "received",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_without_cite_is_refused() {
        assert!(trace_of(&json!({"outcome": "accepted"})).is_err());
        assert!(trace_of(&json!({"outcome": "accepted", "cite": []})).is_err());
        assert!(trace_of(&json!({"outcome": "accepted", "cite": [""]})).is_err());
        assert!(trace_of(&json!("accepted")).is_err());
        let (cite, notes) =
            trace_of(&json!({"outcome": "accepted", "cite": ["AS-2.1"], "note": "x"})).unwrap();
        assert_eq!(cite, ["AS-2.1"]);
        assert_eq!(notes, ["x"]);
    }

    #[test]
    fn outputs_are_checked_against_their_hook() {
        assert_eq!(
            outcome_of(
                Hook::Accept,
                &json!({"outcome": "rejected", "reason": "r", "redirect": "110"})
            )
            .unwrap(),
            "rejected"
        );
        let err = outcome_of(Hook::Accept, &json!({"outcome": "maybe"})).unwrap_err();
        assert!(err.contains("maybe"), "{err}");
        let err = outcome_of(Hook::Route, &json!({"lead": "x", "mode": "sideways"})).unwrap_err();
        assert!(err.contains("mode"), "{err}");
        let err = outcome_of(
            Hook::TimeLimits,
            &json!({"deadlines": {"someday": "2025-01-01T00:00:00+08:00"}}),
        )
        .unwrap_err();
        assert!(err.contains("someday"), "{err}");
    }
}
