//! `policy.toml`: what a policy set is called, what it extends, and the data its hooks read.

use std::collections::BTreeMap;

use chrono::{FixedOffset, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::domain::{Unit, UnitLevel};

/// A level of unit that never leads a kind of matter (HH-20/21: a township never leads a
/// matter within a department's duty). `jiesu check` proves no route breaks it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadBar {
    pub level: UnitLevel,
    /// The `[data]` table whose keys are the topics the bar covers.
    pub topics: String,
    /// The rule that sets the bar, cited in the check's report.
    pub rule: String,
}

/// An area (district, county, township) tickets can be filed for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    pub id: String,
    pub name: String,
    /// The territorial unit responsible for the area, if the set routes by territory.
    #[serde(default)]
    pub unit: Option<String>,
}

/// `policy.toml` as written; `Option`s are inherited from the parent set when absent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub extends: Option<String>,
    #[serde(default)]
    pub calendar: Option<String>,
    #[serde(default)]
    pub timezone: Option<String>,
    /// Night hours as `["HH:MM", "HH:MM"]`, for `is_night(t)`.
    #[serde(default)]
    pub night: Option<[String; 2]>,
    /// Topics beyond API.md's standard list.
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub units: Vec<Unit>,
    #[serde(default)]
    pub areas: Vec<Area>,
    /// Lookup tables handed to scripts by `data(name)`.
    #[serde(default)]
    pub data: toml::Table,
    #[serde(default)]
    pub never_lead: Vec<LeadBar>,
}

/// A set's effective manifest after applying its `extends` chain.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub id: String,
    pub name: String,
    pub extends: Option<String>,
    pub calendar: String,
    pub offset: FixedOffset,
    pub night: (NaiveTime, NaiveTime),
    pub topics: Vec<String>,
    pub units: BTreeMap<String, Unit>,
    /// The set in the chain that declared each unit (a child's own, or inherited).
    pub unit_origin: BTreeMap<String, String>,
    pub areas: BTreeMap<String, Area>,
    pub data: serde_json::Map<String, serde_json::Value>,
    /// Every bar of the chain: a parent's hold for its children.
    pub never_lead: Vec<LeadBar>,
}

pub(crate) const DEFAULT_CALENDAR: &str = "cn";
const DEFAULT_TIMEZONE: &str = "+08:00";
const DEFAULT_NIGHT: [&str; 2] = ["18:00", "08:00"];

impl Manifest {
    /// Folds a chain of manifests, root first: later sets override earlier ones field by field,
    /// units and areas by id, data tables by name.
    pub fn fold(chain: &[ManifestFile]) -> Result<Self, String> {
        let leaf = chain.last().ok_or("empty extends chain")?;
        let mut calendar = None;
        let mut timezone = None;
        let mut night = None;
        let mut topics = Vec::new();
        let mut units = BTreeMap::new();
        let mut unit_origin = BTreeMap::new();
        let mut areas = BTreeMap::new();
        let mut data = serde_json::Map::new();
        let mut never_lead: Vec<LeadBar> = Vec::new();
        for file in chain {
            never_lead.extend(file.never_lead.iter().cloned());
            calendar = file.calendar.clone().or(calendar);
            timezone = file.timezone.clone().or(timezone);
            night = file.night.clone().or(night);
            for topic in &file.topics {
                if !topics.contains(topic) {
                    topics.push(topic.clone());
                }
            }
            for unit in &file.units {
                units.insert(unit.id.clone(), unit.clone());
                unit_origin.insert(unit.id.clone(), file.id.clone());
            }
            for area in &file.areas {
                areas.insert(area.id.clone(), area.clone());
            }
            let table = serde_json::to_value(&file.data).map_err(|e| e.to_string())?;
            if let serde_json::Value::Object(map) = table {
                data.extend(map);
            }
        }
        let timezone = timezone.unwrap_or_else(|| DEFAULT_TIMEZONE.to_owned());
        let offset: FixedOffset = timezone
            .parse()
            .map_err(|_| format!("timezone `{timezone}` is not a UTC offset such as `+08:00`"))?;
        let [from, until] = night.unwrap_or(DEFAULT_NIGHT.map(str::to_owned));
        let clock = |s: &str| {
            NaiveTime::parse_from_str(s, "%H:%M")
                .map_err(|_| format!("night hour `{s}` is not HH:MM"))
        };
        let manifest = Self {
            id: leaf.id.clone(),
            name: leaf.name.clone(),
            extends: leaf.extends.clone(),
            calendar: calendar.unwrap_or_else(|| DEFAULT_CALENDAR.to_owned()),
            offset,
            night: (clock(&from)?, clock(&until)?),
            topics,
            units,
            unit_origin,
            areas,
            data,
            never_lead,
        };
        manifest.check_references()?;
        Ok(manifest)
    }

    fn check_references(&self) -> Result<(), String> {
        for unit in self.units.values() {
            if let Some(parent) = &unit.parent
                && !self.units.contains_key(parent)
            {
                return Err(format!(
                    "unit `{}` names unknown parent `{parent}`",
                    unit.id
                ));
            }
        }
        for bar in &self.never_lead {
            if !self.data.get(&bar.topics).is_some_and(|t| t.is_object()) {
                return Err(format!(
                    "never_lead ({}) names topics table `{}`, which is not a [data] table of topic keys",
                    bar.rule, bar.topics
                ));
            }
        }
        for area in self.areas.values() {
            if let Some(unit) = &area.unit
                && !self.units.contains_key(unit)
            {
                return Err(format!("area `{}` names unknown unit `{unit}`", area.id));
            }
        }
        Ok(())
    }

    /// The bar a unit of `level` leading a matter of `topic` would break, if any.
    pub fn lead_bar(&self, level: UnitLevel, topic: &str) -> Option<&LeadBar> {
        self.never_lead.iter().find(|bar| {
            bar.level == level
                && self
                    .data
                    .get(&bar.topics)
                    .and_then(|t| t.as_object())
                    .is_some_and(|t| t.contains_key(topic))
        })
    }

    pub fn knows_topic(&self, topic: &str) -> bool {
        crate::domain::STANDARD_TOPICS.contains(&topic) || self.topics.iter().any(|t| t == topic)
    }
}
