//! `complaints bench …`: what this machine does per second, one benchmark a file over the
//! helpers here (the scratch database and broker namespace, the sample complaints, publishing
//! with confirms, the broker's raw ceiling, waiting for a count).
//!
//! - [`intake`]: complaints/s from publish to case committed, beside the broker's ceiling.
//! - [`casework`]: decisions/s through the casework worker's state machine.
//! - [`timers`]: firing the due timers among many pending ones, and firing lag.
//! - [`letters`]: letters rendered and emailed per second.
//! - [`email`]: the email worker's sends per second, beside the SMTP server's own ceiling.
//! - [`data`]: `show`, GET /v1/cases/{ref}, `status` and a year's `report` over a million cases
//!   and ten million timeline entries.
//! - [`pipeline`]: every worker together on the simulated clock: throughput through the
//!   fan-out and the CPU each part used per complaint, latency at fixed loads, the
//!   acknowledgement letters 41 hours on, peak RSS.
//!
//! [`cpu`] reads where a run's processor time went (workers, PostgreSQL, RabbitMQ).
//!
//! Every benchmark but `letters` runs in a scratch database and (but `data`, which needs no
//! broker) a scratch broker namespace, removed afterwards, so it runs beside a real deployment and leaves nothing behind.

pub mod casework;
pub mod cpu;
pub mod data;
pub mod email;
pub mod intake;
pub mod letters;
pub mod pipeline;
pub mod timers;

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Subcommand};
use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicQosOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::FieldTable;
use serde_json::Value;
use uuid::Uuid;

use crate::app::App;
use crate::broker::publisher::{Outgoing, Publisher};
use crate::broker::topology::long_string;
use crate::config::Config;
use crate::db::scratch::ScratchDatabase;
use crate::workers::QUEUES;

/// The sample complaint every benchmark message is made from.
const SAMPLE: &str = include_str!("../../../schema/examples/complaint.received.json");

/// Publishes are confirmed in windows of this many messages.
const CONFIRM_WINDOW: usize = 1000;

/// How long a benchmark waits for the work it timed before giving up.
const GIVE_UP_AFTER: Duration = Duration::from_secs(600);

/// Arguments of `complaints bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// What to measure.
    #[command(subcommand)]
    pub what: BenchKind,
}

/// The benchmarks `complaints bench` runs, one subcommand each.
#[derive(Debug, Subcommand)]
pub enum BenchKind {
    /// Complaints per second from publish to case committed, and the broker's raw ceiling.
    #[command(
        after_help = "Example:\n  cargo run --release -- bench intake --count 50000\n\n\
Uses the configured PostgreSQL server and RabbitMQ broker, in a scratch database and a scratch \
namespace that are removed afterwards. Run it on an otherwise idle machine, from a release build."
    )]
    Intake(intake::IntakeArgs),
    /// Letters rendered per second, and emails sent per second over the configured SMTP server.
    #[command(
        after_help = "Example (with a local SMTP server, e.g. the one the tests use):\n  \
python3 scripts/smtp_sink.py 2525 /tmp/mail &\n  \
target/release/complaints bench letters --count 2000\n\n\
Renders COUNT letters (every code in turn, with placeholder text) in their email and print forms \
and as PDFs, then sends COUNT letter emails to the SMTP server of [email], CONCURRENCY at a time."
    )]
    Letters(letters::LettersArgs),
    /// Decisions per second through the casework worker's state machine.
    #[command(
        after_help = "Example:\n  target/release/complaints bench casework --cases 5000\n\n\
Opens CASES tier 0 cases through intake (not timed), then publishes four decisions per case in \
rounds — resolution_plan.drafted, resolution_plan.agreed, action.completed, closure.decided (with \
CMSL5701's text) — and times the casework worker from the first publish until every case is \
closed. Each decision reads the case's state, runs the state machine, stores the new state and \
writes its timeline entry and events; the closure also checks and requests a letter."
    )]
    Casework(casework::CaseworkArgs),
    /// Emails per second through the email worker, beside what the SMTP server itself accepts.
    #[command(
        after_help = "Example (with a local SMTP server, e.g. the one the tests use):\n  \
python3 scripts/smtp_sink.py 2525 /tmp/mail &\n  \
target/release/complaints bench email --count 2000 --concurrency 16\n\n\
First sends COUNT letter emails straight to the SMTP server of [email] over the worker's pooled \
transport, CONCURRENCY at a time (the server's ceiling), then keeps COUNT letters awaiting email \
in a scratch database and times the email worker (email.concurrency = CONCURRENCY) until every \
one is recorded sent; prints both rates and their ratio."
    )]
    Email(email::EmailArgs),
    /// Time to fire the due timers among many pending ones, and firing lag under load.
    #[command(
        after_help = "Example:\n  target/release/complaints bench timers --pending 1000000 --due 10000\n\n\
Seeds PENDING timers (DUE of them already due) in a scratch database, times the scheduler firing \
the due ones (each becomes a timer.fired event in the outbox and a timeline entry), then, with \
the scheduler running and the pending ones still there, sets --lag-timers more timers due over \
the next 5 seconds and reports how late they fired."
    )]
    Timers(timers::TimersArgs),
    /// `show`, GET /v1/cases/{ref}, `status` and a year's `report` over a seeded volume.
    #[command(
        after_help = "Example:\n  complaints bench data --cases 1000000 --timeline-per-case 10 --explain\n\n\
Seeds a scratch database on the configured PostgreSQL server (no broker needed) with CASES cases \
received over a year (all tiers, statuses, twenty categories, a few dominant) and CASES × \
TIMELINE_PER_CASE timeline entries, with their timers, tasks and letters, printing progress; \
vacuums and analyses it; then times, RUNS times each, the read behind `complaints show` and \
GET /v1/cases/{ref} (over HTTP to this process's server), the database part of `complaints \
status` and `complaints report` over the year, and prints p50 and max. --explain adds each \
statement's plan (auto_explain; needs a superuser). The database is dropped unless --keep."
    )]
    Data(data::DataArgs),
    /// Every worker together: throughput through the fan-out, latency, letters, peak RSS.
    #[command(
        after_help = "Example (with the SMTP server of [email] listening, e.g. the one the tests use):\n  \
python3 scripts/smtp_sink.py 2525 /tmp/mail &\n  \
target/release/complaints bench pipeline --count 20000\n  \
target/release/complaints bench pipeline --count 20000 --mix realistic\n\n\
Starts every worker in this process, as `complaints run` does, on the simulated clock in a \
scratch database and namespace. Measures the broker's ceiling; COUNT complaints from publish \
until both clock workers have applied each case.opened; the latency from publish to case \
committed at each of --rates for --seconds; after a 41-hour clock advance, the acknowledgement \
letters (CMSL5842) rendered and emailed per second; and the process's peak RSS."
    )]
    Pipeline(pipeline::PipelineArgs),
}

