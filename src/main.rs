use std::process::ExitCode;

use clap::{Parser, Subcommand};
use jiesu::cli;
use jiesu::config::{
    CheckArgs, CommonArgs, KeygenArgs, ReplayArgs, ServeArgs, SimulateArgs, SweepArgs, VerifyArgs,
};

/// jiesu (接诉): a rules server for 12345 government-service hotlines.
#[derive(Parser)]
#[command(name = "jiesu", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (API.md).
    Serve(ServeArgs),
    /// Compile every policy set, run its golden tests and trace its seed's clauses; non-zero
    /// exit on any failure.
    Check(CheckArgs),
    /// Create or upgrade the database schema.
    Migrate(CommonArgs),
    /// Run the deadline sweep once and print what fired (JSON).
    Sweep(SweepArgs),
    /// Re-decide stored tickets with candidate policies and report what would change.
    Simulate(SimulateArgs),
    /// Recompute every trail's hash chain and the ledger; non-zero exit naming what is broken.
    Verify(VerifyArgs),
    /// Re-run a ticket's recorded decisions with their stored policy versions and compare.
    Replay(ReplayArgs),
    /// Make the Ed25519 key pair that signs the ledger (private FILE, public FILE.pub).
    Keygen(KeygenArgs),
    /// Token helpers for the config file's [[tokens]].
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Read a secret token on stdin and print its sha256, for `sha256 = "…"`.
    Hash,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli::init_tracing();
    let outcome = match cli.command {
        Command::Serve(args) => cli::serve(&args),
        Command::Check(args) => cli::check(&args),
        Command::Migrate(args) => cli::migrate(&args),
        Command::Sweep(args) => cli::sweep(&args),
        Command::Simulate(args) => cli::simulate(&args),
        Command::Token(TokenCommand::Hash) => cli::token_hash(),
        Command::Verify(args) => cli::verify(&args),
        Command::Replay(args) => cli::replay(&args),
        Command::Keygen(args) => cli::keygen(&args),
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            eprintln!("jiesu: {err}");
            ExitCode::FAILURE
        }
    }
}
