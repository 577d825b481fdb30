//! Routing completeness: runs `accept` and `route` over every category × topic, with the
//! flags that change routing and every area, and proves each accepted combination reaches
//! exactly one declared lead unit (and only declared co-units). A gap is a matter nobody
//! owns, the 推诿 this check exists to prevent; units no combination reaches are listed too.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use super::contract::{TimeLimits, policy_ticket};
use super::golden::DEFAULT_RECEIVED_AT;
use super::{AcceptOutcome, CompiledSet, Hook};
use crate::domain::{
    Action, Category, Channel, Flag, NewTicket, Part, RouteMode, Status, UnitLevel, part_actions,
};

/// The rounds `time_limits` is asked for after filing (the host's `redo`): each may declare
/// other clocks, and each must be meetable.
const REDO: &[&str] = &["redispatch", "dispatch", "reopen", "reverify", "supervise"];

/// Statuses in which clocks run.
const OPEN: &[Status] = &[
    Status::Dispatched,
    Status::Signed,
    Status::InProgress,
    Status::Reopened,
];

/// Flags that, by themselves, may change who leads: coordination, emergency services,
/// scope and difficulty. Each is tried alone, with no area.
const ROUTING_FLAGS: &[Flag] = &[
    Flag::MultiDepartment,
    Flag::CrossRegion,
    Flag::DisputeCityDistrict,
    Flag::Police,
    Flag::Fire,
    Flag::Medical,
    Flag::TrafficAccident,
    Flag::BeyondDuty,
    Flag::VolunteerConsent,
    Flag::Difficult,
    Flag::Complex,
    Flag::Urgent,
    Flag::LifeThreat,
    Flag::OutsideJurisdiction,
    Flag::OtherPlatform,
    Flag::KnowledgeBaseAnswerable,
];

/// Combinations whose meaning lies in the pair (HH-12 overlap with 110, HH-23 consent,
/// HH-20 hard multi-department matters).
const ROUTING_PAIRS: &[&[Flag]] = &[
    &[Flag::Police, Flag::MultiDepartment],
    &[Flag::BeyondDuty, Flag::VolunteerConsent],
    &[Flag::Difficult, Flag::MultiDepartment],
    &[Flag::MultiDepartment, Flag::CrossRegion],
];

/// Flags tried with every area, where territory and level decide (HH-20/21, PY-ops-7.4).
const AREA_FLAGS: &[&[Flag]] = &[&[], &[Flag::MultiDepartment], &[Flag::DisputeCityDistrict]];

/// One accepted combination that does not reach exactly one declared lead.
#[derive(Debug, Clone)]
pub struct RoutingGap {
    pub category: &'static str,
    pub topic: String,
    pub flags: Vec<&'static str>,
    pub area: Option<String>,
    pub problem: String,
}

#[derive(Debug, Clone, Default)]
pub struct RoutingReport {
    pub combinations: usize,
    pub accepted: usize,
    /// Tickets each unit leads among the accepted combinations.
    pub leads: BTreeMap<String, usize>,
    pub gaps: Vec<RoutingGap>,
    /// Declared units no accepted combination makes lead or co-unit.
    pub unreachable: Vec<String>,
}

impl RoutingReport {
    pub fn complete(&self) -> bool {
        self.gaps.is_empty()
    }
}

fn ticket(set: &CompiledSet, received: DateTime<FixedOffset>, case: &Case) -> Value {
    let filed = NewTicket {
        statutory_limit: None,
        jurisdiction: set.id().to_owned(),
        channel: Channel::Phone,
        category: case.category,
        topic: case.topic.to_owned(),
        flags: case.flags.to_vec(),
        area: case.area.map(str::to_owned),
        content: "routing completeness check".into(),
        requester: None,
        received_at: Some(received),
    };
    policy_ticket("routing-check", &filed, received)
}

/// One combination to try.
struct Case<'a> {
    category: Category,
    topic: &'a str,
    flags: &'a [Flag],
    area: Option<&'a str>,
}

/// What one worker found over its share of the combinations.
#[derive(Default)]
struct Partial {
    accepted: usize,
    leads: BTreeMap<String, usize>,
    gaps: Vec<RoutingGap>,
    reached: BTreeSet<String>,
}

