//! `import "name" as x;` resolves to `plugins/name.rhai` and nowhere else.
//!
//! A fresh resolver is built for each compile, so a reload never sees a stale module, and it
//! records which plugins a set imported: their sources go into the set's version hash.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope, Shared};

/// Cloning shares the record of resolved plugins, so a caller can keep a handle while the
/// engine owns the resolver.
#[derive(Clone)]
pub struct PluginResolver {
    root: PathBuf,
    state: Arc<Mutex<ResolverState>>,
}

#[derive(Default)]
struct ResolverState {
    modules: BTreeMap<String, Shared<Module>>,
    sources: BTreeMap<String, String>,
    in_progress: BTreeSet<String>,
}

/// A plugin name: lowercase words, `-` or `_`, optionally in sub-folders. Nothing that could
/// climb out of `plugins/` (`..`, absolute paths, backslashes) is a name.
pub fn is_plugin_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('/').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        })
}

impl PluginResolver {
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_owned(),
            state: Arc::default(),
        }
    }

    /// The plugins resolved so far: name → source.
    pub fn sources(&self) -> BTreeMap<String, String> {
        self.state
            .lock()
            .map(|s| s.sources.clone())
            .unwrap_or_default()
    }

    fn read(&self, name: &str, pos: Position) -> Result<String, Box<EvalAltResult>> {
        let not_found = || Box::new(EvalAltResult::ErrorModuleNotFound(name.to_owned(), pos));
        if !is_plugin_name(name) {
            return Err(not_found());
        }
        let path = self.root.join(format!("{name}.rhai"));
        // Symlinks must not lead out of plugins/ either.
        let root = self.root.canonicalize().map_err(|_| not_found())?;
        let real = path.canonicalize().map_err(|_| not_found())?;
        if !real.starts_with(&root) {
            return Err(not_found());
        }
        std::fs::read_to_string(&real).map_err(|_| not_found())
    }
}

impl ModuleResolver for PluginResolver {
    fn resolve(
        &self,
        engine: &Engine,
        _source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        {
            let mut state = self.state.lock().map_err(|_| "plugin resolver poisoned")?;
            if let Some(module) = state.modules.get(path) {
                return Ok(module.clone());
            }
            if !state.in_progress.insert(path.to_owned()) {
                return Err(format!("plugin `{path}` imports itself (an import cycle)").into());
            }
        }
        let outcome = self.read(path, pos).and_then(|source| {
            let mut ast = engine
                .compile(&source)
                .map_err(|e| EvalAltResult::ErrorInModule(path.to_owned(), e.into(), pos))?;
            ast.set_source(format!("plugins/{path}.rhai"));
            // A plugin's top level runs like a hook: on a roomy stack, on a CPU budget.
            let module = super::stack::with_room(|| {
                let _budget = super::engine::budget::enter();
                Module::eval_ast_as_new(Scope::new(), &ast, engine)
            })
            .map_err(|e| EvalAltResult::ErrorInModule(path.to_owned(), e, pos))?;
            Ok((source, Shared::new(module)))
        });
        let mut state = self.state.lock().map_err(|_| "plugin resolver poisoned")?;
        state.in_progress.remove(path);
        let (source, module) = outcome?;
        state.sources.insert(path.to_owned(), source);
        state.modules.insert(path.to_owned(), module.clone());
        Ok(module)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_escape_the_plugins_folder() {
        for bad in [
            "../secret",
            "/etc/passwd",
            "a/../../b",
            "",
            "a//b",
            "C:\\x",
            "a.b",
            "A",
        ] {
            assert!(!is_plugin_name(bad), "{bad}");
        }
        for good in ["deadlines", "im/acceptance", "route_table-2"] {
            assert!(is_plugin_name(good), "{good}");
        }
    }

    #[test]
    fn imports_outside_plugins_are_not_found() {
        let outer = tempfile::tempdir().unwrap();
        let plugins = outer.path().join("plugins");
        std::fs::create_dir(&plugins).unwrap();
        std::fs::write(outer.path().join("secret.rhai"), "export const X = 1;").unwrap();
        std::fs::write(plugins.join("ok.rhai"), "fn f() { 42 }").unwrap();
        let mut engine = super::super::engine::sandboxed_engine();
        engine.set_module_resolver(PluginResolver::new(&plugins));
        for path in ["../secret", "/tmp/secret"] {
            let err = engine
                .compile_into_self_contained(&Scope::new(), format!("import \"{path}\" as s;"))
                .unwrap_err();
            assert!(err.to_string().contains("not found"), "{err}");
        }
        assert!(
            engine
                .compile_into_self_contained(
                    &Scope::new(),
                    "import \"ok\" as ok; fn g() { ok::f() }"
                )
                .is_ok()
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_out_of_plugins_is_not_followed() {
        let outer = tempfile::tempdir().unwrap();
        let plugins = outer.path().join("plugins");
        std::fs::create_dir(&plugins).unwrap();
        std::fs::write(outer.path().join("secret.rhai"), "fn f() { 1 }").unwrap();
        std::os::unix::fs::symlink(outer.path().join("secret.rhai"), plugins.join("link.rhai"))
            .unwrap();
        let mut engine = super::super::engine::sandboxed_engine();
        engine.set_module_resolver(PluginResolver::new(&plugins));
        assert!(
            engine
                .compile_into_self_contained(&Scope::new(), "import \"link\" as l;")
                .is_err()
        );
    }

    #[test]
    fn import_cycles_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.rhai"), "import \"b\" as b;").unwrap();
        std::fs::write(dir.path().join("b.rhai"), "import \"a\" as a;").unwrap();
        let mut engine = super::super::engine::sandboxed_engine();
        engine.set_module_resolver(PluginResolver::new(dir.path()));
        let err = engine
            .compile_into_self_contained(&Scope::new(), "import \"a\" as a;")
            .unwrap_err();
        assert!(err.to_string().contains("cycle"), "{err}");
    }
}
