//! `complaints bench intake --count N`: throughput of intake through the real broker and
//! database, beside the raw ceiling of the broker measured in the same run.
//!
//! 1. **Broker ceiling**: N persistent messages the size of a complaint, published with
//!    confirms to a quorum queue and consumed with acks, no other work: what RabbitMQ on this
//!    machine can carry.
//! 2. **Intake end to end**: after a warm-up (a tenth of N, at most 2,000, then `ANALYZE`, as
//!    autovacuum would have run on a live system: without it the intake worker's prepared
//!    look-up of a customer's earlier cases keeps a plan made for an empty table and reads
//!    every case, so the rate falls as the run goes on), N distinct complaints published with
//!    confirms to `complaints.events`, consumed by the intake worker; the clock stops when the
//!    N-th case is committed (with its timeline and its `case.opened` in the outbox).
//! 3. **Relay**: the outbox relay then publishes every `case.opened` event with confirms; each
//!    is routed to every queue bound to it (the acknowledgement and deadlines workers'), so it
//!    costs the broker more than a complaint. It is timed on its own so that the intake figure
//!    is intake's, not the fan-out's.

use std::time::{Duration, Instant};

use clap::Args;
use tokio_util::sync::CancellationToken;

use super::{broker_ceiling, complaints, publish_all, wait_for_count, GIVE_UP_AFTER};
use crate::app::App;
use crate::supervisor::{self, WorkerKind};
use crate::workers::QUEUES;

/// Most complaints the warm-up sends through intake before the timed run.
const WARM_UP: usize = 2_000;

/// Arguments of `complaints bench intake`.
#[derive(Debug, Args)]
pub struct IntakeArgs {
    /// Complaints to publish.
    #[arg(long, default_value_t = 20_000)]
    pub count: usize,
}

/// Runs the benchmark in `app`'s (scratch) database and namespace and prints its figures.
pub async fn run(app: &App, args: IntakeArgs) -> anyhow::Result<()> {
    let IntakeArgs { count } = args;
    app.prepare().await?;
    let warm = (count / 10).clamp(1, WARM_UP);
    let mut warm_up = complaints(warm + count);
    let bodies = warm_up.split_off(warm);
    let size = bodies.iter().map(Vec::len).sum::<usize>() / count.max(1);
    eprintln!(
        "broker ceiling: {count} persistent messages of {size} bytes, confirms, quorum queue…"
    );
    let ceiling = broker_ceiling(app, &bodies).await?;
    let ceiling_rate = count as f64 / ceiling.as_secs_f64();

    let shutdown = CancellationToken::new();
    let mut workers = supervisor::start(app, &[WorkerKind::Intake], None, &shutdown)?;
    let mut conn = app.pool.get().await?;
    eprintln!("warm-up: {warm} complaints through intake, then ANALYZE…");
    publish_all(&app.publisher, "complaint.received", &warm_up).await?;
    wait_for_count(warm, "warm-up cases committed", async || {
        Ok(crate::db::bench::count_cases(&mut conn).await?)
    })
    .await?;
    crate::db::bench::analyze(&mut conn).await?;

    eprintln!("intake end to end: {count} complaints…");
    let started = Instant::now();
    let publishing = {
        let publisher = app.publisher.clone();
        let bodies = bodies.clone();
        tokio::spawn(async move { publish_all(&publisher, "complaint.received", &bodies).await })
    };
    wait_for_count(warm + count, "cases committed", async || {
        Ok(crate::db::bench::count_cases(&mut conn).await?)
    })
    .await?;
    let end_to_end = started.elapsed();
    publishing.await??;
    shutdown.cancel();
    while workers.join_next().await.is_some() {}

    let opened = warm + count;
    eprintln!("relay: publishing {opened} case.opened events…");
    let shutdown = CancellationToken::new();
    let mut relay = supervisor::start(app, &[WorkerKind::OutboxRelay], None, &shutdown)?;
    let relaying = Instant::now();
    let unsent = loop {
        let unsent = crate::db::outbox::count_unsent(&mut conn).await?;
        if unsent == 0 || relaying.elapsed() > GIVE_UP_AFTER {
            break unsent;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let drained = relaying.elapsed();
    shutdown.cancel();
    while relay.join_next().await.is_some() {}

    let rate = count as f64 / end_to_end.as_secs_f64();
    println!("complaints bench intake --count {count}");
    println!(
        "  broker ceiling (persistent, confirms, quorum queue, no work): {ceiling_rate:>8.0} msg/s ({:.2} s)",
        ceiling.as_secs_f64()
    );
    println!(
        "  intake end to end (publish → case committed):                {rate:>8.0} complaints/s ({:.2} s)",
        end_to_end.as_secs_f64()
    );
    println!(
        "  ratio to the broker ceiling:                                  {:>7.0} %",
        100.0 * rate / ceiling_rate
    );
    println!(
        "  relay (case.opened to {} queues, confirms):                 {:>8.0} events/s ({:.2} s){}",
        QUEUES.iter().filter(|q| q.event_types.contains(&"case.opened")).count(),
        (opened as i64 - unsent) as f64 / drained.as_secs_f64(),
        drained.as_secs_f64(),
        if unsent > 0 {
            format!(" ({unsent} still unsent)")
        } else {
            String::new()
        }
    );
    Ok(())
}
