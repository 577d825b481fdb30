//! The command line: `check`, `migrate`, and `serve`'s argument handling.
#![allow(clippy::unwrap_used)]

mod common;

use common::{PolicyTree, jiesu};

/// `jiesu check` over a scratch tree.
fn check(tree: &PolicyTree) -> (i32, String, String) {
    jiesu(&[
        "check",
        "--policies",
        tree.policies().to_str().unwrap(),
        "--plugins",
        tree.plugins().to_str().unwrap(),
    ])
}

#[test]
fn check_passes_on_the_shipped_sets() {
    let (code, stdout, _) = jiesu(&["check"]);
    assert_eq!(code, 0, "{stdout}");
    for set in [
        "anshan",
        "hohhot",
        "inner-mongolia",
        "puyang-hualong",
        "wushen-police",
    ] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("✓ {set} ")))
            .unwrap_or_else(|| panic!("no passing line for {set}: {stdout}"));
        // "rules covered N/N": every listed rule has a golden test.
        let covered = line.split("rules covered ").nth(1).unwrap();
        let (tested, listed) = covered.split_once('/').unwrap();
        assert_eq!(tested, listed, "{line}");
    }
    assert!(
        stdout.contains("0 without exactly one declared lead"),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("clauses of ").count(),
        5,
        "every set traces its seed: {stdout}"
    );
}

#[test]
fn check_fails_on_a_clause_neither_encoded_nor_explained_and_on_an_untraced_rule() {
    let tree = PolicyTree::shipped();
    let path = tree.policies().join("anshan/clauses.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    // Strip every `rules = [...]` naming AS-2.2: its clause is then unexplained, and the rule
    // traces to nothing.
    let stripped: String = text
        .lines()
        .filter(|l| !(l.starts_with("rules = ") && l.contains("\"AS-2.2\"")))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(stripped, text);
    std::fs::write(&path, stripped).unwrap();
    let (code, stdout, _) = check(&tree);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("is neither encoded nor explained; hint:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("rule `AS-2.2` traces to no clause of the seed"),
        "{stdout}"
    );
    // `--trace` prints the table: clause, rule, hooks, golden cases.
    let (_, traced, _) = jiesu(&["check", "--trace"]);
    assert!(
        traced.contains("AS-2.2 → hooks [review_extension] → "),
        "{traced}"
    );
}

#[test]
fn check_fails_when_an_accepted_matter_routes_to_no_declared_unit() {
    let tree = PolicyTree::shipped();
    let manifest = tree.policies().join("puyang-hualong/policy.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    // No golden case routes education, so only the completeness check can notice.
    std::fs::write(
        &manifest,
        text.replace("education = \"py-education\"", "education = \"py-nobody\""),
    )
    .unwrap();
    let (code, stdout, _) = check(&tree);
    assert_eq!(code, 1, "{stdout}");
    let set_line = stdout
        .lines()
        .find(|l| l.contains(" puyang-hualong "))
        .unwrap();
    assert!(set_line.starts_with('✗'), "{set_line}");
    assert!(set_line.contains("golden "), "{set_line}");
    // One line per root cause, with how many combinations it breaks and one of them.
    let gaps: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("lead `py-nobody` is not a declared unit"))
        .collect();
    assert_eq!(gaps.len(), 1, "{stdout}");
    assert!(
        gaps[0].contains("combination(s), e.g. consultation / education flags [] area -"),
        "{stdout}"
    );
}

#[test]
fn check_names_the_file_line_and_column_of_a_syntax_error() {
    let tree = PolicyTree::shipped();
    let main = tree.policies().join("anshan/main.rhai");
    let script = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        script.replace("fn route(ticket) {", "fn route(ticket) {\n    let = 3;"),
    )
    .unwrap();
    let (code, stdout, _) = check(&tree);
    assert_eq!(code, 1, "{stdout}");
    let line = script
        .lines()
        .position(|l| l.starts_with("fn route(ticket)"))
        .unwrap()
        + 2;
    assert!(
        stdout.contains(&format!("policies/anshan/main.rhai:{line}:")),
        "expected main.rhai:{line}: in {stdout}"
    );
}

