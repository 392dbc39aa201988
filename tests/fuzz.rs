//! A fuzz target for everything a sender's bytes reach: the example events of `schema/examples/`
//! (a complaint and case-management decisions), mutated at random — a value replaced by a
//! hostile one (huge, control characters, extreme dates and numbers, wrong types, deep nesting),
//! a field dropped or added, bytes flipped — then validated, and, when accepted, applied by
//! every worker that reads events from outside (intake, casework, acknowledgement, deadlines)
//! against a real database, in a transaction that is rolled back. Nothing may panic, and every
//! refusal's reason stays within its bound.
//!
//! `FUZZ_CASES` sets how many cases run (256 by default, as CI runs it; `scripts/fuzz` runs
//! many more). The test prints how many ran, were accepted and were applied.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Utc;
use common::test_config;
use complaints::app::App;
use complaints::db::scratch::ScratchDatabase;
use complaints::events::checks::{Checks, MAX_REASON_BYTES};
use complaints::events::incoming::{parse_data, parse_envelope};
use complaints::events::CloudEvent;
use complaints::workers::acknowledgement::Acknowledgement;
use complaints::workers::casework::Casework;
use complaints::workers::deadlines::Deadlines;
use complaints::workers::intake::Intake;
use complaints::workers::Worker;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

/// The example events, the seeds of every mutation.
fn seeds() -> Vec<Value> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/examples");
    let mut seeds: Vec<Value> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| serde_json::from_slice(&std::fs::read(e.unwrap().path()).unwrap()).unwrap())
        .collect();
    seeds.sort_by_key(|s| s["type"].as_str().unwrap_or_default().to_owned());
    for seed in &mut seeds {
        seed["time"] = json!(Utc::now());
        if seed["data"]["received_at"].is_string() {
            seed["data"]["received_at"] = json!(Utc::now());
        }
    }
    seeds
}

/// A hostile value.
fn hostile_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::from),
        "[\\x00-\\x1f\\u{202e}\\u{200b}a-z]{0,20}".prop_map(Value::from),
        (1usize..30_000).prop_map(|n| Value::from("x".repeat(n))),
        prop_oneof![
            Just("+262142-12-31T00:00:00Z"),
            Just("-262143-01-01T00:00:00Z"),
            Just("+262142-12-31"),
            Just("9999-12-31T23:59:59Z"),
            Just("1900-01-01"),
            Just("2026-02-30"),
            Just("RES-2026-000001"),
            Just("DIS-2026-000001"),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::hash_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// One way to spoil an event.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the value at a leaf (chosen by index, modulo the leaves) with another.
    Replace(usize, Value),
    /// Remove the key at a leaf.
    Remove(usize),
    /// Add a key to the payload.
    Add(String, Value),
    /// Flip a byte of the serialised event.
    Flip(usize, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), hostile_value()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        1 => any::<usize>().prop_map(Mutation::Remove),
        1 => ("[a-z_]{1,12}", hostile_value()).prop_map(|(k, v)| Mutation::Add(k, v)),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
    ]
}

/// The paths of every leaf of `value`, as JSON pointers.
fn leaves(value: &Value, at: String, into: &mut Vec<String>) {
    match value {
        Value::Object(map) => map
            .iter()
            .for_each(|(k, v)| leaves(v, format!("{at}/{k}"), into)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| leaves(v, format!("{at}/{i}"), into)),
        _ => into.push(at),
    }
}

/// `seed` spoilt by `mutations`, as bytes.
fn spoil(seed: &Value, mutations: &[Mutation]) -> Vec<u8> {
    let mut event = seed.clone();
    let mut flips = Vec::new();
    for mutation in mutations {
        let mut paths = Vec::new();
        leaves(&event, String::new(), &mut paths);
        match mutation {
            Mutation::Replace(i, value) if !paths.is_empty() => {
                if let Some(slot) = event.pointer_mut(&paths[i % paths.len()]) {
                    *slot = value.clone();
                }
            }
            Mutation::Remove(i) if !paths.is_empty() => {
                let path = &paths[i % paths.len()];
                let (parent, key) = path.rsplit_once('/').unwrap();
                if let Some(Value::Object(map)) = event.pointer_mut(parent) {
                    map.remove(key);
                }
            }
            Mutation::Add(key, value) => {
                if let Some(Value::Object(data)) = event.get_mut("data") {
                    data.insert(key.clone(), value.clone());
                }
            }
            Mutation::Flip(i, b) => flips.push((*i, *b)),
            _ => {}
        }
    }
    let mut bytes = serde_json::to_vec(&event).unwrap();
    for (i, b) in flips {
        let at = i % bytes.len();
        bytes[at] ^= b;
    }
    bytes
}

