//! Policy sets: Rhai scripts that decide tickets, compiled once and called many times.
//!
//! Dependency direction: policy → calendar → domain. Nothing here touches SQL or HTTP.

mod clauses;
mod confine;
mod contract;
mod convert;
mod engine;
mod error;
mod golden;
mod instant;
mod manifest;
mod registry;
mod resolver;
mod routing;
mod rules;
mod set;
pub mod stack;
mod watcher;

pub use clauses::{Clause, ClauseCoverage, Clauses};
pub use contract::{
    AcceptOutcome, ActionKind, ClockMove, ClockSpec, Decision, Hook, Overdue, PolicyAction, Review,
    RouteDecision, TimeLimits, Verdict, policy_ticket, verdict_of,
};
pub use convert::{to_dynamic, to_json};
pub use error::{DecisionError, PolicyError, SourceLocation};
pub use golden::{
    CaseResult, DEFAULT_RECEIVED_AT, GoldenReport, request_input, run_golden_tests, ticket_input,
};
pub use manifest::{Area, Manifest};
pub use registry::{
    OnActivate, PolicyStatus, Registry, RegistryError, ReloadReport, SetStatus, WatchHealth,
    validate,
};
pub use resolver::is_plugin_name;
pub use routing::{RoutingGap, RoutingReport, check_routing};
pub use rules::{Coverage, Rule, RuleBook};
pub use set::{CompiledSet, Paths, compile_set, discover_sets};
pub use watcher::{DEBOUNCE, PolicyWatcher, watch};
