//! The subcommands behind `main`: each resolves settings, runs, and says what happened.

use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::Arc;

use tracing_subscriber::EnvFilter;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use crate::audit::{Signer, Verifier, keygen as keygen_pair, public_path};
use crate::calendar;
use crate::config::{
    AgainstArg, CheckArgs, CommonArgs, ConfigError, KeygenArgs, ReplayArgs, ServeArgs, Settings,
    SimulateArgs, SweepArgs, VerifyArgs,
};
use crate::http::{self, AuthConfig};
use crate::policy::{
    CaseResult, ClauseCoverage, Clauses, CompiledSet, GoldenReport, Paths, PolicyError, Registry,
    RegistryError, RoutingGap, RoutingReport, RuleBook, check_routing, compile_set, discover_sets,
    run_golden_tests,
};
use crate::service::{Service, ServiceError, Simulation, replay_ticket, verify_store};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("cannot listen on `{addr}`: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Server(std::io::Error),
    #[error("cannot list policy sets: {0}")]
    Discover(std::io::Error),
    #[error("cannot watch the policy folders: {0}")]
    Watch(String),
    #[error("config file [[tokens]]: {0}")]
    Tokens(String),
    #[error("{0}")]
    Usage(String),
    #[error("signing key: {0}")]
    Key(String),
}

