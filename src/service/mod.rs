//! Use cases. Each reads top to bottom: validate, decide through the policy, write state and
//! trail in one transaction, answer with a view.

mod actions;
mod assess;
mod clocks;
mod erasure;
mod error;
mod evaluate;
mod filing;
mod metrics;
mod outbox;
mod period;
mod queries;
mod replay;
mod simulate;
mod sweep;
mod verify;
mod views;

use std::sync::Arc;

use chrono::Utc;

pub use actions::ActionOutcome;
pub use erasure::{ERASURE_BASIS, ErasureRequest};
pub use error::ServiceError;
pub use evaluate::EvaluateRequest;
pub use filing::Filing;
pub use queries::{TicketPageData, TicketQuery, TrailExport};
pub use replay::{Replayed, VersionCache, replay_entry, replay_ticket};
pub use simulate::{Against, ChangedTicket, FailureGroup, Simulation, SimulationReport};
pub use sweep::{FiredAction, FiredClock, NotificationPage};
pub use verify::{BrokenTicket, VerifyReport, ticket_integrity, verify_store};
pub use views::{
    ClockEntry, DecisionSummary, EntryView, PolicyRef, TicketPage, TicketView, TrailView, mask_pii,
};

use crate::policy::{CompiledSet, PolicyStatus, Registry, SetStatus};
use crate::store::{PolicyVersionRow, Store};

pub struct Service {
    registry: Arc<Registry>,
    store: Store,
    metrics: metrics::Metrics,
    readiness: std::sync::Mutex<Option<(std::time::Instant, Readiness)>>,
}

