//! Room for hostile values: Rhai builds, checks and drops nested arrays and maps by
//! recursion, so a value a few thousand levels deep overflows a 2 MiB thread stack and
//! aborts the process. Every decision therefore runs on a stack the sandbox's size limits
//! fit: threads made here have one, and any other thread borrows one for the call.

use std::cell::Cell;
use std::io;
use std::thread::{Builder, JoinHandle, Scope, ScopedJoinHandle};

/// The sandbox caps a value at `ARRAY_SIZE` arrays plus `MAP_SIZE` maps, so at most about
/// 20,000 levels; measured, that needs under 16 MiB. Only the pages touched are committed.
pub const DECISION_STACK: usize = 64 << 20;

thread_local! {
    static ROOMY: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` on a stack with `DECISION_STACK` of room: directly on threads made by
/// [`spawn`] or [`spawn_scoped`], on a borrowed segment elsewhere (the CLI's main thread,
/// a test's, a watcher's).
pub fn with_room<R>(f: impl FnOnce() -> R) -> R {
    if ROOMY.get() {
        f()
    } else {
        stacker::grow(DECISION_STACK, || {
            let _roomy = Borrowed::mark();
            f()
        })
    }
}

/// Marks the borrowed segment roomy while it is in use, and unmarks it even on a panic.
struct Borrowed;

impl Borrowed {
    fn mark() -> Self {
        ROOMY.set(true);
        Self
    }
}

impl Drop for Borrowed {
    fn drop(&mut self) {
        ROOMY.set(false);
    }
}

fn builder(name: String) -> Builder {
    Builder::new().name(name).stack_size(DECISION_STACK)
}

/// A thread that may run decisions.
pub fn spawn<T: Send + 'static>(
    name: impl Into<String>,
    f: impl FnOnce() -> T + Send + 'static,
) -> io::Result<JoinHandle<T>> {
    builder(name.into()).spawn(move || {
        ROOMY.set(true);
        f()
    })
}

/// A scoped thread that may run decisions. Like `Scope::spawn`, it panics only if the
/// operating system cannot make a thread at all.
pub fn spawn_scoped<'scope, 'env, T: Send + 'scope>(
    scope: &'scope Scope<'scope, 'env>,
    name: impl Into<String>,
    f: impl FnOnce() -> T + Send + 'scope,
) -> ScopedJoinHandle<'scope, T> {
    builder(name.into())
        .spawn_scoped(scope, move || {
            ROOMY.set(true);
            f()
        })
        .unwrap_or_else(|e| panic!("cannot start a thread: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(n: u32) -> u32 {
        // Enough frame per level that 100,000 levels cannot fit in a default stack.
        let pad = std::hint::black_box([n; 16]);
        if n == 0 { pad[0] } else { depth(n - 1) + 1 }
    }

    #[test]
    fn deep_recursion_fits_on_any_thread() {
        let on_small = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(|| with_room(|| depth(100_000)))
            .map(|t| t.join());
        assert!(matches!(on_small, Ok(Ok(100_000))));
        let on_roomy = spawn("roomy", || with_room(|| depth(100_000))).map(|t| t.join());
        assert!(matches!(on_roomy, Ok(Ok(100_000))));
    }
}
