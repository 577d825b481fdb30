//! Counters for `GET /metrics` (Prometheus text format).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::policy::{Decision, PolicyStatus, SetStatus};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FiledLabels {
    jurisdiction: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    policy: String,
    hook: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HookLabels {
    hook: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    action: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PolicyLabels {
    policy: String,
    status: String,
}

pub struct Metrics {
    registry: Registry,
    filed: Family<FiledLabels, Counter>,
    decisions: Family<DecisionLabels, Counter>,
    decision_seconds: Family<HookLabels, Histogram>,
    actions: Family<ActionLabels, Counter>,
    fired: Family<KindLabels, Counter>,
    policies: Family<PolicyLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("jiesu");
        let filed = Family::<FiledLabels, Counter>::default();
        let decisions = Family::<DecisionLabels, Counter>::default();
        // 10 µs … ~0.3 s: policy hooks run in microseconds; the tail shows a runaway script.
        let decision_seconds = Family::<HookLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(1e-5, 2.0, 15))
        });
        let actions = Family::<ActionLabels, Counter>::default();
        let fired = Family::<KindLabels, Counter>::default();
        let policies = Family::<PolicyLabels, Gauge>::default();
        registry.register(
            "tickets_filed",
            "Tickets filed, by jurisdiction and resulting status",
            filed.clone(),
        );
        registry.register(
            "decisions",
            "Policy decisions made, by policy, hook and outcome",
            decisions.clone(),
        );
        registry.register(
            "decision_seconds",
            "Time a policy hook took",
            decision_seconds.clone(),
        );
        registry.register(
            "actions",
            "Actions on tickets, by action and outcome",
            actions.clone(),
        );
        registry.register(
            "fired",
            "Actions fired by deadline sweeps, by kind",
            fired.clone(),
        );
        registry.register(
            "policy_sets",
            "Policy sets by status (1 = this set is in this status)",
            policies.clone(),
        );
        Self {
            registry,
            filed,
            decisions,
            decision_seconds,
            actions,
            fired,
            policies,
        }
    }
}

impl Metrics {
    pub fn decided(&self, decisions: &[Decision]) {
        for d in decisions {
            self.decisions
                .get_or_create(&DecisionLabels {
                    policy: d.policy_id.clone(),
                    hook: d.hook.name().to_owned(),
                    outcome: d.outcome.clone(),
                })
                .inc();
            self.decision_seconds
                .get_or_create(&HookLabels {
                    hook: d.hook.name().to_owned(),
                })
                .observe(d.duration.as_secs_f64());
        }
    }

    pub fn filed(&self, jurisdiction: &str, status: &str) {
        self.filed
            .get_or_create(&FiledLabels {
                jurisdiction: jurisdiction.to_owned(),
                status: status.to_owned(),
            })
            .inc();
    }

    pub fn acted(&self, action: &str, outcome: &str) {
        self.actions
            .get_or_create(&ActionLabels {
                action: action.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    pub fn fired(&self, kind: &str) {
        self.fired
            .get_or_create(&KindLabels {
                kind: kind.to_owned(),
            })
            .inc();
    }

    /// The exposition text, with the policy sets' current status.
    pub fn render(&self, sets: &[SetStatus]) -> String {
        self.policies.clear();
        for set in sets {
            let status = match set.status {
                PolicyStatus::Active if set.last_error.is_some() => "active_with_refused_edit",
                PolicyStatus::Active => "active",
                PolicyStatus::Failed => "failed",
            };
            self.policies
                .get_or_create(&PolicyLabels {
                    policy: set.id.clone(),
                    status: status.to_owned(),
                })
                .set(1);
        }
        let mut text = String::new();
        if encode(&mut text, &self.registry).is_err() {
            text.clear();
        }
        text
    }
}
