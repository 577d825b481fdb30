//! Assessments (`assess`): the host counts, per lead unit, what its tickets of a period did
//! (signed, contacted, met or missed their clocks, how many working days handling took, how
//! they were resolved and rated); the policy turns the counts into rates, scores, grades and
//! rankings (IM-18, PY-29/30, AS-5.2, WS-1, HH-25). Counts, not tickets, cross into the
//! script: a month of a city's tickets would not fit the sandbox, and the script never sees
//! a requester's phone (IM-15).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, FixedOffset, Months, NaiveTime};
use serde_json::{Map, Value, json};

use super::period::Period;
use super::{Service, ServiceError, require_jurisdiction};
use crate::audit::TrailEntry;
use crate::calendar::working_days_taken;
use crate::domain::Clock;
use crate::domain::Ticket;
use crate::domain::{Principal, format_instant};
use crate::policy::{CompiledSet, Hook};
use crate::store::TicketFilter;

/// Tickets one assessment reads at most; a longer period is refused, not truncated.
const MAX_TICKETS: usize = 200_000;
/// A requester calling this often in the period counts as frequent (HH-25 高频诉求人).
const FREQUENT_CALLS: usize = 3;

/// Per-unit counts, built up ticket by ticket.
#[derive(Default)]
struct UnitCounts {
    tickets: u64,
    by_category: BTreeMap<String, u64>,
    signed: u64,
    clocks: BTreeMap<String, BTreeMap<String, u64>>,
    resolved: u64,
    /// category → working days taken → tickets, for tickets resolved without extension.
    handling_days: BTreeMap<String, BTreeMap<String, u64>>,
    handling_days_extended: BTreeMap<String, BTreeMap<String, u64>>,
    extended: u64,
    returned: u64,
    reopened: u64,
    terminated: u64,
    resolution: BTreeMap<String, u64>,
    satisfaction: BTreeMap<String, u64>,
}

fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    *map.entry(key.to_owned()).or_default() += 1;
}

/// What one ticket's action events say about how it was handled.
#[derive(Default)]
struct Handling {
    signed: bool,
    resolved_at: Option<DateTime<FixedOffset>>,
    extended: bool,
    returned: bool,
    reopened: bool,
    resolution: Option<String>,
    satisfaction: Option<String>,
}

fn handling_of(events: &[&TrailEntry]) -> Handling {
    let mut handling = Handling::default();
    for event in events {
        let allowed = event.output.get("outcome").and_then(Value::as_str) == Some("allowed");
        let at = event
            .input
            .get("at")
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
        match (event.outcome.as_deref(), allowed) {
            (Some("sign"), true) => handling.signed = true,
            (Some("resolve"), true) => {
                // The last resolve counts: a reopened ticket is resolved again.
                handling.resolved_at = at;
                handling.resolution = event
                    .input
                    .pointer("/reply/resolution")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
            }
            (Some("request_extension"), true) => handling.extended = true,
            (Some("return"), true) => handling.returned = true,
            (Some("revisit"), true) => {
                handling.satisfaction = event
                    .input
                    .get("satisfaction")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                if event.output.get("to").and_then(Value::as_str) == Some("reopened") {
                    handling.reopened = true;
                }
            }
            _ => {}
        }
    }
    handling
}

