//! The Rhai engine every policy runs in: sandbox limits and host functions.
//!
//! One runtime engine per thread (a shared one does not scale across cores, DESIGN.md), all
//! running the same immutable compiled sets. A set's own data (calendar, units, timezone)
//! reaches the host functions through the call's tag, so one engine serves every set.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{FixedOffset, NaiveTime, Timelike};
use rhai::module_resolvers::DummyModuleResolver;
use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map, NativeCallContext};

use super::instant::Instant;
use super::manifest::Area;
use crate::calendar::{self, Calendar, Due};
use crate::domain::{Flag, Unit};

/// Sandbox limits. A script that reaches one fails that decision, never the server.
pub mod limits {
    /// Enough for table lookups and a few hundred loop iterations per hook; an endless loop
    /// stops within milliseconds.
    pub const OPERATIONS: u64 = 500_000;
    /// Set explicitly: debug and release builds have different defaults.
    pub const CALL_LEVELS: usize = 48;
    pub const EXPR_DEPTH: usize = 64;
    pub const FN_EXPR_DEPTH: usize = 48;
    pub const STRING_SIZE: usize = 64 * 1024;
    pub const ARRAY_SIZE: usize = 10_000;
    pub const MAP_SIZE: usize = 10_000;
    pub const MODULES: usize = 64;
    pub const VARIABLES: usize = 1_000;
    pub const FUNCTIONS: usize = 1_000;
    /// CPU time one hook call may use. The operation count alone does not bound it: Rhai
    /// re-measures a nested value on every assignment, so a loop that wraps a value in
    /// itself costs time quadratic in its depth within the same number of operations.
    pub const CPU_PER_CALL: std::time::Duration = std::time::Duration::from_millis(300);
    /// How often (in operations) the CPU clock is read: a system call, so not every one.
    pub const CPU_CHECK_EVERY: u64 = 64;
}

/// The CPU clock of the hook call running on this thread.
pub mod budget {
    use std::cell::Cell;
    use std::time::Duration;

    use cpu_time::ThreadTime;

    thread_local! {
        static STARTED: Cell<Option<Duration>> = const { Cell::new(None) };
    }

    fn now() -> Option<Duration> {
        ThreadTime::try_now().ok().map(|t| t.as_duration())
    }

    thread_local! {
        static DEPTH: Cell<usize> = const { Cell::new(0) };
    }

    /// Runs the clock while it lives. Nested budgets share the outermost one's start: a
    /// plugin importing a plugin does not get a fresh 300 ms at every level.
    pub struct Budget(());

    impl Drop for Budget {
        fn drop(&mut self) {
            DEPTH.set(DEPTH.get().saturating_sub(1));
        }
    }

    /// Starts the clock of a hook call, a compile, or a plugin's top level.
    pub fn enter() -> Budget {
        if DEPTH.get() == 0 {
            STARTED.set(now());
        }
        DEPTH.set(DEPTH.get() + 1);
        Budget(())
    }

    /// Whether the call has used up `super::limits::CPU_PER_CALL`.
    pub(super) fn spent() -> bool {
        match (STARTED.get(), now()) {
            (Some(started), Some(now)) => now.saturating_sub(started) > super::limits::CPU_PER_CALL,
            _ => false,
        }
    }
}

/// The token a call stopped by its CPU budget ends with.
pub const OUT_OF_CPU: &str = "out-of-cpu";

/// What a set's host functions need: handed to each call as its tag.
#[derive(Debug)]
pub struct SetContext {
    pub calendar: Arc<Calendar>,
    pub night: (NaiveTime, NaiveTime),
    pub units: BTreeMap<String, Unit>,
    pub areas: BTreeMap<String, Area>,
    pub data: Map,
}

type HostResult<T> = Result<T, Box<EvalAltResult>>;

fn host_error(message: impl Into<String>) -> Box<EvalAltResult> {
    message.into().into()
}