impl Service {
    /// Every version the registry activates is stored first, with its sources, so each
    /// decision it makes can be replayed; a version that cannot be stored is not activated.
    pub fn new(registry: Arc<Registry>, store: Store) -> Result<Self, ServiceError> {
        let recorder = store.clone();
        registry
            .on_activate(Box::new(move |set| {
                record_version(&recorder, set).map_err(|e| e.to_string())
            }))
            .map_err(ServiceError::Internal)?;
        let mut stored = replay::VersionCache::default();
        registry.adopt_stored(|id| {
            // Only a version the ledger sealed: a row written around the server must not
            // become the policy that decides.
            let sealed = store
                .policy_versions(id)
                .ok()
                .and_then(|rows| rows.into_iter().next())
                .is_some_and(|row| store.policy_version_sealed(&row).unwrap_or(false));
            if !sealed {
                tracing::error!(policy = %id, "the last stored version is not the one the ledger sealed; not serving it");
                return None;
            }
            match stored.last_activated(&store, id) {
                Ok(set) => set,
                Err(e) => {
                    tracing::error!(policy = %id, error = %e, "the stored version cannot be rebuilt");
                    None
                }
            }
        });
        Ok(Self {
            registry,
            store,
            metrics: metrics::Metrics::default(),
            readiness: std::sync::Mutex::new(None),
        })
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The active set for a jurisdiction.
    fn served_set(&self, jurisdiction: &str) -> Result<Arc<CompiledSet>, ServiceError> {
        let Some(set) = self.registry.get(jurisdiction) else {
            let failed = self
                .registry
                .statuses()
                .into_iter()
                .find(|s| s.id == jurisdiction && s.status == PolicyStatus::Failed);
            return Err(match failed {
                Some(status) => ServiceError::PolicyUnavailable {
                    jurisdiction: jurisdiction.to_owned(),
                    error: status.last_error.map(|e| e.to_string()).unwrap_or_default(),
                },
                None => ServiceError::UnknownJurisdiction {
                    jurisdiction: jurisdiction.to_owned(),
                    served: self
                        .registry
                        .active()
                        .iter()
                        .map(|s| s.id().to_owned())
                        .collect(),
                },
            });
        };
        Ok(set)
    }

    /// `GET /metrics`: Prometheus text.
    pub fn metrics(&self) -> String {
        self.metrics.render(&self.registry.statuses())
    }

    /// The sets the caller's token covers, with their status.
    pub fn policies(&self, principal: &crate::domain::Principal) -> Vec<SetStatus> {
        self.registry
            .statuses()
            .into_iter()
            .filter(|s| principal.covers_jurisdiction(&s.id))
            .collect()
    }

    /// Every version of a set ever activated here, newest first, with its files (and their
    /// content when `with_sources`).
    pub fn policy_versions(
        &self,
        principal: &crate::domain::Principal,
        id: &str,
        with_sources: bool,
    ) -> Result<Vec<serde_json::Value>, ServiceError> {
        require_jurisdiction(principal, id)?;
        let rows = self.store.policy_versions(id)?;
        if rows.is_empty() && !self.registry.statuses().iter().any(|s| s.id == id) {
            return Err(ServiceError::PolicyNotFound(id.to_owned()));
        }
        let active = self.registry.get(id).map(|s| s.version().to_owned());
        rows.into_iter()
            .map(|row| {
                let sources: std::collections::BTreeMap<String, String> =
                    serde_json::from_str(&row.sources).map_err(|e| {
                        ServiceError::Store(crate::store::StoreError::Corrupt(e.to_string()))
                    })?;
                let activated_at = chrono::DateTime::<Utc>::from_timestamp_micros(row.activated_at)
                    .map(|t| t.to_rfc3339());
                let mut view = serde_json::json!({
                    "version": row.version,
                    "activated_at": activated_at,
                    "active": active.as_deref() == Some(row.version.as_str()),
                    "files": sources.keys().collect::<Vec<_>>(),
                });
                if with_sources {
                    view["sources"] = serde_json::json!(sources);
                }
                Ok(view)
            })
            .collect()
    }

    /// Ready to serve: the database file is the one opened and takes a write, some policy
    /// set is active, and the watch on the policy folders holds. Each part says how it is.
    pub fn readiness(&self) -> Readiness {
        // Open to anyone: answered from a second-old reading, so a flood of probes cannot
        // queue on the writer's lock.
        let mut cached = self
            .readiness
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((at, readiness)) = cached.as_ref()
            && at.elapsed() < std::time::Duration::from_secs(1)
        {
            return readiness.clone();
        }
        let readiness = self.read_readiness();
        *cached = Some((std::time::Instant::now(), readiness.clone()));
        readiness
    }

    fn read_readiness(&self) -> Readiness {
        let database = match self.store.writable() {
            Ok(()) => Part::ok(),
            Err(e) => Part::failing(e.to_string()),
        };
        let sets = self.registry.statuses();
        let policies = if sets.iter().any(|s| s.status == PolicyStatus::Active) {
            Part::ok()
        } else {
            Part::failing(ServiceError::NoActivePolicies.to_string())
        };
        let watcher = self.registry.watch_health();
        let ready = database.ok && policies.ok && watcher.state != "failing";
        Readiness {
            ready,
            database,
            policies,
            sets,
            watcher,
        }
    }
}

/// One part of readiness.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Part {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Part {
    fn ok() -> Self {
        Self {
            ok: true,
            error: None,
        }
    }

    fn failing(error: String) -> Self {
        Self {
            ok: false,
            error: Some(error),
        }
    }
}

/// `GET /readyz`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Readiness {
    pub ready: bool,
    pub database: Part,
    pub policies: Part,
    /// Every set, as `GET /api/v1/policies` shows it.
    pub sets: Vec<SetStatus>,
    pub watcher: crate::policy::WatchHealth,
}

/// Stores a version and its sources; storing it again changes nothing.
fn record_version(store: &Store, set: &CompiledSet) -> Result<(), ServiceError> {
    let sources =
        serde_json::to_string(set.sources()).map_err(|e| ServiceError::Internal(e.to_string()))?;
    store.record_policy_version(&PolicyVersionRow {
        policy_id: set.id().to_owned(),
        version: set.version().to_owned(),
        sources,
        activated_at: Utc::now().timestamp_micros(),
    })?;
    Ok(())
}

/// 403 unless the caller's token covers the jurisdiction.
fn require_jurisdiction(
    principal: &crate::domain::Principal,
    jurisdiction: &str,
) -> Result<(), ServiceError> {
    if principal.covers_jurisdiction(jurisdiction) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(format!(
            "this token does not cover jurisdiction `{jurisdiction}`"
        )))
    }
}
