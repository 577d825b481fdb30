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

/// Who signed a request or reply (WS-4.4/4.5, WS-4.6, WS-4.7, PY-7, PY-17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signatory {
    /// 部门负责人 / 单位负责人
    DepartmentHead,
    /// 分管领导
    DeputyLeader,
    /// 主要领导
    MainLeader,
}

/// What the requester agreed to (HH-23 志愿服务 with 诉求人同意; WS-4.6 告知; WS-4.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    /// To hand the matter to a volunteer organisation (HH-23).
    VolunteerHandover,
    /// To a longer handling time (HH-19, WS-4.6).
    Extension,
    /// To ending the handling (WS-4.7).
    Termination,
    /// To an on-site visit (WS-4.3 三上门, PY-20).
    OnsiteVisit,
}

/// The on-site elements of a re-verification (PY-20: 现场核实的需提供现场照片、人员、时间).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Onsite {
    /// How many on-site photos are attached.
    #[serde(default)]
    pub photos: u32,
    /// Who went.
    #[serde(default)]
    pub staff: Vec<String>,
    /// When they were there.
    #[serde(default)]
    pub at: Option<DateTime<FixedOffset>>,
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
    /// When the matter was finished on the ground, for rules that time the report from
    /// completion (PY-10.2, PY-23/24: the result within one hour after completion).
    #[serde(default)]
    pub completed_at: Option<DateTime<FixedOffset>>,
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
    /// Who signed the application or reply.
    #[serde(default)]
    pub signatures: Vec<Signatory>,
    /// The legal or policy basis of a return (PY-7: 理由和依据).
    #[serde(default)]
    pub basis: Option<String>,
    /// The unit a returning unit names as the right one (IM-11.4: 提出建议承办单位).
    #[serde(default)]
    pub suggested_unit: Option<String>,
    /// The requester was told (WS-4.6: 告知反映人; HH-19: 向诉求人说明理由).
    #[serde(default)]
    pub requester_informed: Option<bool>,
    /// The application bears the unit's stamp (PY-17: 加盖公章).
    #[serde(default)]
    pub stamp: Option<bool>,
    /// Whether the request itself is reasonable (WS-3.2 诉求不合理, AS-4 无理诉求).
    #[serde(default)]
    pub request_reasonable: Option<bool>,
    /// On-site elements of a re-verification (PY-20).
    #[serde(default)]
    pub onsite: Option<Onsite>,
    /// What the requester agreed to.
    #[serde(default)]
    pub consent: Vec<Consent>,
    /// A handling plan (`plan`; WS-137: 7日内制定办理方案).
    #[serde(default)]
    pub plan: Option<String>,
    /// What has been done so far (`report_progress`; HH-17 报告阶段性工作情况).
    #[serde(default)]
    pub progress: Option<String>,
    /// The unit the centre assigns as lead (`dispatch`).
    #[serde(default)]
    pub lead: Option<String>,
    /// The co-units the centre assigns (`dispatch`).
    #[serde(default)]
    pub assist: Vec<String>,
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