#[test]
fn check_fails_on_a_failing_golden_test_and_on_untested_rules() {
    let tree = PolicyTree::shipped();
    let data = tree.policies().join("anshan/policy.toml");
    let text = std::fs::read_to_string(&data).unwrap();
    std::fs::write(
        &data,
        text.replace("noise = \"as-environment\"", "noise = \"as-housing\""),
    )
    .unwrap();
    let (code, stdout, _) = check(&tree);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("AS-3 noise pollution"),
        "names the failing case: {stdout}"
    );
    assert!(
        stdout.contains("as-housing"),
        "says what came out: {stdout}"
    );

    let tree = PolicyTree::shipped();
    std::fs::remove_file(tree.policies().join("anshan/tests/AS-local-co-unit.toml")).unwrap();
    let (code, stdout, _) = check(&tree);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("rule `AS-local-co-unit` has no golden test"),
        "{stdout}"
    );
}

#[test]
fn check_refuses_a_clock_no_action_can_meet_and_names_the_hook() {
    let tree = PolicyTree::shipped();
    let script = tree.policies().join("anshan/main.rhai");
    let text = std::fs::read_to_string(&script).unwrap();
    let unmeetable = text.replace(
        "deadlines: #{ resolve: working_days(ticket.dispatched_at, days) },",
        "deadlines: #{ resolve: working_days(ticket.dispatched_at, days), \
         plan: #{ due: working_days(ticket.dispatched_at, days), met_by: [\"revisit\"] } },",
    );
    assert_ne!(unmeetable, text, "the edit applies");
    std::fs::write(&script, unmeetable).unwrap();
    let (code, stdout, _) = check(&tree);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("main.rhai: hook `time_limits` declares clock `plan` owed by the lead and met by revisit, which the lead can never take"),
        "{stdout}"
    );
    assert!(
        stdout.contains("hint: name in `met_by` one of sign"),
        "{stdout}"
    );
}

#[test]
fn check_refuses_a_dual_dispatch_with_no_co_unit() {
    let tree = PolicyTree::shipped();
    let script = tree.policies().join("anshan/main.rhai");
    let text = std::fs::read_to_string(&script).unwrap();
    let dual = text.replacen(
        "mode: \"direct\",\n            cite: [\"AS-3\"],",
        "mode: \"dual\",\n            cite: [\"AS-3\"],",
        1,
    );
    assert_ne!(dual, text, "the edit applies");
    std::fs::write(&script, dual).unwrap();
    let (code, stdout, _) = check(&tree);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("mode `dual` names no co-unit: a dual dispatch needs at least one"),
        "{stdout}"
    );
}

#[test]
fn unknown_flags_are_refused_with_usage() {
    let (code, _, stderr) = jiesu(&["serve", "--colour", "red"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--colour"), "{stderr}");
}

#[test]
fn migrate_creates_the_schema_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("new/j.db").display());
    let (code, stdout, stderr) = jiesu(&["migrate", "--database", &url]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stdout.starts_with(&format!("{url}: 0 ")),
        "the first run migrates: {stdout}"
    );
    assert!(stdout.contains("schema up to date"), "{stdout}");
    let (code, stdout, _) = jiesu(&["migrate", "--database", &url]);
    assert_eq!(code, 0);
    assert!(stdout.contains("0 migration(s) applied"), "{stdout}");
}

