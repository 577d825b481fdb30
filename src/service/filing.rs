//! Filing a ticket: accept → route → time_limits, then the ticket and its trail in one
//! transaction. Nothing is written unless every decision was made.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, FixedOffset, SubsecRound, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::actions::bounded_claim;
use super::clocks::declared_clocks;
use super::outbox::fired_by_all;
use super::{Service, ServiceError, TicketView};
use crate::audit::{EntryKind, TrailEntry};
use crate::domain::{
    NewTicket, Principal, Rejection, RouteMode, Status, Ticket, UnitRef, format_instant, to_micros,
};
use crate::policy::{
    AcceptOutcome, CompiledSet, Decision, DecisionError, Hook, TimeLimits, policy_ticket,
};
use crate::store::{Filed, Idempotency};
use sha2::{Digest, Sha256};

/// How old a `received_at` an intake token may send: a centre files within the day, an
/// older claim is an admin's backfill.
const RECEIVED_TOLERANCE: Duration = Duration::hours(24);
/// Clock skew tolerated between a hotline centre and this server.
const FUTURE_TOLERANCE: Duration = Duration::minutes(5);
const MAX_CONTENT_CHARS: usize = 20_000;
const MAX_NAME_CHARS: usize = 100;
const MAX_PHONE_CHARS: usize = 32;

/// A filed ticket, and whether an idempotent retry found it already filed.
pub struct Filing {
    pub ticket: TicketView,
    pub replayed: bool,
}

/// What the policy decided for a new ticket, before anything is stored.
pub(super) struct Outcome {
    pub(super) status: Status,
    pub(super) lead: Option<UnitRef>,
    pub(super) assist: Vec<UnitRef>,
    pub(super) mode: Option<RouteMode>,
    /// The lead's deadlines, name → instant.
    pub(super) deadlines: BTreeMap<String, String>,
    pub(super) rejection: Option<Rejection>,
    /// The clocks decided, with the deciding rules.
    pub(super) limits: Option<(TimeLimits, Vec<String>)>,
}

fn validate(
    request: &NewTicket,
    set: &CompiledSet,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let manifest = set.manifest();
    if !manifest.knows_topic(&request.topic) {
        return Err(ServiceError::UnknownTopic {
            topic: request.topic.clone(),
            jurisdiction: manifest.id.clone(),
        });
    }
    if let Some(area) = &request.area
        && !manifest.areas.contains_key(area)
    {
        return Err(ServiceError::UnknownArea {
            area: area.clone(),
            jurisdiction: manifest.id.clone(),
            known: manifest.areas.keys().cloned().collect(),
        });
    }
    let invalid = |field, message: String| Err(ServiceError::Invalid { field, message });
    if request.content.trim().is_empty() {
        return invalid(
            "content",
            "is empty: a ticket must say what the requester asked".into(),
        );
    }
    if request.content.chars().count() > MAX_CONTENT_CHARS {
        return invalid(
            "content",
            format!("is longer than {MAX_CONTENT_CHARS} characters"),
        );
    }
    if let Some(received_at) = request.received_at
        && received_at > now + FUTURE_TOLERANCE
    {
        return invalid(
            "received_at",
            format!("{} is in the future", format_instant(received_at)),
        );
    }
    if let Some(limit) = &request.statutory_limit {
        match (limit.working_days, limit.until) {
            (Some(days), None) if (1..=3_660).contains(&days) => {}
            (None, Some(_)) => {}
            _ => {
                return invalid(
                    "statutory_limit",
                    "must give either `working_days` (1 to 3660) or `until`, not both".into(),
                );
            }
        }
    }
    if let Some(requester) = &request.requester {
        if requester
            .name
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NAME_CHARS)
        {
            return invalid(
                "requester.name",
                format!("is longer than {MAX_NAME_CHARS} characters"),
            );
        }
        if let Some(phone) = &requester.phone {
            let plausible = phone.len() <= MAX_PHONE_CHARS
                && phone.chars().any(|c| c.is_ascii_digit())
                && phone
                    .chars()
                    .all(|c| c.is_ascii_digit() || "+-() ".contains(c));
            if !plausible {
                return invalid(
                    "requester.phone",
                    format!("`{phone}` is not a phone number"),
                );
            }
        }
    }
    Ok(())
}

pub(super) fn invalid_output(set: &CompiledSet, hook: Hook, message: String) -> ServiceError {
    ServiceError::Decision(DecisionError::InvalidOutput {
        policy: set.id().to_owned(),
        hook: hook.name(),
        message,
    })
}

