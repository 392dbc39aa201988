//! `complaints bench intake --count N`: throughput of intake through the real broker and
//! database, beside the raw ceiling of the broker measured in the same run.
//!
//! 1. **Broker ceiling**: N persistent messages the size of a complaint, published with
//!    confirms to a quorum queue and consumed with acks, no other work: what RabbitMQ on this
//!    machine can carry.
//! 2. **Intake end to end**: N distinct complaints published with confirms to
//!    `complaints.events`, consumed by the intake worker; the clock stops when the N-th case is
//!    committed (with its timeline and its `case.opened` in the outbox).
//! 3. **Relay**: the outbox relay then publishes the N `case.opened` events with confirms; each
//!    is routed to every queue bound to it (the acknowledgement and deadlines workers'), so it
//!    costs the broker more than a complaint. It is timed on its own so that the intake figure
//!    is intake's, not the fan-out's.
//!
//! Both run in a scratch database and a scratch broker namespace, removed afterwards.
//!
//! `bench casework`, `bench timers` and `bench letters` are described with their subcommands.

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
use crate::db::schema::cases;
use crate::db::scratch::ScratchDatabase;
use crate::staff::StaffMember;
use crate::supervisor::{self, WorkerKind};
use crate::vocabulary::{Grade, StaffRole};
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
    /// Letters rendered per second, and emails sent per second over the configured SMTP server.
    #[command(
        after_help = "Example (with a local SMTP server, e.g. the one the tests use):\n  \
python3 scripts/smtp_sink.py 2525 /tmp/mail &\n  \
target/release/complaints bench letters --count 2000\n\n\
Renders COUNT letters (every code in turn, with placeholder text) in their email and print forms \
and as PDFs, then sends COUNT letter emails to the SMTP server of [email], CONCURRENCY at a time."
    )]
    Letters {
        /// Letters to render and emails to send.
        #[arg(long, default_value_t = 2_000)]
        count: usize,
        /// Emails in flight at once.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
    /// Decisions per second through the casework worker's state machine.
    #[command(
        after_help = "Example:\n  target/release/complaints bench casework --cases 5000\n\n\
Opens CASES tier 0 cases through intake (not timed), then publishes four decisions per case in \
rounds — resolution_plan.drafted, resolution_plan.agreed, action.completed, closure.decided (with \
CMSL5701's text) — and times the casework worker from the first publish until every case is \
closed. Each decision reads the case's state, runs the state machine, stores the new state and \
writes its timeline entry and events; the closure also checks and requests a letter."
    )]
    Casework {
        /// Cases to open and carry to a close.
        #[arg(long, default_value_t = 5_000)]
        cases: usize,
    },
    /// Time to fire the due timers among many pending ones, and firing lag under load.
    #[command(
        after_help = "Example:\n  target/release/complaints bench timers --pending 1000000 --due 10000\n\n\
Seeds PENDING timers (DUE of them already due) in a scratch database, times the scheduler firing \
the due ones (each becomes a timer.fired event in the outbox and a timeline entry), then, with \
the scheduler running and the pending ones still there, sets --lag-timers more timers due over \
the next 5 seconds and reports how late they fired."
    )]
    Timers {
        /// Timers pending in all.
        #[arg(long, default_value_t = 100_000)]
        pending: usize,
        /// How many of them are due already.
        #[arg(long, default_value_t = 10_000)]
        due: usize,
        /// Timers falling due during the lag measurement.
        #[arg(long, default_value_t = 2_000)]
        lag_timers: usize,
    },
}

/// Runs a benchmark and prints its figures.
pub async fn bench(config: Config, args: BenchArgs) -> anyhow::Result<()> {
    match args.what {
        BenchKind::Letters { count, concurrency } => {
            run_letters_bench(&config, count, concurrency).await
        }
        BenchKind::Intake { count } => {
            in_scratch(config, async |app| run_intake_bench(app, count).await).await
        }
        BenchKind::Casework { cases } => {
            in_scratch(config, async |app| run_casework_bench(app, cases).await).await
        }
        BenchKind::Timers {
            pending,
            due,
            lag_timers,
        } => {
            in_scratch(config, async |app| {
                run_timers_bench(app, pending, due, lag_timers).await
            })
            .await
        }
    }
}

