use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

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
) -> Vec<TrailEntry> {
    let (mut seq, mut prev) = last.unwrap_or_else(|| (0, genesis_hash(ticket_id)));
    entries
        .into_iter()
        .map(|mut entry| {
            seq += 1;
            entry.seq = seq;
            entry.ticket_id = ticket_id.to_owned();
            let sealed = entry.seal(prev.clone());
            prev.clone_from(&sealed.hash);
            sealed
        })
        .collect()
}

impl TrailEntry {
    /// The hash of this entry's content and `prev_hash`. JSON is hashed in serde_json's
    /// canonical form (keys sorted), which is also the stored form.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        frame(&mut h, b"jiesu-trail-v1");
        frame(&mut h, self.ticket_id.as_bytes());
        frame(&mut h, &self.seq.to_le_bytes());
        frame(&mut h, &self.at.to_le_bytes());
        frame(&mut h, self.kind.as_str().as_bytes());
        frame(&mut h, self.actor.as_bytes());
        frame_opt(&mut h, self.hook.as_deref());
        frame_opt(&mut h, self.outcome.as_deref());
        frame_opt(&mut h, self.policy_id.as_deref());
        frame_opt(&mut h, self.policy_version.as_deref());
        frame(&mut h, self.input.to_string().as_bytes());
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
        hex::encode(h.finalize())
    }

    /// Sets `prev_hash` and `hash`, appending this entry after `prev`.
    fn seal(mut self, prev_hash: String) -> Self {
        self.prev_hash = prev_hash;
        self.hash = self.compute_hash();
        self
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

/// Recomputes a ticket's chain from its stored entries, in `seq` order.
pub fn verify_chain(ticket_id: &str, entries: &[TrailEntry]) -> ChainStatus {
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
        if entry.compute_hash() != entry.hash {
            return broken("content does not match its hash".into());
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
                }
                .seal(prev.clone());
                prev = entry.hash.clone();
                entry
            })
            .collect()
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let status = verify_chain("t1", &chain(4));
        assert!(status.valid, "{status:?}");
        assert_eq!(status.entries, 4);
    }

    #[test]
    fn any_change_breaks_the_chain_at_that_entry() {
        let mut entries = chain(4);
        entries[2].output = json!({"lead": "y"});
        let status = verify_chain("t1", &entries);
        assert!(!status.valid);
        assert_eq!(status.broken_at, Some(3));

        let mut entries = chain(4);
        entries[1].cite = vec!["AS-2.1".into()];
        assert_eq!(verify_chain("t1", &entries).broken_at, Some(2));
    }

    #[test]
    fn removing_or_reordering_entries_is_detected() {
        let mut entries = chain(4);
        entries.remove(1);
        assert!(!verify_chain("t1", &entries).valid);
        let mut entries = chain(4);
        entries.swap(1, 2);
        assert!(!verify_chain("t1", &entries).valid);
        // A chain moved to another ticket does not verify either.
        assert!(!verify_chain("t2", &chain(2)).valid);
    }

    #[test]
    fn rehashing_a_changed_entry_still_breaks_the_next_link() {
        let mut entries = chain(3);
        entries[0].actor = "someone else".into();
        entries[0].hash = entries[0].compute_hash();
        assert_eq!(verify_chain("t1", &entries).broken_at, Some(2));
    }

    #[test]
    fn none_and_empty_are_different() {
        let mut a = chain(1).remove(0);
        let h1 = a.compute_hash();
        a.hook = Some(String::new());
        assert_ne!(h1, a.compute_hash());
    }
}