#[test]
fn a_database_url_it_cannot_use_is_a_clear_error() {
    let (code, _, stderr) = jiesu(&["migrate", "--database", "mysql://localhost/x"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("sqlite://PATH"), "{stderr}");
}

#[test]
fn sweep_runs_once_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    let server = common::Server::start(&db);
    let body = serde_json::json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint",
        "topic": "noise", "content": "噪音", "received_at": "2026-03-02T09:00:00+08:00"});
    assert_eq!(server.post("/api/v1/tickets", &body).0, 201);
    server.kill();
    let url = format!("sqlite://{}", db.display());
    let sweep = |now: &str| {
        let (code, stdout, stderr) = jiesu(&["sweep", "--database", &url, "--now", now]);
        assert_eq!(code, 0, "{stderr}");
        serde_json::from_str::<serde_json::Value>(&stdout).unwrap()
    };
    let fired = sweep("2026-03-30T10:00:00+08:00");
    assert_eq!(fired["fired"][0]["actions"][0]["kind"], "remind", "{fired}");
    assert_eq!(
        sweep("2026-03-30T10:00:00+08:00")["fired"],
        serde_json::json!([])
    );
    let (code, _, stderr) = jiesu(&["sweep", "--database", &url, "--now", "tomorrow"]);
    assert_eq!(code, 2, "a bad --now is a usage error: {stderr}");
}

fn simulate_json(url: &str, candidate: &str, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let mut args = vec![
        "simulate",
        "--database",
        url,
        "--candidate",
        candidate,
        "--json",
    ];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = jiesu(&args);
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout {stdout} stderr {stderr}"));
    (code, report, stdout)
}

#[test]
fn simulate_reports_what_a_candidate_policy_would_change() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    let server = common::Server::start(&db);
    for topic in ["noise", "noise", "noise", "wages", "wages"] {
        let body = serde_json::json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint",
            "topic": topic, "content": "诉求", "received_at": "2026-03-02T09:00:00+08:00"});
        assert_eq!(server.post("/api/v1/tickets", &body).0, 201);
    }
    // Filed without `received_at`: the server's own receipt time, to the microsecond.
    for topic in ["noise", "wages"] {
        let body = serde_json::json!({"jurisdiction": "anshan", "channel": "phone", "category": "consultation",
            "topic": topic, "content": "诉求"});
        assert_eq!(server.post("/api/v1/tickets", &body).0, 201);
    }
    server.kill();
    let url = format!("sqlite://{}", db.display());

    // The live policies, as a candidate, change nothing, against either baseline.
    for against in ["active", "recorded"] {
        let (code, report, _) = simulate_json(&url, "policies", &["--against", against]);
        assert_eq!(code, 0, "{report}");
        assert_eq!(report["tickets"], 7, "{report}");
        assert_eq!(
            report["changed"], 0,
            "no false changes against {against}: {report}"
        );
        assert_eq!(report["failed"], 0);
    }

    let candidate = PolicyTree::shipped();
    let manifest = candidate.policies().join("anshan/policy.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("noise = \"as-environment\"", "noise = \"as-housing\""),
    )
    .unwrap();
    let (code, report, _) = simulate_json(&url, candidate.policies().to_str().unwrap(), &[]);
    // The golden tests pin noise to as-environment: the candidate fails them, and says so.
    assert_eq!(code, 1, "{report}");
    assert!(
        report["golden_failures"][0]
            .as_str()
            .unwrap()
            .contains("AS-3"),
        "{report}"
    );
    assert_eq!(report["against"], "active");
    assert_eq!(report["tickets"], 7);
    assert_eq!(report["changed"], 4, "{report}");
    assert_eq!(report["fields"]["lead"], 4);
    // The lead's clocks move with the lead: the clock ids name the unit that owes them.
    assert_eq!(report["fields"]["clocks"], 4);
    assert!(report["fields"].get("status").is_none());
    let changes = report["sample"][0]["changes"].as_array().unwrap();
    assert_eq!(changes[0], "lead as-environment → as-housing", "{report}");
    assert!(
        changes.iter().any(|c| c
            .as_str()
            .unwrap()
            .starts_with("clock resolve@as-environment ")),
        "{report}"
    );
}

