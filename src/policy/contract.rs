//! The policy contract: hooks, what they are given, and what they must return.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::domain::{
    Action, DeadlineName, NewTicket, Redirect, RevisitOutcome, RouteMode, format_instant,
};

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
    ReviewDispatch,
    ReviewAppeal,
    OnSupervise,
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
        Hook::ReviewDispatch,
        Hook::ReviewAppeal,
        Hook::OnSupervise,
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
            Self::ReviewDispatch => "review_dispatch",
            Self::ReviewAppeal => "review_appeal",
            Self::OnSupervise => "on_supervise",
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
            Self::ReviewReturn
            | Self::ReviewExtension
            | Self::ReviewTermination
            | Self::ReviewDispatch
            | Self::ReviewAppeal
            | Self::OnSupervise => &["ticket", "request"],
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
    /// The output, typed.
    #[serde(skip)]
    pub verdict: Verdict,
    /// The accountability it fires (any hook may).
    #[serde(skip)]
    pub actions: Vec<PolicyAction>,
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

/// One clock a `time_limits` decision declares (API.md "Lifecycle additions").
#[derive(Debug, Clone, PartialEq)]
pub struct ClockSpec {
    pub name: DeadlineName,
    /// The unit that owes it; `None`: the lead (or, in `co_unit_deadlines`, each co-unit).
    pub unit: Option<String>,
    pub due: DateTime<FixedOffset>,
    /// The owner's actions that meet it.
    pub met_by: Vec<Action>,
    /// The rules that set it; empty: the decision's own cite.
    pub cite: Vec<String>,
    /// When the sweep should warn before it passes.
    pub warn: Option<DateTime<FixedOffset>>,
}

/// `time_limits`: the clocks of the lead and of other named units (`deadlines`), and those
/// each co-unit owes the lead (`co_unit_deadlines`, HH-17).
#[derive(Debug, Clone, PartialEq)]
pub struct TimeLimits {
    pub clocks: Vec<ClockSpec>,
    pub co_unit_clocks: Vec<ClockSpec>,
}

impl TimeLimits {
    pub fn lead_clocks(&self) -> impl Iterator<Item = &ClockSpec> {
        self.clocks.iter().filter(|c| c.unit.is_none())
    }
}

/// The kinds of accountability a decision can fire (API.md "Lifecycle additions").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Remind,
    Escalate,
    Notify,
    Refer,
    Interview,
    Supervise,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Remind => "remind",
            Self::Escalate => "escalate",
            Self::Notify => "notify",
            Self::Refer => "refer",
            Self::Interview => "interview",
            Self::Supervise => "supervise",
        }
    }
}

/// One action a decision fires: to the outbox, exactly once, with the decision's cite.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyAction {
    pub kind: ActionKind,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A clock an allowed extension moves.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockMove {
    pub name: DeadlineName,
    /// Whose clock; `None`: the acting unit's (the lead's for the lead).
    pub unit: Option<String>,
    pub due: DateTime<FixedOffset>,
}

/// What a review hook decided: allowed or denied, why, and what the allowed request
/// changes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Review {
    pub allowed: bool,
    pub reasons: Vec<String>,
    /// `review_return`: the unit it goes to; `None`: back to the centre.
    pub to: Option<String>,
    /// `review_dispatch`: the new lead and co-units.
    pub lead: Option<String>,
    pub assist: Vec<String>,
    /// `review_extension`: the clocks it moves.
    pub moves: Vec<ClockMove>,
}

/// What `on_overdue` decided besides its actions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Overdue {
    /// When to look at the clock again.
    pub next: Option<DateTime<FixedOffset>>,
    /// An action the passing of the clock stands for (PY-ops-7.2 逾期视为默认接受: `sign`).
    pub assume: Option<Action>,
}

