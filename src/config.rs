//! Deployment settings: command-line flags and `JIESU_*` variables (clap), over the optional
//! config file, over the defaults of API.md "Running".

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Deserialize;

use crate::domain::{Principal, Role};

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE: &str = "sqlite://data/jiesu.db";
pub const DEFAULT_POLICIES: &str = "./policies";
pub const DEFAULT_PLUGINS: &str = "./plugins";

/// Flags every subcommand that reads policies or the database shares.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Policy sets folder (one sub-folder per jurisdiction).
    #[arg(long, env = "JIESU_POLICIES", value_name = "DIR")]
    pub policies: Option<PathBuf>,
    /// Plugins folder: shared Rhai modules and calendars/.
    #[arg(long, env = "JIESU_PLUGINS", value_name = "DIR")]
    pub plugins: Option<PathBuf>,
    /// Database URL: sqlite://PATH (default sqlite://data/jiesu.db).
    #[arg(long, env = "JIESU_DATABASE_URL", value_name = "URL")]
    pub database: Option<String>,
    /// TOML config file holding the same settings.
    #[arg(long, env = "JIESU_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ed25519 private key (PKCS#8 PEM, `jiesu keygen`) that signs every ledger entry this
    /// process writes; keep it outside the database's reach.
    #[arg(long, env = "JIESU_SIGNING_KEY", value_name = "FILE")]
    pub signing_key: Option<PathBuf>,
}

/// `--jurisdictions a,b`: the policy sets a command works with; default: every set found.
#[derive(Debug, Clone, Args)]
pub struct Jurisdictions {
    /// Only these policy sets (comma-separated ids); default: every set found.
    #[arg(
        long,
        env = "JIESU_JURISDICTIONS",
        value_delimiter = ',',
        value_name = "A,B"
    )]
    pub jurisdictions: Option<Vec<String>>,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "JIESU_BIND", value_name = "ADDR")]
    pub bind: Option<String>,
    /// Seconds between background deadline sweeps; 0 turns the background sweep off.
    #[arg(long, env = "JIESU_SWEEP_INTERVAL", value_name = "SECS")]
    pub sweep_interval: Option<u64>,
    /// A developer's machine: with no token configured, callers on loopback are admin.
    /// Without it a server with no token refuses to start (behind a proxy on the same host,
    /// every caller would be on loopback).
    #[arg(long)]
    pub dev: bool,
    /// Mark the pages' cookies `Secure`: set it when the server is reached over TLS.
    #[arg(long, env = "JIESU_SECURE_COOKIES")]
    pub secure_cookies: bool,
    #[command(flatten)]
    pub only: Jurisdictions,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    /// Sweep as of this instant (RFC 3339); default: now.
    #[arg(long, value_name = "T")]
    pub now: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Decide what would fire and print it, writing nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub only: Jurisdictions,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    /// Candidate policies folder: a copy of policies/ holding the change to try.
    #[arg(long, value_name = "DIR")]
    pub candidate: PathBuf,
    /// Plugins the candidate uses (default: --plugins).
    #[arg(long, value_name = "DIR")]
    pub candidate_plugins: Option<PathBuf>,
    /// Only tickets of this jurisdiction.
    #[arg(long, value_name = "ID")]
    pub jurisdiction: Option<String>,
    /// Only tickets received at or after this instant (RFC 3339).
    #[arg(long, value_name = "T")]
    pub since: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Compare with the version serving now (`active`, the default) or with what was
    /// recorded when each ticket was filed (`recorded`).
    #[arg(long, value_enum, default_value_t = AgainstArg::Active)]
    pub against: AgainstArg,
    /// How many changed tickets to show.
    #[arg(long, default_value_t = 10)]
    pub sample: usize,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AgainstArg {
    Active,
    Recorded,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Print each set's traceability table: clause → rule ids → hooks → golden tests.
    #[arg(long)]
    pub trace: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// A ledger head recorded earlier, `SEQ:HASH` (as `verify` prints it); repeatable.
    #[arg(long, value_name = "SEQ:HASH")]
    pub anchor: Vec<String>,
    /// Public key (`*.pub` from `jiesu keygen`) whose signatures the ledger must carry;
    /// repeatable, for keys rotated or held per instance.
    #[arg(long, value_name = "FILE")]
    pub public_key: Vec<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Clone, Args)]
