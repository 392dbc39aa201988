//! `complaints bench intake --count N`: throughput of intake through the real broker and
//! database, beside the raw ceiling of the broker measured in the same run.
//!
//! 1. **Broker ceiling**: N persistent messages the size of a complaint, published with
//!    confirms to a quorum queue and consumed with acks, no other work: what RabbitMQ on this
//!    machine can carry.
//! 2. **Intake end to end**: N distinct complaints published with confirms to
//!    `complaints.events`, consumed by the intake worker (with the outbox relay running, as in
//!    production); the clock stops when the N-th case is committed.
//!
//! Both run in a scratch database and a scratch broker namespace, removed afterwards.

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Subcommand};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicQosOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::FieldTable;
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::app::App;
use crate::broker::publisher::{Outgoing, Publisher};
use crate::broker::topology::long_string;
use crate::config::Config;
use crate::db::schema::{cases, outbox};
use crate::db::scratch::ScratchDatabase;
use crate::supervisor::{self, WorkerKind};
use crate::workers::QUEUES;

/// The sample complaint every benchmark message is made from.
const SAMPLE: &str = include_str!("../../schema/examples/complaint.received.json");

/// Publishes are confirmed in windows of this many messages.
const CONFIRM_WINDOW: usize = 1000;

/// Arguments of `complaints bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// What to measure.
    #[command(subcommand)]
    pub what: BenchKind,
}

/// The benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchKind {
    /// Complaints per second from publish to case committed, and the broker's raw ceiling.
    #[command(
        after_help = "Example:\n  cargo run --release -- bench intake --count 50000\n\n\
Uses the configured PostgreSQL server and RabbitMQ broker, in a scratch database and a scratch \
namespace that are removed afterwards. Run it on an otherwise idle machine, from a release build."
    )]
    Intake {
        /// Complaints to publish.
        #[arg(long, default_value_t = 20_000)]
        count: usize,
    },
}

/// Runs a benchmark and prints its figures.
pub async fn bench(config: Config, args: BenchArgs) -> anyhow::Result<()> {
    let BenchKind::Intake { count } = args.what;
    let scratch = ScratchDatabase::create(&config.database_url(), "complaints_bench").await?;
    let namespace = format!("bench-{}", Uuid::new_v4().simple());
    let mut config = config;
    config.database.url = scratch.url.clone();
    config.database.password = None;
    config.amqp.namespace = namespace;
    let app = App::new(config)?;
    let outcome = run_intake_bench(&app, count).await;
    let cleanup = async {
        let connection = crate::broker::connect(&app.config.amqp_url(), "complaints-bench").await?;
        let channel = connection.create_channel().await?;
        app.topology.delete(&channel, QUEUES).await?;
        connection.close(200, "bench done".into()).await?;
        anyhow::Ok(())
    }
    .await;
    scratch.drop_database().await?;
    cleanup?;
    outcome
}

