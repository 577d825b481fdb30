//! `policies/<id>/clauses.toml`: the set's seed regulation clause by clause, each traced to
//! the rule ids that encode it or explained where no decision does. `jiesu check` fails on a
//! clause that is neither, on a clause naming an id `rules.toml` lacks, and on a rule that no
//! clause (of this set or, for an inherited rule, of the set it extends) traces.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

use super::error::{PolicyError, SourceLocation, toml_error};
use super::rules::RuleBook;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    /// Article, section or item number as the seed numbers it.
    pub at: String,
    /// The seed's sentence(s), verbatim.
    pub text: String,
    /// A simplified-Chinese reading where the seed is traditional or garbled.
    #[serde(default)]
    pub plain: Option<String>,
    #[serde(default)]
    pub rules: Vec<String>,
    /// Why no decision encodes it.
    #[serde(default)]
    pub explained: Option<String>,
    /// Ambiguity, or a conflict with another clause, and the reading applied.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clauses {
    /// The seed file (under `shared/seeds/`) the clauses are quoted from.
    pub seed: String,
    #[serde(default)]
    pub clause: Vec<Clause>,
}

/// How far a set's clauses are traced.
#[derive(Debug, Clone, Default)]
pub struct ClauseCoverage {
    pub total: usize,
    pub encoded: usize,
    pub explained: usize,
    /// One line per problem, each with its location and a hint.
    pub problems: Vec<String>,
}

impl ClauseCoverage {
    pub fn complete(&self) -> bool {
        self.problems.is_empty() && self.total > 0
    }
}

impl Clauses {
    pub fn label(id: &str) -> String {
        format!("policies/{id}/clauses.toml")
    }

    /// Reads `clauses.toml`; a set without one has traced nothing (`Ok(None)`).
    pub fn read(set_dir: &Path, id: &str) -> Result<Option<Self>, PolicyError> {
        let label = Self::label(id);
        let text = match super::confine::read_within(set_dir, &set_dir.join("clauses.toml")) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(PolicyError::Source(SourceLocation {
                    file: label,
                    line: None,
                    column: None,
                    message: format!("cannot read: {e}"),
                }));
            }
        };
        toml::from_str(&text)
            .map(Some)
            .map_err(|e| toml_error(&label, &text, &e))
    }

    /// Every clause encoded or explained, every id it names listed, every listed rule traced
    /// here or `inherited` (listed by a set this one extends).
    pub fn coverage(
        &self,
        id: &str,
        rules: &RuleBook,
        inherited: &BTreeSet<String>,
    ) -> ClauseCoverage {
        let label = Self::label(id);
        let listed = rules.ids();
        let mut coverage = ClauseCoverage {
            total: self.clause.len(),
            ..ClauseCoverage::default()
        };
        let mut traced: BTreeSet<&str> = BTreeSet::new();
        for (index, clause) in self.clause.iter().enumerate() {
            let place = format!("{label}: clause {} (`{}`)", index + 1, clause.at);
            if clause.text.trim().is_empty() {
                coverage.problems.push(format!(
                    "{place}: has no text; hint: quote the seed's sentence verbatim"
                ));
            }
            let explained = clause
                .explained
                .as_deref()
                .is_some_and(|e| !e.trim().is_empty());
            match (clause.rules.is_empty(), explained) {
                (false, _) => coverage.encoded += 1,
                (true, true) => coverage.explained += 1,
                (true, false) => coverage.problems.push(format!(
                    "{place}: is neither encoded nor explained; hint: name the rule ids that decide it in `rules`, or say in `explained` why no decision does"
                )),
            }
            for rule in &clause.rules {
                traced.insert(rule);
                if !listed.contains(rule.as_str()) && !inherited.contains(rule) {
                    coverage.problems.push(format!(
                        "{place}: names rule `{rule}`, which rules.toml does not list; hint: add it to policies/{id}/rules.toml with its hooks and text"
                    ));
                }
            }
        }
        for rule in listed {
            if !traced.contains(rule) && !inherited.contains(rule) {
                coverage.problems.push(format!(
                    "policies/{id}/rules.toml: rule `{rule}` traces to no clause of the seed; hint: name it in the `rules` of the clause it encodes"
                ));
            }
        }
        coverage
    }

    /// The clauses that name `rule`.
    pub fn tracing<'a>(&'a self, rule: &'a str) -> impl Iterator<Item = &'a Clause> + 'a {
        self.clause
            .iter()
            .filter(move |c| c.rules.iter().any(|r| r == rule))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(ids: &[&str]) -> RuleBook {
        let text: String = ids
            .iter()
            .map(|id| format!("[[rule]]\nid = \"{id}\"\ntext = \"t\"\n"))
            .collect();
        toml::from_str(&text).expect("rules")
    }

    fn clauses(text: &str) -> Clauses {
        toml::from_str(text).expect("clauses")
    }

    #[test]
    fn a_clause_neither_encoded_nor_explained_fails_with_a_hint() {
        let c = clauses(
            "seed = \"s.txt\"\n[[clause]]\nat = \"一\"\ntext = \"甲\"\nrules = [\"X-1\"]\n[[clause]]\nat = \"二\"\ntext = \"乙\"\n[[clause]]\nat = \"三\"\ntext = \"丙\"\nexplained = \"heading\"\n",
        );
        let coverage = c.coverage("x", &book(&["X-1"]), &BTreeSet::new());
        assert_eq!(
            (coverage.total, coverage.encoded, coverage.explained),
            (3, 1, 1)
        );
        assert_eq!(coverage.problems.len(), 1, "{:?}", coverage.problems);
        assert!(coverage.problems[0].contains("clause 2 (`二`)"));
        assert!(coverage.problems[0].contains("hint:"));
    }

    #[test]
    fn unknown_and_untraced_rules_fail_inherited_ones_pass() {
        let c = clauses(
            "seed = \"s.txt\"\n[[clause]]\nat = \"一\"\ntext = \"甲\"\nrules = [\"X-9\"]\n",
        );
        let inherited: BTreeSet<String> = ["P-1".to_owned()].into();
        let coverage = c.coverage("x", &book(&["X-1", "P-1"]), &inherited);
        assert!(!coverage.complete());
        assert!(
            coverage
                .problems
                .iter()
                .any(|p| p.contains("`X-9`, which rules.toml does not list"))
        );
        assert!(
            coverage
                .problems
                .iter()
                .any(|p| p.contains("rule `X-1` traces to no clause"))
        );
        assert!(!coverage.problems.iter().any(|p| p.contains("P-1")));
    }
}
