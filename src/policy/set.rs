//! A policy set: its `extends` chain read from disk, compiled once, called many times.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant as Clock;

use rhai::{AST, CallFnOptions, Dynamic, EvalAltResult, Position, Scope};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::contract::{Decision, Hook, actions_of, trace_of, verdict_of};
use super::convert::{to_dynamic, to_json};
use super::engine::{SetContext, sandboxed_engine, with_runtime};
use super::error::{DecisionError, PolicyError, SourceLocation, toml_error};
use super::manifest::{DEFAULT_CALENDAR, Manifest, ManifestFile};
use super::resolver::PluginResolver;
use crate::calendar::CalendarSet;
use crate::domain::Unit;

/// Deeper `extends` chains than this are a configuration mistake.
const MAX_EXTENDS_DEPTH: usize = 8;

/// Where policy sets and plugins live on disk.
#[derive(Debug, Clone)]
pub struct Paths {
    pub policies: PathBuf,
    pub plugins: PathBuf,
}

impl Paths {
    pub fn calendars(&self) -> PathBuf {
        self.plugins.join("calendars")
    }

    pub fn set_dir(&self, id: &str) -> PathBuf {
        self.policies.join(id)
    }
}

/// The ids of every folder under `policies/` holding a `policy.toml`, sorted.
pub fn discover_sets(policies: &Path) -> std::io::Result<Vec<String>> {
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(policies)? {
        let entry = entry?;
        if entry.path().join("policy.toml").is_file()
            && let Some(name) = entry.file_name().to_str()
        {
            ids.push(name.to_owned());
        }
    }
    ids.sort();
    Ok(ids)
}

/// One script of the chain, compiled, and the hooks it defines.
struct Layer {
    id: String,
    ast: AST,
    hooks: BTreeSet<Hook>,
}

/// A compiled, immutable policy set. Shared by `Arc` across threads; a reload builds a new one.
pub struct CompiledSet {
    manifest: Manifest,
    version: String,
    /// The chain's scripts, leaf first: a hook runs in the first layer that defines it.
    layers: Vec<Layer>,
    context: Arc<SetContext>,
    sources: BTreeMap<String, String>,
    plugins: BTreeSet<String>,
    parents: Vec<String>,
    tests_dir: PathBuf,
    /// See [`fingerprint`]: taken at compile time.
    fingerprint: String,
}

impl std::fmt::Debug for CompiledSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledSet")
            .field("id", &self.manifest.id)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

fn source_error(
    file: &str,
    message: impl Into<String>,
    pos: Option<(usize, usize)>,
) -> PolicyError {
    PolicyError::Source(SourceLocation {
        file: file.to_owned(),
        line: pos.map(|p| p.0),
        column: pos.map(|p| p.1),
        message: message.into(),
    })
}

fn position(pos: Position) -> Option<(usize, usize)> {
    pos.line().map(|line| (line, pos.position().unwrap_or(1)))
}

fn limit_hit(file: &str, pos: Position, message: String) -> SourceLocation {
    SourceLocation {
        file: file.to_owned(),
        line: pos.line(),
        column: pos.line().map(|_| pos.position().unwrap_or(1)),
        message: format!("sandbox limit: {message}"),
    }
}

/// Finds the innermost error and the file it happened in.
pub(super) fn locate(err: &EvalAltResult, file: &str) -> SourceLocation {
    match err {
        EvalAltResult::ErrorInFunctionCall(_, source, inner, _) => {
            locate(inner, if source.is_empty() { file } else { source })
        }
        EvalAltResult::ErrorInModule(path, inner, _) => {
            locate(inner, &format!("plugins/{path}.rhai"))
        }
        EvalAltResult::ErrorTooManyOperations(pos) => limit_hit(
            file,
            *pos,
            format!(
                "the script ran more than {} operations: an endless loop?",
                super::engine::limits::OPERATIONS
            ),
        ),
        EvalAltResult::ErrorStackOverflow(pos) => limit_hit(
            file,
            *pos,
            format!(
                "calls nested deeper than {} levels: endless recursion?",
                super::engine::limits::CALL_LEVELS
            ),
        ),
        EvalAltResult::ErrorTerminated(_, pos) => limit_hit(
            file,
            *pos,
            format!(
                "the hook used more than {} ms of CPU: a loop that grows a value each step?",
                super::engine::limits::CPU_PER_CALL.as_millis()
            ),
        ),
        EvalAltResult::ErrorDataTooLarge(what, pos) => {
            limit_hit(file, *pos, format!("{what} grew past the sandbox limit"))
        }
        other => {
            let pos = other.position();
            let text = script_terms(other).unwrap_or_else(|| other.to_string());
            // Display appends " (line L, position C)"; the location carries those already.
            let suffix = format!(" ({pos})");
            let message = text.strip_suffix(&suffix).unwrap_or(&text).to_owned();
            SourceLocation {
                file: file.to_owned(),
                line: pos.line(),
                column: pos.line().map(|_| pos.position().unwrap_or(1)),
                message,
            }
        }
    }
}

