//! Every set's `clauses.toml` quotes its seed verbatim and leaves no sentence of it out: the
//! traceability table is checked against the regulation itself, not against our reading.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use jiesu::policy::Clauses;

const SETS: &[&str] = &[
    "anshan",
    "hohhot",
    "inner-mongolia",
    "puyang-hualong",
    "wushen-police",
];

/// Sentences shorter than this many Chinese characters (headings, dates) need no clause.
const MIN_CJK: usize = 8;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn cjk(text: &str) -> usize {
    text.chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .count()
}

fn clauses_of(id: &str) -> Clauses {
    Clauses::read(&root().join("policies").join(id), id)
        .unwrap()
        .unwrap_or_else(|| panic!("policies/{id}/clauses.toml is missing"))
}

#[test]
fn every_clause_quotes_its_seed_verbatim_and_every_sentence_is_traced() {
    let seeds = root().join("../shared/seeds");
    if !seeds.is_dir() {
        eprintln!(
            "SKIPPED: {} is absent, so clauses cannot be compared with the seeds",
            seeds.display()
        );
        return;
    }
    let mut problems = Vec::new();
    for id in SETS {
        let clauses = clauses_of(id);
        let seed = std::fs::read_to_string(seeds.join(&clauses.seed))
            .unwrap_or_else(|e| panic!("{id}: seed {}: {e}", clauses.seed));
        let seed_squeezed = squeeze(&seed);
        let quoted: Vec<String> = clauses.clause.iter().map(|c| squeeze(&c.text)).collect();
        for (clause, text) in clauses.clause.iter().zip(&quoted) {
            if !seed_squeezed.contains(text.as_str()) {
                problems.push(format!(
                    "{id}: clause `{}` is not verbatim in {}: {}",
                    clause.at,
                    clauses.seed,
                    text.chars().take(40).collect::<String>()
                ));
            }
        }
        for sentence in seed.split(['。', '！', '？', '；', '\n']) {
            let sentence = squeeze(sentence);
            if cjk(&sentence) < MIN_CJK {
                continue;
            }
            if !quoted.iter().any(|q| q.contains(sentence.as_str())) {
                problems.push(format!(
                    "{id}: no clause quotes: {}",
                    sentence.chars().take(60).collect::<String>()
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_set_traces_its_clauses() {
    for id in SETS {
        let clauses = clauses_of(id);
        assert!(!clauses.clause.is_empty(), "{id}: no clauses");
        for clause in &clauses.clause {
            assert!(
                !clause.rules.is_empty()
                    || clause
                        .explained
                        .as_deref()
                        .is_some_and(|e| !e.trim().is_empty()),
                "{id}: clause `{}` is neither encoded nor explained",
                clause.at
            );
        }
    }
}
