//! Schedulers fire every due timer exactly once: two racing on the same due timers share them,
//! and one stopped in the middle of firing (its transaction dropped half-way) loses nothing and
//! repeats nothing when another takes over.

mod common;

use std::collections::HashMap;

use common::{wait_for_within, TestEnv};
use complaints::db::bench::seed_timers;
use complaints::db::schema::{outbox, timers};
use complaints::supervisor::{self, WorkerKind};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const DUE: usize = 3_000;
const PENDING: usize = 6_000;

/// How often each due timer's `timer.fired` event was written, by timer key.
async fn firings(env: &TestEnv) -> HashMap<String, usize> {
    let mut conn = env.conn().await;
    let payloads: Vec<serde_json::Value> = outbox::table
        .filter(outbox::event_type.eq("timer.fired"))
        .select(outbox::payload)
        .load(&mut conn)
        .await
        .unwrap();
    let mut counts = HashMap::new();
    for p in payloads {
        *counts
            .entry(p["data"]["key"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
    }
    counts
}

async fn fired_count(env: &TestEnv) -> i64 {
    let mut conn = env.conn().await;
    timers::table
        .filter(timers::state.eq("fired"))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap()
}

async fn seeded(batch_size: i64) -> TestEnv {
    let env = TestEnv::start_with(&[], |config| config.scheduler.batch_size = batch_size).await;
    let mut conn = env.conn().await;
    seed_timers(&mut conn, PENDING, DUE, env.app.clock.now())
        .await
        .unwrap();
    env
}

fn assert_each_fired_once(firings: &HashMap<String, usize>) {
    assert_eq!(firings.len(), DUE, "every due timer fired");
    assert!(firings.values().all(|&n| n == 1), "none fired twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_schedulers_racing_fire_each_timer_once() {
    let env = seeded(50).await;
    let shutdown = CancellationToken::new();
    let mut both = supervisor::start(
        &env.app,
        &[WorkerKind::Scheduler, WorkerKind::Scheduler],
        None,
        &shutdown,
    )
    .expect("workers start");
    wait_for_within(
        "every due timer to fire",
        Duration::from_secs(60),
        || async { (fired_count(&env).await == DUE as i64).then_some(()) },
    )
    .await;
    shutdown.cancel();
    while both.join_next().await.is_some() {}
    assert_each_fired_once(&firings(&env).await);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduler_stopped_mid_firing_loses_nothing_and_repeats_nothing() {
    let env = seeded(20).await;
    let first_stop = CancellationToken::new();
    let mut first = supervisor::start(&env.app, &[WorkerKind::Scheduler], None, &first_stop)
        .expect("workers start");
    wait_for_within(
        "the first scheduler to be part-way",
        Duration::from_secs(60),
        || async { (fired_count(&env).await >= 200).then_some(()) },
    )
    .await;
    // Killed, not asked to stop: whatever transaction it had open is dropped.
    first.abort_all();
    while first.join_next().await.is_some() {}
    let before = fired_count(&env).await;
    assert!(
        before < DUE as i64,
        "it was stopped in the middle ({before} fired)"
    );

    let second_stop = CancellationToken::new();
    let mut second = supervisor::start(&env.app, &[WorkerKind::Scheduler], None, &second_stop)
        .expect("workers start");
    wait_for_within("the rest to fire", Duration::from_secs(60), || async {
        (fired_count(&env).await == DUE as i64).then_some(())
    })
    .await;
    second_stop.cancel();
    first_stop.cancel();
    while second.join_next().await.is_some() {}
    assert_each_fired_once(&firings(&env).await);
    let mut conn = env.conn().await;
    let still_pending: i64 = timers::table
        .filter(timers::state.eq("pending"))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        still_pending,
        (PENDING - DUE) as i64,
        "the timers not yet due stay pending"
    );
    env.stop().await;
}
