use serde::{Deserialize, Serialize};

/// The named clocks a ticket can run against (API.md "deadline names").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineName {
    Sign,
    FirstContact,
    Intervene,
    FirstFeedback,
    Plan,
    Resolve,
    ReturnBy,
    Reverify,
    ReportAfterDone,
}

impl DeadlineName {
    pub const ALL: &'static [DeadlineName] = &[
        Self::Sign,
        Self::FirstContact,
        Self::Intervene,
        Self::FirstFeedback,
        Self::Plan,
        Self::Resolve,
        Self::ReturnBy,
        Self::Reverify,
        Self::ReportAfterDone,
    ];

    pub fn parse(name: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sign => "sign",
            Self::FirstContact => "first_contact",
            Self::Intervene => "intervene",
            Self::FirstFeedback => "first_feedback",
            Self::Plan => "plan",
            Self::Resolve => "resolve",
            Self::ReturnBy => "return_by",
            Self::Reverify => "reverify",
            Self::ReportAfterDone => "report_after_done",
        }
    }
}