/// Every hook's output, typed: read once here, never re-parsed by the use cases.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Accept(AcceptOutcome),
    Route(RouteDecision),
    TimeLimits(TimeLimits),
    Review(Review),
    Revisit {
        outcome: RevisitOutcome,
        reasons: Vec<String>,
    },
    Overdue(Overdue),
    /// `assess`: figures the set defines, shown as they are.
    Assessment,
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
        match &self.verdict {
            Verdict::Accept(a) => Ok(a.clone()),
            _ => Err(format!("`{}` does not decide acceptance", self.hook.name())),
        }
    }

    pub fn route(&self) -> Result<RouteDecision, String> {
        match &self.verdict {
            Verdict::Route(r) => Ok(r.clone()),
            _ => Err(format!("`{}` does not route", self.hook.name())),
        }
    }

    pub fn time_limits(&self) -> Result<TimeLimits, String> {
        match &self.verdict {
            Verdict::TimeLimits(t) => Ok(t.clone()),
            _ => Err(format!("`{}` does not set clocks", self.hook.name())),
        }
    }
}

fn instant_at(value: &Value, path: &str) -> Result<DateTime<FixedOffset>, String> {
    value
        .as_str()
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .ok_or_else(|| {
            format!(
                "`{path}` is {value}, not an instant: compute it with working_days(), hours(), days() or months()"
            )
        })
}

fn actions_at(value: &Value, path: &str) -> Result<Vec<Action>, String> {
    let Some(items) = value.as_array() else {
        return Err(format!("`{path}` must be a list of action names"));
    };
    let mut actions = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let action = item.as_str().and_then(Action::parse).ok_or_else(|| {
            let known: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
            format!("`{path}[{i}]` is {item}, not one of {}", known.join(", "))
        })?;
        actions.push(action);
    }
    if actions.is_empty() {
        return Err(format!(
            "`{path}` is empty: no action could ever meet this clock"
        ));
    }
    Ok(actions)
}

fn strings_at(value: &Value, path: &str) -> Result<Vec<String>, String> {
    serde_json::from_value(value.clone()).map_err(|_| format!("`{path}` must be a list of text"))
}

/// Reads `deadlines.<name>`: an instant (the lead's, met by its default action) or a map
/// `{due, unit, met_by, cite}`.
fn clock_spec(
    name: DeadlineName,
    value: &Value,
    path: &str,
    warn: Option<DateTime<FixedOffset>>,
) -> Result<ClockSpec, String> {
    let mut spec = ClockSpec {
        name,
        unit: None,
        due: DateTime::<FixedOffset>::MIN_UTC.fixed_offset(),
        met_by: vec![name.default_met_by()],
        cite: vec![],
        warn,
    };
    match value {
        Value::Object(fields) => {
            for key in fields.keys() {
                if !["due", "unit", "met_by", "cite", "warn"].contains(&key.as_str()) {
                    return Err(format!(
                        "`{path}.{key}` is not a clock field: a clock is {{due, unit, met_by, cite, warn}}"
                    ));
                }
            }
            spec.due = instant_at(
                fields.get("due").unwrap_or(&Value::Null),
                &format!("{path}.due"),
            )?;
            if let Some(unit) = fields.get("unit").filter(|u| !u.is_null()) {
                spec.unit = Some(
                    unit.as_str()
                        .ok_or_else(|| format!("`{path}.unit` must be a unit id"))?
                        .to_owned(),
                );
            }
            if let Some(met_by) = fields.get("met_by") {
                spec.met_by = actions_at(met_by, &format!("{path}.met_by"))?;
            }
            if let Some(cite) = fields.get("cite") {
                spec.cite = strings_at(cite, &format!("{path}.cite"))?;
            }
            if let Some(warn) = fields.get("warn").filter(|w| !w.is_null()) {
                spec.warn = Some(instant_at(warn, &format!("{path}.warn"))?);
            }
        }
        other => spec.due = instant_at(other, path)?,
    }
    Ok(spec)
}

fn clocks_of(
    output: &Value,
    key: &str,
    warn: &BTreeMap<DeadlineName, DateTime<FixedOffset>>,
) -> Result<Vec<ClockSpec>, String> {
    let Some(value) = output.get(key).filter(|v| !v.is_null()) else {
        return Ok(vec![]);
    };
    let Some(entries) = value.as_object() else {
        return Err(format!("`{key}` must be a map of deadline name to instant"));
    };
    entries
        .iter()
        .map(|(name, value)| {
            let clock = DeadlineName::parse(name).ok_or_else(|| {
                let known: Vec<&str> = DeadlineName::ALL.iter().map(|d| d.as_str()).collect();
                format!(
                    "`{key}.{name}` is not a deadline name: one of {}",
                    known.join(", ")
                )
            })?;
            clock_spec(
                clock,
                value,
                &format!("{key}.{name}"),
                warn.get(&clock).copied(),
            )
        })
        .collect()
}