pub(super) fn unit_ref(set: &CompiledSet, hook: Hook, id: &str) -> Result<UnitRef, ServiceError> {
    set.unit(id).map(|u| u.to_ref()).ok_or_else(|| {
        invalid_output(
            set,
            hook,
            format!("unit `{id}` is not declared in policy.toml"),
        )
    })
}

/// Runs the filing hooks. Returns every decision made, in order, and what they add up to.
pub(super) fn decide(
    set: &CompiledSet,
    ticket: &Value,
) -> Result<(Vec<Decision>, Outcome), ServiceError> {
    let accept = set.decide(Hook::Accept, std::slice::from_ref(ticket))?;
    let accepted = accept
        .accept_outcome()
        .map_err(|m| invalid_output(set, Hook::Accept, m))?;
    let mut outcome = Outcome {
        status: Status::Dispatched,
        lead: None,
        assist: vec![],
        mode: None,
        deadlines: BTreeMap::new(),
        rejection: None,
        limits: None,
    };
    match accepted {
        AcceptOutcome::Rejected { reason, redirect } => {
            outcome.status = Status::Rejected;
            outcome.rejection = Some(Rejection {
                reason,
                redirect,
                cite: accept.cite.clone(),
            });
            return Ok((vec![accept], outcome));
        }
        AcceptOutcome::Answered { .. } => {
            outcome.status = Status::Answered;
            return Ok((vec![accept], outcome));
        }
        AcceptOutcome::Accepted => {}
    }

    let routing = set.decide(Hook::Route, std::slice::from_ref(ticket))?;
    let route = routing
        .route()
        .map_err(|m| invalid_output(set, Hook::Route, m))?;
    let lead = unit_ref(set, Hook::Route, &route.lead)?;
    let mut assist: Vec<UnitRef> = Vec::new();
    for id in &route.assist {
        if *id != route.lead && !assist.iter().any(|u| u.id == *id) {
            assist.push(unit_ref(set, Hook::Route, id)?);
        }
    }

    // time_limits sees where the ticket went: a unit's level can change its limits.
    let mut routed = ticket.clone();
    if let Value::Object(fields) = &mut routed {
        fields.insert("lead".into(), json!(lead.id));
        fields.insert(
            "assist".into(),
            json!(assist.iter().map(|u| &u.id).collect::<Vec<_>>()),
        );
        fields.insert("mode".into(), json!(route.mode.as_str()));
    }
    let timing = set.decide(Hook::TimeLimits, &[routed])?;
    let limits = timing
        .time_limits()
        .map_err(|m| invalid_output(set, Hook::TimeLimits, m))?;
    let offset = set.manifest().offset;
    outcome.deadlines = limits
        .lead_clocks()
        .map(|c| {
            (
                c.name.as_str().to_owned(),
                format_instant(c.due.with_timezone(&offset)),
            )
        })
        .collect();
    outcome.limits = Some((limits, timing.cite.clone()));
    outcome.lead = Some(lead);
    outcome.assist = assist;
    outcome.mode = Some(route.mode);
    Ok((vec![accept, routing, timing], outcome))
}

pub(super) fn decision_entry(ticket_id: &str, at: i64, d: &Decision) -> TrailEntry {
    TrailEntry {
        ticket_id: ticket_id.to_owned(),
        seq: 0,
        at,
        kind: EntryKind::Decision,
        actor: format!("policy:{}", d.policy_id),
        hook: Some(d.hook.name().to_owned()),
        outcome: Some(d.outcome.clone()),
        policy_id: Some(d.policy_id.clone()),
        policy_version: Some(d.policy_version.clone()),
        input: d.input.clone(),
        output: d.output.clone(),
        cite: d.cite.clone(),
        notes: d.notes.clone(),
        duration_us: Some(i64::try_from(d.duration.as_micros()).unwrap_or(i64::MAX)),
        prev_hash: String::new(),
        hash: String::new(),
        format: crate::audit::TRAIL_FORMAT,
    }
}

