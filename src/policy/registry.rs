//! The policy sets a server serves, swapped atomically as a whole.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock};

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::error::{PolicyError, SourceLocation};
use super::golden::run_golden_tests;
use super::set::{CompiledSet, Paths, compile_set, discover_sets, fingerprint};
use crate::calendar;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyStatus {
    Active,
    Failed,
}

/// What `GET /api/v1/policies` shows for one set.
#[derive(Debug, Clone, Serialize)]
pub struct SetStatus {
    pub id: String,
    pub name: Option<String>,
    pub extends: Option<String>,
    pub version: Option<String>,
    pub activated_at: Option<DateTime<Utc>>,
    pub status: PolicyStatus,
    pub last_error: Option<SourceLocation>,
    /// The files on disk were broken when the server started, so it serves the version
    /// stored last in the database instead (until the files compile and pass again).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub serving_stored: bool,
}

/// How the live reload's watch on the policy folders is doing.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WatchHealth {
    /// `watching`, `failing` (a re-watch failed) or `not_started`.
    pub state: &'static str,
    /// Times the folders were replaced (`mv new policies`) and watched again.
    pub rewatched: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Default)]
struct Snapshot {
    active: BTreeMap<String, (Arc<CompiledSet>, DateTime<Utc>)>,
    status: BTreeMap<String, SetStatus>,
}

/// Called with each version about to be activated, e.g. to store its sources for replay.
/// An error refuses the activation: the previous version keeps serving.
pub type OnActivate = Box<dyn Fn(&CompiledSet) -> Result<(), String> + Send + Sync>;

pub struct Registry {
    paths: Paths,
    only: Option<BTreeSet<String>>,
    snapshot: ArcSwap<Snapshot>,
    /// One reload at a time: the watcher and an administrator's request may overlap.
    reloading: Mutex<()>,
    on_activate: OnceLock<OnActivate>,
    watch: Mutex<WatchHealth>,
}

/// What a reload changed.
#[derive(Debug, Clone, Default)]
pub struct ReloadReport {
    pub activated: Vec<(String, String)>,
    pub refused: Vec<(String, SourceLocation)>,
    pub removed: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("cannot list policy sets in `{}`: {source}", dir.display())]
    Discover {
        dir: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("--jurisdictions names `{0}`, but there is no policies/{0}/policy.toml")]
    UnknownJurisdiction(String),
}

/// Compiles a set and runs its golden tests: only a set that passes both may serve.
pub fn validate(
    paths: &Paths,
    calendars: &calendar::CalendarSet,
    id: &str,
) -> Result<CompiledSet, PolicyError> {
    let set = compile_set(paths, calendars, id)?;
    let report = run_golden_tests(&set)?;
    match report.first_error() {
        Some(err) => Err(err),
        None => Ok(set),
    }
}

impl Registry {
    /// Loads every set under `paths.policies` (or only `only`). A set that fails to compile or
    /// to pass its golden tests is listed as failed and not served; the others serve.
    pub fn load(paths: Paths, only: Option<BTreeSet<String>>) -> Result<Self, RegistryError> {
        let found = discover_sets(&paths.policies).map_err(|source| RegistryError::Discover {
            dir: paths.policies.clone(),
            source,
        })?;
        if let Some(only) = &only
            && let Some(missing) = only.iter().find(|id| !found.contains(id))
        {
            return Err(RegistryError::UnknownJurisdiction(missing.clone()));
        }
        let registry = Self {
            paths,
            only,
            snapshot: ArcSwap::from_pointee(Snapshot::default()),
            reloading: Mutex::new(()),
            on_activate: OnceLock::new(),
            watch: Mutex::new(WatchHealth {
                state: "not_started",
                ..WatchHealth::default()
            }),
        };
        registry.reload_all(&found);
        Ok(registry)
    }

    /// Registers what must happen before a version is activated (once; later calls are
    /// ignored). The versions already active are passed to it at once.
    pub fn on_activate(&self, callback: OnActivate) -> Result<(), String> {
        for set in self.active() {
            callback(&set)?;
        }
        let _ = self.on_activate.set(callback);
        Ok(())
    }

    /// Re-reads the policies folder: new sets are compiled, removed ones stop serving, and
    /// every set is recompiled (cheap, and a changed plugin, parent or calendar reaches every
    /// set that uses it). A set whose new sources fail keeps its previous version.
    pub fn reload(&self) -> ReloadReport {
        match discover_sets(&self.paths.policies) {
            Ok(ids) => self.reload_all(&ids),
            Err(e) => {
                tracing::error!(error = %e, "cannot list policy sets; keeping every active version");
                ReloadReport::default()
            }
        }
    }

    fn serves(&self, id: &str) -> bool {
        self.only.as_ref().is_none_or(|only| only.contains(id))
    }