/// A Rhai type name as a policy author knows it.
fn script_type(rust: &str) -> &str {
    match rust.trim() {
        "&str" | "ImmutableString" | "String" | "string" => "string",
        "i64" | "i32" | "INT" | "u64" | "usize" => "integer",
        "f64" | "f32" | "FLOAT" => "float",
        "bool" => "bool",
        "char" => "char",
        "()" => "()",
        "Array" | "Vec<Dynamic>" => "array",
        "Map" | "BTreeMap<SmartString, Dynamic>" => "map",
        "Blob" | "Vec<u8>" => "blob",
        "FnPtr" => "function pointer",
        "Dynamic" | "?" => "any",
        other => other,
    }
}

/// `&str | ImmutableString | String` → `string`; `i64 | f64` → `integer or float`.
fn script_types(rust: &str) -> String {
    let mut kinds: Vec<&str> = rust.split(" | ").map(script_type).collect();
    kinds.dedup();
    kinds.join(" or ")
}

/// `dta (&str | ImmutableString | String, i64)` → `dta(string, integer)`.
fn script_signature(signature: &str) -> String {
    let Some((name, args)) = signature.split_once(" (") else {
        return signature.to_owned();
    };
    let args = args.strip_suffix(')').unwrap_or(args);
    let args: Vec<String> = args
        .split(", ")
        .filter(|a| !a.is_empty())
        .map(script_types)
        .collect();
    format!("{name}({})", args.join(", "))
}

/// Rhai's runtime errors in the words of the script, with a hint, where Rhai's own sentence
/// would name Rust types or leave the author guessing.
fn script_terms(err: &EvalAltResult) -> Option<String> {
    Some(match err {
        EvalAltResult::ErrorFunctionNotFound(signature, _) => format!(
            "no function `{}`; hint: check the name and the number and types of its arguments, or `import` the plugin that defines it",
            script_signature(signature)
        ),
        EvalAltResult::ErrorVariableNotFound(name, _) => format!(
            "no variable `{name}` here; hint: declare it with `let` before use, or take it as a hook argument"
        ),
        EvalAltResult::ErrorPropertyNotFound(name, _) => format!(
            "no property `{name}`; hint: the value may be `()` (a field the ticket lacks): test `x != ()` first"
        ),
        EvalAltResult::ErrorMismatchDataType(expected, actual, _) => format!(
            "expected {}, found {}",
            script_types(expected),
            script_types(actual)
        ),
        EvalAltResult::ErrorMismatchOutputType(expected, actual, _) => format!(
            "returns {}, where {} is expected",
            script_types(actual),
            script_types(expected)
        ),
        // Rhai writes `i64 [string]`: the value indexed, then the index.
        EvalAltResult::ErrorIndexingType(kind, _) => {
            let (value, index) = kind.split_once(" [").unwrap_or((kind, ""));
            let index = index.trim_end_matches(']');
            let by = if index.is_empty() {
                String::new()
            } else {
                format!(" with {}", script_types(index))
            };
            format!(
                "cannot index into {}{by}; hint: only arrays, maps, strings and blobs take `[...]`",
                script_types(value)
            )
        }
        EvalAltResult::ErrorArrayBounds(len, index, _) => {
            format!("index {index} is outside the array of {len} item(s)")
        }
        EvalAltResult::ErrorStringBounds(len, index, _) => {
            format!("index {index} is outside the string of {len} character(s)")
        }
        EvalAltResult::ErrorFor(_) => {
            "`for` needs an array, a range or a string to loop over".to_owned()
        }
        EvalAltResult::ErrorArithmetic(message, _) => format!("arithmetic: {message}"),
        EvalAltResult::ErrorModuleNotFound(name, _) => format!(
            "no plugin `{name}`; hint: plugins live in plugins/<name>.rhai beside the policies"
        ),
        EvalAltResult::ErrorRuntime(value, _) => format!("the script threw: {value}"),
        _ => return None,
    })
}