pub struct KeygenArgs {
    /// Where to write the private key; the public key goes beside it as `FILE.pub`.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// The ticket whose recorded decisions to re-run.
    #[arg(long, value_name = "ID")]
    pub ticket: String,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    bind: Option<String>,
    database: Option<String>,
    policies: Option<PathBuf>,
    plugins: Option<PathBuf>,
    jurisdictions: Option<Vec<String>>,
    sweep_interval: Option<u64>,
    signing_key: Option<PathBuf>,
    #[serde(default)]
    tokens: Vec<TokenConfig>,
}

/// One `[[tokens]]` entry: who holds a secret (only its sha256 is kept) and what it may see.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    pub name: String,
    pub role: Role,
    /// Absent: every jurisdiction.
    #[serde(default)]
    pub jurisdictions: Option<Vec<String>>,
    #[serde(default)]
    pub units: Vec<String>,
    #[serde(default)]
    pub pii: bool,
    /// Hex sha256 of the secret (`jiesu token hash`).
    pub sha256: String,
}

impl TokenConfig {
    /// The digest as bytes, and the principal this token authenticates as.
    pub fn into_principal(self) -> Result<([u8; 32], Principal), String> {
        let digest: [u8; 32] = hex::decode(self.sha256.trim())
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| {
                format!(
                    "token `{}`: sha256 must be 64 hex digits (see `jiesu token hash`)",
                    self.name
                )
            })?;
        if self.role == Role::Unit && self.units.is_empty() {
            return Err(format!(
                "token `{}`: a unit token must name its `units`",
                self.name
            ));
        }
        if self.role != Role::Unit && !self.units.is_empty() {
            return Err(format!(
                "token `{}`: only unit tokens name `units`",
                self.name
            ));
        }
        Ok((
            digest,
            Principal {
                name: self.name,
                role: self.role,
                jurisdictions: self.jurisdictions.map(|js| js.into_iter().collect()),
                units: self.units.into_iter().collect(),
                pii: self.pii,
            },
        ))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file `{}`: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    #[error("--jurisdictions is empty: name at least one policy set, or leave it out to serve all")]
    NoJurisdictions,
}

/// Resolved settings a subcommand runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: String,
    pub database: String,
    pub policies: PathBuf,
    pub plugins: PathBuf,
    pub jurisdictions: Option<BTreeSet<String>>,
    /// `JIESU_ADMIN_TOKEN`: a bootstrap admin bearer token.
    pub admin_token: Option<String>,
    /// Seconds between background sweeps; 0: none.
    pub sweep_interval: u64,
    /// `[[tokens]]` of the config file.
    pub tokens: Vec<TokenConfig>,
    /// The ledger's signing key.
    pub signing_key: Option<PathBuf>,
}

pub const DEFAULT_SWEEP_INTERVAL: u64 = 60;

fn read_config(path: &Path) -> Result<ConfigFile, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

impl Settings {
    pub fn resolve(common: &CommonArgs, serve: Option<&ServeArgs>) -> Result<Self, ConfigError> {
        let file = match &common.config {
            Some(path) => read_config(path)?,
            None => ConfigFile::default(),
        };
        let jurisdictions = serve
            .and_then(|s| s.only.jurisdictions.clone())
            .or(file.jurisdictions)
            .map(|ids| {
                ids.into_iter()
                    .map(|id| id.trim().to_owned())
                    .filter(|id| !id.is_empty())
                    .collect::<BTreeSet<_>>()
            });
        if jurisdictions.as_ref().is_some_and(BTreeSet::is_empty) {
            return Err(ConfigError::NoJurisdictions);
        }
        Ok(Self {
            bind: serve
                .and_then(|s| s.bind.clone())
                .or(file.bind)
                .unwrap_or_else(|| DEFAULT_BIND.to_owned()),
            database: common
                .database
                .clone()
                .or(file.database)
                .unwrap_or_else(|| DEFAULT_DATABASE.to_owned()),
            policies: common
                .policies
                .clone()
                .or(file.policies)
                .unwrap_or_else(|| DEFAULT_POLICIES.into()),
            plugins: common
                .plugins
                .clone()
                .or(file.plugins)
                .unwrap_or_else(|| DEFAULT_PLUGINS.into()),
            jurisdictions,
            sweep_interval: serve
                .and_then(|s| s.sweep_interval)
                .or(file.sweep_interval)
                .unwrap_or(DEFAULT_SWEEP_INTERVAL),
            admin_token: std::env::var("JIESU_ADMIN_TOKEN")
                .ok()
                .filter(|t| !t.is_empty()),
            tokens: file.tokens,
            signing_key: common.signing_key.clone().or(file.signing_key),
        })
    }
}
