//! The policy engine: sandbox limits, `extends`, plugins, version hashes, and the contract
//! every hook's output is held to.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::PolicyTree;
use jiesu::calendar::load_dir;
use jiesu::policy::{CompiledSet, DecisionError, Hook, compile_set};
use serde_json::{Value, json};

fn compile(tree: &PolicyTree, id: &str) -> Result<CompiledSet, jiesu::policy::PolicyError> {
    let calendars = load_dir(&tree.plugins().join("calendars")).unwrap();
    compile_set(&tree.paths(), &calendars, id)
}

fn ticket() -> Value {
    json!({"id": "t", "jurisdiction": "x", "channel": "phone", "category": "complaint",
           "topic": "noise", "flags": ["urgent"], "area": null, "content": "c",
           "received_at": "2025-09-30T10:00:00+08:00"})
}

const ACCEPT: &str = r#"fn accept(t) { #{ outcome: "accepted", cite: ["X-1"] } }"#;

fn script_failure(set: &CompiledSet, hook: Hook) -> String {
    let started = Instant::now();
    let err = set.decide(hook, &[ticket()]).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a runaway script must stop quickly"
    );
    assert!(matches!(err, DecisionError::Script { .. }), "{err:?}");
    err.to_string()
}

#[test]
fn an_endless_loop_fails_that_decision_only() {
    let tree = PolicyTree::new();
    tree.simple_set("x", &format!("{ACCEPT}\nfn route(t) {{ loop {{ }} }}"));
    let set = compile(&tree, "x").unwrap();
    let err = script_failure(&set, Hook::Route);
    assert!(
        err.contains("sandbox limit") && err.contains("endless loop"),
        "{err}"
    );
    assert!(
        err.contains("policies/x/main.rhai"),
        "names the file: {err}"
    );
    // The same set still decides its other hooks.
    assert_eq!(
        set.decide(Hook::Accept, &[ticket()]).unwrap().outcome,
        "accepted"
    );
}

#[test]
fn endless_recursion_and_huge_strings_are_stopped() {
    let tree = PolicyTree::new();
    tree.simple_set(
        "x",
        r#"
fn deeper(n) { deeper(n + 1) }
fn route(t) { deeper(0) }
fn accept(t) { let s = "十"; loop { s += s; } }
fn time_limits(t) { let a = []; loop { a.push(1); } }
"#,
    );
    let set = compile(&tree, "x").unwrap();
    let recursion = script_failure(&set, Hook::Route);
    assert!(recursion.contains("endless recursion"), "{recursion}");
    let string = script_failure(&set, Hook::Accept);
    assert!(string.contains("sandbox limit"), "{string}");
    let array = script_failure(&set, Hook::TimeLimits);
    assert!(array.contains("sandbox limit"), "{array}");
}