async fn run_intake_bench(app: &App, count: usize) -> anyhow::Result<()> {
    app.prepare().await?;
    let bodies = complaints(count);
    let size = bodies.iter().map(Vec::len).sum::<usize>() / count.max(1);
    eprintln!(
        "broker ceiling: {count} persistent messages of {size} bytes, confirms, quorum queue…"
    );
    let ceiling = broker_ceiling(app, &bodies).await?;
    let ceiling_rate = count as f64 / ceiling.as_secs_f64();

    eprintln!("intake end to end: {count} complaints…");
    let shutdown = CancellationToken::new();
    let mut workers = supervisor::start(
        app,
        &[WorkerKind::Intake, WorkerKind::OutboxRelay],
        None,
        &shutdown,
    );
    let started = Instant::now();
    let publishing = {
        let publisher = app.publisher.clone();
        let bodies = bodies.clone();
        tokio::spawn(async move { publish_all(&publisher, "complaint.received", &bodies).await })
    };
    let mut conn = app.pool.get().await?;
    let mut last_report = Instant::now();
    loop {
        let opened: i64 = cases::table.count().get_result(&mut conn).await?;
        if opened as usize >= count {
            break;
        }
        if last_report.elapsed() > Duration::from_secs(2) {
            eprintln!("  {opened}/{count} cases committed");
            last_report = Instant::now();
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "gave up after 10 minutes with {opened}/{count} cases"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let end_to_end = started.elapsed();
    publishing.await??;
    let unsent = loop {
        let unsent: i64 = outbox::table
            .filter(outbox::sent_at.is_null())
            .count()
            .get_result(&mut conn)
            .await?;
        if unsent == 0 || started.elapsed() > Duration::from_secs(600) {
            break unsent;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let drained = started.elapsed();
    shutdown.cancel();
    while workers.join_next().await.is_some() {}

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
        "  outbox drained (case.opened published) after:               {:>8.2} s{}",
        drained.as_secs_f64(),
        if unsent > 0 {
            format!(" ({unsent} still unsent)")
        } else {
            String::new()
        }
    );
    Ok(())
}

/// `count` distinct complaints: the sample with a fresh event id and customer each.
fn complaints(count: usize) -> Vec<Vec<u8>> {
    let sample: Value = serde_json::from_str(SAMPLE).expect("the sample is JSON");
    (0..count)
        .map(|n| {
            let mut event = sample.clone();
            event["id"] = Value::String(Uuid::now_v7().to_string());
            event["data"]["customer"]["reference"] = Value::String(format!("BENCH-{n:08}"));
            serde_json::to_vec(&event).expect("JSON serialises")
        })
        .collect()
}

/// Publishes every body with confirms, a window at a time.
async fn publish_all(
    publisher: &Publisher,
    routing_key: &str,
    bodies: &[Vec<u8>],
) -> anyhow::Result<()> {
    for window in bodies.chunks(CONFIRM_WINDOW) {
        let messages: Vec<Outgoing<'_>> = window
            .iter()
            .map(|body| Outgoing {
                routing_key,
                body,
                message_id: Uuid::now_v7(),
            })
            .collect();
        publisher.publish_confirmed(&messages).await?;
    }
    Ok(())
}

/// Time to publish and consume every body through a quorum queue with no work.
async fn broker_ceiling(app: &App, bodies: &[Vec<u8>]) -> anyhow::Result<Duration> {
    let queue = format!("{}.raw", app.topology.queue("bench"));
    let connection =
        crate::broker::connect(&app.config.amqp_url(), "complaints-bench-consumer").await?;
    let channel = connection.create_channel().await?;
    let mut args = FieldTable::default();
    args.insert("x-queue-type".into(), long_string("quorum"));
    channel
        .queue_declare(
            queue.as_str().into(),
            QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            args,
        )
        .await?;
    channel
        .basic_qos(app.config.amqp.prefetch, BasicQosOptions::default())
        .await?;
    let mut consumer = channel
        .basic_consume(
            queue.as_str().into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let consumer_tag = consumer.tag();
    let total = bodies.len();
    let started = Instant::now();
    let consuming = tokio::spawn(async move {
        let mut received = 0;
        while received < total {
            let delivery = consumer.next().await.context("the consumer ended")??;
            received += 1;
            if received % 64 == 0 || received == total {
                delivery
                    .acker
                    .ack(BasicAckOptions { multiple: true })
                    .await?;
            }
        }
        anyhow::Ok(())
    });
    let publisher = Publisher::new(&app.config.amqp_url(), "complaints-bench-publisher", "");
    publish_all(&publisher, &queue, bodies).await?;
    consuming.await??;
    let elapsed = started.elapsed();
    // Cancel the consumer before deleting its queue: RabbitMQ 3.10 fails the connection when
    // a quorum queue is deleted under a live consumer.
    channel
        .basic_cancel(consumer_tag, BasicCancelOptions::default())
        .await?;
    channel
        .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
        .await?;
    connection.close(200, "bench done".into()).await?;
    Ok(elapsed)
}
