//! Per-unit counts of one period, built ticket by ticket from each ticket's story: every unit
//! is charged with what it did (its returns, disputes, extensions, resolves) and with every
//! round of every clock it owed, as lead or as co-unit (IM-24(4)).

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::history::Story;
use crate::calendar::{working_days, working_days_taken};
use crate::domain::{Action, Ticket};
use crate::policy::CompiledSet;

/// Serialized as is: the field names are the `assess` hook's count names (README).
#[derive(Default, Serialize)]
pub struct UnitCounts {
    /// Tickets it led in some round.
    tickets: u64,
    /// Tickets it assisted on and never led.
    assisted: u64,
    by_category: BTreeMap<String, u64>,
    signed: u64,
    /// clock name → verdict → rounds; `missed` = `late` + `overdue`.
    clocks: BTreeMap<String, BTreeMap<String, u64>>,
    resolved: u64,
    /// category → working days from its first dispatch to this unit to the resolve that
    /// stands → tickets, for tickets it resolved without extension (no statutory limit).
    handling_days: BTreeMap<String, BTreeMap<String, u64>>,
    handling_days_extended: BTreeMap<String, BTreeMap<String, u64>>,
    /// category → working days it has held an unfinished ticket so far → tickets.
    handling_days_open: BTreeMap<String, BTreeMap<String, u64>>,
    handling_days_open_extended: BTreeMap<String, BTreeMap<String, u64>>,
    /// Tickets with a statutory limit (PY-29 法定时限): met / missed / open.
    statutory: BTreeMap<String, u64>,
    extended: u64,
    returned: u64,
    disputed: u64,
    reopened: u64,
    terminated: u64,
    resolution: BTreeMap<String, u64>,
    satisfaction: BTreeMap<String, u64>,
    /// The rating at each ticket's first revisit only (IM-18 满意率 reads the requester's
    /// first answer; a reopened ticket's later revisits are in `satisfaction`).
    first_satisfaction: BTreeMap<String, u64>,
}

pub fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    *map.entry(key.to_owned()).or_default() += 1;
}

fn bump_in(table: &mut BTreeMap<String, BTreeMap<String, u64>>, outer: &str, inner: &str) {
    bump(table.entry(outer.to_owned()).or_default(), inner);
}

/// Counts of every unit, charged ticket by ticket.
pub struct Ledger<'a> {
    units: BTreeMap<String, UnitCounts>,
    set: &'a CompiledSet,
}