#[test]
fn scripts_cannot_read_the_clock_or_eval() {
    let tree = PolicyTree::new();
    tree.simple_set(
        "x",
        r#"fn accept(t) { let n = timestamp(); #{ outcome: "accepted", cite: ["X"] } }"#,
    );
    let set = compile(&tree, "x").unwrap();
    assert!(set.decide(Hook::Accept, &[ticket()]).is_err());
    tree.simple_set("y", r#"fn accept(t) { eval("1") }"#);
    assert!(compile(&tree, "y").is_err());
}

#[test]
fn syntax_errors_name_file_line_and_column() {
    let tree = PolicyTree::new();
    tree.simple_set("x", "fn accept(t) {\n  let x = ;\n}\n");
    let err = compile(&tree, "x").unwrap_err().location();
    assert_eq!(err.file, "policies/x/main.rhai");
    assert_eq!(err.line, Some(2));
    assert!(err.column.is_some());
    // strict variables: a typo is a compile error, not a silent `()` at run time.
    tree.simple_set("y", "fn accept(t) { #{ outcome: outcom, cite: [\"X\"] } }");
    let err = compile(&tree, "y").unwrap_err().to_string();
    assert!(err.contains("outcom"), "{err}");
}

#[test]
fn hooks_with_the_wrong_arity_are_refused() {
    let tree = PolicyTree::new();
    tree.simple_set("x", r#"fn route(t, extra) { () }"#);
    let err = compile(&tree, "x").unwrap_err().to_string();
    assert!(err.contains("`route` takes 1"), "{err}");
}

#[test]
fn every_decision_must_cite_and_fit_its_hook() {
    let tree = PolicyTree::new();
    tree.simple_set(
        "x",
        r#"
fn accept(t) { #{ outcome: "accepted" } }
fn route(t) { #{ lead: "u1", mode: "telepathy", cite: ["X"] } }
fn time_limits(t) { #{ deadlines: #{ resolve: "soon" }, cite: ["X"] } }
"#,
    );
    let set = compile(&tree, "x").unwrap();
    for (hook, needle) in [
        (Hook::Accept, "cite"),
        (Hook::Route, "mode"),
        (Hook::TimeLimits, "resolve"),
    ] {
        let err = set.decide(hook, &[ticket()]).unwrap_err();
        assert!(
            matches!(err, DecisionError::InvalidOutput { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains(needle), "{hook:?}: {err}");
    }
}

#[test]
fn host_functions_compute_with_the_sets_calendar() {
    let tree = PolicyTree::new();
    tree.simple_set(
        "x",
        r#"
fn time_limits(t) {
    #{
        deadlines: #{
            resolve: working_days(t.received_at, 2),
            sign: hours(t.received_at, 24),
            plan: days(t.received_at, 7),
            reverify: months(t.received_at, 1),
        },
        cite: ["X"],
        note: [`holiday: ${!is_working_day(days(t.received_at, 1))}`, `urgent: ${has_flag(t, "urgent")}`,
               `unit: ${unit("u1").name}`, `night: ${is_night(hours(t.received_at, 12))}`],
    }
}
"#,
    );
    let set = compile(&tree, "x").unwrap();
    let d = set.decide(Hook::TimeLimits, &[ticket()]).unwrap();
    assert_eq!(
        d.output["deadlines"],
        json!({"resolve": "2025-10-10T10:00:00+08:00", "sign": "2025-10-01T10:00:00+08:00",
               "plan": "2025-10-07T10:00:00+08:00", "reverify": "2025-10-30T10:00:00+08:00"})
    );
    assert_eq!(
        d.notes,
        [
            "holiday: true",
            "urgent: true",
            "unit: 单位一",
            "night: true"
        ]
    );
    assert!(!d.provisional);
    assert_eq!(d.cite, ["X"]);
    assert_eq!(d.input["ticket"]["topic"], "noise");
}

#[test]
fn a_deadline_in_an_unannounced_year_is_provisional() {
    let tree = PolicyTree::new();
    tree.simple_set(
        "x",
        r#"fn time_limits(t) { #{ deadlines: #{ resolve: working_days(t.received_at, 20) }, cite: ["X"] } }"#,
    );
    let set = compile(&tree, "x").unwrap();
    let mut late = ticket();
    late["received_at"] = json!("2026-12-20T10:00:00+08:00");
    assert!(set.decide(Hook::TimeLimits, &[late]).unwrap().provisional);
}

#[test]
fn misusing_host_functions_is_a_clear_error() {
    let tree = PolicyTree::new();
    tree.simple_set(
        "x",
        r#"
fn accept(t) { has_flag(t, "vip") }
fn route(t) { unit("nobody") }
fn time_limits(t) { working_days(t.received_at, 100000) }
"#,
    );
    let set = compile(&tree, "x").unwrap();
    assert!(
        set.decide(Hook::Accept, &[ticket()])
            .unwrap_err()
            .to_string()
            .contains("unknown flag `vip`")
    );
    assert!(
        set.decide(Hook::Route, &[ticket()])
            .unwrap_err()
            .to_string()
            .contains("unknown unit `nobody`")
    );
    assert!(
        set.decide(Hook::TimeLimits, &[ticket()])
            .unwrap_err()
            .to_string()
            .contains("out of range")
    );
}

#[test]
fn a_child_falls_back_to_its_parents_hooks_and_data() {
    let tree = PolicyTree::new();
    tree.simple_set(
        "base",
        r#"
fn accept(t) { #{ outcome: "accepted", cite: ["BASE-1"] } }
fn route(t) { #{ lead: data("lead")[t.topic], mode: "direct", cite: ["BASE-2"] } }
"#,
    );
    tree.write("policies/base/policy.toml", "id = \"base\"\nname = \"base\"\n[[units]]\nid = \"u1\"\nname = \"一\"\nlevel = \"department\"\n[data.lead]\nnoise = \"u1\"\n");
    tree.write(
        "policies/child/policy.toml",
        "id = \"child\"\nname = \"child\"\nextends = \"base\"\n[[units]]\nid = \"u2\"\nname = \"二\"\nlevel = \"district\"\n[data.lead]\nnoise = \"u2\"\n",
    );
    tree.write(
        "policies/child/main.rhai",
        r#"fn accept(t) { #{ outcome: "rejected", reason: "no", cite: ["CHILD-1"] } }"#,
    );
    let child = compile(&tree, "child").unwrap();
    assert_eq!(child.parents(), ["base"]);
    assert_eq!(
        child.decide(Hook::Accept, &[ticket()]).unwrap().cite,
        ["CHILD-1"]
    );
    let route = child.decide(Hook::Route, &[ticket()]).unwrap();
    assert_eq!(route.cite, ["BASE-2"], "route falls back to the parent");
    assert_eq!(route.output["lead"], "u2", "with the child's data");
    assert!(child.unit("u1").is_some() && child.unit("u2").is_some());
}

#[test]
fn extends_cycles_and_missing_parents_are_refused() {
    let tree = PolicyTree::new();
    tree.write(
        "policies/a/policy.toml",
        "id = \"a\"\nname = \"a\"\nextends = \"b\"\n",
    );
    tree.write(
        "policies/b/policy.toml",
        "id = \"b\"\nname = \"b\"\nextends = \"a\"\n",
    );
    tree.write(
        "policies/c/policy.toml",
        "id = \"c\"\nname = \"c\"\nextends = \"nowhere\"\n",
    );
    assert!(
        compile(&tree, "a")
            .unwrap_err()
            .to_string()
            .contains("extends itself")
    );
    assert!(
        compile(&tree, "c")
            .unwrap_err()
            .to_string()
            .contains("nowhere")
    );
}

#[test]
fn plugins_are_imported_and_hashed_into_the_version() {
    let tree = PolicyTree::new();
    tree.write(
        "plugins/limits.rhai",
        "fn resolve_days(category) { if category == \"consultation\" { 2 } else { 20 } }",
    );
    tree.simple_set(
        "x",
        r#"
import "limits" as limits;
fn time_limits(t) {
    #{ deadlines: #{ resolve: working_days(t.received_at, limits::resolve_days(t.category)) }, cite: ["X"] }
}
"#,
    );
    let first = compile(&tree, "x").unwrap();
    assert_eq!(first.plugins().iter().collect::<Vec<_>>(), ["limits"]);
    assert!(first.sources().contains_key("plugins/limits.rhai"));
    assert!(first.sources().contains_key("plugins/calendars/cn.toml"));
    let d = first.decide(Hook::TimeLimits, &[ticket()]).unwrap();
    assert_eq!(
        d.output["deadlines"]["resolve"],
        "2025-11-04T10:00:00+08:00"
    );

    let again = compile(&tree, "x").unwrap();
    assert_eq!(
        first.version(),
        again.version(),
        "identical content, identical version"
    );

    tree.write("plugins/limits.rhai", "fn resolve_days(category) { 5 }");
    let changed_plugin = compile(&tree, "x").unwrap();
    assert_ne!(first.version(), changed_plugin.version());

    tree.write(
        "plugins/limits.rhai",
        "fn resolve_days(category) { if category == \"consultation\" { 2 } else { 20 } }",
    );
    assert_eq!(
        compile(&tree, "x").unwrap().version(),
        first.version(),
        "restoring restores the hash"
    );

    tree.write(
        "plugins/calendars/2027.json",
        r#"{"year":2027,"papers":["n"],"days":[]}"#,
    );
    assert_ne!(
        compile(&tree, "x").unwrap().version(),
        first.version(),
        "the calendar is part of the version"
    );
}

#[test]
fn imports_cannot_leave_the_plugins_folder() {
    let tree = PolicyTree::new();
    tree.write("secret.rhai", "fn f() { 1 }");
    tree.simple_set("x", "import \"../secret\" as s;\nfn accept(t) { s::f() }");
    let err = compile(&tree, "x").unwrap_err().to_string();
    assert!(err.contains("no plugin `../secret`"), "{err}");
}

/// A reload recompiles and re-tests only what changed: an edit to one set leaves every
/// other set's serving version in place (the same `Arc`), while a plugin edit reaches the
/// sets importing it.
#[test]
fn a_reload_rebuilds_only_the_sets_whose_inputs_changed() {
    let tree = PolicyTree::shipped();
    let registry = jiesu::policy::Registry::load(tree.paths(), None).unwrap();
    let before = |id: &str| registry.get(id).unwrap();
    let (anshan, hohhot, puyang) = (before("anshan"), before("hohhot"), before("puyang-hualong"));

    let main = tree.policies().join("anshan/main.rhai");
    let script = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, format!("{script}\n// an edit\n")).unwrap();
    let report = registry.reload();
    assert_eq!(report.activated.len(), 1, "{report:?}");
    assert_eq!(report.activated[0].0, "anshan");
    assert!(!std::sync::Arc::ptr_eq(
        &anshan,
        &registry.get("anshan").unwrap()
    ));
    assert!(std::sync::Arc::ptr_eq(
        &hohhot,
        &registry.get("hohhot").unwrap()
    ));
    assert!(std::sync::Arc::ptr_eq(
        &puyang,
        &registry.get("puyang-hualong").unwrap()
    ));

    // The region's plugin: the three Inner Mongolia sets change, the others do not.
    let plugin = tree.plugins().join("inner_mongolia.rhai");
    let text = std::fs::read_to_string(&plugin).unwrap();
    std::fs::write(&plugin, format!("{text}\n// an edit\n")).unwrap();
    let mut changed: Vec<String> = registry
        .reload()
        .activated
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    changed.sort();
    assert_eq!(changed, ["hohhot", "inner-mongolia", "wushen-police"]);
    assert!(std::sync::Arc::ptr_eq(
        &puyang,
        &registry.get("puyang-hualong").unwrap()
    ));

    // A golden file edited to fail is run again and refused, though the sources are the same.
    let golden = tree.policies().join("puyang-hualong/tests/PY-7.toml");
    let cases = std::fs::read_to_string(&golden).unwrap();
    std::fs::write(
        &golden,
        cases.replace("to = \"py-ecology\"", "to = \"py-market\""),
    )
    .unwrap();
    let report = registry.reload();
    assert_eq!(report.refused.len(), 1, "{report:?}");
    assert_eq!(report.refused[0].0, "puyang-hualong");
    assert!(std::sync::Arc::ptr_eq(
        &puyang,
        &registry.get("puyang-hualong").unwrap()
    ));
}