impl Service {
    /// `GET /api/v1/assessments`: the policy's assessment of the tickets received in
    /// `[from, to)`.
    #[tracing::instrument(name = "assess", skip(self, principal), fields(caller = %principal.name, %jurisdiction))]
    pub fn assess(
        &self,
        principal: &Principal,
        jurisdiction: &str,
        from: &str,
        to: &str,
    ) -> Result<Value, ServiceError> {
        require_jurisdiction(principal, jurisdiction)?;
        let set = self.served_set(jurisdiction)?;
        let offset = set.manifest().offset;
        let Period { from, to } = Period::parse(from, to, offset)?;
        if !set.defines(Hook::Assess) {
            return Err(ServiceError::NoRule {
                policy: set.id().to_owned(),
                hook: Hook::Assess.name(),
                action: "an assessment",
            });
        }
        let scope = TicketFilter {
            jurisdiction: Some(jurisdiction.to_owned()),
            ..TicketFilter::default()
        };
        let rows = self.tickets_received(scope, Period { from, to }, MAX_TICKETS)?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let clocks = self.store.deadlines_of(&ids)?;
        let events = self.store.events(&ids)?;
        let (mut period, units) = figures(&set, &rows, &clocks, &events, from, to);
        // Over several months, each month is assessed first and handed over too, for rules
        // that build a year from its months (PY-30: the yearly score is the monthly mean).
        let months = month_spans(from, to, offset);
        if months.len() > 1 {
            let mut monthly = Vec::new();
            for (start, end) in months {
                let in_month: Vec<Ticket> = rows
                    .iter()
                    .filter(|r| r.received_at >= start && r.received_at < end)
                    .cloned()
                    .collect();
                let (month_period, month_units) =
                    figures(&set, &in_month, &clocks, &events, start, end);
                let decision = set.decide(Hook::Assess, &[month_period, month_units])?;
                monthly.push(json!({
                    "from": format_instant(start),
                    "to": format_instant(end),
                    "tickets": in_month.len(),
                    "assessment": decision.output,
                }));
            }
            period["monthly"] = Value::Array(monthly);
        }
        let decision = set.decide(Hook::Assess, &[period.clone(), units.clone()])?;
        self.metrics.decided(std::slice::from_ref(&decision));
        Ok(json!({
            "jurisdiction": jurisdiction,
            "from": format_instant(from.with_timezone(&offset)),
            "to": format_instant(to.with_timezone(&offset)),
            "policy": {"id": set.id(), "version": set.version()},
            "tickets": rows.len(),
            "assessment": decision.output,
            "cite": decision.cite,
            "notes": decision.notes,
            "input": {"period": period, "units": units},
        }))
    }
}

/// `[from, to)` cut at calendar-month boundaries in the set's timezone.
fn month_spans(
    from: DateTime<FixedOffset>,
    to: DateTime<FixedOffset>,
    offset: FixedOffset,
) -> Vec<(DateTime<FixedOffset>, DateTime<FixedOffset>)> {
    let mut spans = Vec::new();
    let mut start = from.with_timezone(&offset);
    let to = to.with_timezone(&offset);
    // A period of more than ten years is assessed as one piece, not month by month.
    for _ in 0..120 {
        if start >= to {
            return spans;
        }
        let next_month = start
            .date_naive()
            .with_day(1)
            .and_then(|d| d.checked_add_months(Months::new(1)))
            .and_then(|d| {
                d.and_time(NaiveTime::MIN)
                    .and_local_timezone(offset)
                    .single()
            });
        let end = next_month.map_or(to, |n| n.min(to));
        spans.push((start, end));
        start = end;
    }
    vec![(from, to)]
}