/// Logs go to stderr; `JIESU_LOG` filters (default `info`), `JIESU_LOG_FORMAT=json` for JSON.
pub fn init_tracing() {
    let filter = EnvFilter::try_from_env("JIESU_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("JIESU_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn paths(settings: &Settings) -> Paths {
    Paths {
        policies: settings.policies.clone(),
        plugins: settings.plugins.clone(),
    }
}

pub fn serve(args: &ServeArgs) -> Result<ExitCode, CliError> {
    let settings = Settings::resolve(&args.common, Some(args))?;
    // A bad token entry stops the server before it touches the database.
    let mut tokens = Vec::new();
    for token in settings.tokens.clone() {
        let (digest, principal) = token.into_principal().map_err(CliError::Tokens)?;
        // The name is the actor on the trail and scopes idempotency keys: two tokens with
        // one name (or one named like the bootstrap admin) would pass for each other.
        if principal.name == "admin"
            || tokens
                .iter()
                .any(|(_, p): &([u8; 32], crate::domain::Principal)| p.name == principal.name)
        {
            return Err(CliError::Tokens(format!(
                "token `{}`: names must be unique (and `admin` is the bootstrap admin's)",
                principal.name
            )));
        }
        tokens.push((digest, principal));
    }
    let open_to_loopback = settings.admin_token.is_none() && tokens.is_empty();
    if open_to_loopback && !args.dev {
        return Err(CliError::Usage(
            "no token is configured, so nobody could call this server; hint: set JIESU_ADMIN_TOKEN or declare [[tokens]] in --config (README, \"Who may call\"); on a developer's machine, `serve --dev` lets loopback callers in as admin".into(),
        ));
    }
    let auth = AuthConfig::new(settings.admin_token.as_deref(), tokens, open_to_loopback);
    let store = writable_store(&settings, Store::connect(&settings.database)?)?;
    // A trigger or table added around the server would change rows before they are sealed.
    let differences = store.schema_differences()?;
    if !differences.is_empty() {
        return Err(CliError::Usage(format!(
            "the database's schema is not the one the migrations made, so writes could be altered before they are sealed: {}; hint: remove what was added (`jiesu verify` lists it), then start again",
            differences.join("; ")
        )));
    }
    let registry = Arc::new(Registry::load(
        paths(&settings),
        settings.jurisdictions.clone(),
    )?);
    let service = Arc::new(Service::new(Arc::clone(&registry), store)?);
    let _watcher =
        crate::policy::watch(Arc::clone(&registry)).map_err(|e| CliError::Watch(e.to_string()))?;
    let listener = TcpListener::bind(&settings.bind).map_err(|source| CliError::Bind {
        addr: settings.bind.clone(),
        source,
    })?;
    if settings.sweep_interval > 0 {
        spawn_sweeper(
            Arc::clone(&service),
            Duration::from_secs(settings.sweep_interval),
        );
    }
    if open_to_loopback {
        tracing::warn!(
            "--dev and no token configured: loopback callers are admin, everyone else gets 401"
        );
    }
    actix_web::rt::System::new()
        .block_on(http::serve(listener, service, auth, args.secure_cookies))
        .map_err(CliError::Server)?;
    Ok(ExitCode::SUCCESS)
}

/// Sweeps on a timer in a thread of its own, so a long sweep never holds an HTTP worker.
/// Several servers may sweep the same database: each clock fires once (store guards).
fn spawn_sweeper(service: Arc<Service>, every: Duration) {
    let spawned = crate::policy::stack::spawn("jiesu-sweeper", move || {
        loop {
            std::thread::sleep(every);
            if let Err(e) = service.sweep(chrono::Utc::now()) {
                tracing::error!(error = %e, "background sweep failed");
            }
        }
    });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the background sweeper");
    }
}

pub fn sweep(args: &SweepArgs) -> Result<ExitCode, CliError> {
    let settings = Settings::resolve(&args.common, None)?;
    let only = args
        .only
        .jurisdictions
        .clone()
        .map(|ids| ids.into_iter().collect());
    // A sweep of a database that is not there would sweep an empty one it just made.
    let store = writable_store(&settings, Store::connect_existing(&settings.database)?)?;
    let registry = Arc::new(Registry::load(paths(&settings), only)?);
    let service = Service::new(registry, store)?;
    let now = args
        .now
        .map_or_else(chrono::Utc::now, |t| t.with_timezone(&chrono::Utc));
    let fired = if args.dry_run {
        service.sweep_preview(now, None)?
    } else {
        service.sweep(now)?
    };
    println!(
        "{}",
        serde_json::json!({ "fired": fired, "dry_run": args.dry_run })
    );
    Ok(ExitCode::SUCCESS)
}

/// Compiles every set found under `paths` (or only `only`); the first that fails is printed.
fn compile_all(
    paths: &Paths,
    label: &str,
    only: Option<&str>,
) -> Result<Option<HashMap<String, Arc<CompiledSet>>>, CliError> {
    let calendars = match calendar::load_dir(&paths.calendars()) {
        Ok(c) => c,
        Err(e) => {
            println!("✗ {label} calendars: {e}");
            return Ok(None);
        }
    };
    let mut sets = HashMap::new();
    for id in discover_sets(&paths.policies).map_err(CliError::Discover)? {
        if only.is_some_and(|j| j != id) {
            continue;
        }
        match compile_set(paths, &calendars, &id) {
            Ok(set) => {
                sets.insert(id, Arc::new(set));
            }
            Err(e) => {
                println!("✗ {label} {id}: {}", e.location());
                return Ok(None);
            }
        }
    }
    Ok(Some(sets))
}

/// The versions a server on this database serves now, for each candidate set: the policies
/// folder's, when it compiles and passes its golden tests (a server activates nothing
/// else); otherwise the version activated last, which a server keeps serving when an edit is
/// refused. A set with neither is left out, and its tickets are reported as failures.
fn active_sets<'a>(
    settings: &Settings,
    store: &Store,
    ids: impl Iterator<Item = &'a String>,
) -> Result<HashMap<String, Arc<CompiledSet>>, CliError> {
    let folder = paths(settings);
    let calendars = calendar::load_dir(&folder.calendars()).ok();
    let mut cache = crate::service::VersionCache::default();
    let mut sets = HashMap::new();
    for id in ids {
        let on_disk = calendars
            .as_ref()
            .ok_or_else(|| "its calendars do not load".to_owned())
            .and_then(|c| compile_set(&folder, c, id).map_err(|e| e.location().to_string()))
            .and_then(|set| match run_golden_tests(&set) {
                Ok(report) if report.passed() => Ok(set),
                Ok(report) => Err(format!("{} golden case(s) fail", report.failures().count())),
                Err(e) => Err(e.location().to_string()),
            });
        match on_disk {
            Ok(set) => {
                sets.insert(id.clone(), Arc::new(set));
            }
            Err(why) => match cache.last_activated(store, id) {
                Ok(Some(set)) => {
                    eprintln!(
                        "active {id}: the folder's version is refused ({why}); comparing with the version activated last, {}",
                        &set.version()[..12]
                    );
                    sets.insert(id.clone(), set);
                }
                Ok(None) | Err(_) => eprintln!(
                    "✗ active {id}: the folder's version is refused ({why}) and none was ever activated: its tickets cannot be compared"
                ),
            },
        }
    }
    Ok(sets)
}