fn context(ctx: &NativeCallContext) -> HostResult<Arc<SetContext>> {
    ctx.tag()
        .and_then(|tag| tag.read_lock::<Arc<SetContext>>().map(|c| Arc::clone(&c)))
        .ok_or_else(|| {
            host_error(format!(
                "`{}` needs a policy set's context; call it from a hook, not at the top level",
                ctx.fn_name()
            ))
        })
}

fn unit_map(unit: &Unit) -> Dynamic {
    let mut map = Map::new();
    map.insert("id".into(), unit.id.clone().into());
    map.insert("name".into(), unit.name.clone().into());
    map.insert("level".into(), unit.level.as_str().into());
    map.insert(
        "kind".into(),
        unit.kind.clone().map_or(Dynamic::UNIT, Dynamic::from),
    );
    map.insert(
        "parent".into(),
        unit.parent.clone().map_or(Dynamic::UNIT, Dynamic::from),
    );
    Dynamic::from_map(map)
}

fn unit_matches(unit: &Dynamic, filter: &Map) -> bool {
    let Some(fields) = unit.read_lock::<Map>() else {
        return false;
    };
    filter.iter().all(|(key, wanted)| {
        fields
            .get(key)
            .is_some_and(|have| have.to_string() == wanted.to_string())
    })
}

fn register_time(engine: &mut Engine) {
    engine
        .register_type_with_name::<Instant>("Instant")
        .register_fn("to_string", |t: &mut Instant| t.rfc3339())
        .register_fn("to_debug", |t: &mut Instant| t.rfc3339())
        .register_get("provisional", |t: &mut Instant| t.provisional)
        .register_get("hour", |t: &mut Instant| i64::from(t.at.hour()))
        .register_fn("==", |a: Instant, b: Instant| a.at == b.at)
        .register_fn("!=", |a: Instant, b: Instant| a.at != b.at)
        .register_fn("<", |a: Instant, b: Instant| a.at < b.at)
        .register_fn("<=", |a: Instant, b: Instant| a.at <= b.at)
        .register_fn(">", |a: Instant, b: Instant| a.at > b.at)
        .register_fn(">=", |a: Instant, b: Instant| a.at >= b.at);

    fn step(
        t: Instant,
        n: i64,
        f: fn(
            chrono::DateTime<FixedOffset>,
            i64,
        ) -> Result<chrono::DateTime<FixedOffset>, calendar::TimeError>,
    ) -> HostResult<Instant> {
        f(t.at, n)
            .map(|at| t.then(Due::exact(at)))
            .map_err(|e| host_error(e.to_string()))
    }
    engine
        .register_fn("hours", |t: Instant, n: i64| step(t, n, calendar::hours))
        .register_fn("days", |t: Instant, n: i64| step(t, n, calendar::days))
        .register_fn("months", |t: Instant, n: i64| step(t, n, calendar::months))
        .register_fn(
            "working_days",
            |ctx: NativeCallContext, t: Instant, n: i64| -> HostResult<Instant> {
                let set = context(&ctx)?;
                calendar::working_days(&set.calendar, t.at, n)
                    .map(|due| t.then(due))
                    .map_err(|e| host_error(e.to_string()))
            },
        )
        .register_fn(
            "is_working_day",
            |ctx: NativeCallContext, t: Instant| -> HostResult<bool> {
                Ok(context(&ctx)?.calendar.day(t.at.date_naive()).working)
            },
        )
        .register_fn(
            "is_night",
            |ctx: NativeCallContext, t: Instant| -> HostResult<bool> {
                let (from, until) = context(&ctx)?.night;
                let time = t.at.time();
                Ok(if from <= until {
                    time >= from && time < until
                } else {
                    time >= from || time < until
                })
            },
        );
}