/// The `assess` hook's two arguments: the period's totals and one entry per lead unit.
fn figures(
    set: &CompiledSet,
    rows: &[Ticket],
    clocks: &[(String, Clock)],
    events: &[TrailEntry],
    from: DateTime<FixedOffset>,
    to: DateTime<FixedOffset>,
) -> (Value, Value) {
    let offset = set.manifest().offset;
    let mut clocks_of: HashMap<&str, Vec<&Clock>> = HashMap::new();
    for (ticket, clock) in clocks {
        clocks_of.entry(ticket).or_default().push(clock);
    }
    let mut events_of: HashMap<&str, Vec<&TrailEntry>> = HashMap::new();
    for event in events {
        events_of.entry(&event.ticket_id).or_default().push(event);
    }
    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    let mut topics: BTreeMap<String, u64> = BTreeMap::new();
    let mut areas: BTreeMap<String, u64> = BTreeMap::new();
    let mut calls: HashMap<&str, usize> = HashMap::new();
    let mut units: BTreeMap<&str, UnitCounts> = BTreeMap::new();
    for row in rows {
        bump(&mut by_status, row.status.as_str());
        bump(&mut topics, &row.topic);
        if let Some(area) = &row.area {
            bump(&mut areas, area);
        }
        if let Some(phone) = row.requester.as_ref().and_then(|r| r.phone.as_deref()) {
            *calls.entry(phone).or_default() += 1;
        }
        let Some(lead) = row.lead_id() else {
            continue;
        };
        let counts = units.entry(lead).or_default();
        counts.tickets += 1;
        bump(&mut counts.by_category, row.category.as_str());
        let own_clocks = clocks_of
            .get(row.id.as_str())
            .map_or(&[][..], Vec::as_slice);
        for clock in own_clocks.iter().filter(|c| c.unit == lead) {
            bump(
                counts
                    .clocks
                    .entry(clock.name.as_str().to_owned())
                    .or_default(),
                clock.state.as_str(),
            );
        }
        let handling = handling_of(
            events_of
                .get(row.id.as_str())
                .map_or(&[][..], Vec::as_slice),
        );
        counts.signed += u64::from(handling.signed);
        counts.extended += u64::from(handling.extended);
        counts.returned += u64::from(handling.returned);
        counts.reopened += u64::from(handling.reopened);
        counts.terminated += u64::from(row.status == crate::domain::Status::Terminated);
        if let Some(resolution) = &handling.resolution {
            bump(&mut counts.resolution, resolution);
        }
        if let Some(satisfaction) = &handling.satisfaction {
            bump(&mut counts.satisfaction, satisfaction);
        }
        let dispatched = row.dispatched_at.map(|at| at.with_timezone(&offset));
        if let (Some(start), Some(done)) = (dispatched, handling.resolved_at) {
            counts.resolved += 1;
            if let Ok(days) = working_days_taken(set.calendar(), start, done) {
                let table = if handling.extended {
                    &mut counts.handling_days_extended
                } else {
                    &mut counts.handling_days
                };
                bump(
                    table.entry(row.category.as_str().to_owned()).or_default(),
                    &days.to_string(),
                );
            }
        }
    }
    let frequent = calls.values().filter(|n| **n >= FREQUENT_CALLS).count();
    let period = json!({
        "jurisdiction": set.id(),
        "from": format_instant(from.with_timezone(&offset)),
        "to": format_instant(to.with_timezone(&offset)),
        "tickets": rows.len(),
        "by_status": by_status,
        "topics": topics,
        "areas": areas,
        "frequent_requesters": frequent,
    });
    let units: Vec<Value> = units
        .into_iter()
        .map(|(id, c)| {
            let mut unit = Map::new();
            unit.insert("unit".into(), json!(id));
            if let Some(u) = set.unit(id) {
                unit.insert("name".into(), json!(u.name));
                unit.insert("level".into(), json!(u.level.as_str()));
            }
            for (key, value) in [
                ("tickets", json!(c.tickets)),
                ("by_category", json!(c.by_category)),
                ("signed", json!(c.signed)),
                ("clocks", json!(c.clocks)),
                ("resolved", json!(c.resolved)),
                ("handling_days", json!(c.handling_days)),
                ("handling_days_extended", json!(c.handling_days_extended)),
                ("extended", json!(c.extended)),
                ("returned", json!(c.returned)),
                ("reopened", json!(c.reopened)),
                ("terminated", json!(c.terminated)),
                ("resolution", json!(c.resolution)),
                ("satisfaction", json!(c.satisfaction)),
            ] {
                unit.insert(key.into(), value);
            }
            Value::Object(unit)
        })
        .collect();
    (period, Value::Array(units))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).expect("test instant")
    }

    #[test]
    fn periods_are_cut_at_month_boundaries_in_the_sets_timezone() {
        let offset = FixedOffset::east_opt(8 * 3600).expect("offset");
        let spans = month_spans(
            at("2026-01-15T00:00:00+08:00"),
            at("2026-03-10T00:00:00+08:00"),
            offset,
        );
        let starts: Vec<String> = spans.iter().map(|(s, _)| format_instant(*s)).collect();
        assert_eq!(
            starts,
            [
                "2026-01-15T00:00:00+08:00",
                "2026-02-01T00:00:00+08:00",
                "2026-03-01T00:00:00+08:00"
            ]
        );
        assert_eq!(spans[2].1, at("2026-03-10T00:00:00+08:00"));
        let one = month_spans(
            at("2026-03-01T00:00:00+08:00"),
            at("2026-04-01T00:00:00+08:00"),
            offset,
        );
        assert_eq!(one.len(), 1);
    }
}
