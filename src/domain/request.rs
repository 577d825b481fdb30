//! `POST /api/v1/tickets/{id}/actions` bodies (API.md "Actions").

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::Action;

/// Evidence a unit attaches to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    PhotoBefore,
    PhotoAfter,
    CallRecord,
    ApplicationForm,
    VisitRecord,
    ClosingForm,
}

/// The eight extension criteria of WS-4.6.
pub const EXTENSION_CRITERIA: &[&str] = &[
    "no_legal_basis",
    "major_project",
    "insufficient_evidence",
    "third_party_needed",
    "multi_agency",
    "facts_differ",
    "force_majeure",
    "other",
];

/// The nine termination criteria of WS-4.7.
pub const TERMINATION_CRITERIA: &[&str] = &[
    "other_authority",
    "discipline_or_cadre",
    "petition_concluded",
    "secret_or_privacy",
    "policy_answered_or_baseless",
    "multi_department_agreed",
    "outside_authority",
    "repeat_no_new_facts",
    "other",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    Solved,
    Explained,
    Recorded,
    Unsolved,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    Satisfied,
    Neutral,
    Unsatisfied,
}

/// A unit's closing reply (WS-4.4/4.5's four items and the resolution category).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    #[serde(default)]
    pub verified: Option<bool>,
    #[serde(default)]
    pub investigation: Option<String>,
    #[serde(default)]
    pub result: Option<String>,
    #[serde(default)]
    pub requester_opinion: Option<String>,
    #[serde(default)]
    pub resolution: Option<Resolution>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    pub action: Action,
    #[serde(default)]
    pub at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub criteria: Vec<String>,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    #[serde(default)]
    pub working_days: Option<i64>,
    #[serde(default)]
    pub until: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub reply: Option<Reply>,
    #[serde(default)]
    pub satisfaction: Option<Satisfaction>,
}

impl ActionRequest {
    /// Criteria codes this action accepts; `None` where criteria do not apply.
    pub fn criteria_vocabulary(&self) -> Option<&'static [&'static str]> {
        match self.action {
            Action::RequestExtension => Some(EXTENSION_CRITERIA),
            Action::RequestTermination => Some(TERMINATION_CRITERIA),
            _ => None,
        }
    }
}