fn register_units_and_data(engine: &mut Engine) {
    engine
        .register_fn(
            "unit",
            |ctx: NativeCallContext, id: ImmutableString| -> HostResult<Dynamic> {
                let set = context(&ctx)?;
                set.units
                    .get(id.as_str())
                    .map(unit_map)
                    .ok_or_else(|| host_error(format!("unknown unit `{id}`")))
            },
        )
        .register_fn(
            "has_unit",
            |ctx: NativeCallContext, id: ImmutableString| -> HostResult<bool> {
                Ok(context(&ctx)?.units.contains_key(id.as_str()))
            },
        )
        .register_fn(
            "units_where",
            |ctx: NativeCallContext, filter: Map| -> HostResult<Array> {
                let set = context(&ctx)?;
                Ok(set
                    .units
                    .values()
                    .map(unit_map)
                    .filter(|u| unit_matches(u, &filter))
                    .collect())
            },
        )
        .register_fn(
            "area",
            |ctx: NativeCallContext, id: ImmutableString| -> HostResult<Dynamic> {
                let set = context(&ctx)?;
                let area = set
                    .areas
                    .get(id.as_str())
                    .ok_or_else(|| host_error(format!("unknown area `{id}`")))?;
                let mut map = Map::new();
                map.insert("id".into(), area.id.clone().into());
                map.insert("name".into(), area.name.clone().into());
                map.insert(
                    "unit".into(),
                    area.unit.clone().map_or(Dynamic::UNIT, Dynamic::from),
                );
                Ok(Dynamic::from_map(map))
            },
        )
        .register_fn(
            "data",
            |ctx: NativeCallContext, name: ImmutableString| -> HostResult<Dynamic> {
                let set = context(&ctx)?;
                set.data
                    .get(name.as_str())
                    .cloned()
                    .ok_or_else(|| host_error(format!("policy.toml has no table `[data.{name}]`")))
            },
        )
        .register_fn(
            "has_flag",
            |ticket: &mut Map, name: ImmutableString| -> HostResult<bool> {
                if Flag::parse(name.as_str()).is_none() {
                    return Err(host_error(format!("unknown flag `{name}`")));
                }
                let flags = ticket.get("flags").and_then(|f| f.read_lock::<Array>());
                Ok(flags.is_some_and(|flags| {
                    flags
                        .iter()
                        .any(|f| f.read_lock::<ImmutableString>().is_some_and(|s| *s == name))
                }))
            },
        );
}

fn apply_limits(engine: &mut Engine) {
    use limits::*;
    engine
        .set_max_operations(OPERATIONS)
        .set_max_call_levels(CALL_LEVELS)
        .set_max_expr_depths(EXPR_DEPTH, FN_EXPR_DEPTH)
        .set_max_string_size(STRING_SIZE)
        .set_max_array_size(ARRAY_SIZE)
        .set_max_map_size(MAP_SIZE)
        .set_max_modules(MODULES)
        .set_max_variables(VARIABLES)
        .set_max_functions(FUNCTIONS)
        .set_strict_variables(true);
    engine.on_progress(|operations| {
        (operations % CPU_CHECK_EVERY == 0 && budget::spent()).then(|| OUT_OF_CPU.into())
    });
    // A decision must be a pure function of its input: no `eval` of built strings.
    engine.disable_symbol("eval");
    engine.on_print(|text| tracing::info!(target: "jiesu::policy::print", "{text}"));
    engine.on_debug(|text, source, pos| {
        tracing::debug!(target: "jiesu::policy::debug", source = source.unwrap_or(""), %pos, "{text}");
    });
}

/// An engine with the sandbox and host functions, and no module resolver: compiled sets are
/// self-contained, so nothing is read from disk while deciding.
pub fn sandboxed_engine() -> Engine {
    let mut engine = Engine::new();
    apply_limits(&mut engine);
    register_time(&mut engine);
    register_units_and_data(&mut engine);
    engine.set_module_resolver(DummyModuleResolver::new());
    engine
}

thread_local! {
    static RUNTIME: Engine = sandboxed_engine();
}

/// Runs `f` with this thread's runtime engine.
pub fn with_runtime<R>(f: impl FnOnce(&Engine) -> R) -> R {
    RUNTIME.with(f)
}