#[test]
fn simulate_groups_tickets_it_cannot_re_decide_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    let server = common::Server::start(&db);
    for topic in ["noise", "noise", "wages"] {
        let body = serde_json::json!({"jurisdiction": "anshan", "channel": "phone", "category": "complaint",
            "topic": topic, "content": "诉求", "received_at": "2026-03-02T09:00:00+08:00"});
        assert_eq!(server.post("/api/v1/tickets", &body).0, 201);
    }
    server.kill();
    let url = format!("sqlite://{}", db.display());
    let candidate = PolicyTree::shipped();
    let script = candidate.policies().join("anshan/main.rhai");
    let text = std::fs::read_to_string(&script).unwrap();
    let broken = text.replacen(
        "fn route(ticket) {",
        "fn route(ticket) {\n    if ticket.topic == \"noise\" { throw \"no route for noise\"; }",
        1,
    );
    assert_ne!(broken, text);
    std::fs::write(&script, broken).unwrap();
    let (code, report, _) = simulate_json(&url, candidate.policies().to_str().unwrap(), &[]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["failed"], 2, "{report}");
    let failures = report["failures"].as_object().unwrap();
    assert_eq!(failures.len(), 1, "one cause, one group: {report}");
    let (cause, group) = failures.iter().next().unwrap();
    assert!(cause.contains("no route for noise"), "{cause}");
    assert_eq!(group["tickets"], 2);

    let (code, stdout, _) = jiesu(&[
        "simulate",
        "--database",
        &url,
        "--candidate",
        candidate.policies().to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("2 ticket(s) could not be re-decided"),
        "{stdout}"
    );
}

#[test]
fn simulate_refuses_a_database_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo.db");
    let url = format!("sqlite://{}", missing.display());
    let (code, _, stderr) = jiesu(&["simulate", "--database", &url, "--candidate", "policies"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(!missing.exists(), "nothing was created");
}

#[test]
fn a_bad_token_entry_stops_the_server_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("jiesu.toml");
    std::fs::write(
        &config,
        "[[tokens]]\nname = \"desk\"\nrole = \"unit\"\njurisdictions = [\"anshan\"]\nsha256 = \"not-hex\"\n",
    )
    .unwrap();
    let db = dir.path().join("j.db");
    let (code, _, stderr) = jiesu(&[
        "serve",
        "--config",
        config.to_str().unwrap(),
        "--database",
        &format!("sqlite://{}", db.display()),
        "--bind",
        "127.0.0.1:0",
    ]);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("token `desk`: sha256 must be 64 hex digits"),
        "{stderr}"
    );
    assert!(!db.exists(), "nothing was created");

    std::fs::write(
        &config,
        format!(
            "[[tokens]]\nname = \"desk\"\nrole = \"unit\"\nsha256 = \"{}\"\n",
            "a".repeat(64)
        ),
    )
    .unwrap();
    let (code, _, stderr) = jiesu(&[
        "serve",
        "--config",
        config.to_str().unwrap(),
        "--bind",
        "127.0.0.1:0",
    ]);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("a unit token must name its `units`"),
        "{stderr}"
    );
}

#[test]
fn one_typo_is_reported_once_in_script_terms() {
    let tree = PolicyTree::shipped();
    let script = tree.policies().join("anshan/main.rhai");
    let text = std::fs::read_to_string(&script).unwrap();
    let typo = text.replacen(
        "fn route(ticket) {",
        "fn route(ticket) {\n    let x = dta(ticket.topic);",
        1,
    );
    assert_ne!(typo, text);
    std::fs::write(&script, typo).unwrap();
    let (code, stdout, _) = check(&tree);
    assert_eq!(code, 1, "{stdout}");
    let mentions: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("no function `dta(string)`"))
        .collect();
    // One line for the golden cases it breaks, one for the routing combinations.
    assert_eq!(mentions.len(), 2, "{stdout}");
    assert!(
        mentions[0].contains("more case(s) fail the same way"),
        "{stdout}"
    );
    assert!(
        mentions[0].contains("main.rhai:18:"),
        "file and line: {stdout}"
    );
    assert!(mentions[0].contains("hint:"), "{stdout}");
    assert!(
        !stdout.contains("ImmutableString"),
        "no Rust type names: {stdout}"
    );
    assert!(mentions[1].contains("in 5175 combination(s)"), "{stdout}");
}