fn instants_of(
    output: &Value,
    key: &str,
) -> Result<BTreeMap<DeadlineName, DateTime<FixedOffset>>, String> {
    let Some(value) = output.get(key).filter(|v| !v.is_null()) else {
        return Ok(BTreeMap::new());
    };
    let Some(entries) = value.as_object() else {
        return Err(format!("`{key}` must be a map of deadline name to instant"));
    };
    let mut instants = BTreeMap::new();
    for (name, at) in entries {
        let clock = DeadlineName::parse(name)
            .ok_or_else(|| format!("`{key}.{name}` is not a deadline name"))?;
        instants.insert(clock, instant_at(at, &format!("{key}.{name}"))?);
    }
    Ok(instants)
}

/// Reads a `time_limits` output, saying which clock is wrong and how, in a script author's
/// terms.
fn time_limits_of(output: &Value) -> Result<TimeLimits, String> {
    if !output.get("deadlines").is_some_and(Value::is_object) {
        return Err("`deadlines` must be a map of deadline name to instant".into());
    }
    let warn = instants_of(output, "warn")?;
    let co_unit_clocks = clocks_of(output, "co_unit_deadlines", &BTreeMap::new())?;
    if let Some(named) = co_unit_clocks.iter().find(|c| c.unit.is_some()) {
        return Err(format!(
            "`co_unit_deadlines.{}.unit`: each co-unit owes these clocks itself; name one unit's clock in `deadlines` instead",
            named.name.as_str()
        ));
    }
    Ok(TimeLimits {
        clocks: clocks_of(output, "deadlines", &warn)?,
        co_unit_clocks,
    })
}

fn reasons_of(output: &Value) -> Result<Vec<String>, String> {
    match (output.get("reasons"), output.get("reason")) {
        (Some(list), _) => strings_at(list, "reasons"),
        (None, Some(Value::String(one))) => Ok(vec![one.clone()]),
        _ => Ok(vec![]),
    }
}

fn optional_text(output: &Value, key: &str) -> Result<Option<String>, String> {
    match output.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(other) => Err(format!("`{key}` is {other}, not a unit id")),
    }
}

fn review_of(hook: Hook, output: &Value) -> Result<Review, String> {
    let outcome = output
        .get("outcome")
        .and_then(Value::as_str)
        .ok_or("`outcome` is required: allowed or denied")?;
    let allowed = match outcome {
        "allowed" => true,
        "denied" => false,
        other => return Err(format!("`outcome` `{other}` must be allowed or denied")),
    };
    let mut review = Review {
        allowed,
        reasons: reasons_of(output)?,
        to: optional_text(output, "to")?,
        lead: optional_text(output, "lead")?,
        assist: match output.get("assist") {
            None | Some(Value::Null) => vec![],
            Some(list) => strings_at(list, "assist")?,
        },
        moves: vec![],
    };
    if hook == Hook::ReviewExtension && allowed {
        if let Some(resolve) = output.get("resolve").filter(|v| !v.is_null()) {
            review.moves.push(ClockMove {
                name: DeadlineName::Resolve,
                unit: None,
                due: instant_at(resolve, "resolve")?,
            });
        }
        if let Some(clocks) = output.get("clocks").filter(|v| !v.is_null()) {
            let entries = clocks
                .as_object()
                .ok_or("`clocks` must be a map of deadline name to instant or {due, unit}")?;
            for (name, value) in entries {
                let clock = DeadlineName::parse(name)
                    .ok_or_else(|| format!("`clocks.{name}` is not a deadline name"))?;
                // One unit's clock, or a list: several co-units owe a clock of one name.
                let items: Vec<&Value> = match value {
                    Value::Array(items) => items.iter().collect(),
                    other => vec![other],
                };
                for item in items {
                    let (due, unit) = match item {
                        Value::Object(f) => (
                            instant_at(
                                f.get("due").unwrap_or(&Value::Null),
                                &format!("clocks.{name}.due"),
                            )?,
                            f.get("unit").and_then(Value::as_str).map(str::to_owned),
                        ),
                        other => (instant_at(other, &format!("clocks.{name}"))?, None),
                    };
                    review
                        .moves
                        .retain(|m| !(m.name == clock && m.unit == unit));
                    review.moves.push(ClockMove {
                        name: clock,
                        unit,
                        due,
                    });
                }
            }
        }
        if review.moves.is_empty() {
            return Err(
                "an allowed extension must give `resolve` or `clocks`: the clocks it moves".into(),
            );
        }
    }
    if hook == Hook::ReviewDispatch && allowed && review.lead.is_none() {
        return Err("an allowed dispatch must name `lead`, the unit that handles it".into());
    }
    Ok(review)
}

