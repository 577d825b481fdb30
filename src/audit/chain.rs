use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The format new entries are sealed in. Format 1 hashed the requester in the clear, so a
/// masked view beside the hash let the mask be brute-forced; format 2 hashes a commitment
/// keyed by the ticket's secret instead (IM-15, 个人信息保护法).
pub const TRAIL_FORMAT: i32 = 2;

/// What an erased requester is replaced by in the trail: its commitment, so every hash
/// still verifies while the personal data and the secret are gone.
pub const ERASED: &str = "$erased";

/// The commitment to a requester: sha256 over the ticket's secret and the requester's JSON.
/// Without the secret, a guess at the name or phone cannot be checked against it.
pub fn commitment(secret: &[u8], requester: &Value) -> String {
    let mut h = Sha256::new();
    frame(&mut h, b"jiesu-pii-v1");
    frame(&mut h, secret);
    frame(&mut h, requester.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// The requester of a filing, inside its event's input (`request.requester`).
pub fn requester_of(input: &Value) -> Option<&Value> {
    input
        .get("request")
        .and_then(|r| r.get("requester"))
        .filter(|r| !r.is_null())
}

/// Why an entry's hash cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingSecret;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Something someone did: filed, signed, asked for an extension.
    Event,
    /// What a policy hook decided.
    Decision,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Event => "event",
            Self::Decision => "decision",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "event" => Some(Self::Event),
            "decision" => Some(Self::Decision),
            _ => None,
        }
    }
}

/// One entry of a ticket's trail, exactly as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct TrailEntry {
    pub ticket_id: String,
    pub seq: i64,
    /// Unix microseconds.
    pub at: i64,
    pub kind: EntryKind,
    pub actor: String,
    pub hook: Option<String>,
    pub outcome: Option<String>,
    pub policy_id: Option<String>,
    pub policy_version: Option<String>,
    pub input: Value,
    pub output: Value,
    pub cite: Vec<String>,
    pub notes: Vec<String>,
    pub duration_us: Option<i64>,
    pub prev_hash: String,
    pub hash: String,
    /// How the hash is computed: [`TRAIL_FORMAT`] for new entries.
    pub format: i32,
}