struct ReadSet {
    file: ManifestFile,
    manifest_path: String,
    manifest_text: String,
    script_path: String,
    script: Option<String>,
    /// `rules.toml`: part of the version, so an auditor reads the rule text that decided.
    rules_path: String,
    rules: Option<String>,
}

fn read_set(paths: &Paths, id: &str) -> Result<ReadSet, PolicyError> {
    let dir = paths.set_dir(id);
    let manifest_path = format!("policies/{id}/policy.toml");
    let manifest_text = super::confine::read_within(&dir, &dir.join("policy.toml"))
        .map_err(|e| source_error(&manifest_path, format!("cannot read: {e}"), None))?;
    let file: ManifestFile = toml::from_str(&manifest_text)
        .map_err(|e| toml_error(&manifest_path, &manifest_text, &e))?;
    if file.id != id {
        return Err(source_error(
            &manifest_path,
            format!("id `{}` must match the folder name `{id}`", file.id),
            None,
        ));
    }
    let script_path = format!("policies/{id}/main.rhai");
    let script = match super::confine::read_within(&dir, &dir.join("main.rhai")) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(source_error(
                &script_path,
                format!("cannot read: {e}"),
                None,
            ));
        }
    };
    let rules_path = format!("policies/{id}/rules.toml");
    let rules = match super::confine::read_within(&dir, &dir.join("rules.toml")) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(source_error(&rules_path, format!("cannot read: {e}"), None)),
    };
    Ok(ReadSet {
        file,
        manifest_path,
        manifest_text,
        script_path,
        script,
        rules_path,
        rules,
    })
}

/// Reads a set and its parents, leaf first.
fn read_chain(paths: &Paths, id: &str) -> Result<Vec<ReadSet>, PolicyError> {
    let mut chain: Vec<ReadSet> = Vec::new();
    let mut next = Some(id.to_owned());
    while let Some(current) = next {
        if chain.iter().any(|s| s.file.id == current) || chain.len() >= MAX_EXTENDS_DEPTH {
            let mut names: Vec<&str> = chain.iter().map(|s| s.file.id.as_str()).collect();
            names.push(&current);
            return Err(PolicyError::ExtendsCycle {
                id: id.to_owned(),
                chain: names.join(" → "),
            });
        }
        let set_dir = paths.set_dir(&current);
        let confined = super::confine::is_set_id(&current)
            && matches!(
                (set_dir.canonicalize(), paths.policies.canonicalize()),
                (Ok(dir), Ok(root)) if dir.starts_with(&root)
            );
        if !confined {
            let child = chain.last().map_or(id, |s| s.file.id.as_str());
            return Err(PolicyError::OutsideExtends {
                id: child.to_owned(),
                parent: current,
            });
        }
        if !set_dir.join("policy.toml").is_file() {
            let child = chain.last().map_or(id, |s| s.file.id.as_str());
            return Err(PolicyError::MissingParent {
                id: child.to_owned(),
                parent: current,
            });
        }
        let set = read_set(paths, &current)?;
        next = set.file.extends.clone();
        chain.push(set);
    }
    Ok(chain)
}

