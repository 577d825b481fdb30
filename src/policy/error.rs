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

/// A policy set that cannot be loaded: it keeps its previous version, if any.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PolicyError {
    #[error("{0}")]
    Source(SourceLocation),
    #[error("policy set `{id}` extends `{parent}`, which does not exist")]
    MissingParent { id: String, parent: String },
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