    fn reload_all(&self, ids: &[String]) -> ReloadReport {
        let _one_at_a_time = self
            .reloading
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut report = ReloadReport::default();
        let calendars = calendar::load_dir(&self.paths.calendars())
            .map_err(|e| PolicyError::Calendar(e.to_string()));
        let now = Utc::now();
        let mut next = Snapshot::default();
        let previous = self.snapshot.load();
        for id in ids.iter().filter(|id| self.serves(id)) {
            let outcome = calendars.as_ref().map_err(Clone::clone).and_then(|cals| {
                // Nothing the serving version was built and tested from has changed: keep
                // it, so an edit to one set does not recompile and re-test every other.
                if let Some((old, _)) = previous.active.get(id)
                    && fingerprint(&self.paths, cals, id, old.plugins())
                        .is_ok_and(|f| f == old.fingerprint())
                {
                    return Ok(Arc::clone(old));
                }
                compile_and_test(&self.paths, cals, id, &previous, self.on_activate.get())
            });
            match outcome {
                Ok(set) => {
                    let activated_at = match previous.active.get(id) {
                        Some((old, at)) if old.version() == set.version() => *at,
                        _ => {
                            tracing::info!(policy = %id, version = %set.version(), "policy version activated");
                            report
                                .activated
                                .push((id.clone(), set.version().to_owned()));
                            now
                        }
                    };
                    next.status
                        .insert(id.clone(), status_of(&set, activated_at));
                    next.active.insert(id.clone(), (set, activated_at));
                }
                Err(err) => {
                    let location = err.location();
                    tracing::error!(policy = %id, error = %location, "policy set refused; the previous version keeps serving");
                    report.refused.push((id.clone(), location.clone()));
                    let mut status = match previous.active.get(id) {
                        Some((old, at)) => {
                            next.active.insert(id.clone(), (Arc::clone(old), *at));
                            let mut kept = status_of(old, *at);
                            kept.serving_stored =
                                previous.status.get(id).is_some_and(|s| s.serving_stored);
                            kept
                        }
                        None => SetStatus {
                            id: id.clone(),
                            name: None,
                            extends: None,
                            version: None,
                            activated_at: None,
                            status: PolicyStatus::Failed,
                            last_error: None,
                            serving_stored: false,
                        },
                    };
                    status.status = if next.active.contains_key(id) {
                        PolicyStatus::Active
                    } else {
                        PolicyStatus::Failed
                    };
                    status.last_error = Some(location);
                    next.status.insert(id.clone(), status);
                }
            }
        }
        report.removed = previous
            .status
            .keys()
            .filter(|id| !next.status.contains_key(*id))
            .cloned()
            .collect();
        for id in &report.removed {
            tracing::warn!(policy = %id, "policy set removed from disk: no longer served");
        }
        self.snapshot.store(Arc::new(next));
        report
    }

    /// The active version of a set, if this server serves it.
    pub fn get(&self, id: &str) -> Option<Arc<CompiledSet>> {
        self.snapshot
            .load()
            .active
            .get(id)
            .map(|(set, _)| Arc::clone(set))
    }

    pub fn active(&self) -> Vec<Arc<CompiledSet>> {
        self.snapshot
            .load()
            .active
            .values()
            .map(|(set, _)| Arc::clone(set))
            .collect()
    }

    pub fn statuses(&self) -> Vec<SetStatus> {
        self.snapshot.load().status.values().cloned().collect()
    }

    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    pub fn watch_health(&self) -> WatchHealth {
        self.watch
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(super) fn set_watch_health(&self, update: impl FnOnce(&mut WatchHealth)) {
        update(
            &mut self
                .watch
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
    }

    /// For every set that failed and serves nothing, asks `stored` for the version stored
    /// last and serves it, marked `serving_stored`, keeping the files' error beside it.
    /// What a server does at start when an edit broke a set while it was down.
    pub fn adopt_stored(
        &self,
        mut stored: impl FnMut(&str) -> Option<Arc<CompiledSet>>,
    ) -> Vec<String> {
        let _one_at_a_time = self
            .reloading
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let previous = self.snapshot.load();
        let mut next = Snapshot {
            active: previous.active.clone(),
            status: previous.status.clone(),
        };
        let mut adopted = Vec::new();
        for (id, status) in &previous.status {
            if status.status != PolicyStatus::Failed || previous.active.contains_key(id) {
                continue;
            }
            let Some(set) = stored(id) else { continue };
            let at = Utc::now();
            let mut serving = status_of(&set, at);
            serving.last_error.clone_from(&status.last_error);
            serving.serving_stored = true;
            tracing::warn!(policy = %id, version = %set.version(), "the files of this set are broken; serving its last stored version");
            next.status.insert(id.clone(), serving);
            next.active.insert(id.clone(), (set, at));
            adopted.push(id.clone());
        }
        self.snapshot.store(Arc::new(next));
        adopted
    }
}

/// A set whose inputs changed: compiled, its golden tests run, and (for a new version)
/// the activation callback asked.
fn compile_and_test(
    paths: &Paths,
    calendars: &calendar::CalendarSet,
    id: &str,
    previous: &Snapshot,
    on_activate: Option<&OnActivate>,
) -> Result<Arc<CompiledSet>, PolicyError> {
    let set = compile_set(paths, calendars, id)?;
    let report = run_golden_tests(&set)?;
    if let Some(err) = report.first_error() {
        return Err(err);
    }
    let unchanged = previous
        .active
        .get(id)
        .is_some_and(|(old, _)| old.version() == set.version());
    if !unchanged && let Some(callback) = on_activate {
        callback(&set).map_err(PolicyError::Activation)?;
    }
    Ok(Arc::new(set))
}

fn status_of(set: &CompiledSet, activated_at: DateTime<Utc>) -> SetStatus {
    SetStatus {
        id: set.id().to_owned(),
        name: Some(set.name().to_owned()),
        extends: set.extends().map(str::to_owned),
        version: Some(set.version().to_owned()),
        activated_at: Some(activated_at),
        status: PolicyStatus::Active,
        last_error: None,
        serving_stored: false,
    }
}
