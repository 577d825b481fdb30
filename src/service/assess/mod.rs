//! Assessments (`assess`): the host counts, per unit, what it did on the tickets of a period,
//! read from each ticket's history rather than its current state (every clock round it owed,
//! the returns and disputes it made, handling days across reopenings, how its answers were
//! resolved and rated); the policy turns the counts into rates, scores, grades and
//! rankings (IM-18, PY-29/30, AS-5.2, WS-1, HH-25). Counts, not tickets, cross into the
//! script: a month of a city's tickets would not fit the sandbox, and the script never sees
//! a requester's phone (IM-15).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, FixedOffset, Months, NaiveTime, Utc};
use serde_json::{Value, json};

mod counts;
mod history;

use counts::{Ledger, bump};
use history::Story;

use super::period::Period;
use super::{Service, ServiceError, require_jurisdiction};
use crate::audit::TrailEntry;
use crate::domain::Clock;
use crate::domain::Ticket;
use crate::domain::{Principal, format_instant};
use crate::policy::{CompiledSet, Hook};
use crate::store::TicketFilter;

/// Tickets one assessment reads at most; a longer period is refused, not truncated.
const MAX_TICKETS: usize = 200_000;
/// A requester calling this often in the period counts as frequent (HH-25 高频诉求人).
const FREQUENT_CALLS: usize = 3;
/// The busiest topic × area pairs handed over, by distinct requesters.
const MAX_MATTERS: usize = 50;

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
        now: DateTime<Utc>,
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
        let as_of = now.with_timezone(&offset);
        let (mut period, units) = figures(&set, &rows, &clocks, &events, (from, to), as_of);
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
                    figures(&set, &in_month, &clocks, &events, (start, end), as_of);
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

/// The `assess` hook's two arguments: the period's totals and one entry per assessed unit,
/// each counted from its tickets' stories `as_of` the instant of the assessment.
fn figures(
    set: &CompiledSet,
    rows: &[Ticket],
    clocks: &[(String, Clock)],
    events: &[TrailEntry],
    span: (DateTime<FixedOffset>, DateTime<FixedOffset>),
    as_of: DateTime<FixedOffset>,
) -> (Value, Value) {
    let (from, to) = span;
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
    // (topic, area) → tickets and the distinct requesters behind them (HH-25 群诉事项):
    // how many, never who.
    let mut matters: BTreeMap<(&str, &str), (u64, HashSet<&str>)> = BTreeMap::new();
    let mut ledger = Ledger::new(set);
    for row in rows {
        bump(&mut by_status, row.status.as_str());
        bump(&mut topics, &row.topic);
        if let Some(area) = &row.area {
            bump(&mut areas, area);
        }
        let phone = row.requester.as_ref().and_then(|r| r.phone.as_deref());
        if let Some(phone) = phone {
            *calls.entry(phone).or_default() += 1;
        }
        let matter = matters
            .entry((row.topic.as_str(), row.area.as_deref().unwrap_or("")))
            .or_default();
        matter.0 += 1;
        if let Some(phone) = phone {
            matter.1.insert(phone);
        }
        let story = Story::read(
            row,
            events_of
                .get(row.id.as_str())
                .map_or(&[][..], Vec::as_slice),
            clocks_of
                .get(row.id.as_str())
                .map_or(&[][..], Vec::as_slice),
        );
        ledger.charge(row, &story, as_of);
    }
    let frequent = calls.values().filter(|n| **n >= FREQUENT_CALLS).count();
    let mut matters: Vec<Value> = matters
        .into_iter()
        .map(|((topic, area), (tickets, requesters))| {
            json!({"topic": topic, "area": (!area.is_empty()).then_some(area),
                   "tickets": tickets, "requesters": requesters.len()})
        })
        .collect();
    matters.sort_by(|a, b| b["requesters"].as_u64().cmp(&a["requesters"].as_u64()));
    matters.truncate(MAX_MATTERS);
    let (units, assessing) = ledger.into_json();
    let period = json!({
        "jurisdiction": set.id(),
        "from": format_instant(from.with_timezone(&offset)),
        "to": format_instant(to.with_timezone(&offset)),
        "as_of": format_instant(as_of),
        "tickets": rows.len(),
        "by_status": by_status,
        "topics": topics,
        "areas": areas,
        "frequent_requesters": frequent,
        "matters": matters,
        "assessing_bodies": assessing,
    });
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