fn check_case(set: &CompiledSet, received: DateTime<FixedOffset>, case: &Case, out: &mut Partial) {
    let input = ticket(set, received, case);
    let gap = |problem: String| RoutingGap {
        category: case.category.as_str(),
        topic: case.topic.to_owned(),
        flags: case.flags.iter().map(|f| f.as_str()).collect(),
        area: case.area.map(str::to_owned),
        problem,
    };
    let accepted = set
        .decide(Hook::Accept, std::slice::from_ref(&input))
        .map_err(|e| e.to_string())
        .and_then(|d| d.accept_outcome());
    match accepted {
        Ok(AcceptOutcome::Accepted) => {}
        Ok(_) => return,
        Err(e) => {
            out.gaps.push(gap(format!("accept failed: {e}")));
            return;
        }
    }
    out.accepted += 1;
    let routed = set
        .decide(Hook::Route, std::slice::from_ref(&input))
        .map_err(|e| e.to_string())
        .and_then(|d| d.route());
    let route = match routed {
        Ok(route) => route,
        Err(e) => {
            out.gaps.push(gap(format!("route failed: {e}")));
            return;
        }
    };
    if set.unit(&route.lead).is_none() {
        out.gaps
            .push(gap(format!("lead `{}` is not a declared unit", route.lead)));
        return;
    }
    if let Some(lead) = set.unit(&route.lead)
        && let Some(bar) = set.manifest().lead_bar(lead.level, case.topic)
    {
        out.gaps.push(gap(format!(
            "lead `{}` is a {} unit, which never leads a matter of [data.{}] ({}); hint: route it to the unit that table names and let the {} unit assist",
            route.lead,
            lead.level.as_str(),
            bar.topics,
            bar.rule,
            lead.level.as_str()
        )));
        return;
    }
    if let Some(unknown) = route.assist.iter().find(|u| set.unit(u).is_none()) {
        out.gaps
            .push(gap(format!("co-unit `{unknown}` is not a declared unit")));
        return;
    }
    // HH-15(2) 工单双派 is a dispatch to several units: a dual route with nobody to share it
    // is a single dispatch mislabelled.
    if route.mode == RouteMode::Dual && route.assist.is_empty() {
        out.gaps.push(gap(
            "mode `dual` names no co-unit: a dual dispatch needs at least one".into(),
        ));
        return;
    }
    if route.assist.contains(&route.lead) {
        out.gaps
            .push(gap(format!("`{}` is both lead and co-unit", route.lead)));
        return;
    }
    let mut routed = input.clone();
    routed["lead"] = serde_json::json!(route.lead);
    routed["assist"] = serde_json::json!(route.assist);
    let plain = case.flags.is_empty() && case.area.is_none();
    let rounds = std::iter::once(None).chain(REDO.iter().copied().map(Some).filter(|_| plain));
    for redo in rounds {
        if let Some(redo) = redo {
            routed["redo"] = serde_json::json!(redo);
        }
        let limits = set
            .decide(Hook::TimeLimits, std::slice::from_ref(&routed))
            .map_err(|e| e.to_string())
            .and_then(|d| d.time_limits());
        match limits {
            Ok(limits) => {
                if let Some(problem) = unmeetable(set, &limits, &route.lead, &route.assist) {
                    out.gaps.push(gap(problem));
                    return;
                }
            }
            Err(e) => {
                out.gaps.push(gap(format!("time_limits failed: {e}")));
                return;
            }
        }
    }
    *out.leads.entry(route.lead.clone()).or_default() += 1;
    out.reached.insert(route.lead);
    out.reached.extend(route.assist);
}

/// Whether some part can take `action` while the ticket is open.
fn can_take(parts: &[Part], action: Action) -> bool {
    parts
        .iter()
        .any(|p| OPEN.iter().any(|s| part_actions(*s, *p).contains(&action)))
}

