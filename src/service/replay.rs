//! Replay: a recorded decision re-run with the stored source of its policy version (and
//! the calendar and plugins stored with it), compared with what was recorded. Scripts are
//! pure functions of their input and version, so a difference means the record, or the
//! engine, changed.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::ServiceError;
use crate::audit::{EntryKind, TrailEntry};
use crate::calendar;
use crate::policy::{CompiledSet, Hook, Paths, compile_set};
use crate::store::{Store, StoreError};

/// One replayed decision: API.md's `{same, recorded, replayed}` and what it was.
#[derive(Debug, Clone, Serialize)]
pub struct Replayed {
    pub seq: i64,
    pub hook: String,
    pub policy: Value,
    pub same: bool,
    pub recorded: Value,
    pub replayed: Value,
}

/// Compiled stored versions, so replaying a ticket compiles each version once.
#[derive(Default)]
pub struct VersionCache {
    sets: HashMap<(String, String), Arc<CompiledSet>>,
}

impl VersionCache {
    /// The version of `policy` activated last in this database, rebuilt from its stored
    /// sources: what a server keeps serving when an edit on disk is refused.
    pub fn last_activated(
        &mut self,
        store: &Store,
        policy: &str,
    ) -> Result<Option<Arc<CompiledSet>>, ServiceError> {
        let Some(row) = store.policy_versions(policy)?.into_iter().next() else {
            return Ok(None);
        };
        self.get(store, policy, &row.version).map(Some)
    }

    /// The stored version, rebuilt from its sources in a scratch folder.
    fn get(
        &mut self,
        store: &Store,
        policy: &str,
        version: &str,
    ) -> Result<Arc<CompiledSet>, ServiceError> {
        let key = (policy.to_owned(), version.to_owned());
        if let Some(set) = self.sets.get(&key) {
            return Ok(Arc::clone(set));
        }
        let row = store.policy_version(policy, version)?.ok_or_else(|| {
            ServiceError::EvaluationFailed(format!(
                "policy `{policy}` version `{version}` is not stored: it cannot be replayed"
            ))
        })?;
        let sources: BTreeMap<String, String> = serde_json::from_str(&row.sources)
            .map_err(|e| ServiceError::Store(StoreError::Corrupt(e.to_string())))?;
        let scratch = tempfile::tempdir().map_err(|e| ServiceError::Internal(e.to_string()))?;
        for (file, content) in &sources {
            write_source(scratch.path(), file, content)?;
        }
        let paths = Paths {
            policies: scratch.path().join("policies"),
            plugins: scratch.path().join("plugins"),
        };
        let calendars = calendar::load_dir(&paths.calendars())
            .map_err(|e| ServiceError::EvaluationFailed(e.to_string()))?;
        let set = compile_set(&paths, &calendars, policy)
            .map_err(|e| ServiceError::EvaluationFailed(e.location().to_string()))?;
        if set.version() != version {
            return Err(ServiceError::EvaluationFailed(format!(
                "the stored sources of `{policy}` rebuild version `{}`, not `{version}`",
                set.version()
            )));
        }
        let set = Arc::new(set);
        self.sets.insert(key, Arc::clone(&set));
        Ok(set)
    }
}

/// Writes one stored file under the scratch root; a stored path that would leave it is
/// refused (the sources come from the database, which an attacker may have edited).
fn write_source(root: &Path, file: &str, content: &str) -> Result<(), ServiceError> {
    let relative = Path::new(file);
    let safe = relative
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !safe {
        return Err(ServiceError::EvaluationFailed(format!(
            "stored source path `{file}` leaves the policy tree"
        )));
    }
    let target = root.join(relative);
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).map_err(|e| ServiceError::Internal(e.to_string()))?;
    }
    std::fs::write(&target, content).map_err(|e| ServiceError::Internal(e.to_string()))
}

/// Re-runs one recorded decision entry.
pub fn replay_entry(
    store: &Store,
    cache: &mut VersionCache,
    entry: &TrailEntry,
) -> Result<Replayed, ServiceError> {
    let not_a_decision = || ServiceError::Invalid {
        field: "seq",
        message: format!(
            "entry {} is an event, not a decision: nothing to replay",
            entry.seq
        ),
    };
    if entry.kind != EntryKind::Decision {
        return Err(not_a_decision());
    }
    let hook_name = entry.hook.as_deref().ok_or_else(not_a_decision)?;
    let hook = Hook::parse(hook_name).ok_or_else(not_a_decision)?;
    let (Some(policy), Some(version)) = (&entry.policy_id, &entry.policy_version) else {
        return Err(not_a_decision());
    };
    let set = cache.get(store, policy, version)?;
    let args: Vec<Value> = hook
        .params()
        .iter()
        .map(|name| entry.input.get(*name).cloned().unwrap_or(Value::Null))
        .collect();
    let replayed = set
        .decide(hook, &args)
        .map(|d| d.output)
        .map_err(|e| ServiceError::EvaluationFailed(e.to_string()))?;
    Ok(Replayed {
        seq: entry.seq,
        hook: hook_name.to_owned(),
        policy: serde_json::json!({"id": policy, "version": version}),
        same: replayed == entry.output,
        recorded: entry.output.clone(),
        replayed,
    })
}

/// Every decision of a ticket's trail, replayed.
pub fn replay_ticket(store: &Store, ticket_id: &str) -> Result<Vec<Replayed>, ServiceError> {
    let entries = store.trail(ticket_id)?;
    if entries.is_empty() {
        return Err(ServiceError::TicketNotFound(ticket_id.to_owned()));
    }
    let mut cache = VersionCache::default();
    entries
        .iter()
        .filter(|e| e.kind == EntryKind::Decision)
        .map(|e| replay_entry(store, &mut cache, e))
        .collect()
}
