use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use super::{Category, Channel, Flag, Redirect, RouteMode, UnitRef};

/// What a hotline centre files (API.md `POST /api/v1/tickets`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    pub jurisdiction: String,
    pub channel: Channel,
    pub category: Category,
    pub topic: String,
    #[serde(default)]
    pub flags: Vec<Flag>,
    #[serde(default)]
    pub area: Option<String>,
    pub content: String,
    #[serde(default)]
    pub requester: Option<Requester>,
    #[serde(default)]
    pub received_at: Option<DateTime<FixedOffset>>,
    /// A limit a law sets for this matter (HH-16(4), PY-9(3)): it wins over the policy's own.
    #[serde(default)]
    pub statutory_limit: Option<StatutoryLimit>,
}

/// A statutory time limit: a number of working days, or a fixed instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatutoryLimit {
    #[serde(default)]
    pub working_days: Option<i64>,
    #[serde(default)]
    pub until: Option<DateTime<FixedOffset>>,
}

/// The person who called. Never handed to policy scripts (IM-15: confidentiality).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requester {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Rejected,
    Answered,
    Dispatched,
    Signed,
    InProgress,
    Resolved,
    Reopened,
    /// Returned by its unit and back with the centre, which assigns it again (AS-2.3,
    /// HH-15(4), PY-7, PY-ops-7.4).
    Returned,
    Closed,
    Terminated,
}

impl Status {
    pub const ALL: &'static [Status] = &[
        Status::Rejected,
        Status::Answered,
        Status::Dispatched,
        Status::Signed,
        Status::InProgress,
        Status::Resolved,
        Status::Reopened,
        Status::Returned,
        Status::Closed,
        Status::Terminated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rejected => "rejected",
            Self::Answered => "answered",
            Self::Dispatched => "dispatched",
            Self::Signed => "signed",
            Self::InProgress => "in_progress",
            Self::Resolved => "resolved",
            Self::Reopened => "reopened",
            Self::Returned => "returned",
            Self::Closed => "closed",
            Self::Terminated => "terminated",
        }
    }

    pub fn parse(name: &str) -> Option<Status> {
        Self::ALL.iter().copied().find(|s| s.as_str() == name)
    }

    /// Whether a unit still owes work on a ticket in this status, so its deadlines can pass.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Self::Dispatched | Self::Signed | Self::InProgress | Self::Reopened
        )
    }
}

/// A filed ticket: what the centre filed, what the policy decided, and where it stands.
/// Its clocks are [`super::Clock`]s of their own; its history is the trail.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    pub id: String,
    pub jurisdiction: String,
    pub channel: Channel,
    pub category: Category,
    pub topic: String,
    pub flags: Vec<Flag>,
    pub area: Option<String>,
    pub content: String,
    pub requester: Option<Requester>,
    /// The centre's receipt time, its claim (PY-6 counts from it), in the ticket's zone.
    pub received_at: DateTime<FixedOffset>,
    /// When this server received the filing.
    pub recorded_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub status: Status,
    pub lead: Option<UnitRef>,
    pub assist: Vec<UnitRef>,
    pub route_mode: Option<RouteMode>,
    /// When the lead last received it (filing, re-dispatch, redo): limits count from here.
    pub dispatched_at: Option<DateTime<Utc>>,
    /// Some deadline reached a year the calendar does not hold.
    pub provisional: bool,
    pub rejection: Option<Rejection>,
    pub statutory_limit: Option<StatutoryLimit>,
    pub policy_id: String,
    pub policy_version: String,
    /// Bumped by every write: a change decided on an older revision is decided again.
    pub revision: i64,
}

impl Ticket {
    pub fn lead_id(&self) -> Option<&str> {
        self.lead.as_ref().map(|u| u.id.as_str())
    }

    pub fn offset(&self) -> FixedOffset {
        *self.received_at.offset()
    }

    /// The filing this ticket came from, without the requester (what rules may see).
    pub fn as_filed(&self) -> NewTicket {
        NewTicket {
            jurisdiction: self.jurisdiction.clone(),
            channel: self.channel,
            category: self.category,
            topic: self.topic.clone(),
            flags: self.flags.clone(),
            area: self.area.clone(),
            content: self.content.clone(),
            requester: None,
            received_at: Some(self.received_at),
            statutory_limit: self.statutory_limit.clone(),
        }
    }

    /// The lead's clocks that have not been cancelled: what `deadlines` shows.
    pub fn lead_clocks<'a>(
        &self,
        clocks: &'a [super::Clock],
    ) -> impl Iterator<Item = &'a super::Clock> {
        let lead = self.lead_id().map(str::to_owned);
        clocks.iter().filter(move |c| {
            Some(c.unit.as_str()) == lead.as_deref() && c.state != super::ClockState::Cancelled
        })
    }
}

/// Why a ticket was not accepted, and where the requester was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub reason: String,
    pub redirect: Option<Redirect>,
    pub cite: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(*s));
        }
        assert_eq!(Status::parse("lost"), None);
    }

    #[test]
    fn a_filing_rejects_unknown_fields_and_flags() {
        let ok = r#"{"jurisdiction":"anshan","channel":"phone","category":"complaint",
            "topic":"noise","content":"x","flags":["urgent"]}"#;
        assert!(serde_json::from_str::<NewTicket>(ok).is_ok());
        let unknown_field = r#"{"jurisdiction":"anshan","channel":"phone","category":"complaint",
            "topic":"noise","content":"x","colour":"red"}"#;
        assert!(serde_json::from_str::<NewTicket>(unknown_field).is_err());
        let unknown_flag = r#"{"jurisdiction":"anshan","channel":"phone","category":"complaint",
            "topic":"noise","content":"x","flags":["vip"]}"#;
        assert!(serde_json::from_str::<NewTicket>(unknown_flag).is_err());
    }
}
