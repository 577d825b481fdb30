//! Sweep wall time over many open tickets of which few are due, at two sizes, to show it
//! follows the due count, not the open count. `cargo bench --bench sweep`
//! (OPEN=100000 DUE=1000 by default; the small run uses a tenth of OPEN). With
//! KEEP_DB=DIR the large run's database stays in DIR, e.g. to time `jiesu simulate` on it.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use jiesu::domain::NewTicket;
use jiesu::policy::{Paths, Registry};
use jiesu::service::Service;
use jiesu::store::Store;
use serde_json::json;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ticket(received_at: &str) -> NewTicket {
    serde_json::from_value(json!({"jurisdiction": "anshan", "channel": "phone",
        "category": "complaint", "topic": "noise", "content": "夜间施工噪音",
        "received_at": received_at}))
    .unwrap()
}

fn service(dir: &std::path::Path) -> Arc<Service> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let store = Store::open(&format!("sqlite://{}", dir.join("sweep.db").display())).unwrap();
    let registry = Registry::load(
        Paths {
            policies: root.join("policies"),
            plugins: root.join("plugins"),
        },
        Some(BTreeSet::from(["anshan".to_owned()])),
    )
    .unwrap();
    Arc::new(Service::new(Arc::new(registry), store).unwrap())
}

/// Files `count` tickets received at `received_at`, on two threads.
fn fill(service: &Arc<Service>, count: usize, received_at: &str) {
    std::thread::scope(|s| {
        for part in 0..2 {
            let service = Arc::clone(service);
            s.spawn(move || {
                for _ in 0..count / 2 + (count % 2) * part {
                    service
                        .file_ticket(
                            &jiesu::domain::Principal::admin("bench"),
                            ticket(received_at),
                            None,
                            Utc::now(),
                        )
                        .unwrap();
                }
            });
        }
    });
}

fn measure(open: usize, due: usize, keep: Option<&std::path::Path>) {
    let scratch = tempfile::tempdir().unwrap();
    let dir = keep.unwrap_or(scratch.path());
    let service = service(dir);
    let started = Instant::now();
    // Due: 20 working days from 9 Oct 2026 end on 6 Nov. Not due: from 10 Nov, on 8 Dec.
    fill(&service, due, "2026-10-09T09:00:00+08:00");
    fill(&service, open - due, "2026-11-10T09:00:00+08:00");
    let filled = started.elapsed();
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-11-20T10:00:00+08:00")
        .unwrap()
        .into();

    let started = Instant::now();
    let fired = service.sweep(now).unwrap();
    let first = started.elapsed();
    let started = Instant::now();
    let again = service.sweep(now).unwrap();
    let idle = started.elapsed();
    assert_eq!(fired.len(), due);
    assert!(again.is_empty());
    println!(
        "{open:>7} open, {due} due: sweep {:>7.1} ms ({:.0} µs per fired clock); same sweep again {:.2} ms; (filing took {:.1} s)",
        first.as_secs_f64() * 1e3,
        first.as_secs_f64() * 1e6 / due as f64,
        idle.as_secs_f64() * 1e3,
        filled.as_secs_f64(),
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let open = env("OPEN", 100_000);
    let due = env("DUE", 1_000);
    let keep = std::env::var_os("KEEP_DB").map(PathBuf::from);
    measure(open / 10, due, None);
    measure(open, due, keep.as_deref());
}
