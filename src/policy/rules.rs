//! `policies/<id>/rules.toml`: the rule ids a set implements, with their text, and how many
//! of them its golden tests exercise.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::error::{PolicyError, SourceLocation, toml_error};
use super::golden::GoldenReport;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    #[serde(default)]
    pub hooks: Vec<String>,
    pub text: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleBook {
    #[serde(default)]
    pub rule: Vec<Rule>,
}

impl RuleBook {
    /// Reads `rules.toml` of a set folder; a set without one lists no rules.
    pub fn read(set_dir: &Path, id: &str) -> Result<Self, PolicyError> {
        let path = set_dir.join("rules.toml");
        let label = format!("policies/{id}/rules.toml");
        let text = match super::confine::read_within(set_dir, &path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(located(&label, format!("cannot read: {e}"))),
        };
        let book: Self = toml::from_str(&text).map_err(|e| toml_error(&label, &text, &e))?;
        let mut seen = BTreeSet::new();
        if let Some(dup) = book.rule.iter().find(|r| !seen.insert(r.id.as_str())) {
            return Err(located(
                &label,
                format!("rule `{}` is listed twice", dup.id),
            ));
        }
        Ok(book)
    }

    /// The rule texts of a stored version's sources (`policies/<id>/rules.toml` of the set
    /// and its parents), by id: what the auditor sees beside a decision made by it.
    pub fn texts_of(
        sources: &std::collections::BTreeMap<String, String>,
    ) -> std::collections::BTreeMap<String, String> {
        let mut texts = std::collections::BTreeMap::new();
        for (path, text) in sources {
            if path.starts_with("policies/")
                && path.ends_with("/rules.toml")
                && let Ok(book) = toml::from_str::<Self>(text)
            {
                for rule in book.rule {
                    texts.entry(rule.id).or_insert(rule.text);
                }
            }
        }
        texts
    }

    pub fn ids(&self) -> BTreeSet<&str> {
        self.rule.iter().map(|r| r.id.as_str()).collect()
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rule.iter().find(|r| r.id == id)
    }

    /// Which listed rules the golden tests assert, and which cited ids are not listed.
    pub fn coverage(&self, report: &GoldenReport) -> Coverage {
        let listed = self.ids();
        Coverage {
            listed: listed.len(),
            untested: listed
                .iter()
                .filter(|id| !report.cited.contains(**id))
                .map(|id| (*id).to_owned())
                .collect(),
            unlisted: report
                .cited
                .iter()
                .filter(|id| !listed.contains(id.as_str()))
                .cloned()
                .collect(),
        }
    }
}

fn located(file: &str, message: String) -> PolicyError {
    PolicyError::Source(SourceLocation {
        file: file.to_owned(),
        line: None,
        column: None,
        message,
    })
}

#[derive(Debug, Clone)]
pub struct Coverage {
    pub listed: usize,
    /// Listed rules no passing golden case asserts.
    pub untested: Vec<String>,
    /// Ids golden cases cite that `rules.toml` does not list.
    pub unlisted: Vec<String>,
}

impl Coverage {
    pub fn complete(&self) -> bool {
        self.untested.is_empty() && self.unlisted.is_empty()
    }
}
