use std::fmt;

use serde::Serialize;

/// Where in a policy's sources something went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceLocation {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "{}:{line}:{column}: {}", self.file, self.message)
            }
            (Some(line), None) => write!(f, "{}:{line}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// 1-based line and column (in characters) of a byte offset into `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A TOML file an administrator wrote that does not parse or does not fit its schema: the
/// file, the line and column of the offending span, and the parser's own sentence.
pub(crate) fn toml_error(file: &str, text: &str, error: &toml::de::Error) -> PolicyError {
    let pos = error.span().map(|s| line_column(text, s.start));
    PolicyError::Source(SourceLocation {
        file: file.to_owned(),
        line: pos.map(|p| p.0),
        column: pos.map(|p| p.1),
        message: error.message().trim_end().to_owned(),
    })
}

/// A policy set that cannot be loaded: it keeps its previous version, if any.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PolicyError {
    #[error("{0}")]
    Source(SourceLocation),
    #[error("policy set `{id}` extends `{parent}`, which does not exist")]
    MissingParent { id: String, parent: String },
    #[error(
        "policy set `{id}` extends `{parent}`, which is not a set folder under policies/; hint: `extends` names a set id such as \"inner-mongolia\""
    )]
    OutsideExtends { id: String, parent: String },
    #[error("policy set `{id}` extends itself through `{chain}`")]
    ExtendsCycle { id: String, chain: String },
    #[error("policy set `{id}` names calendar `{calendar}`, which is not under plugins/calendars")]
    MissingCalendar { id: String, calendar: String },
    #[error("calendars: {0}")]
    Calendar(String),
    #[error("cannot activate: {0}")]
    Activation(String),
    #[error("golden test {file} `{case}` failed: {message}")]
    GoldenFailed {
        file: String,
        case: String,
        message: String,
    },
}

impl PolicyError {
    /// The location to show an administrator: file, line and column where known.
    pub fn location(&self) -> SourceLocation {
        match self {
            Self::Source(loc) => loc.clone(),
            Self::GoldenFailed { file, .. } => SourceLocation {
                file: file.clone(),
                line: None,
                column: None,
                message: self.to_string(),
            },
            other => SourceLocation {
                file: String::new(),
                line: None,
                column: None,
                message: other.to_string(),
            },
        }
    }
}

/// One decision that could not be made. The server, and every other decision, goes on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DecisionError {
    #[error("policy set `{policy}` defines no `{hook}` hook")]
    MissingHook { policy: String, hook: &'static str },
    #[error("policy `{policy}` hook `{hook}` failed at {location}")]
    Script {
        policy: String,
        hook: &'static str,
        location: SourceLocation,
    },
    #[error("policy `{policy}` hook `{hook}` returned an invalid decision: {message}")]
    InvalidOutput {
        policy: String,
        hook: &'static str,
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_from_one_in_characters() {
        let text = "a = 1\nb = [\n  x";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, 14), (3, 3));
        // A byte offset inside a Chinese character never splits it.
        assert_eq!(line_column("名 = 1", 1), (1, 1));
        assert_eq!(line_column("名 = 1", 4), (1, 3));
    }

    #[test]
    fn a_toml_error_carries_its_line_and_column() {
        let text = "a = 1\nb = = 2\n";
        let err = toml::from_str::<toml::Table>(text).expect_err("bad toml");
        let loc = toml_error("policies/x/rules.toml", text, &err).location();
        assert_eq!(loc.line, Some(2));
        assert!(loc.column.is_some());
        assert!(!loc.message.contains("TOML parse error"), "{}", loc.message);
    }
}