impl<'a> Ledger<'a> {
    pub fn new(set: &'a CompiledSet) -> Ledger<'a> {
        Ledger {
            units: BTreeMap::new(),
            set,
        }
    }

    fn unit(&mut self, id: &str) -> &mut UnitCounts {
        self.units.entry(id.to_owned()).or_default()
    }

    /// Charges one ticket's story, `as_of` the instant the assessment is made.
    pub fn charge(&mut self, ticket: &Ticket, story: &Story, as_of: DateTime<FixedOffset>) {
        let category = ticket.category.as_str();
        for lead in story.leads() {
            let counts = self.unit(lead);
            counts.tickets += 1;
            bump(&mut counts.by_category, category);
        }
        for co in story.co_units() {
            self.unit(co).assisted += 1;
        }
        for clock in &story.clocks {
            let verdict = clock.verdict(as_of);
            let table = self
                .unit(&clock.unit)
                .clocks
                .entry(clock.name.clone())
                .or_default();
            bump(table, verdict.as_str());
            if verdict.missed() {
                bump(table, "missed");
            }
        }
        // Each kind of act is counted once per ticket and unit: a unit that asks twice for
        // time on one ticket has one extended ticket.
        let mut seen: Vec<(Action, &str)> = Vec::new();
        let mut revisited = false;
        for act in &story.acts {
            // A revisit is the centre's judgement of the lead; any other act is charged to
            // the unit that took it, and the centre acting for itself is charged to nobody.
            let Some(unit) = act.unit.as_deref().or(if act.action == Action::Revisit {
                act.lead.as_deref()
            } else {
                None
            }) else {
                continue;
            };
            let first = !seen.contains(&(act.action, unit));
            seen.push((act.action, unit));
            match act.action {
                Action::Sign if first && !act.assumed => self.unit(unit).signed += 1,
                Action::RequestExtension if first => self.unit(unit).extended += 1,
                Action::Return => self.unit(unit).returned += 1,
                Action::Appeal => self.unit(unit).disputed += 1,
                Action::RequestTermination => self.unit(unit).terminated += 1,
                // A revisit judges the lead that answered, not whoever holds the ticket now.
                Action::Revisit => {
                    let Some(lead) = act.lead.as_deref() else {
                        continue;
                    };
                    let first_revisit = !revisited;
                    revisited = true;
                    let counts = self.unit(lead);
                    if let Some(s) = &act.satisfaction {
                        bump(&mut counts.satisfaction, s);
                        if first_revisit {
                            bump(&mut counts.first_satisfaction, s);
                        }
                    }
                    if act.to.as_deref() == Some("reopened") {
                        counts.reopened += 1;
                    }
                }
                _ => {}
            }
        }
        self.charge_handling(ticket, story, as_of);
    }

    /// Handling time: from the unit's first dispatch, across reopenings, to the resolve that
    /// stands; an unfinished ticket counts the days its current lead has held it so far.
    fn charge_handling(&mut self, ticket: &Ticket, story: &Story, as_of: DateTime<FixedOffset>) {
        let calendar = self.set.calendar();
        let category = ticket.category.as_str();
        let extended = |unit: &str| {
            story
                .acts
                .iter()
                .any(|a| a.action == Action::RequestExtension && a.unit.as_deref() == Some(unit))
        };
        let (unit, done) = match story.standing_resolve() {
            Some(resolve) => match resolve.unit.as_deref().or(resolve.lead.as_deref()) {
                Some(unit) => (unit.to_owned(), resolve.at),
                None => return,
            },
            None if ticket.status.is_open() => match ticket.lead_id() {
                Some(lead) => (lead.to_owned(), None),
                None => return,
            },
            None => return,
        };
        if let Some(resolve) = story.standing_resolve() {
            let counts = self.unit(&unit);
            counts.resolved += 1;
            if let Some(r) = &resolve.resolution {
                bump(&mut counts.resolution, r);
            }
        }
        let Some(start) = story.led_since(&unit) else {
            return;
        };
        if let Some(limit) = &ticket.statutory_limit {
            let due = match (limit.until, limit.working_days) {
                (Some(until), _) => Some(until),
                (None, Some(n)) => working_days(calendar, start, n).ok().map(|d| d.at),
                (None, None) => None,
            };
            let verdict = match (due, done) {
                (Some(due), Some(done)) if done <= due => "met",
                (Some(_), Some(_)) => "missed",
                (Some(due), None) if due < as_of => "missed",
                (Some(_), None) => "open",
                // Beyond the calendar's years: said, not guessed.
                (None, _) => "unknown",
            };
            bump(&mut self.unit(&unit).statutory, verdict);
            return;
        }
        let end = done.unwrap_or(as_of);
        let Ok(days) = working_days_taken(calendar, start, end) else {
            return;
        };
        let was_extended = extended(&unit);
        let counts = self.unit(&unit);
        let table = match (done.is_some(), was_extended) {
            (false, false) => &mut counts.handling_days_open,
            (false, true) => &mut counts.handling_days_open_extended,
            (true, true) => &mut counts.handling_days_extended,
            (true, false) => &mut counts.handling_days,
        };
        bump_in(table, category, &days.to_string());
    }

    /// The `units` argument of `assess`, and the assessing bodies (level `centre`) apart:
    /// the bodies that assess are never ranked among the units they assess (AS-5.2).
    pub fn into_json(self) -> (Vec<Value>, Vec<Value>) {
        let set = self.set;
        let mut assessed = Vec::new();
        let mut assessing = Vec::new();
        for (id, c) in self.units {
            let declared = set.unit(&id);
            let mut unit = Map::new();
            unit.insert("unit".into(), json!(id));
            if let Some(u) = declared {
                unit.insert("name".into(), json!(u.name));
                unit.insert("level".into(), json!(u.level.as_str()));
            }
            if let Ok(Value::Object(counts)) = serde_json::to_value(&c) {
                unit.extend(counts);
            }
            // A unit the set no longer declares (its trail is older than the edit) is neither
            // ranked nor hidden: it is reported apart, with the assessing bodies, unnamed.
            match declared {
                Some(u) if u.level.as_str() != "centre" => assessed.push(Value::Object(unit)),
                Some(_) => assessing.push(Value::Object(unit)),
                None => {
                    unit.insert("undeclared".into(), json!(true));
                    assessing.push(Value::Object(unit));
                }
            }
        }
        (assessed, assessing)
    }
}