fn frame(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

fn frame_opt(hasher: &mut Sha256, text: Option<&str>) {
    match text {
        // A distinct marker, so `None` and `Some("")` hash differently.
        None => hasher.update(u64::MAX.to_le_bytes()),
        Some(t) => frame(hasher, t.as_bytes()),
    }
}

/// The `prev_hash` of a ticket's first entry: binds the chain to the ticket id.
pub fn genesis_hash(ticket_id: &str) -> String {
    let mut hasher = Sha256::new();
    frame(&mut hasher, b"jiesu-trail-genesis-v1");
    frame(&mut hasher, ticket_id.as_bytes());
    hex::encode(hasher.finalize())
}

/// The one place entries are numbered and chained: after a ticket's last stored entry
/// (`(seq, hash)`), or from the genesis of a new trail.
pub fn seal_after(
    ticket_id: &str,
    last: Option<(i64, String)>,
    entries: Vec<TrailEntry>,
    secret: Option<&[u8]>,
) -> Result<Vec<TrailEntry>, MissingSecret> {
    let (mut seq, mut prev) = last.unwrap_or_else(|| (0, genesis_hash(ticket_id)));
    entries
        .into_iter()
        .map(|mut entry| {
            seq += 1;
            entry.seq = seq;
            entry.ticket_id = ticket_id.to_owned();
            entry.format = TRAIL_FORMAT;
            let sealed = entry.seal(prev.clone(), secret)?;
            prev.clone_from(&sealed.hash);
            Ok(sealed)
        })
        .collect()
}

impl TrailEntry {
    /// The input as hashed: in format 2 the requester is replaced by its commitment.
    fn hashed_input(&self, secret: Option<&[u8]>) -> Result<Cow<'_, Value>, MissingSecret> {
        if self.format < 2 {
            return Ok(Cow::Borrowed(&self.input));
        }
        let Some(requester) = requester_of(&self.input) else {
            return Ok(Cow::Borrowed(&self.input));
        };
        // Only a requester that is the erasure marker alone, on a ticket whose secret is
        // gone, stands for its commitment; anything else is committed as it stands, so a
        // name added beside the marker, or a marker put on a live ticket, fails the hash.
        let marker = requester
            .as_object()
            .filter(|fields| fields.len() == 1)
            .and_then(|fields| fields.get(ERASED))
            .and_then(Value::as_str);
        let committed = match (marker, secret) {
            (Some(erased), None) => erased.to_owned(),
            (_, Some(secret)) => commitment(secret, requester),
            (None, None) => return Err(MissingSecret),
        };
        let mut input = self.input.clone();
        if let Some(slot) = input
            .get_mut("request")
            .and_then(|r| r.get_mut("requester"))
        {
            *slot = Value::String(committed);
        }
        Ok(Cow::Owned(input))
    }

    /// Whether this entry's hash covers personal data in the clear (format 1, a requester):
    /// such a hash is not shown to those who may not see the data.
    pub fn hashes_personal_data(&self) -> bool {
        self.format < 2 && requester_of(&self.input).is_some()
    }

    /// The hash of this entry's content and `prev_hash`. JSON is hashed in serde_json's
    /// canonical form (keys sorted), which is also the stored form. `secret` is the ticket's,
    /// needed when the entry carries a requester.
    pub fn compute_hash(&self, secret: Option<&[u8]>) -> Result<String, MissingSecret> {
        if !(1..=TRAIL_FORMAT).contains(&self.format) {
            return Ok(format!("(unknown format {})", self.format));
        }
        let input = self.hashed_input(secret)?;
        let mut h = Sha256::new();
        frame(
            &mut h,
            if self.format < 2 {
                b"jiesu-trail-v1"
            } else {
                b"jiesu-trail-v2"
            },
        );
        frame(&mut h, self.ticket_id.as_bytes());
        frame(&mut h, &self.seq.to_le_bytes());
        frame(&mut h, &self.at.to_le_bytes());
        frame(&mut h, self.kind.as_str().as_bytes());
        frame(&mut h, self.actor.as_bytes());
        frame_opt(&mut h, self.hook.as_deref());
        frame_opt(&mut h, self.outcome.as_deref());
        frame_opt(&mut h, self.policy_id.as_deref());
        frame_opt(&mut h, self.policy_version.as_deref());
        frame(&mut h, input.to_string().as_bytes());
        frame(&mut h, self.output.to_string().as_bytes());
        frame(
            &mut h,
            Value::from(self.cite.clone()).to_string().as_bytes(),
        );
        frame(
            &mut h,
            Value::from(self.notes.clone()).to_string().as_bytes(),
        );
        frame_opt(&mut h, self.duration_us.map(|d| d.to_string()).as_deref());
        frame(&mut h, self.prev_hash.as_bytes());
        Ok(hex::encode(h.finalize()))
    }

    /// Sets `prev_hash` and `hash`, appending this entry after `prev`.
    fn seal(mut self, prev_hash: String, secret: Option<&[u8]>) -> Result<Self, MissingSecret> {
        self.prev_hash = prev_hash;
        self.hash = self.compute_hash(secret)?;
        Ok(self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainStatus {
    pub valid: bool,
    pub entries: usize,
    /// The first entry that does not verify, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Recomputes a ticket's chain from its stored entries, in `seq` order, with the ticket's
/// secret (`None` once its requester is erased).
pub fn verify_chain(ticket_id: &str, entries: &[TrailEntry], secret: Option<&[u8]>) -> ChainStatus {
    let mut expected_prev = genesis_hash(ticket_id);
    for (index, entry) in entries.iter().enumerate() {
        let broken = |reason: String| ChainStatus {
            valid: false,
            entries: entries.len(),
            broken_at: Some(entry.seq),
            reason: Some(reason),
        };
        if entry.ticket_id != ticket_id {
            return broken("entry belongs to another ticket".into());
        }
        if entry.seq != index as i64 + 1 {
            return broken(format!("expected seq {}, found {}", index + 1, entry.seq));
        }
        if entry.prev_hash != expected_prev {
            return broken("prev_hash does not match the previous entry".into());
        }
        match entry.compute_hash(secret) {
            Ok(hash) if hash == entry.hash => {}
            Ok(_) => return broken("content does not match its hash".into()),
            Err(MissingSecret) => {
                return broken(
                    "its requester is committed with the ticket's secret, which is missing: deleted around the server".into(),
                );
            }
        }
        expected_prev = entry.hash.clone();
    }
    ChainStatus {
        valid: !entries.is_empty(),
        entries: entries.len(),
        broken_at: None,
        reason: entries
            .is_empty()
            .then(|| "the ticket has no trail".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn chain(n: i64) -> Vec<TrailEntry> {
        let mut prev = genesis_hash("t1");
        (1..=n)
            .map(|seq| {
                let entry = TrailEntry {
                    ticket_id: "t1".into(),
                    seq,
                    at: 1_700_000_000_000_000 + seq,
                    kind: EntryKind::Decision,
                    actor: "policy".into(),
                    hook: Some("route".into()),
                    outcome: Some("direct".into()),
                    policy_id: Some("anshan".into()),
                    policy_version: Some("v".into()),
                    input: json!({"ticket": {"topic": "noise", "b": 1, "a": 2}}),
                    output: json!({"lead": "x"}),
                    cite: vec!["AS-3".into()],
                    notes: vec![],
                    duration_us: Some(12),
                    prev_hash: String::new(),
                    hash: String::new(),
                    format: TRAIL_FORMAT,
                }
                .seal(prev.clone(), None)
                .unwrap();
                prev = entry.hash.clone();
                entry
            })
            .collect()
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let status = verify_chain("t1", &chain(4), None);
        assert!(status.valid, "{status:?}");
        assert_eq!(status.entries, 4);
    }

    #[test]
    fn any_change_breaks_the_chain_at_that_entry() {
        let mut entries = chain(4);
        entries[2].output = json!({"lead": "y"});
        let status = verify_chain("t1", &entries, None);
        assert!(!status.valid);
        assert_eq!(status.broken_at, Some(3));

        let mut entries = chain(4);
        entries[1].cite = vec!["AS-2.1".into()];
        assert_eq!(verify_chain("t1", &entries, None).broken_at, Some(2));
    }

    #[test]
    fn removing_or_reordering_entries_is_detected() {
        let mut entries = chain(4);
        entries.remove(1);
        assert!(!verify_chain("t1", &entries, None).valid);
        let mut entries = chain(4);
        entries.swap(1, 2);
        assert!(!verify_chain("t1", &entries, None).valid);
        // A chain moved to another ticket does not verify either.
        assert!(!verify_chain("t2", &chain(2), None).valid);
    }

    #[test]
    fn rehashing_a_changed_entry_still_breaks_the_next_link() {
        let mut entries = chain(3);
        entries[0].actor = "someone else".into();
        entries[0].hash = entries[0].compute_hash(None).unwrap();
        assert_eq!(verify_chain("t1", &entries, None).broken_at, Some(2));
    }

    #[test]
    fn none_and_empty_are_different() {
        let mut a = chain(1).remove(0);
        let h1 = a.compute_hash(None).unwrap();
        a.hook = Some(String::new());
        assert_ne!(h1, a.compute_hash(None).unwrap());
    }

    #[test]
    fn a_requester_is_hashed_through_its_commitment_and_survives_erasure() {
        let mut filed = chain(1).remove(0);
        filed.input = json!({"request": {"requester": {"name": "王五", "phone": "13812345678"}}});
        let secret = [7u8; 32];
        assert_eq!(filed.compute_hash(None), Err(MissingSecret));
        let hash = filed.compute_hash(Some(&secret)).unwrap();
        // Another secret, another hash: the masked value cannot be checked without it.
        assert_ne!(hash, filed.compute_hash(Some(&[8u8; 32])).unwrap());
        let committed = commitment(&secret, requester_of(&filed.input).unwrap());
        filed.input = json!({"request": {"requester": {ERASED: committed}}});
        assert_eq!(filed.compute_hash(None).unwrap(), hash);
        assert!(!filed.hashes_personal_data());
        filed.input = json!({"request": {"requester": {"name": "王五"}}});
        filed.format = 1;
        assert!(
            filed.hashes_personal_data(),
            "format 1 hashed the name itself"
        );
    }
}