static RAN: AtomicUsize = AtomicUsize::new(0);
static APPLIED: AtomicUsize = AtomicUsize::new(0);

/// Types the envelope as `W` reads it and, when it is one, applies it in a transaction that is
/// rolled back. Errors are fine (a refusal); only a panic fails the fuzz.
async fn through<W: Worker>(
    worker: &W,
    conn: &mut AsyncPgConnection,
    envelope: &CloudEvent<Value>,
    checks: &Checks,
) -> bool {
    let Ok(event) = parse_data::<W::Event>(envelope.clone(), checks) else {
        return false;
    };
    let _ = conn
        .transaction::<(), anyhow::Error, _>(async |conn| {
            let _ = worker.apply(conn, &[&event], checks.now).await;
            anyhow::bail!("rolled back")
        })
        .await;
    true
}

#[test]
fn no_event_a_sender_can_write_makes_anything_panic() {
    let cases: u32 = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let base = test_config("postgres://postgres@127.0.0.1:5432/postgres");
    let scratch = runtime
        .block_on(ScratchDatabase::from_template(
            &base.database_url(),
            "complaints_fuzz",
        ))
        .expect("PostgreSQL is running (scripts/services starts it)");
    let mut config = base;
    config.database.url = scratch.url.clone();
    let app = App::new(config).unwrap();
    let (intake, casework) = (Intake, Casework);
    let (acknowledgement, deadlines) = (
        Acknowledgement::build(&app).unwrap(),
        Deadlines::build(&app).unwrap(),
    );
    let mut conn = runtime
        .block_on(AsyncPgConnection::establish(&scratch.url))
        .unwrap();
    // A case to decide about: the sample complaint, applied for real.
    let seeds = seeds();
    let sample = seeds
        .iter()
        .find(|s| s["type"] == "complaint.received")
        .unwrap();
    runtime.block_on(async {
        let checks = Checks::new(Utc::now(), 31);
        let envelope = parse_envelope(&serde_json::to_vec(sample).unwrap()).unwrap();
        let event = parse_data(envelope, &checks).unwrap();
        intake
            .apply(&mut conn, &[&event], checks.now)
            .await
            .unwrap();
    });

    let strategy = (0..seeds.len(), prop::collection::vec(mutation(), 0..3));
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let conn = std::cell::RefCell::new(conn);
    let result = runner.run(&strategy, |(seed, mutations)| {
        RAN.fetch_add(1, Ordering::Relaxed);
        let body = spoil(&seeds[seed], &mutations);
        let checks = Checks::new(Utc::now(), 31);
        let envelope = match parse_envelope(&body) {
            Ok(envelope) => envelope,
            Err(refusal) => {
                prop_assert!(refusal.reason().len() <= MAX_REASON_BYTES);
                return Ok(());
            }
        };
        let mut conn = conn.borrow_mut();
        let conn = &mut *conn;
        runtime.block_on(async {
            let mut took = false;
            took |= through(&intake, conn, &envelope, &checks).await;
            took |= through(&casework, conn, &envelope, &checks).await;
            took |= through(&acknowledgement, conn, &envelope, &checks).await;
            took |= through(&deadlines, conn, &envelope, &checks).await;
            if took {
                APPLIED.fetch_add(1, Ordering::Relaxed);
            }
        });
        Ok(())
    });
    drop(conn);
    runtime.block_on(scratch.drop_database()).unwrap();
    println!(
        "fuzz: {} cases, {} accepted and applied by a worker",
        RAN.load(Ordering::Relaxed),
        APPLIED.load(Ordering::Relaxed),
    );
    result.unwrap();
}