/// Runs a benchmark in a scratch database and broker namespace, removed afterwards.
async fn in_scratch(
    config: Config,
    run: impl AsyncFnOnce(&App) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
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
    let mut workers = supervisor::start(app, &[WorkerKind::Intake], None, &shutdown)?;
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
    shutdown.cancel();
    while workers.join_next().await.is_some() {}

    eprintln!("relay: publishing {count} case.opened events…");
    let shutdown = CancellationToken::new();
    let mut relay = supervisor::start(app, &[WorkerKind::OutboxRelay], None, &shutdown)?;
    let relaying = Instant::now();
    let unsent = loop {
        let unsent = crate::db::outbox::count_unsent(&mut conn).await?;
        if unsent == 0 || relaying.elapsed() > Duration::from_secs(600) {
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
        (count as i64 - unsent) as f64 / drained.as_secs_f64(),
        drained.as_secs_f64(),
        if unsent > 0 {
            format!(" ({unsent} still unsent)")
        } else {
            String::new()
        }
    );
    Ok(())
}

async fn run_casework_bench(app: &App, count: usize) -> anyhow::Result<()> {
    app.prepare().await?;
    eprintln!("opening {count} tier 0 cases through intake…");
    let shutdown = CancellationToken::new();
    let mut workers = supervisor::start(app, &[WorkerKind::Intake], None, &shutdown)?;
    publish_all(&app.publisher, "complaint.received", &complaints(count)).await?;
    let mut conn = app.pool.get().await?;
    let references: Vec<String> = loop {
        let opened: Vec<String> = cases::table
            .select(cases::reference)
            .load(&mut conn)
            .await?;
        if opened.len() >= count {
            break opened;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    shutdown.cancel();
    while workers.join_next().await.is_some() {}
    // The caseworker the decisions name, so the staff directory allows them.
    let bench_caseworker = StaffMember {
        staff_id: "bench".into(),
        team: "Bench".into(),
        roles: vec![StaffRole::Caseworker],
        grade: Grade::Eo,
        active: true,
    };
    crate::db::staff::import(&mut conn, &[bench_caseworker], app.clock.now()).await?;

    let rounds = decision_rounds(&references);
    let decisions: usize = rounds.iter().map(|(_, bodies)| bodies.len()).sum();
    eprintln!("casework: {decisions} decisions on {count} cases…");
    let shutdown = CancellationToken::new();
    let mut workers = supervisor::start(app, &[WorkerKind::Casework], None, &shutdown)?;
    let started = Instant::now();
    let publishing = {
        let publisher = app.publisher.clone();
        tokio::spawn(async move {
            for (event_type, bodies) in &rounds {
                publish_all(&publisher, event_type, bodies).await?;
            }
            anyhow::Ok(())
        })
    };
    let mut last_report = Instant::now();
    loop {
        let closed: i64 = cases::table
            .filter(cases::closed_at.is_not_null())
            .count()
            .get_result(&mut conn)
            .await?;
        if closed as usize >= count {
            break;
        }
        if last_report.elapsed() > Duration::from_secs(2) {
            eprintln!("  {closed}/{count} cases closed");
            last_report = Instant::now();
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "gave up after 10 minutes with {closed}/{count} cases closed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    publishing.await??;
    shutdown.cancel();
    while workers.join_next().await.is_some() {}
    let refused: i64 = crate::db::schema::outbox::table
        .filter(crate::db::schema::outbox::event_type.eq(crate::events::command_rejected::TYPE))
        .count()
        .get_result(&mut conn)
        .await?;
    println!("complaints bench casework --cases {count}");
    println!(
        "  decisions applied (publish → state stored, timeline, events): {:>8.0} decisions/s ({decisions} in {:.2} s)",
        decisions as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    println!(
        "  cases carried from open to closed:                             {:>8.0} cases/s",
        count as f64 / elapsed.as_secs_f64()
    );
    println!("  decisions refused:                                             {refused:>8}");
    Ok(())
}

/// The decisions that carry each tier 0 case from open to closed, a round per decision type
/// so that each case sees them in order.
fn decision_rounds(references: &[String]) -> Vec<(&'static str, Vec<Vec<u8>>)> {
    let plan = serde_json::json!({
        "grounds": ["The payment was late"],
        "actions": [{ "id": "A1", "kind": "apology", "description": "Apologise", "due_on": "2026-12-10" }],
        "by": "bench",
    });
    let agreed = serde_json::json!({
        "actions": [{ "id": "A1", "description": "Apologise", "due_on": "2026-12-10" }],
    });
    let done = serde_json::json!({ "action_id": "A1" });
    let closure = serde_json::json!({
        "resolution_code": "Actions Complete – Client OK",
        "customer_reached": true,
        "by": "bench",
        "letter_fields": {
            "explanation": "A system fault held the payment.",
            "apology": "We are sorry.",
            "corrective_action": "The payment is released.",
        },
    });
    [
        ("resolution_plan.drafted", plan),
        ("resolution_plan.agreed", agreed),
        ("action.completed", done),
        ("closure.decided", closure),
    ]
    .into_iter()
    .map(|(event_type, data)| {
        let bodies = references
            .iter()
            .map(|reference| {
                let event = crate::events::CloudEvent::new(
                    event_type,
                    chrono::Utc::now(),
                    Some(reference.clone()),
                    data.clone(),
                );
                serde_json::to_vec(&event).expect("JSON serialises")
            })
            .collect();
        (event_type, bodies)
    })
    .collect()
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

/// Seeds `total` pending timers (`due` of them due at `now`, the rest weeks away) on synthetic
/// cases, a thousand timers a case, in a few set-based statements. Also used by the scheduler
/// tests.
pub async fn seed_timers(
    conn: &mut diesel_async::AsyncPgConnection,
    total: usize,
    due: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    use diesel::sql_types::{BigInt, Timestamptz};
    let cases = total.div_ceil(1000).max(1) as i64;
    diesel::sql_query(
        "INSERT INTO parties (id, reference, name, address_lines, postcode, region, \
         contact_restriction, vulnerable, created_at, updated_at) \
         VALUES (gen_random_uuid(), 'SYNTHETIC', 'Synthetic Customer', '{1 Test Street}', \
         'SW1A 1AA', 'england_and_wales', 'none', false, $1, $1) ON CONFLICT DO NOTHING",
    )
    .bind::<Timestamptz, _>(now)
    .execute(conn)
    .await?;
    diesel::sql_query(
        "INSERT INTO cases (id, reference, tier, stage, status, party_id, handling_team, \
         received_at, channel, raised_by, about, addressee, categories, summary, high_profile, \
         parliamentary_contact, pos, source_event_id, opened_at) \
         SELECT gen_random_uuid(), 'SYN-' || g, 1, 'Acknowledge Complaint', 'Pending Assignment', \
         (SELECT id FROM parties WHERE reference = 'SYNTHETIC'), 'complaint_resolution_team', $1, \
         'web_form', 'customer', 'service', 'business_in_general', '{synthetic}', 'synthetic', \
         false, false, false, gen_random_uuid(), $1 FROM generate_series(1, $2) g",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<BigInt, _>(cases)
    .execute(conn)
    .await?;
    diesel::sql_query(
        "WITH ids AS (SELECT array_agg(id) AS ids FROM cases WHERE reference LIKE 'SYN-%') \
         INSERT INTO timers (case_id, clock, key, due_at, deadline, set_at) \
         SELECT ids[1 + (g % array_length(ids, 1))], 'action_due', g::text, \
         CASE WHEN g <= $2 THEN $1 - interval '1 second' \
              ELSE $1 + interval '30 days' + g * interval '1 second' END, \
         CASE WHEN g <= $2 THEN $1 - interval '1 second' \
              ELSE $1 + interval '30 days' + g * interval '1 second' END, \
         $1 FROM ids, generate_series(1, $3) g",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<BigInt, _>(due as i64)
    .bind::<BigInt, _>(total as i64)
    .execute(conn)
    .await?;
    diesel::sql_query("ANALYZE timers").execute(conn).await?;
    Ok(())
}

async fn run_timers_bench(
    app: &App,
    pending: usize,
    due: usize,
    lag_timers: usize,
) -> anyhow::Result<()> {
    use crate::db::schema::timers;
    anyhow::ensure!(due <= pending, "--due cannot exceed --pending");
    crate::db::migrate(&app.config.database_url()).await?;
    let mut conn = app.pool.get().await?;
    let now = app.clock.now();
    eprintln!("seeding {pending} pending timers, {due} of them due…");
    let seeding = Instant::now();
    seed_timers(&mut conn, pending, due, now).await?;
    eprintln!("  seeded in {:.1} s", seeding.elapsed().as_secs_f64());

    let firing = Instant::now();
    let mut fired = 0;
    loop {
        let n = crate::workers::scheduler::fire_due(app).await?;
        if n == 0 {
            break;
        }
        fired += n;
    }
    let fire_time = firing.elapsed();
    anyhow::ensure!(fired == due, "fired {fired} timers, expected {due}");

    eprintln!("firing lag: {lag_timers} timers falling due over 5 s with the scheduler running…");
    let shutdown = CancellationToken::new();
    let mut scheduler = supervisor::start(app, &[WorkerKind::Scheduler], None, &shutdown)?;
    let start = app.clock.now() + chrono::Duration::milliseconds(500);
    diesel::sql_query(
        "INSERT INTO timers (case_id, clock, key, due_at, deadline, set_at) \
         SELECT (SELECT id FROM cases WHERE reference = 'SYN-1'), 'remedial_action', 'lag-' || g, \
         $1 + (g * interval '5 seconds') / $2, $1 + (g * interval '5 seconds') / $2, $1 \
         FROM generate_series(1, $2) g",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(start)
    .bind::<diesel::sql_types::BigInt, _>(lag_timers as i64)
    .execute(&mut conn)
    .await?;
    diesel::sql_query(format!("NOTIFY {}", crate::db::timers::CHANNEL))
        .execute(&mut conn)
        .await?;
    let lag_fired = || {
        timers::table
            .filter(timers::clock.eq("remedial_action"))
            .filter(timers::state.eq("fired"))
            .count()
    };
    let waiting = Instant::now();
    loop {
        let n: i64 = lag_fired().get_result(&mut conn).await?;
        if n as usize >= lag_timers {
            break;
        }
        anyhow::ensure!(
            waiting.elapsed() < Duration::from_secs(120),
            "only {n}/{lag_timers} fired"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    shutdown.cancel();
    while scheduler.join_next().await.is_some() {}
    #[derive(diesel::QueryableByName)]
    struct Lag {
        #[diesel(sql_type = diesel::sql_types::Double)]
        p50: f64,
        #[diesel(sql_type = diesel::sql_types::Double)]
        p99: f64,
        #[diesel(sql_type = diesel::sql_types::Double)]
        max: f64,
    }
    let lag: Lag = diesel::sql_query(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS p50, \
                percentile_cont(0.99) WITHIN GROUP (ORDER BY s) AS p99, max(s) AS max \
         FROM (SELECT extract(epoch FROM fired_at - due_at)::float8 AS s FROM timers \
               WHERE clock = 'remedial_action' AND state = 'fired') lags",
    )
    .get_result(&mut conn)
    .await?;

    println!("complaints bench timers --pending {pending} --due {due} --lag-timers {lag_timers}");
    println!(
        "  fire {due} due timers among {pending} pending: {:.2} s ({:.0} timers/s)",
        fire_time.as_secs_f64(),
        due as f64 / fire_time.as_secs_f64()
    );
    println!(
        "  firing lag with {} pending: p50 {:.3} s, p99 {:.3} s, max {:.3} s",
        pending - due,
        lag.p50,
        lag.p99,
        lag.max
    );
    Ok(())
}

/// Renders and emails letters; needs neither the database nor the broker.
async fn run_letters_bench(
    config: &Config,
    count: usize,
    concurrency: usize,
) -> anyhow::Result<()> {
    use crate::letters::render::{LetterContext, Letters, Organisation};
    use crate::vocabulary::LetterCode;
    use lettre::message::{header::ContentType, MultiPart, SinglePart};
    use lettre::AsyncTransport;

    let letters = Letters::load(std::path::Path::new(&config.letters.templates_dir))?;
    let organisation = Organisation {
        name: config.letters.organisation_name.clone(),
        name_northern_ireland: config.letters.organisation_name_northern_ireland.clone(),
        phone: config.letters.organisation_phone.clone(),
        signatory: config.letters.signatory.clone(),
    };
    let context = |code: LetterCode| LetterContext::example(code, organisation.clone());
    let codes = LetterCode::ALL;
    eprintln!("rendering {count} letters (email and print forms, and a PDF each)…");
    let rendering = Instant::now();
    let mut emails = Vec::with_capacity(count);
    for n in 0..count {
        let code = codes[n % codes.len()];
        let ctx = context(code);
        let email = letters.render(code, &ctx)?;
        let print = letters.render_for_print(code, &ctx)?;
        let header = [ctx.organisation.name.clone(), ctx.date.clone()];
        std::hint::black_box(crate::letters::pdf::render(
            &header,
            &ctx.customer,
            &print.text,
        ));
        emails.push(email);
    }
    let render_time = rendering.elapsed();

    eprintln!(
        "sending {count} emails to {}:{}, {concurrency} at a time…",
        config.email.host, config.email.port
    );
    let mut builder =
        lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous(&config.email.host)
            .port(config.email.port);
    if config.email.tls != crate::config::SmtpTls::None {
        anyhow::bail!(
            "the letters benchmark sends to a local SMTP server without TLS (email.tls = \"none\")"
        );
    }
    builder = builder
        .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(concurrency as u32));
    let transport = builder.build();
    let from: lettre::message::Mailbox = config.email.from.parse()?;
    let sending = Instant::now();
    let mut sent = 0;
    for window in emails.chunks(concurrency.max(1)) {
        let sends = window.iter().map(|letter| {
            let message = lettre::Message::builder()
                .from(from.clone())
                .to("jane.example@example.org".parse().expect("a valid address"))
                .subject(&letter.subject)
                .multipart(
                    MultiPart::alternative()
                        .singlepart(
                            SinglePart::builder()
                                .header(ContentType::TEXT_PLAIN)
                                .body(letter.text.clone()),
                        )
                        .singlepart(
                            SinglePart::builder()
                                .header(ContentType::TEXT_HTML)
                                .body(letter.html.clone()),
                        ),
                );
            let transport = &transport;
            async move { transport.send(message?).await.map_err(anyhow::Error::from) }
        });
        for result in futures_util::future::join_all(sends).await {
            result.with_context(|| {
                format!(
                    "sending to {}:{} (start an SMTP server there, e.g. python3 scripts/smtp_sink.py {} /tmp/mail)",
                    config.email.host, config.email.port, config.email.port
                )
            })?;
            sent += 1;
        }
    }
    let send_time = sending.elapsed();
    println!("complaints bench letters --count {count} --concurrency {concurrency}");
    println!(
        "  rendered (text + HTML + print text + PDF): {:>8.0} letters/s ({:.2} s)",
        count as f64 / render_time.as_secs_f64(),
        render_time.as_secs_f64()
    );
    println!(
        "  emailed over SMTP to {}:{}:        {:>8.0} emails/s ({:.2} s)",
        config.email.host,
        config.email.port,
        sent as f64 / send_time.as_secs_f64(),
        send_time.as_secs_f64()
    );
    Ok(())
}
