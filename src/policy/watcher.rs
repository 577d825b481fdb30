//! Live reload: a debounced, recursive watch of `policies/` and `plugins/`. Editors save by
//! writing a temp file and renaming it, or by truncating and writing in several batches;
//! watching folders (not files) and recompiling on every settled batch handles both, and
//! a half-written file simply fails to compile and leaves the last good version serving.

use std::sync::Arc;
use std::time::Duration;

use notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use super::registry::Registry;

/// How long the files must be quiet before a reload: long enough for an editor's save to
/// settle, short enough that an administrator sees the result at once.
pub const DEBOUNCE: Duration = Duration::from_millis(50);

/// Keeps watching while it lives.
pub struct PolicyWatcher {
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
}

pub fn watch(registry: Arc<Registry>) -> notify::Result<PolicyWatcher> {
    let paths = registry.paths().clone();
    let handler = move |result: DebounceEventResult| match result {
        Ok(events) => {
            if events
                .iter()
                .any(|e| !matches!(e.kind, EventKind::Access(_)))
            {
                let report = registry.reload();
                tracing::debug!(
                    activated = report.activated.len(),
                    refused = report.refused.len(),
                    removed = report.removed.len(),
                    "policies reloaded"
                );
            }
        }
        Err(errors) => {
            for error in errors {
                tracing::warn!(%error, "policy watcher");
            }
        }
    };
    let mut debouncer = new_debouncer(DEBOUNCE, None, handler)?;
    debouncer.watch(&paths.policies, RecursiveMode::Recursive)?;
    debouncer.watch(&paths.plugins, RecursiveMode::Recursive)?;
    tracing::info!(policies = %paths.policies.display(), plugins = %paths.plugins.display(), "watching for policy changes");
    Ok(PolicyWatcher {
        _debouncer: debouncer,
    })
}