#[test]
fn check_refuses_a_township_leading_a_department_duty_matter() {
    let tree = PolicyTree::shipped();
    let manifest = tree.policies().join("hohhot/policy.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let township = text.replacen(
        "noise = \"hh-ecology\"",
        "noise = \"hh-xincheng-hailar-road-east\"",
        1,
    );
    assert_ne!(township, text);
    std::fs::write(&manifest, township).unwrap();
    let (code, stdout, _) = check(&tree);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("lead `hh-xincheng-hailar-road-east` is a township unit, which never leads a matter of [data.duty] (HH-20/21)"),
        "{stdout}"
    );
}

#[test]
fn simulate_skips_jurisdictions_the_candidate_lacks_and_falls_back_to_the_last_activated_version() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    let server = common::Server::start(&db);
    for jurisdiction in ["anshan", "hohhot"] {
        let body = serde_json::json!({"jurisdiction": jurisdiction, "channel": "phone", "category": "complaint",
            "topic": "noise", "content": "诉求", "received_at": "2026-03-02T09:00:00+08:00"});
        assert_eq!(server.post("/api/v1/tickets", &body).0, 201);
    }
    server.kill();
    let url = format!("sqlite://{}", db.display());
    // A candidate folder holding only anshan: the hohhot ticket is skipped, not failed.
    let only = PolicyTree::shipped();
    for set in [
        "hohhot",
        "inner-mongolia",
        "puyang-hualong",
        "wushen-police",
    ] {
        std::fs::remove_dir_all(only.policies().join(set)).unwrap();
    }
    let (code, report, _) = simulate_json(&url, only.policies().to_str().unwrap(), &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["tickets"], 1);
    assert_eq!(report["skipped"], 1);

    // The policies folder the server watches holds a broken anshan: the server keeps serving
    // the version it activated last, and so the comparison uses that one.
    let served = PolicyTree::shipped();
    let script = served.policies().join("anshan/main.rhai");
    std::fs::write(&script, "fn accept(t) { this is not rhai").unwrap();
    let (code, stdout, stderr) = jiesu(&[
        "simulate",
        "--database",
        &url,
        "--candidate",
        "policies",
        "--json",
        "--policies",
        served.policies().to_str().unwrap(),
        "--jurisdiction",
        "anshan",
    ]);
    assert_eq!(code, 0, "{stdout} {stderr}");
    assert!(
        stderr.contains("comparing with the version activated last"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["changed"], 0, "{report}");
}

#[test]
fn a_server_without_tokens_refuses_to_start_unless_told_it_is_a_developers() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("j.db").display());
    let (code, _, err) = common::jiesu(&["serve", "--bind", "127.0.0.1:0", "--database", &db]);
    assert_ne!(code, 0);
    assert!(
        err.contains("no token is configured") && err.contains("--dev"),
        "{err}"
    );
    assert!(!dir.path().join("j.db").exists(), "nothing was created");
}

#[test]
fn token_names_must_be_unique() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("jiesu.toml");
    let entry = |name: &str, secret: &str| {
        format!(
            "[[tokens]]\nname = \"{name}\"\nrole = \"auditor\"\nsha256 = \"{}\"\n\n",
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(secret.as_bytes()))
        )
    };
    for text in [
        entry("desk", "a") + entry("desk", "b").as_str(),
        entry("admin", "c"),
    ] {
        std::fs::write(&config, text).unwrap();
        let db = format!("sqlite://{}", dir.path().join("j.db").display());
        let (code, _, err) = common::jiesu(&[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database",
            &db,
            "--config",
            config.to_str().unwrap(),
        ]);
        assert_ne!(code, 0);
        assert!(err.contains("names must be unique"), "{err}");
    }
}