/// `jiesu simulate`: exit 1 when the candidate fails its golden tests or any ticket could
/// not be re-decided.
pub fn simulate(args: &SimulateArgs) -> Result<ExitCode, CliError> {
    let settings = Settings::resolve(&args.common, None)?;
    let candidate = Paths {
        policies: args.candidate.clone(),
        plugins: args
            .candidate_plugins
            .clone()
            .unwrap_or(settings.plugins.clone()),
    };
    let only = args.jurisdiction.as_deref();
    let Some(candidates) = compile_all(&candidate, "candidate", only)? else {
        return Ok(ExitCode::FAILURE);
    };
    if let Some(id) = only
        && !candidates.contains_key(id)
    {
        return Err(CliError::Usage(format!(
            "--jurisdiction `{id}`: the candidate folder has no such policy set"
        )));
    }
    let store = Store::open_existing(&settings.database)?;
    let active = match args.against {
        AgainstArg::Active => Some(active_sets(&settings, &store, candidates.keys())?),
        AgainstArg::Recorded => None,
    };
    // The candidate's own golden tests first: a change that breaks them would be refused
    // by the server, whatever it does to stored tickets.
    let mut golden_failures: Vec<String> = Vec::new();
    let mut ids: Vec<&String> = candidates.keys().collect();
    ids.sort();
    for id in ids {
        match run_golden_tests(&candidates[id]) {
            Ok(report) => golden_failures.extend(report.failures().map(|failure| {
                format!(
                    "{}: `{}`: {}",
                    failure.file,
                    failure.name,
                    failure.failure.as_deref().unwrap_or_default()
                )
            })),
            Err(e) => golden_failures.push(format!("{id}: {}", e.location())),
        }
    }
    let filter = crate::store::TicketFilter {
        jurisdiction: args.jurisdiction.clone(),
        received_since: args.since.map(|t| t.timestamp_micros()),
        received_before: None,
        ..Default::default()
    };
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let bar = if args.json {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new_spinner()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {pos} tickets re-decided ({per_sec}) {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let progress = |done: usize| bar.set_position(done as u64);
    let simulation = Simulation {
        candidates: &candidates,
        active: active.as_ref(),
        sample: args.sample,
        threads,
        progress: &progress,
    };
    let report = simulation.run(&store, filter)?;
    bar.finish_and_clear();
    let code = if report.failed == 0 && golden_failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    };
    if args.json {
        let mut value = serde_json::json!(report);
        value["golden_failures"] = serde_json::json!(golden_failures);
        println!("{value}");
        return Ok(code);
    }
    let seconds = report.elapsed.as_secs_f64();
    println!(
        "re-decided {} stored ticket(s) against the {} decisions in {seconds:.2} s ({:.0} per second, {threads} threads): {} would change, {} could not be re-decided{}",
        report.tickets,
        match args.against {
            AgainstArg::Active => "active version's",
            AgainstArg::Recorded => "recorded",
        },
        report.tickets as f64 / seconds.max(1e-9),
        report.changed,
        report.failed,
        if report.skipped > 0 {
            format!(
                "; {} ticket(s) of jurisdictions the candidate folder lacks skipped",
                report.skipped
            )
        } else {
            String::new()
        },
    );
    for (field, count) in &report.fields {
        println!("  {field:<12} changes on {count} ticket(s)");
    }
    for (cause, group) in &report.failures {
        println!(
            "✗ {} ticket(s) could not be re-decided (e.g. {}): {cause}",
            group.tickets, group.example
        );
    }
    if !report.sample.is_empty() {
        println!("changed tickets (first {}):", report.sample.len());
        for changed in &report.sample {
            println!(
                "  {} [{}]: {}",
                changed.ticket,
                changed.jurisdiction,
                changed.changes.join("; ")
            );
        }
    }
    for failure in &golden_failures {
        println!("✗ candidate {failure}");
    }
    if !golden_failures.is_empty() {
        println!(
            "✗ the candidate fails {} golden case(s): the server would refuse it",
            golden_failures.len()
        );
    }
    Ok(code)
}

/// A store that signs what it writes when a key is configured, migrated.
fn writable_store(settings: &Settings, store: Store) -> Result<Store, CliError> {
    let store = match &settings.signing_key {
        Some(path) => {
            store.signed_by(Signer::read(path).map_err(|e| CliError::Key(e.to_string()))?)
        }
        None => store,
    };
    store.migrate()?;
    Ok(store)
}

/// `jiesu keygen --out FILE`: the ledger's signing key pair.
pub fn keygen(args: &KeygenArgs) -> Result<ExitCode, CliError> {
    let id = keygen_pair(&args.out).map_err(|e| CliError::Key(e.to_string()))?;
    println!(
        "key {id}: private {} (give it to `serve --signing-key`), public {} (give it to `verify --public-key`)",
        args.out.display(),
        public_path(&args.out).display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn migrate(args: &CommonArgs) -> Result<ExitCode, CliError> {
    let settings = Settings::resolve(args, None)?;
    let applied = {
        let store = Store::connect(&settings.database)?;
        let store = match &settings.signing_key {
            Some(path) => {
                store.signed_by(Signer::read(path).map_err(|e| CliError::Key(e.to_string()))?)
            }
            None => store,
        };
        store.migrate()?
    };
    println!(
        "{}: {applied} migration(s) applied, schema up to date",
        settings.database
    );
    Ok(ExitCode::SUCCESS)
}

/// Compiles every set, runs its golden tests and checks rule coverage. Exit 1 on any failure.
pub fn check(args: &CheckArgs) -> Result<ExitCode, CliError> {
    let settings = Settings::resolve(&args.common, None)?;
    let paths = paths(&settings);
    let calendars = match calendar::load_dir(&paths.calendars()) {
        Ok(c) => c,
        Err(e) => {
            println!("✗ calendars: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let ids = discover_sets(&paths.policies).map_err(CliError::Discover)?;
    if ids.is_empty() {
        println!("✗ no policy sets under {}", paths.policies.display());
        return Ok(ExitCode::FAILURE);
    }
    let mut failed = 0;
    for id in &ids {
        if !check_set(&paths, &calendars, id, args.trace) {
            failed += 1;
        }
    }
    println!(
        "{} of {} policy set(s) passed",
        ids.len() - failed,
        ids.len()
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_routing(set: &CompiledSet, routing: &RoutingReport) {
    let id = set.id();
    println!(
        "    routing: {} combinations, {} accepted, {} without exactly one declared lead or with a clock nobody can meet; {} units lead",
        routing.combinations,
        routing.accepted,
        routing.gaps.len(),
        routing.leads.len(),
    );
    // One report per root cause: a typo in one hook fails every combination the same way.
    let mut causes: Vec<(&str, Vec<&RoutingGap>)> = Vec::new();
    for gap in &routing.gaps {
        match causes.iter_mut().find(|(p, _)| *p == gap.problem) {
            Some((_, gaps)) => gaps.push(gap),
            None => causes.push((gap.problem.as_str(), vec![gap])),
        }
    }
    for (problem, gaps) in causes.iter().take(20) {
        let first = gaps[0];
        println!(
            "    policies/{id}: {problem}; in {} combination(s), e.g. {} / {} flags [{}] area {}",
            gaps.len(),
            first.category,
            first.topic,
            first.flags.join(", "),
            first.area.as_deref().unwrap_or("-"),
        );
    }
    if causes.len() > 20 {
        println!(
            "    … and {} more distinct routing problems",
            causes.len() - 20
        );
    }
    // Units a parent declares are the parent's business; list only this set's own.
    let origin = &set.manifest().unit_origin;
    let (own, inherited): (Vec<&String>, Vec<&String>) = routing
        .unreachable
        .iter()
        .partition(|u| origin.get(*u).is_none_or(|o| o == id));
    if !own.is_empty() {
        println!(
            "    units no route reaches (escalation, review and dispatch targets are expected here): {}",
            own.iter()
                .map(|u| u.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !inherited.is_empty() {
        println!(
            "    {} inherited unit(s) no route of this set reaches",
            inherited.len()
        );
    }
}

/// The rule ids the sets this one extends list: a child cites them, and their clauses are
/// traced in the parent's own seed.
fn inherited_rules(paths: &Paths, set: &CompiledSet) -> Result<BTreeSet<String>, PolicyError> {
    let mut ids = BTreeSet::new();
    for parent in set.parents() {
        let book = RuleBook::read(&paths.set_dir(parent), parent)?;
        ids.extend(book.ids().into_iter().map(str::to_owned));
    }
    Ok(ids)
}

/// The clause lines of `check`: coverage, each problem, and with `--trace` the table.
fn print_clauses(
    id: &str,
    clauses: Option<&Clauses>,
    coverage: &ClauseCoverage,
    rules: &RuleBook,
    report: &GoldenReport,
    trace: bool,
) {
    let Some(clauses) = clauses else {
        println!(
            "    {}: missing; hint: list every clause of the set's seed with the rule ids that encode it, or why none does",
            Clauses::label(id)
        );
        return;
    };
    println!(
        "    clauses of {}: {} encoded, {} explained, {} total",
        clauses.seed, coverage.encoded, coverage.explained, coverage.total
    );
    for problem in coverage.problems.iter().take(40) {
        println!("    {problem}");
    }
    if coverage.problems.len() > 40 {
        println!(
            "    … and {} more clause problems",
            coverage.problems.len() - 40
        );
    }
    if !trace {
        return;
    }
    for clause in &clauses.clause {
        let text: String = clause.text.split_whitespace().collect();
        println!("    § {}  {}", clause.at, text);
        if clause.rules.is_empty() {
            println!(
                "        not encoded: {}",
                clause.explained.as_deref().unwrap_or("-")
            );
        }
        for rule in &clause.rules {
            let hooks = rules
                .get(rule)
                .map(|r| r.hooks.join(", "))
                .unwrap_or_else(|| "listed by the set it extends".into());
            let tests: Vec<&str> = report
                .results
                .iter()
                .filter(|r| r.cites.iter().any(|c| c == rule))
                .map(|r| r.name.as_str())
                .collect();
            println!(
                "        {rule} → hooks [{hooks}] → {} golden case(s){}",
                tests.len(),
                tests
                    .first()
                    .map(|t| format!(", e.g. `{t}`"))
                    .unwrap_or_default()
            );
        }
        if let Some(note) = &clause.note {
            println!("        note: {note}");
        }
    }
}

fn check_set(paths: &Paths, calendars: &calendar::CalendarSet, id: &str, trace: bool) -> bool {
    let set = match compile_set(paths, calendars, id) {
        Ok(set) => set,
        Err(e) => {
            println!("✗ {id}: {}", e.location());
            return false;
        }
    };
    let report = match run_golden_tests(&set) {
        Ok(r) => r,
        Err(e) => {
            println!("✗ {id}: {}", e.location());
            return false;
        }
    };
    let rules = match RuleBook::read(&paths.set_dir(id), id) {
        Ok(r) => r,
        Err(e) => {
            println!("✗ {id}: {}", e.location());
            return false;
        }
    };
    let coverage = rules.coverage(&report);
    let clauses = match Clauses::read(&paths.set_dir(id), id) {
        Ok(c) => c,
        Err(e) => {
            println!("✗ {id}: {}", e.location());
            return false;
        }
    };
    let inherited = match inherited_rules(paths, &set) {
        Ok(ids) => ids,
        Err(e) => {
            println!("✗ {id}: {}", e.location());
            return false;
        }
    };
    let clause_coverage = clauses
        .as_ref()
        .map(|c| c.coverage(id, &rules, &inherited))
        .unwrap_or_default();
    let routing = check_routing(&set);
    let passed = report.results.len() - report.failures().count();
    let ok = report.passed()
        && coverage.complete()
        && !report.results.is_empty()
        && routing.complete()
        && clause_coverage.complete();
    println!(
        "{} {id}  version {}  golden {passed}/{}  rules covered {}/{}",
        if ok { "✓" } else { "✗" },
        &set.version()[..12],
        report.results.len(),
        coverage.listed - coverage.untested.len(),
        coverage.listed,
    );
    // One report per root cause: a typo fails every case that reaches it the same way.
    let mut causes: Vec<(&str, Vec<&CaseResult>)> = Vec::new();
    for failure in report.failures() {
        let message = failure.failure.as_deref().unwrap_or_default();
        match causes.iter_mut().find(|(m, _)| *m == message) {
            Some((_, cases)) => cases.push(failure),
            None => causes.push((message, vec![failure])),
        }
    }
    for (message, cases) in &causes {
        let first = cases[0];
        let more = match cases.len() {
            1 => String::new(),
            n => format!(" (and {} more case(s) fail the same way)", n - 1),
        };
        println!("    {}: `{}`: {message}{more}", first.file, first.name);
    }
    if report.results.is_empty() {
        println!("    policies/{id}/tests/: no golden cases");
    }
    for rule in &coverage.untested {
        println!("    policies/{id}/rules.toml: rule `{rule}` has no golden test citing it");
    }
    for rule in &coverage.unlisted {
        println!("    policies/{id}/tests: cites `{rule}`, which rules.toml does not list");
    }
    print_routing(&set, &routing);
    print_clauses(
        id,
        clauses.as_ref(),
        &clause_coverage,
        &rules,
        &report,
        trace,
    );
    ok
}

/// `jiesu token hash`: the secret comes on stdin so it stays out of shell history and `ps`.
pub fn token_hash() -> Result<ExitCode, CliError> {
    use sha2::{Digest, Sha256};
    let mut secret = String::new();
    std::io::stdin()
        .read_line(&mut secret)
        .map_err(|e| CliError::Tokens(format!("cannot read the secret from stdin: {e}")))?;
    let secret = secret.trim_end_matches(['\r', '\n']);
    if secret.trim().is_empty() {
        return Err(CliError::Tokens(
            "no secret on stdin: `echo -n SECRET | jiesu token hash`".into(),
        ));
    }
    println!("{}", hex::encode(Sha256::digest(secret.as_bytes())));
    Ok(ExitCode::SUCCESS)
}

fn parse_anchor(text: &str) -> Result<(i64, String), CliError> {
    text.split_once(':')
        .and_then(|(seq, hash)| Some((seq.parse().ok()?, hash.to_owned())))
        .ok_or_else(|| CliError::Usage(format!("--anchor `{text}` is not SEQ:HASH")))
}

/// `jiesu verify`: exit 1 naming every broken ticket and entry, and any ledger problem.
pub fn verify(args: &VerifyArgs) -> Result<ExitCode, CliError> {
    let settings = Settings::resolve(&args.common, None)?;
    let anchors = args
        .anchor
        .iter()
        .map(|a| parse_anchor(a))
        .collect::<Result<Vec<_>, _>>()?;
    let verifier = Verifier::read(&args.public_key).map_err(|e| CliError::Key(e.to_string()))?;
    let store = Store::connect_existing(&settings.database)?;
    let report = verify_store(&store, &anchors, &verifier)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        for broken in &report.broken {
            match broken.entry {
                Some(seq) => println!("✗ ticket {}: entry {seq}: {}", broken.ticket, broken.reason),
                None => println!("✗ ticket {}: {}", broken.ticket, broken.reason),
            }
        }
        for problem in &report.schema_problems {
            println!("✗ schema: {problem}");
        }
        for problem in &report.ledger_problems {
            println!(
                "✗ ledger{}{}: {}",
                problem
                    .seq
                    .map(|s| format!(" entry {s}"))
                    .unwrap_or_default(),
                problem
                    .ticket
                    .as_ref()
                    .map(|t| format!(" (ticket {t})"))
                    .unwrap_or_default(),
                problem.reason
            );
        }
        println!(
            "{} {} ticket(s), {} trail entr(ies), {} policy version(s), {} ledger entr(ies), {} signature(s) checked{}",
            if report.valid() {
                "✓ verified"
            } else {
                "✗ checked"
            },
            report.tickets,
            report.entries,
            report.policy_versions,
            report.ledger_entries,
            report.signatures_checked,
            report
                .ledger_head
                .as_ref()
                .map(|(seq, hash)| format!("; ledger head (record it as an anchor): {seq}:{hash}"))
                .unwrap_or_default()
        );
    }
    Ok(if report.valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `jiesu replay --ticket ID`: every recorded decision of the ticket re-run; exit 1 if any
/// differs.
pub fn replay(args: &ReplayArgs) -> Result<ExitCode, CliError> {
    let settings = Settings::resolve(&args.common, None)?;
    let store = Store::connect_existing(&settings.database)?;
    let replayed = replay_ticket(&store, &args.ticket)?;
    let same = replayed.iter().all(|r| r.same);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&replayed).unwrap_or_default()
        );
    } else {
        for r in &replayed {
            println!(
                "{} entry {} {} ({} {})",
                if r.same { "✓ same" } else { "✗ DIFFERENT" },
                r.seq,
                r.hook,
                r.policy["id"].as_str().unwrap_or_default(),
                r.policy["version"]
                    .as_str()
                    .map(|v| &v[..v.len().min(12)])
                    .unwrap_or_default()
            );
            if !r.same {
                println!("    recorded: {}", r.recorded);
                println!("    replayed: {}", r.replayed);
            }
        }
        println!(
            "{} decision(s) of ticket {} replayed: {}",
            replayed.len(),
            args.ticket,
            if same { "all the same" } else { "some differ" }
        );
    }
    Ok(if same {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
