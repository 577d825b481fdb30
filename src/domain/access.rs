//! Who may do what: roles, their scopes, and the one table that says which role may use
//! which capability. The HTTP edge authenticates a caller into a [`Principal`]; use cases
//! ask it; nothing else decides access.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A hotline centre's desk: files and reads tickets of its jurisdictions, and takes the
    /// centre's part in them (dispatch, supervise, revisit).
    Intake,
    /// A handling unit: sees and acts on its own tickets only.
    Unit,
    /// Supervision: reads trails and acts on escalated tickets.
    Supervisor,
    /// Reads everything of its jurisdictions, changes nothing.
    Auditor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Intake => "intake",
            Self::Unit => "unit",
            Self::Supervisor => "supervisor",
            Self::Auditor => "auditor",
            Self::Admin => "admin",
        }
    }
}

/// What a caller can ask for; each endpoint needs one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    FileTicket,
    ReadTickets,
    Act,
    ReadTrail,
    Replay,
    Export,
    Sweep,
    ReadNotifications,
    ReadPolicies,
    EvaluatePolicy,
    ReadAssessments,
    /// Erase a requester's personal data on a legal request.
    Erase,
}

impl Capability {
    pub const ALL: &'static [Capability] = &[
        Self::FileTicket,
        Self::ReadTickets,
        Self::Act,
        Self::ReadTrail,
        Self::Replay,
        Self::Export,
        Self::Sweep,
        Self::ReadNotifications,
        Self::ReadPolicies,
        Self::EvaluatePolicy,
        Self::ReadAssessments,
        Self::Erase,
    ];
}

/// The role × capability table (README "Who may call" prints it).
pub fn role_may(role: Role, capability: Capability) -> bool {
    use Capability::*;
    match role {
        Role::Admin => true,
        // Intake acts only in the centre's part (the parts table in `action.rs` says which).
        Role::Intake => matches!(capability, FileTicket | ReadTickets | Act | ReadPolicies),
        Role::Unit => matches!(capability, ReadTickets | Act | ReadPolicies),
        // A supervisor reads what an auditor reads, and also acts (on escalated tickets).
        Role::Supervisor => capability == Act || role_may(Role::Auditor, capability),
        Role::Auditor => matches!(
            capability,
            ReadTickets
                | ReadTrail
                | Replay
                | Export
                | ReadNotifications
                | ReadPolicies
                | ReadAssessments
        ),
    }
}

/// An authenticated caller and what it may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Named in the trail as the actor.
    pub name: String,
    pub role: Role,
    /// `None`: every jurisdiction.
    pub jurisdictions: Option<BTreeSet<String>>,
    /// A unit token's units.
    pub units: BTreeSet<String>,
    /// May read requester names and phones.
    pub pii: bool,
}

impl Principal {
    /// The bootstrap administrator (`JIESU_ADMIN_TOKEN`, or a loopback caller when no token
    /// is configured at all).
    pub fn admin(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            role: Role::Admin,
            jurisdictions: None,
            units: BTreeSet::new(),
            pii: true,
        }
    }

    pub fn may(&self, capability: Capability) -> bool {
        role_may(self.role, capability)
    }

    pub fn covers_jurisdiction(&self, jurisdiction: &str) -> bool {
        self.jurisdictions
            .as_ref()
            .is_none_or(|js| js.contains(jurisdiction))
    }

    /// Whether a ticket is within this caller's scope: its jurisdiction, and for a unit
    /// token, a ticket it leads or assists.
    pub fn covers_ticket<'a>(
        &self,
        jurisdiction: &str,
        lead: Option<&str>,
        mut assist: impl Iterator<Item = &'a str>,
    ) -> bool {
        if !self.covers_jurisdiction(jurisdiction) {
            return false;
        }
        if self.role != Role::Unit {
            return true;
        }
        lead.is_some_and(|l| self.units.contains(l)) || assist.any(|a| self.units.contains(a))
    }
}

/// `张三` → `张*`, `欧阳娜娜` → `欧***`: the family name stays, the rest is starred.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
        None => String::new(),
    }
}

/// `13912345678` → `139****5678`: the first three and last four digits stay.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    // Always at least four characters hidden: a shorter (landline) number keeps only its
    // last four.
    if chars.len() < 11 {
        let tail: String = chars[chars.len() - 4..].iter().collect();
        return format!("{}{tail}", "*".repeat(chars.len() - 4));
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_phones_are_masked_as_the_hotlines_do() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("李"), "李*");
        assert_eq!(mask_phone("13912345678"), "139****5678");
        assert_eq!(mask_phone("0471-1234567"), "047*****4567");
        assert_eq!(mask_phone("12345"), "*****");
        assert_eq!(mask_phone("22345678"), "****5678");
    }

    #[test]
    fn the_role_table() {
        use Capability::*;
        assert!(role_may(Role::Intake, FileTicket));
        assert!(!role_may(Role::Intake, ReadTrail));
        assert!(!role_may(Role::Unit, FileTicket));
        assert!(role_may(Role::Unit, Act));
        assert!(role_may(Role::Auditor, ReadTrail));
        assert!(!role_may(Role::Auditor, Act));
        assert!(role_may(Role::Supervisor, Act));
        assert!(!role_may(Role::Supervisor, Sweep));
        assert!(Capability::ALL.iter().all(|c| role_may(Role::Admin, *c)));
    }

    #[test]
    fn a_unit_sees_only_tickets_it_leads_or_assists() {
        let unit = Principal {
            name: "desk".into(),
            role: Role::Unit,
            jurisdictions: Some(BTreeSet::from(["anshan".to_owned()])),
            units: BTreeSet::from(["as-environment".to_owned()]),
            pii: false,
        };
        assert!(unit.covers_ticket("anshan", Some("as-environment"), std::iter::empty()));
        assert!(unit.covers_ticket("anshan", Some("as-housing"), ["as-environment"].into_iter()));
        assert!(!unit.covers_ticket("anshan", Some("as-housing"), std::iter::empty()));
        assert!(!unit.covers_ticket("hohhot", Some("as-environment"), std::iter::empty()));
    }
}