/// The first clock a decision declares that its owner could never meet, said for the
/// policy's author: which file and hook, which clock, whose, and what would meet it.
pub fn unmeetable(
    set: &CompiledSet,
    limits: &TimeLimits,
    lead: &str,
    assist: &[String],
) -> Option<String> {
    let parts_of = |unit: Option<&str>, co_unit: bool| -> Vec<Part> {
        let Some(unit) = unit else {
            return vec![if co_unit { Part::CoUnit } else { Part::Lead }];
        };
        let mut parts = vec![Part::ClockOwner];
        if unit == lead {
            parts.push(Part::Lead);
        }
        if assist.iter().any(|a| a == unit) {
            parts.push(Part::CoUnit);
        }
        if set.unit(unit).is_some_and(|u| u.level == UnitLevel::Centre) {
            parts.push(Part::Centre);
        }
        parts
    };
    let owned = limits
        .clocks
        .iter()
        .map(|c| (c, false))
        .chain(limits.co_unit_clocks.iter().map(|c| (c, true)));
    for (clock, co_unit) in owned {
        let parts = parts_of(clock.unit.as_deref(), co_unit);
        if clock.met_by.iter().any(|a| can_take(&parts, *a)) {
            continue;
        }
        let owner = match (&clock.unit, co_unit) {
            (Some(unit), _) => format!("`{unit}`"),
            (None, true) => "each co-unit".to_owned(),
            (None, false) => "the lead".to_owned(),
        };
        let takes: Vec<&str> = Action::ALL
            .iter()
            .filter(|a| can_take(&parts, **a))
            .map(|a| a.as_str())
            .collect();
        let met_by: Vec<&str> = clock.met_by.iter().map(|a| a.as_str()).collect();
        return Some(format!(
            "{}: hook `time_limits` declares clock `{}` owed by {owner} and met by {}, which {owner} can never take; hint: name in `met_by` one of {}",
            set.hook_file(Hook::TimeLimits).unwrap_or("main.rhai"),
            clock.name.as_str(),
            met_by.join(", "),
            takes.join(", ")
        ));
    }
    None
}

/// Enumerates the set's combinations and checks each accepted one, on every core.
pub fn check_routing(set: &CompiledSet) -> RoutingReport {
    let manifest = set.manifest();
    // Every combination is filed at the golden tests' default instant, in the set's zone.
    let received = match DateTime::parse_from_rfc3339(DEFAULT_RECEIVED_AT) {
        Ok(at) => at.with_timezone(&manifest.offset),
        Err(e) => {
            return RoutingReport {
                gaps: vec![RoutingGap {
                    category: "-",
                    topic: "-".into(),
                    flags: vec![],
                    area: None,
                    problem: format!("the check's own filing instant does not parse: {e}"),
                }],
                ..RoutingReport::default()
            };
        }
    };
    let mut topics: BTreeSet<String> = crate::domain::STANDARD_TOPICS
        .iter()
        .map(|t| (*t).to_owned())
        .collect();
    topics.extend(manifest.topics.iter().cloned());
    let mut variants: Vec<(Vec<Flag>, Option<&str>)> = vec![(vec![], None)];
    variants.extend(ROUTING_FLAGS.iter().map(|f| (vec![*f], None)));
    variants.extend(ROUTING_PAIRS.iter().map(|p| (p.to_vec(), None)));
    for area in manifest.areas.keys() {
        variants.extend(AREA_FLAGS.iter().map(|f| (f.to_vec(), Some(area.as_str()))));
    }
    let mut cases = Vec::new();
    for category in Category::ALL {
        for topic in &topics {
            for (flags, area) in &variants {
                cases.push(Case {
                    category: *category,
                    topic,
                    flags,
                    area: *area,
                });
            }
        }
    }
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = cases.len().div_ceil(workers).max(1);
    let partials: Vec<Partial> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .chunks(chunk)
            .map(|share| {
                super::stack::spawn_scoped(scope, "jiesu-routing", move || {
                    let mut out = Partial::default();
                    for case in share {
                        check_case(set, received, case, &mut out);
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                // A worker that panicked proves nothing about its share: say so as a gap.
                h.join().unwrap_or_else(|_| Partial {
                    gaps: vec![RoutingGap {
                        category: "-",
                        topic: "-".into(),
                        flags: vec![],
                        area: None,
                        problem: "a checking worker panicked; its combinations are unchecked"
                            .into(),
                    }],
                    ..Partial::default()
                })
            })
            .collect()
    });
    let mut report = RoutingReport {
        combinations: cases.len(),
        ..RoutingReport::default()
    };
    let mut reached = BTreeSet::new();
    for partial in partials {
        report.accepted += partial.accepted;
        for (unit, n) in partial.leads {
            *report.leads.entry(unit).or_default() += n;
        }
        report.gaps.extend(partial.gaps);
        reached.extend(partial.reached);
    }
    report.unreachable = manifest
        .units
        .keys()
        .filter(|u| !reached.contains(*u))
        .cloned()
        .collect();
    report
}