fn overdue_of(output: &Value) -> Result<Overdue, String> {
    let next = match output.get("next") {
        None | Some(Value::Null) => None,
        Some(value) => Some(instant_at(value, "next")?),
    };
    let assume = match output.get("assume") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) if name == "sign" => Some(Action::Sign),
        Some(other) => {
            return Err(format!(
                "`assume` is {other}: a passing clock can stand only for `sign` (acceptance assumed)"
            ));
        }
    };
    Ok(Overdue { next, assume })
}

/// The actions any hook may fire.
pub fn actions_of(output: &Value) -> Result<Vec<PolicyAction>, String> {
    match output.get("actions") {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                typed::<PolicyAction>(item).map_err(|e| {
                    format!(
                        "`actions[{i}]`: {e}; an action is {{kind: remind | escalate | notify | refer | interview | supervise, to, channel, note}}"
                    )
                })
            })
            .collect(),
        Some(_) => Err("`actions` must be a list".into()),
    }
}

/// Reads a hook's output into its typed verdict, validating it on the way.
pub fn verdict_of(hook: Hook, output: &Value) -> Result<Verdict, String> {
    Ok(match hook {
        Hook::Accept => Verdict::Accept(typed(output)?),
        Hook::Route => Verdict::Route(typed(output)?),
        Hook::TimeLimits => Verdict::TimeLimits(time_limits_of(output)?),
        Hook::ReviewReturn
        | Hook::ReviewExtension
        | Hook::ReviewTermination
        | Hook::ReviewClosure
        | Hook::ReviewDispatch
        | Hook::ReviewAppeal
        | Hook::OnSupervise => Verdict::Review(review_of(hook, output)?),
        Hook::OnRevisit => {
            let outcome = output
                .get("outcome")
                .and_then(Value::as_str)
                .ok_or("`outcome` is required: close, reopen, reverify or supervise")?;
            let outcome: RevisitOutcome = serde_json::from_value(json!(outcome)).map_err(|_| {
                format!("`outcome` `{outcome}` must be close, reopen, reverify or supervise")
            })?;
            Verdict::Revisit {
                outcome,
                reasons: reasons_of(output)?,
            }
        }
        Hook::OnOverdue => Verdict::Overdue(overdue_of(output)?),
        Hook::Assess => Verdict::Assessment,
    })
}

