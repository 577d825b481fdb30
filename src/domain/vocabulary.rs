//! The fixed vocabulary of API.md: categories, channels, flags, topics.

use serde::{Deserialize, Serialize};

/// 诉求类别.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 咨询
    Consultation,
    /// 求助
    Help,
    /// 投诉
    Complaint,
    /// 举报
    Report,
    /// 建议
    Suggestion,
}

impl Category {
    pub const ALL: &'static [Category] = &[
        Self::Consultation,
        Self::Help,
        Self::Complaint,
        Self::Report,
        Self::Suggestion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Consultation => "consultation",
            Self::Help => "help",
            Self::Complaint => "complaint",
            Self::Report => "report",
            Self::Suggestion => "suggestion",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Phone,
    Web,
    App,
    Wechat,
    MiniProgram,
    Transfer,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Web => "web",
            Self::App => "app",
            Self::Wechat => "wechat",
            Self::MiniProgram => "mini_program",
            Self::Transfer => "transfer",
        }
    }
}

/// Topics every policy set understands; a set may declare more in its `policy.toml`.
pub const STANDARD_TOPICS: &[&str] = &[
    "water",
    "power",
    "gas",
    "heating",
    "natural_disaster",
    "public_emergency",
    "noise",
    "municipal_infrastructure",
    "housing",
    "property_management",
    "waste",
    "urban_management",
    "territorial_division",
    "wages",
    "social_insurance",
    "public_security",
    "traffic",
    "environment",
    "market_regulation",
    "education",
    "health",
    "business_environment",
    "other",
];

macro_rules! flags {
    ($($variant:ident => $name:literal),+ $(,)?) => {
        /// A fact about a ticket that changes how it is accepted, routed or timed.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Flag { $($variant),+ }

        impl Flag {
            pub const ALL: &'static [Flag] = &[$(Flag::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Flag::$variant => $name),+ }
            }

            pub fn parse(name: &str) -> Option<Flag> {
                match name { $($name => Some(Flag::$variant),)+ _ => None }
            }
        }
    };
}

flags! {
    InLitigation => "in_litigation",
    InArbitration => "in_arbitration",
    InReconsideration => "in_reconsideration",
    InDiscipline => "in_discipline",
    InfoDisclosure => "info_disclosure",
    InPetition => "in_petition",
    AdministrativePenalty => "administrative_penalty",
    StateSecret => "state_secret",
    TradeSecret => "trade_secret",
    Privacy => "privacy",
    IllegalOrImmoral => "illegal_or_immoral",
    OutsideJurisdiction => "outside_jurisdiction",
    BeyondDuty => "beyond_duty",
    LegacyInProgress => "legacy_in_progress",
    RepeatNoNewFacts => "repeat_no_new_facts",
    KnowledgeBaseAnswerable => "knowledge_base_answerable",
    OtherPlatform => "other_platform",
    Police => "police",
    Fire => "fire",
    Medical => "medical",
    TrafficAccident => "traffic_accident",
    Urgent => "urgent",
    BasicLife => "basic_life",
    LifeThreat => "life_threat",
    Instability => "instability",
    HazardToday => "hazard_today",
    VulnerablePerson => "vulnerable_person",
    Complex => "complex",
    Difficult => "difficult",
    LegalProcedure => "legal_procedure",
    MultiDepartment => "multi_department",
    CrossRegion => "cross_region",
    DisputeCityDistrict => "dispute_city_district",
    LeaderAssigned => "leader_assigned",
    MediaExposed => "media_exposed",
    RepeatedUnsolved => "repeated_unsolved",
    Harassment => "harassment",
    // 重点问题件 (AS-4): a key matter the centre marks for on-site verification.
    KeyMatter => "key_matter",
    // The requester agreed to volunteers taking the matter on (HH-23).
    VolunteerConsent => "volunteer_consent",
}

/// Where a rejected ticket is sent instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Redirect {
    #[serde(rename = "110")]
    Police,
    #[serde(rename = "119")]
    Fire,
    #[serde(rename = "120")]
    Medical,
    #[serde(rename = "122")]
    TrafficAccident,
    #[serde(rename = "petition")]
    Petition,
    #[serde(rename = "other_platform")]
    OtherPlatform,
}

/// How the lead unit was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteMode {
    Direct,
    Dual,
    Territorial,
    FirstReceiver,
    Volunteer,
}

impl RouteMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Dual => "dual",
            Self::Territorial => "territorial",
            Self::FirstReceiver => "first_receiver",
            Self::Volunteer => "volunteer",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_round_trips_through_its_name() {
        for flag in Flag::ALL {
            assert_eq!(Flag::parse(flag.as_str()), Some(*flag));
            let json = serde_json::to_string(flag).unwrap();
            assert_eq!(json, format!("\"{}\"", flag.as_str()));
        }
        assert_eq!(Flag::parse("no_such_flag"), None);
    }

    #[test]
    fn redirects_use_the_emergency_numbers() {
        let r: Redirect = serde_json::from_str("\"110\"").unwrap();
        assert_eq!(r, Redirect::Police);
        assert!(serde_json::from_str::<Redirect>("\"999\"").is_err());
    }
}