/// Runs a benchmark and prints its figures.
pub async fn bench(config: Config, args: BenchArgs) -> anyhow::Result<()> {
    match args.what {
        BenchKind::Letters(args) => letters::run(&config, args).await,
        BenchKind::Intake(args) => {
            in_scratch(config, async |app| intake::run(app, args).await).await
        }
        BenchKind::Casework(args) => {
            in_scratch(config, async |app| casework::run(app, args).await).await
        }
        BenchKind::Email(args) => {
            let mut config = config;
            config.email.concurrency = args.concurrency;
            in_scratch(config, async |app| email::run(app, args).await).await
        }
        BenchKind::Pipeline(args) => {
            let report = pipeline::measure(config, args).await?;
            print!("{report}");
            Ok(())
        }
        BenchKind::Data(args) => data::run(config, args).await,
        BenchKind::Timers(args) => {
            in_scratch(config, async |app| timers::run(app, args).await).await
        }
    }
}

/// Runs a benchmark in a scratch database and broker namespace, removed afterwards.
async fn in_scratch<T>(
    config: Config,
    run: impl AsyncFnOnce(&App) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let scratch = ScratchDatabase::create(&config.database_url(), "complaints_bench").await?;
    let namespace = format!("bench-{}", Uuid::new_v4().simple());
    let mut config = config;
    config.database.url = scratch.url.clone();
    config.database.password = None;
    config.amqp.namespace = namespace;
    let app = App::new(config)?;
    let outcome = run(&app).await;
    let cleanup = async {
        let connection =
            crate::broker::connect(&app.config.amqp_urls(), "complaints-bench").await?;
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

/// Polls `count` until it reaches `target`, reporting progress every 2 s as
/// "`n`/`target` `what`"; gives up after 10 minutes.
///
/// It waits half the time the count's progress so far says is left (at most 250 ms), and at
/// least 20 ms or five times the count's own duration: a handful of counts early on and a few
/// in the last 40 ms, so the end is seen within 20 ms while the benchmark's own queries take
/// next to nothing from the work it times (every 20 ms, a count of 5,000 cases took a tenth
/// of a core).
async fn wait_for_count(
    target: usize,
    what: &str,
    mut count: impl AsyncFnMut() -> anyhow::Result<i64>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut last_report = Instant::now();
    let mut first: Option<(Instant, i64)> = None;
    loop {
        let asked = Instant::now();
        let n = count().await?;
        let took = asked.elapsed();
        if n as usize >= target {
            return Ok(());
        }
        let (first_at, first_n) = *first.get_or_insert((asked, n));
        if last_report.elapsed() > Duration::from_secs(2) {
            eprintln!("  {n}/{target} {what}");
            last_report = Instant::now();
        }
        anyhow::ensure!(
            started.elapsed() < GIVE_UP_AFTER,
            "gave up after 10 minutes with {n}/{target} {what}"
        );
        let floor = took.saturating_mul(5).max(Duration::from_millis(20));
        let done = (n - first_n).max(0) as f64;
        let left = if done > 0.0 {
            let per_one = asked.duration_since(first_at).as_secs_f64() / done;
            Duration::from_secs_f64((per_one * (target as f64 - n as f64) / 2.0).min(0.25))
        } else {
            floor
        };
        tokio::time::sleep(left.max(floor)).await;
    }
}

/// `count` distinct complaints: the sample with a fresh event id and customer each.
fn complaints(count: usize) -> Vec<Vec<u8>> {
    let sample: Value = serde_json::from_str(SAMPLE).expect("the sample is JSON");
    (0..count)
        .map(|n| {
            let mut event = sample.clone();
            event["id"] = Value::String(Uuid::now_v7().to_string());
            event["time"] = serde_json::json!(chrono::Utc::now());
            event["data"]["received_at"] = serde_json::json!(chrono::Utc::now());
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
        crate::broker::connect(&app.config.amqp_urls(), "complaints-bench-consumer").await?;
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
        .basic_qos(
            crate::workers::settings::<crate::workers::intake::Intake>(&app.config).prefetch,
            BasicQosOptions::default(),
        )
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
    let publisher =
        Publisher::to_exchange(&app.config.amqp_urls(), "complaints-bench-publisher", "");
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
