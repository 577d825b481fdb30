use serde::{Deserialize, Serialize};

/// Administrative level of a handling unit (承办单位).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitLevel {
    Region,
    City,
    District,
    Township,
    Department,
    Centre,
}

impl UnitLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Region => "region",
            Self::City => "city",
            Self::District => "district",
            Self::Township => "township",
            Self::Department => "department",
            Self::Centre => "centre",
        }
    }
}

/// A unit a policy set can dispatch to, as declared in its `policy.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    pub id: String,
    pub name: String,
    pub level: UnitLevel,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub parent: Option<String>,
}

impl Unit {
    pub fn to_ref(&self) -> UnitRef {
        UnitRef {
            id: self.id.clone(),
            name: self.name.clone(),
        }
    }
}

/// A unit as a ticket names it: id and the name it had when it was decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRef {
    pub id: String,
    pub name: String,
}
