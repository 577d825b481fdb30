//! `POST /api/v1/policies/{id}/evaluate`: a dry run of one hook, with the active version or
//! with candidate sources, on a stored ticket or one given in the body. Nothing is stored.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::clocks::{action_history, policy_view};
use super::{Service, ServiceError};
use crate::calendar;
use crate::policy::{
    CompiledSet, Hook, Paths, compile_set, is_plugin_name, request_input, ticket_input,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluateRequest {
    pub hook: String,
    /// A ticket as golden tests give one: filing fields plus any post-filing state.
    #[serde(default)]
    pub ticket: Option<Value>,
    /// Or a stored ticket, as hooks would see it now.
    #[serde(default)]
    pub ticket_id: Option<String>,
    #[serde(default)]
    pub request: Option<Value>,
    #[serde(default)]
    pub clock: Option<Value>,
    #[serde(default)]
    pub history: Vec<Value>,
    /// `assess`: the period and its per-unit counts, as `GET /assessments` builds them.
    #[serde(default)]
    pub period: Option<Value>,
    #[serde(default)]
    pub units: Vec<Value>,
    /// Candidate files: `main.rhai`, `policy.toml`, `rules.toml` of this set, or
    /// `plugins/<name>.rhai`.
    #[serde(default)]
    pub sources: BTreeMap<String, String>,
}

fn invalid(field: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid {
        field,
        message: message.into(),
    }
}

impl Service {
    #[tracing::instrument(name = "evaluate", skip(self, body), fields(hook = %body.hook))]
    pub fn evaluate(
        &self,
        principal: &crate::domain::Principal,
        policy: &str,
        body: EvaluateRequest,
    ) -> Result<Value, ServiceError> {
        // A token scoped to one county evaluates its own sets, on its own tickets only.
        super::require_jurisdiction(principal, policy)?;
        let hook = Hook::parse(&body.hook).ok_or_else(|| ServiceError::BadInput {
            field: "hook",
            message: format!("`{}` is not a hook", body.hook),
        })?;
        let active = self.served_set(policy)?;
        let set = if body.sources.is_empty() {
            active
        } else {
            let candidate = self.candidate(policy, &body.sources)?;
            // A candidate may not borrow a set outside the token's scope by extending it
            // (its data, units and hooks would answer); the active set's own parents it
            // inherits anyway.
            if let Some(parent) = candidate
                .parents()
                .iter()
                .find(|p| !principal.covers_jurisdiction(p) && !active.parents().contains(p))
            {
                return Err(ServiceError::Forbidden(format!(
                    "the candidate extends `{parent}`, which this token does not cover"
                )));
            }
            candidate
        };
        let ticket = match (&body.ticket_id, &body.ticket) {
            (Some(id), _) => {
                let row = self.scoped_row(principal, id)?;
                if row.jurisdiction != policy {
                    return Err(invalid(
                        "ticket_id",
                        format!(
                            "ticket `{id}` is a ticket of `{}`, not of `{policy}`",
                            row.jurisdiction
                        ),
                    ));
                }
                let clocks = self.store.deadlines(id)?;
                let offset = set.manifest().offset;
                let mut view = policy_view(&row, &clocks);
                view["actions"] =
                    action_history(&self.store.events(std::slice::from_ref(id))?, offset);
                view
            }
            (None, fields) => {
                ticket_input(&set, fields.clone().unwrap_or_else(|| json!({})), "dry-run")
                    .map_err(|m| invalid("ticket", m))?
            }
        };
        let mut args = Vec::new();
        for param in hook.params() {
            args.push(match *param {
                "ticket" => ticket.clone(),
                "request" | "reply" | "feedback" => {
                    request_input(body.request.clone().unwrap_or_else(|| json!({})))
                        .map_err(|m| invalid("request", m))?
                }
                "clock" => body
                    .clock
                    .clone()
                    .ok_or_else(|| invalid("clock", "is required for on_overdue"))?,
                "history" => Value::Array(body.history.clone()),
                "period" => body
                    .period
                    .clone()
                    .ok_or_else(|| invalid("period", "is required for assess"))?,
                "units" => Value::Array(body.units.clone()),
                other => {
                    return Err(invalid(
                        "hook",
                        format!("takes `{other}`, which a dry run cannot give"),
                    ));
                }
            });
        }
        let decision = set
            .decide(hook, &args)
            .map_err(|e| ServiceError::EvaluationFailed(e.to_string()))?;
        Ok(json!({
            "hook": hook.name(),
            "outcome": decision.outcome,
            "cite": decision.cite,
            "notes": decision.notes,
            "output": decision.output,
            "input": decision.input,
            "provisional": decision.provisional,
            "policy": {"id": decision.policy_id, "version": decision.policy_version},
            "candidate": !body.sources.is_empty(),
            "duration_us": decision.duration.as_micros() as u64,
        }))
    }

    /// Compiles a set with some files replaced, in a scratch copy of the policy folders.
    fn candidate(
        &self,
        policy: &str,
        sources: &BTreeMap<String, String>,
    ) -> Result<Arc<CompiledSet>, ServiceError> {
        let live = self.registry.paths();
        let scratch = tempfile::tempdir().map_err(|e| ServiceError::Internal(e.to_string()))?;
        let paths = Paths {
            policies: scratch.path().join("policies"),
            plugins: scratch.path().join("plugins"),
        };
        copy_tree(&live.policies, &paths.policies)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        copy_tree(&live.plugins, &paths.plugins)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        for (name, content) in sources {
            let target = match name
                .strip_prefix("plugins/")
                .and_then(|p| p.strip_suffix(".rhai"))
            {
                Some(plugin) if is_plugin_name(plugin) => {
                    paths.plugins.join(format!("{plugin}.rhai"))
                }
                _ if ["main.rhai", "policy.toml", "rules.toml"].contains(&name.as_str()) => {
                    paths.set_dir(policy).join(name)
                }
                _ => {
                    return Err(invalid(
                        "sources",
                        format!(
                            "`{name}`: give main.rhai, policy.toml, rules.toml or plugins/<name>.rhai"
                        ),
                    ));
                }
            };
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir).map_err(|e| ServiceError::Internal(e.to_string()))?;
            }
            std::fs::write(&target, content).map_err(|e| ServiceError::Internal(e.to_string()))?;
        }
        let calendars = calendar::load_dir(&paths.calendars())
            .map_err(|e| ServiceError::EvaluationFailed(e.to_string()))?;
        compile_set(&paths, &calendars, policy)
            .map(Arc::new)
            .map_err(|e| ServiceError::EvaluationFailed(e.location().to_string()))
    }
}

/// Copies the live folders for a dry run. A symlink is followed only when it stays inside
/// `from`'s root, as the live reader would; one leading out is left behind, so the candidate
/// sees what the live set sees and nothing more.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    let root = from.canonicalize()?;
    copy_within(&root, from, to)
}

fn copy_within(
    root: &std::path::Path,
    from: &std::path::Path,
    to: &std::path::Path,
) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let Ok(real) = entry.path().canonicalize() else {
            continue;
        };
        if !real.starts_with(root) {
            continue;
        }
        let target = to.join(entry.file_name());
        if real.is_dir() {
            if !entry.file_type()?.is_symlink() {
                copy_within(root, &entry.path(), &target)?;
            }
        } else {
            std::fs::copy(&real, target)?;
        }
    }
    Ok(())
}
