//! Live reload: a debounced, recursive watch of `policies/` and `plugins/`. Editors save by
//! writing a temp file and renaming it, or by truncating and writing in several batches;
//! watching folders (not files) and recompiling on every settled batch handles both, and
//! a half-written file simply fails to compile and leaves the last good version serving.
//!
//! A watch follows the folder it was set on, not its path: after `mv new policies` it would
//! watch the old folder for ever. A guard thread therefore looks at the folders' identity
//! every [`RECHECK`] and, when another folder stands at the path, watches that one and
//! reloads; how it is doing is in `/readyz`.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use super::registry::Registry;

/// How long the files must be quiet before a reload: long enough for an editor's save to
/// settle, short enough that an administrator sees the result at once.
pub const DEBOUNCE: Duration = Duration::from_millis(50);

/// How often the guard checks that the watched folders are still the ones at their paths.
pub const RECHECK: Duration = Duration::from_secs(1);

type Watcher = Debouncer<RecommendedWatcher, RecommendedCache>;

/// Keeps watching while it lives.
pub struct PolicyWatcher {
    _debouncer: Arc<Mutex<Watcher>>,
}

fn identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

fn watch_all(debouncer: &mut Watcher, folders: &[PathBuf]) -> notify::Result<()> {
    for folder in folders {
        debouncer.watch(folder, RecursiveMode::Recursive)?;
    }
    Ok(())
}

pub fn watch(registry: Arc<Registry>) -> notify::Result<PolicyWatcher> {
    let paths = registry.paths().clone();
    let reloader = Arc::clone(&registry);
    let handler = move |result: DebounceEventResult| match result {
        Ok(events) => {
            if events
                .iter()
                .any(|e| !matches!(e.kind, EventKind::Access(_)))
            {
                let report = reloader.reload();
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
    let folders = vec![paths.policies.clone(), paths.plugins.clone()];
    let mut debouncer = new_debouncer(DEBOUNCE, None, handler)?;
    watch_all(&mut debouncer, &folders)?;
    registry.set_watch_health(|h| {
        h.state = "watching";
        h.error = None;
    });
    tracing::info!(policies = %paths.policies.display(), plugins = %paths.plugins.display(), "watching for policy changes");
    let debouncer = Arc::new(Mutex::new(debouncer));
    let guarded = Arc::downgrade(&debouncer);
    let spawned = std::thread::Builder::new()
        .name("jiesu-watch-guard".into())
        .spawn(move || guard(&guarded, &registry, &folders));
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the watch guard; a replaced folder will not be noticed");
    }
    Ok(PolicyWatcher {
        _debouncer: debouncer,
    })
}

/// Re-watches a folder replaced at its path, until the watcher is dropped.
fn guard(debouncer: &Weak<Mutex<Watcher>>, registry: &Registry, folders: &[PathBuf]) {
    let mut seen: Vec<Option<(u64, u64)>> = folders.iter().map(|f| identity(f)).collect();
    loop {
        std::thread::sleep(RECHECK);
        let Some(debouncer) = debouncer.upgrade() else {
            return;
        };
        let now: Vec<Option<(u64, u64)>> = folders.iter().map(|f| identity(f)).collect();
        if now == seen {
            continue;
        }
        let mut watcher = debouncer.lock().unwrap_or_else(PoisonError::into_inner);
        for folder in folders {
            // The old folder may be gone already; its watch then went with it.
            let _ = watcher.unwatch(folder);
        }
        match watch_all(&mut watcher, folders) {
            Ok(()) => {
                drop(watcher);
                seen = now;
                tracing::warn!("a policy folder was replaced; watching the new one");
                registry.set_watch_health(|h| {
                    h.state = "watching";
                    h.rewatched += 1;
                    h.error = None;
                });
                registry.reload();
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot watch the replaced policy folders; retrying");
                registry.set_watch_health(|h| {
                    h.state = "failing";
                    h.error = Some(format!("cannot watch the policy folders: {e}"));
                });
            }
        }
    }
}
