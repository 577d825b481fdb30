//! Time per filing decision set (accept + route + time_limits) in the engine, and the
//! working-day arithmetic under it. `cargo bench --bench filing_decisions`
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::path::PathBuf;

use chrono::DateTime;
use criterion::{Criterion, criterion_group, criterion_main};
use jiesu::calendar::{load_dir, working_days};
use jiesu::domain::NewTicket;
use jiesu::policy::{Hook, Paths, compile_set, policy_ticket};
use serde_json::json;

fn filing(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let paths = Paths {
        policies: root.join("policies"),
        plugins: root.join("plugins"),
    };
    let calendars = load_dir(&paths.calendars()).unwrap();
    let set = compile_set(&paths, &calendars, "anshan").unwrap();
    // The input exactly as the server builds it for a filing.
    let filed: NewTicket =
        serde_json::from_value(json!({"jurisdiction": "anshan", "channel": "phone",
        "category": "complaint", "topic": "noise", "flags": ["multi_department"],
        "area": "tiedong", "content": "夜间施工噪音", "received_at": "2025-09-30T10:00:00+08:00"}))
        .unwrap();
    let args = [policy_ticket("bench", &filed, filed.received_at.unwrap())];

    c.bench_function(
        "anshan filing decision set (accept+route+time_limits)",
        |b| {
            b.iter(|| {
                let a = set.decide(Hook::Accept, black_box(&args)).unwrap();
                let r = set.decide(Hook::Route, black_box(&args)).unwrap();
                let t = set.decide(Hook::TimeLimits, black_box(&args)).unwrap();
                black_box((a, r, t))
            })
        },
    );

    // The other sets, on tickets that take their longest paths: Hohhot's dual dispatch with a
    // township and co-unit clocks, and Hualong's complaint with its PY-conflicts note.
    for (id, ticket) in [
        (
            "hohhot",
            json!({"jurisdiction": "hohhot", "channel": "phone", "category": "complaint",
                   "topic": "waste", "flags": ["multi_department"], "area": "hailar-road-east",
                   "content": "垃圾清运不及时", "received_at": "2025-09-30T10:00:00+08:00"}),
        ),
        (
            "puyang-hualong",
            json!({"jurisdiction": "puyang-hualong", "channel": "phone", "category": "complaint",
                   "topic": "waste", "flags": ["multi_department"], "area": "yuecun",
                   "content": "垃圾清运不及时", "received_at": "2025-09-30T10:00:00+08:00"}),
        ),
    ] {
        let set = compile_set(&paths, &calendars, id).unwrap();
        let filed: NewTicket = serde_json::from_value(ticket).unwrap();
        let args = [policy_ticket("bench", &filed, filed.received_at.unwrap())];
        c.bench_function(&format!("{id} filing decision set"), |b| {
            b.iter(|| {
                let a = set.decide(Hook::Accept, black_box(&args)).unwrap();
                let r = set.decide(Hook::Route, black_box(&args)).unwrap();
                let t = set.decide(Hook::TimeLimits, black_box(&args)).unwrap();
                black_box((a, r, t))
            })
        });
    }

    let cn = calendars.get("cn").unwrap();
    let t = DateTime::parse_from_rfc3339("2025-09-30T10:00:00+08:00").unwrap();
    c.bench_function("working_days(+20) across National Day", |b| {
        b.iter(|| working_days(cn, black_box(t), black_box(20)).unwrap())
    });

    c.bench_function("compile anshan (cold reload)", |b| {
        b.iter(|| compile_set(&paths, &calendars, "anshan").unwrap())
    });
}

criterion_group!(benches, filing);
criterion_main!(benches);