fn frame(hasher: &mut Sha256, label: &str, bytes: &[u8]) {
    hasher.update((label.len() as u64).to_le_bytes());
    hasher.update(label.as_bytes());
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

/// The golden files' names and contents, hashed. A file that cannot be read hashes its
/// error, so the next golden run reports it.
fn digest_tests(dir: &Path) -> String {
    let mut hasher = Sha256::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    for path in files {
        let name = path.to_string_lossy().into_owned();
        match std::fs::read(&path) {
            Ok(bytes) => frame(&mut hasher, &name, &bytes),
            Err(e) => frame(&mut hasher, &name, e.to_string().as_bytes()),
        }
    }
    hex::encode(hasher.finalize())
}

/// A cheap fingerprint of everything a set's compilation and golden run depend on: its
/// chain's files, the plugins it imported last time, its calendar and its golden files.
/// Equal to the serving version's, the set need not be compiled or tested again. A set
/// that starts importing another plugin changes its script, and so its fingerprint.
pub fn fingerprint(
    paths: &Paths,
    calendars: &CalendarSet,
    id: &str,
    plugins: &BTreeSet<String>,
) -> Result<String, PolicyError> {
    let tests = digest_tests(&paths.set_dir(id).join("tests"));
    let chain = read_chain(paths, id)?;
    let plugin_files: Vec<(String, Vec<u8>)> = plugins
        .iter()
        .map(|name| {
            let path = paths.plugins.join(format!("{name}.rhai"));
            let bytes = std::fs::read(&path).unwrap_or_else(|e| e.to_string().into_bytes());
            (name.clone(), bytes)
        })
        .collect();
    let calendar = chain
        .iter()
        .find_map(|s| s.file.calendar.clone())
        .unwrap_or_else(|| DEFAULT_CALENDAR.to_owned());
    let calendar_version = calendars.get(&calendar).map_or("missing", |c| c.version());
    Ok(fingerprint_of(
        &chain,
        plugin_files.iter().map(|(n, b)| (n.as_str(), b.as_slice())),
        calendar_version,
        &tests,
    ))
}

fn fingerprint_of<'a>(
    chain: &[ReadSet],
    plugins: impl Iterator<Item = (&'a str, &'a [u8])>,
    calendar_version: &str,
    tests_digest: &str,
) -> String {
    let mut hasher = Sha256::new();
    for set in chain {
        frame(
            &mut hasher,
            &set.manifest_path,
            set.manifest_text.as_bytes(),
        );
        if let Some(script) = &set.script {
            frame(&mut hasher, &set.script_path, script.as_bytes());
        }
        if let Some(rules) = &set.rules {
            frame(&mut hasher, &set.rules_path, rules.as_bytes());
        }
    }
    for (name, bytes) in plugins {
        frame(&mut hasher, name, bytes);
    }
    frame(&mut hasher, "calendar", calendar_version.as_bytes());
    frame(&mut hasher, "tests", tests_digest.as_bytes());
    hex::encode(hasher.finalize())
}

/// Compiles a set with its parents, imported plugins and calendar.
pub fn compile_set(
    paths: &Paths,
    calendars: &CalendarSet,
    id: &str,
) -> Result<CompiledSet, PolicyError> {
    // Read before anything else: a golden file changing during the compile makes the
    // fingerprint stale-old, so the next reload tests again (never the reverse).
    let tests_digest = digest_tests(&paths.set_dir(id).join("tests"));
    let chain = read_chain(paths, id)?;
    let root_first: Vec<ManifestFile> = chain.iter().rev().map(|s| s.file.clone()).collect();
    let leaf = &chain[0];
    let manifest = Manifest::fold(&root_first)
        .map_err(|message| source_error(&leaf.manifest_path, message, None))?;
    let calendar =
        calendars
            .get(&manifest.calendar)
            .cloned()
            .ok_or_else(|| PolicyError::MissingCalendar {
                id: id.to_owned(),
                calendar: manifest.calendar.clone(),
            })?;

    let resolver = PluginResolver::new(&paths.plugins);
    let mut engine = sandboxed_engine();
    engine.set_module_resolver(resolver.clone());
    let mut layers = Vec::new();
    // One CPU budget for every plugin the set's scripts import, however deeply nested, run
    // on a roomy stack like any hook.
    let _budget = super::engine::budget::enter();
    for set in &chain {
        let Some(script) = &set.script else { continue };
        let mut ast =
            super::stack::with_room(|| engine.compile_into_self_contained(&Scope::new(), script))
                .map_err(|e| match *e {
                EvalAltResult::ErrorParsing(ref kind, pos) => {
                    source_error(&set.script_path, kind.to_string(), position(pos))
                }
                ref other => PolicyError::Source(locate(other, &set.script_path)),
            })?;
        ast.set_source(set.script_path.clone());
        let hooks = hooks_defined(&ast, &set.script_path)?;
        layers.push(Layer {
            id: set.file.id.clone(),
            ast,
            hooks,
        });
    }

    let plugins = resolver.sources();
    let mut sources = BTreeMap::new();
    let mut hasher = Sha256::new();
    frame(&mut hasher, "jiesu-policy", b"1");
    for set in chain.iter().rev() {
        frame(
            &mut hasher,
            &set.manifest_path,
            set.manifest_text.as_bytes(),
        );
        sources.insert(set.manifest_path.clone(), set.manifest_text.clone());
        if let Some(script) = &set.script {
            frame(&mut hasher, &set.script_path, script.as_bytes());
            sources.insert(set.script_path.clone(), script.clone());
        }
        if let Some(rules) = &set.rules {
            frame(&mut hasher, &set.rules_path, rules.as_bytes());
            sources.insert(set.rules_path.clone(), rules.clone());
        }
    }
    for (name, source) in &plugins {
        let path = format!("plugins/{name}.rhai");
        frame(&mut hasher, &path, source.as_bytes());
        sources.insert(path, source.clone());
    }
    frame(&mut hasher, "calendar", calendar.version().as_bytes());
    for (file, content) in calendars.sources(&manifest.calendar) {
        sources.insert(format!("plugins/calendars/{file}"), content.clone());
    }
    let version = hex::encode(hasher.finalize());

    let data = to_dynamic(&Value::Object(manifest.data.clone()), manifest.offset)
        .try_cast::<rhai::Map>()
        .unwrap_or_default();
    let fingerprint = fingerprint_of(
        &chain,
        plugins.iter().map(|(n, src)| (n.as_str(), src.as_bytes())),
        calendar.version(),
        &tests_digest,
    );
    let context = Arc::new(SetContext {
        calendar,
        night: manifest.night,
        units: manifest.units.clone(),
        areas: manifest.areas.clone(),
        data,
    });
    Ok(CompiledSet {
        fingerprint,
        parents: chain.iter().skip(1).map(|s| s.file.id.clone()).collect(),
        tests_dir: paths.set_dir(id).join("tests"),
        plugins: plugins.into_keys().collect(),
        manifest,
        version,
        layers,
        context,
        sources,
    })
}