impl Verdict {
    /// The short outcome recorded beside each decision.
    pub fn outcome(&self, output: &Value) -> String {
        match self {
            Self::Accept(AcceptOutcome::Accepted) => "accepted".into(),
            Self::Accept(AcceptOutcome::Rejected { .. }) => "rejected".into(),
            Self::Accept(AcceptOutcome::Answered { .. }) => "answered".into(),
            Self::Route(r) => r.mode.as_str().into(),
            Self::TimeLimits(_) => "scheduled".into(),
            Self::Review(r) => if r.allowed { "allowed" } else { "denied" }.into(),
            Self::Revisit { outcome, .. } => outcome.as_str().into(),
            Self::Overdue(_) | Self::Assessment => output
                .get("outcome")
                .and_then(Value::as_str)
                .unwrap_or("decided")
                .to_owned(),
        }
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
        "statutory_limit": ticket.statutory_limit,
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
        let outcome_of = |hook, output: &Value| verdict_of(hook, output).map(|v| v.outcome(output));
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

    #[test]
    fn a_clock_is_an_instant_or_a_map_naming_its_owner_and_the_actions_that_meet_it() {
        let output = json!({"deadlines": {
            "resolve": "2026-03-10T09:00:00+08:00",
            "plan": {"due": "2026-03-09T09:00:00+08:00", "met_by": ["plan", "report_progress"], "cite": ["WS-137"]},
            "sign": {"due": "2026-03-03T09:00:00+08:00", "unit": "ws-office"}},
            "co_unit_deadlines": {"first_feedback": "2026-03-05T09:00:00+08:00"}});
        let Verdict::TimeLimits(limits) = verdict_of(Hook::TimeLimits, &output).unwrap() else {
            panic!("not time limits");
        };
        let plan = limits
            .clocks
            .iter()
            .find(|c| c.name == DeadlineName::Plan)
            .unwrap();
        assert_eq!(plan.met_by, [Action::Plan, Action::ReportProgress]);
        assert_eq!(plan.cite, ["WS-137"]);
        let sign = limits
            .clocks
            .iter()
            .find(|c| c.name == DeadlineName::Sign)
            .unwrap();
        assert_eq!(sign.unit.as_deref(), Some("ws-office"));
        assert_eq!(sign.met_by, [Action::Sign]);
        assert_eq!(limits.co_unit_clocks[0].met_by, [Action::Feedback]);
        for bad in [
            json!({"deadlines": {"plan": {"due": "2026-03-09T09:00:00+08:00", "met_by": []}}}),
            json!({"deadlines": {"plan": {"due": "2026-03-09T09:00:00+08:00", "met_by": ["pray"]}}}),
            json!({"deadlines": {"plan": {"due": "soon"}}}),
            json!({"deadlines": {"plan": {"due": "2026-03-09T09:00:00+08:00", "owner": "x"}}}),
        ] {
            assert!(verdict_of(Hook::TimeLimits, &bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn any_hook_may_fire_actions_of_the_known_kinds_only() {
        let fired = actions_of(
            &json!({"actions": [{"kind": "supervise", "to": "py-supervision"},
                                                   {"kind": "notify", "channel": "bulletin"}]}),
        )
        .unwrap();
        assert_eq!(fired[0].kind, ActionKind::Supervise);
        assert_eq!(fired[1].channel.as_deref(), Some("bulletin"));
        assert!(actions_of(&json!({"actions": [{"kind": "punish"}]})).is_err());
        assert!(actions_of(&json!({"actions": "remind"})).is_err());
    }

    #[test]
    fn an_extension_moves_the_clocks_of_several_co_units_of_one_name() {
        let review = review_of(
            Hook::ReviewExtension,
            &json!({"outcome": "allowed", "resolve": "2026-03-20T09:00:00+08:00",
                    "clocks": {"first_feedback": [
                        {"due": "2026-03-20T09:00:00+08:00", "unit": "co-a"},
                        {"due": "2026-03-20T09:00:00+08:00", "unit": "co-b"}]}}),
        )
        .expect("parses");
        let units: Vec<Option<&str>> = review
            .moves
            .iter()
            .filter(|m| m.name == DeadlineName::FirstFeedback)
            .map(|m| m.unit.as_deref())
            .collect();
        assert_eq!(units, [Some("co-a"), Some("co-b")]);
    }

    #[test]
    fn an_extension_names_the_clocks_it_moves() {
        let output =
            json!({"outcome": "allowed", "clocks": {"reverify": "2026-03-12T09:00:00+08:00"}});
        let Verdict::Review(review) = verdict_of(Hook::ReviewExtension, &output).unwrap() else {
            panic!("not a review");
        };
        assert_eq!(review.moves[0].name, DeadlineName::Reverify);
        assert!(verdict_of(Hook::ReviewExtension, &json!({"outcome": "allowed"})).is_err());
        assert!(verdict_of(Hook::ReviewDispatch, &json!({"outcome": "allowed"})).is_err());
    }
}