impl Service {
    /// Files a ticket: decides it by its jurisdiction's policy and stores ticket, trail and
    /// clocks atomically. `actor` names who filed it, for the trail. With an idempotency key
    /// seen before, answers the ticket filed then (`replayed`), or refuses another body.
    #[tracing::instrument(name = "file_ticket", skip_all, fields(jurisdiction = %request.jurisdiction, ticket))]
    pub fn file_ticket(
        &self,
        principal: &Principal,
        mut request: NewTicket,
        idempotency_key: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Filing, ServiceError> {
        // Instants are stored to the microsecond: the answer must say what a read will.
        let now = now.trunc_subsecs(6);
        super::require_jurisdiction(principal, &request.jurisdiction)?;
        let actor = principal.name.as_str();
        let body_hash = hex::encode(Sha256::digest(json!(request).to_string()));
        let set = self.served_set(&request.jurisdiction)?;
        validate(&request, &set, now)?;
        request.flags.sort();
        request.flags.dedup();
        let offset: FixedOffset = set.manifest().offset;
        // PY-6 counts from the centre's own receipt time: kept as its claim, bounded unless
        // an admin backfills; the server's receipt time is `created_at`.
        let received_at = bounded_claim(
            principal,
            request.received_at,
            "received_at",
            RECEIVED_TOLERANCE,
            now,
        )?
        .unwrap_or(now)
        .with_timezone(&offset);
        let id = Uuid::now_v7().to_string();
        tracing::Span::current().record("ticket", id.as_str());

        let ticket = policy_ticket(&id, &request, received_at);
        let (decisions, outcome) = decide(&set, &ticket)?;

        let at = to_micros(now);
        let filed = TrailEntry {
            ticket_id: id.clone(),
            seq: 0,
            at,
            kind: EntryKind::Event,
            actor: actor.to_owned(),
            hook: None,
            outcome: Some("filed".into()),
            policy_id: Some(set.id().to_owned()),
            policy_version: Some(set.version().to_owned()),
            input: json!({"request": request, "received_at": format_instant(received_at)}),
            // Who the first round went to: assessments walk the rounds from here.
            output: json!({"status": outcome.status,
                           "lead": outcome.lead.as_ref().map(|u| &u.id),
                           "assist": outcome.assist.iter().map(|u| &u.id).collect::<Vec<_>>()}),
            cite: vec![],
            notes: vec![],
            duration_us: None,
            prev_hash: String::new(),
            hash: String::new(),
            format: crate::audit::TRAIL_FORMAT,
        };
        let trail: Vec<TrailEntry> = std::iter::once(filed)
            .chain(decisions.iter().map(|d| decision_entry(&id, at, d)))
            .collect();

        let ticket = Ticket {
            id: id.clone(),
            jurisdiction: request.jurisdiction.clone(),
            channel: request.channel,
            category: request.category,
            topic: request.topic.clone(),
            flags: request.flags.clone(),
            area: request.area.clone(),
            content: request.content.clone(),
            requester: request.requester.clone(),
            received_at,
            recorded_at: now,
            updated_at: now,
            status: outcome.status,
            lead: outcome.lead.clone(),
            assist: outcome.assist.clone(),
            route_mode: outcome.mode,
            dispatched_at: (outcome.status == Status::Dispatched)
                .then(|| received_at.with_timezone(&Utc)),
            provisional: decisions.iter().any(|d| d.provisional),
            rejection: outcome.rejection.clone(),
            statutory_limit: request.statutory_limit.clone(),
            policy_id: set.id().to_owned(),
            policy_version: set.version().to_owned(),
            revision: 0,
        };
        let clocks = match (&outcome.limits, &outcome.lead) {
            (Some((limits, cite)), Some(lead)) => {
                declared_clocks(limits, cite, lead, &outcome.assist, ticket.provisional)
            }
            _ => vec![],
        };
        // The filed event stands first; decision i stands at offset i + 1.
        let notifications = fired_by_all(&set, &id, &decisions, 1, at);
        // A key is the caller's own: another centre retrying the same key files its own
        // ticket instead of learning this one's id.
        let scope = format!("{}\u{1f}{}", ticket.jurisdiction, principal.name);
        let key = idempotency_key.map(|key| Idempotency {
            scope: &scope,
            key,
            body_hash: &body_hash,
        });
        let trail = match self
            .store
            .insert_ticket(&ticket, trail, &clocks, &notifications, key)?
        {
            Filed::Created(trail) => trail,
            Filed::Replayed(existing) => {
                return Ok(Filing {
                    ticket: self.view(&existing)?,
                    replayed: true,
                });
            }
            Filed::KeyConflict(existing) => {
                return Err(ServiceError::IdempotencyConflict { ticket: existing });
            }
        };
        self.metrics.decided(&decisions);
        self.metrics
            .filed(&ticket.jurisdiction, ticket.status.as_str());
        tracing::info!(
            status = ticket.status.as_str(),
            lead = ticket.lead_id().unwrap_or("-"),
            "ticket filed"
        );
        Ok(Filing {
            ticket: TicketView::from_ticket(ticket, Some(&trail), &clocks, &|id: &str| {
                set.unit(id).map(|u| u.name.clone())
            }),
            replayed: false,
        })
    }
}