/// The hooks a script defines; a hook with the wrong number of parameters is an error.
fn hooks_defined(ast: &AST, file: &str) -> Result<BTreeSet<Hook>, PolicyError> {
    let mut hooks = BTreeSet::new();
    for f in ast.iter_functions() {
        let Some(hook) = Hook::parse(f.name) else {
            continue;
        };
        let want = hook.params();
        if f.params.len() != want.len() {
            return Err(source_error(
                file,
                format!(
                    "hook `{}` takes {} parameter(s) ({}), not {}",
                    f.name,
                    want.len(),
                    want.join(", "),
                    f.params.len()
                ),
                None,
            ));
        }
        hooks.insert(hook);
    }
    Ok(hooks)
}

impl CompiledSet {
    pub fn id(&self) -> &str {
        &self.manifest.id
    }

    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    pub fn extends(&self) -> Option<&str> {
        self.manifest.extends.as_deref()
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The calendar the set's working days are counted in.
    pub fn calendar(&self) -> &crate::calendar::Calendar {
        &self.context.calendar
    }

    pub fn unit(&self, id: &str) -> Option<&Unit> {
        self.manifest.units.get(id)
    }

    /// Every source file the version hash covers, by path: what an auditor needs to replay.
    pub fn sources(&self) -> &BTreeMap<String, String> {
        &self.sources
    }

    pub fn plugins(&self) -> &BTreeSet<String> {
        &self.plugins
    }

    pub fn parents(&self) -> &[String] {
        &self.parents
    }

    pub fn tests_dir(&self) -> &Path {
        &self.tests_dir
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The file whose hook runs for `hook` (this set's or the parent's that it falls back to).
    pub fn hook_file(&self, hook: Hook) -> Option<&str> {
        self.layers
            .iter()
            .find(|l| l.hooks.contains(&hook))
            .and_then(|l| l.ast.source())
    }

    pub fn defines(&self, hook: Hook) -> bool {
        self.layers.iter().any(|l| l.hooks.contains(&hook))
    }

    /// Runs one hook. `args` are the hook's parameters in order, as JSON.
    #[tracing::instrument(name = "decision", skip_all, fields(policy = %self.manifest.id, hook = hook.name()))]
    pub fn decide(&self, hook: Hook, args: &[Value]) -> Result<Decision, DecisionError> {
        let started = Clock::now();
        let policy = || self.manifest.id.clone();
        let Some(layer) = self.layers.iter().find(|l| l.hooks.contains(&hook)) else {
            return Err(DecisionError::MissingHook {
                policy: policy(),
                hook: hook.name(),
            });
        };
        let file = layer.ast.source().unwrap_or_default().to_owned();
        let invalid = |message: String| DecisionError::InvalidOutput {
            policy: policy(),
            hook: hook.name(),
            message,
        };
        let mut provisional = false;
        // Everything the script builds is made, measured and dropped on a roomy stack.
        let output = super::stack::with_room(|| {
            let dynamic_args: Vec<Dynamic> = args
                .iter()
                .map(|a| to_dynamic(a, self.manifest.offset))
                .collect();
            let returned = with_runtime(|engine| {
                let options = CallFnOptions::new().with_tag(Arc::clone(&self.context));
                let _budget = super::engine::budget::enter();
                engine.call_fn_with_options::<Dynamic>(
                    options,
                    &mut Scope::new(),
                    &layer.ast,
                    hook.name(),
                    dynamic_args,
                )
            })
            .map_err(|e| DecisionError::Script {
                policy: policy(),
                hook: hook.name(),
                location: locate(&e, &file),
            })?;
            to_json(&returned, "", &mut provisional).map_err(invalid)
        })?;
        let (cite, notes) = trace_of(&output).map_err(invalid)?;
        let verdict = verdict_of(hook, &output).map_err(invalid)?;
        let actions = actions_of(&output).map_err(invalid)?;
        self.check_units(&verdict, &actions).map_err(invalid)?;
        let outcome = verdict.outcome(&output);
        let input = Value::Object(
            hook.params()
                .iter()
                .zip(args)
                .map(|(name, value)| ((*name).to_owned(), value.clone()))
                .collect(),
        );
        let duration = started.elapsed();
        tracing::debug!(outcome = %outcome, layer = %layer.id, micros = duration.as_micros() as u64, "decided");
        Ok(Decision {
            hook,
            policy_id: policy(),
            policy_version: self.version.clone(),
            input,
            output,
            outcome,
            cite,
            notes,
            provisional,
            duration,
            verdict,
            actions,
        })
    }

    /// Every unit a decision names must be declared: a typo is the script's defect, found
    /// where it was made rather than when a row names a unit nobody knows.
    fn check_units(
        &self,
        verdict: &super::contract::Verdict,
        actions: &[super::contract::PolicyAction],
    ) -> Result<(), String> {
        use super::contract::Verdict;
        let known = |id: &str, path: &str| {
            if self.unit(id).is_some() {
                Ok(())
            } else {
                Err(format!(
                    "`{path}`: unit `{id}` is not declared in policy.toml"
                ))
            }
        };
        for (i, action) in actions.iter().enumerate() {
            if let Some(to) = &action.to {
                known(to, &format!("actions[{i}].to"))?;
            }
        }
        match verdict {
            Verdict::TimeLimits(limits) => {
                for clock in &limits.clocks {
                    if let Some(unit) = &clock.unit {
                        known(unit, &format!("deadlines.{}.unit", clock.name.as_str()))?;
                    }
                }
            }
            Verdict::Review(review) => {
                for unit in review.to.iter().chain(&review.lead).chain(&review.assist) {
                    known(unit, "review")?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rhai_signatures_read_in_script_terms() {
        assert_eq!(
            script_signature("dta (&str | ImmutableString | String)"),
            "dta(string)"
        );
        assert_eq!(
            script_signature("count (Map, &str | ImmutableString | String, i64)"),
            "count(map, string, integer)"
        );
        let err = EvalAltResult::ErrorFunctionNotFound(
            "dta (&str | ImmutableString | String)".into(),
            Position::NONE,
        );
        let message = script_terms(&err).expect("mapped");
        assert!(
            message.starts_with("no function `dta(string)`"),
            "{message}"
        );
        assert!(!message.contains("ImmutableString"));
        assert!(message.contains("hint:"));
        let index = script_terms(&EvalAltResult::ErrorIndexingType(
            "i64 [&str | ImmutableString | String]".into(),
            Position::NONE,
        ))
        .expect("mapped");
        assert!(
            index.starts_with("cannot index into integer with string"),
            "{index}"
        );
    }
}
