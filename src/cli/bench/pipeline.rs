//! `complaints bench pipeline`: the whole pipeline in one run, every worker started by the
//! supervisor as `complaints run` starts them (in this process), on the simulated clock, in a
//! scratch database and broker namespace.
//!
//! 1. **Broker ceiling**: as `bench intake` measures it, with the same messages.
//! 2. **Throughput**: after a warm-up (a tenth of COUNT, at most 2,000, then `ANALYZE`, as
//!    autovacuum would have run by then), COUNT complaints published with confirms as fast as the broker takes
//!    them; the clock stops when every case is committed and both clock workers (the
//!    acknowledgement and deadlines workers) have applied its `case.opened`, i.e. set its
//!    timers: intake, the outbox relay's fan-out and both clock workers included; with the CPU
//!    each part (workers, PostgreSQL, RabbitMQ, the benchmark) used per complaint meanwhile
//!    ([`super::cpu`]), which says which part limits the machine and what a host more buys.
//! 3. **Latency**: once the workers have drained what the run before left (no message queued,
//!    no event unsent), at each offered load (complaints/s, published on a fixed schedule
//!    whatever the system does), the time from each complaint's scheduled publish to its case's commit
//!    (seen through the `NOTIFY` the commit sends): p50, p99 and max.
//! 4. **Letters**: the simulated clock moves 41 hours on, past the point (48 hours less
//!    `clock.letter_lead_hours`) where every tier 1 acknowledgement clock fires; the scheduler,
//!    the acknowledgement worker, the letters worker and the email worker then render and email
//!    a CMSL5842 for each. Timed until every one is emailed or `--letters-seconds` pass.
//! 5. **Peak RSS** (VmHWM) of the process running every worker. By default the workers run in
//!    a `complaints run` process of their own (this binary, started with the scratch database,
//!    namespace and a free HTTP port in its environment), as in production, so the figure is
//!    theirs alone; `--in-process` runs them inside the benchmark instead, whose own data then
//!    counts too.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::cpu::{CpuTimes, CpuUse};
use super::{broker_ceiling, publish_all, wait_for_count, SAMPLE};
use crate::app::App;
use crate::broker::publisher::Outgoing;
use crate::broker::stats::queue_stats;
use crate::config::Config;
use crate::db::bench as db;
use crate::events::case_opened;
use crate::supervisor::{self, WorkerKind};
use crate::vocabulary::{ClockKind, LetterCode};
use crate::workers::acknowledgement::Acknowledgement;
use crate::workers::deadlines::Deadlines;
use crate::workers::{Worker, QUEUES};

/// The clock advance after which every tier 1 acknowledgement letter is due (the 48-hour clock
/// fires `clock.letter_lead_hours`, 8 by default, before its deadline).
const ADVANCE: chrono::Duration = chrono::Duration::hours(41);

/// Most complaints the warm-up sends through before the throughput run.
const WARM_UP: usize = 2_000;

/// Arguments of `complaints bench pipeline`.
#[derive(Debug, Args)]
pub struct PipelineArgs {
    /// Complaints for the throughput run.
    #[arg(long, default_value_t = 20_000)]
    pub count: usize,
    /// Offered loads for the latency runs, complaints/s, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "100,1000")]
    pub rates: Vec<u32>,
    /// Seconds each offered load lasts.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Longest the letters run may take before it reports what it managed.
    #[arg(long, default_value_t = 120)]
    pub letters_seconds: u64,
    /// Which complaints.
    #[arg(long, value_enum, default_value_t = Mix::Tier1)]
    pub mix: Mix,
    /// Run the workers inside the benchmark's process instead of a `complaints run` process
    /// of their own (the peak RSS is then the two together).
    #[arg(long)]
    pub in_process: bool,
    /// The `complaints` binary whose `run` the workers' process starts (this one by default).
    #[arg(long, value_name = "PATH")]
    pub workers_binary: Option<std::path::PathBuf>,
}

/// The complaints a benchmark publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mix {
    /// The sample complaint raised by an MP, so that every case opens at tier 1 and starts
    /// both clocks (the 48-hour acknowledgement and the response target).
    Tier1,
    /// A plausible national week: mostly tier 0, a fifth tier 1, a few reviews raised by ICE or
    /// the PHSO, staff complaints, written-only customers, three regions, 20 categories of
    /// which three carry over half the complaints.
    Realistic,
}

/// The categories of the realistic mix with their weights (percent of complaints naming them
/// first): the agreed list and the free-text ones a department's channels also send.
const CATEGORIES: &[(&str, u32)] = &[
    ("delay", 24),
    ("payments", 18),
    ("communication", 12),
    ("wrong_information", 7),
    ("calculation", 6),
    ("lost_post", 5),
    ("staff_conduct", 4),
    ("enforcement", 4),
    ("accessibility", 3),
    ("data_protection", 2),
    ("other", 2),
    ("Change of circumstances", 2),
    ("Arrears", 2),
    ("Phone waiting times", 2),
    ("Online account", 2),
    ("Appointment cancelled", 1),
    ("Identity checks", 1),
    ("Overpayment recovery", 1),
    ("Home visit", 1),
    ("Translation", 1),
];

/// What one run measured.
#[derive(Debug)]
pub struct PipelineReport {
    /// What was asked for.
    pub args: PipelineArgs,
    /// Publishing and consuming the throughput run's messages through a bare quorum queue.
    pub ceiling: Duration,
    /// How long the throughput run took to commit every case and fan it out to the clocks.
    pub throughput: Throughput,
    /// Each offered load's latencies, in the order of `args.rates`.
    pub latencies: Vec<Latency>,
    /// The letters after the clock advance.
    pub letters: LettersRun,
    /// Emails the workers' process sends at once (`email.concurrency`).
    pub email_concurrency: usize,
    /// The process's peak resident set (VmHWM) in KiB, where /proc tells it.
    pub peak_rss_kib: Option<u64>,
}

/// Runs the benchmark in a scratch database and namespace on the simulated clock.
pub async fn measure(config: Config, args: PipelineArgs) -> anyhow::Result<PipelineReport> {
    let mut config = config;
    config.clock.simulated = true;
    super::in_scratch(config, async |app| run(app, args).await).await
}

async fn run(app: &App, args: PipelineArgs) -> anyhow::Result<PipelineReport> {
    app.prepare().await?;
    let mut complaints = Complaints::new(args.mix);

    let bodies: Vec<Vec<u8>> = (0..args.count).map(|_| complaints.next("T").1).collect();
    let size = bodies.iter().map(Vec::len).sum::<usize>() / args.count.max(1);
    eprintln!(
        "broker ceiling: {} persistent messages of {size} bytes, confirms, quorum queue…",
        args.count
    );
    let ceiling = broker_ceiling(app, &bodies).await?;

    let workers = Workers::start(app, &args).await?;
    let outcome = async {
        warm_up(app, &mut complaints, args.count).await?;
        eprintln!(
            "throughput: {} complaints through intake and the fan-out…",
            args.count
        );
        let throughput = throughput(app, bodies, workers.pid()).await?;
        let mut latencies = Vec::new();
        for &rate in &args.rates {
            drained(app).await?;
            eprintln!("latency: {rate} complaints/s for {} s…", args.seconds);
            latencies.push(latency(app, &mut complaints, rate, args.seconds).await?);
        }
        eprintln!("letters: clock advanced {} hours…", ADVANCE.num_hours());
        let letters = letters(app, Duration::from_secs(args.letters_seconds)).await?;
        anyhow::Ok((throughput, latencies, letters))
    }
    .await;
    let peak_rss_kib = workers.stop().await?;
    let (throughput, latencies, letters) = outcome?;
    Ok(PipelineReport {
        args,
        ceiling,
        throughput,
        latencies,
        letters,
        email_concurrency: app.config.email.concurrency,
        peak_rss_kib,
    })
}

/// Where every worker runs during the benchmark.
enum Workers {
    /// Spawned in this process by the supervisor.
    InProcess(tokio::task::JoinSet<anyhow::Result<()>>, CancellationToken),
    /// A `complaints run` process of their own.
    Child(tokio::process::Child),
}

impl Workers {
    /// Starts every worker, as `complaints run` does, and returns once they take messages.
    async fn start(app: &App, args: &PipelineArgs) -> anyhow::Result<Self> {
        if args.in_process {
            let shutdown = CancellationToken::new();
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            let tasks = supervisor::start(app, WorkerKind::ALL, Some(listener), &shutdown)?;
            return Ok(Workers::InProcess(tasks, shutdown));
        }
        let binary = match &args.workers_binary {
            Some(path) => path.clone(),
            None => std::env::current_exe()?,
        };
        let port = TcpListener::bind("127.0.0.1:0").await?.local_addr()?.port();
        // The settings that make it this benchmark's: the rest it reads as any process would.
        // Its log keeps to warnings and errors (a line per event would drown the progress
        // lines) unless RUST_LOG says otherwise.
        let config = &app.config;
        let log = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into());
        let child = tokio::process::Command::new(&binary)
            .arg("run")
            .env("RUST_LOG", log)
            .env("COMPLAINTS__DATABASE__URL", &config.database.url)
            .env(
                "COMPLAINTS__AMQP__URLS",
                json!(config.amqp.nodes()).to_string(),
            )
            .env("COMPLAINTS__AMQP__NAMESPACE", &config.amqp.namespace)
            .env("COMPLAINTS__CLOCK__SIMULATED", "true")
            .env("COMPLAINTS__HTTP__LISTEN", format!("127.0.0.1:{port}"))
            .env("COMPLAINTS__EMAIL__HOST", &config.email.host)
            .env("COMPLAINTS__EMAIL__PORT", config.email.port.to_string())
            .env(
                "COMPLAINTS__EMAIL__CONCURRENCY",
                config.email.concurrency.to_string(),
            )
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| anyhow::anyhow!("starting {} run: {e}", binary.display()))?;
        eprintln!(
            "workers: `{} run` (pid {:?}) on port {port}…",
            binary.display(),
            child.id()
        );
        let mut workers = Workers::Child(child);
        workers.ready(port).await?;
        Ok(workers)
    }

    /// The workers' process id, when they run in a process of their own.
    fn pid(&self) -> Option<u32> {
        match self {
            Workers::InProcess(..) => None,
            Workers::Child(child) => child.id(),
        }
    }

    /// Waits until the workers' process answers `/readyz`, or fails if it exits first.
    async fn ready(&mut self, port: u16) -> anyhow::Result<()> {
        let Workers::Child(child) = self else {
            return Ok(());
        };
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait()? {
                anyhow::bail!("the workers' process exited before it was ready ({status})");
            }
            if ready_answers(port).await {
                return Ok(());
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(120),
                "the workers' process was not ready within 2 minutes"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the workers (SIGTERM for their process) and returns their peak RSS in KiB.
    async fn stop(self) -> anyhow::Result<Option<u64>> {
        match self {
            Workers::InProcess(mut tasks, shutdown) => {
                shutdown.cancel();
                while tasks.join_next().await.is_some() {}
                Ok(peak_rss_kib("self"))
            }
            Workers::Child(mut child) => {
                let pid = child.id().map(|id| id.to_string());
                let peak = pid.as_deref().and_then(peak_rss_kib);
                if let Some(pid) = pid {
                    let _ = std::process::Command::new("kill")
                        .args(["-TERM", &pid])
                        .status();
                }
                child.wait().await?;
                Ok(peak)
            }
        }
    }
}

impl std::fmt::Display for PipelineReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let args = &self.args;
        let per_second = |n: usize, d: Duration| n as f64 / d.as_secs_f64();
        writeln!(
            f,
            "complaints bench pipeline --count {} --rates {} --seconds {} --mix {}",
            args.count,
            args.rates
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(","),
            args.seconds,
            args.mix
                .to_possible_value()
                .expect("no skipped variants")
                .get_name()
        )?;
        writeln!(
            f,
            "  broker ceiling (persistent, confirms, quorum queue, no work):  {:>8.0} msg/s ({:.2} s)",
            per_second(args.count, self.ceiling),
            self.ceiling.as_secs_f64()
        )?;
        let t = &self.throughput;
        writeln!(
            f,
            "  publish → case committed and both clock workers' timers set:   {:>8.0} complaints/s ({:.2} s)",
            per_second(args.count, t.fanned_out),
            t.fanned_out.as_secs_f64(),
        )?;
        writeln!(
            f,
            "    of which publish → case committed:                           {:>8.0} complaints/s ({:.2} s)",
            per_second(args.count, t.committed),
            t.committed.as_secs_f64(),
        )?;
        writeln!(
            f,
            "    {}",
            t.cpu.per_unit(args.count, "complaint", t.fanned_out)
        )?;
        for l in &self.latencies {
            writeln!(
                f,
                "  latency at {:>5}/s offered (publish → case committed):  p50 {:>6.1} ms, p99 {:>6.1} ms, max {:>6.1} ms ({} complaints, {:.0}/s achieved)",
                l.rate,
                ms(l.p50),
                ms(l.p99),
                ms(l.max),
                l.count,
                l.achieved
            )?;
        }
        let l = &self.letters;
        writeln!(
            f,
            "  after +{} h, CMSL5842 (acknowledgement) letters: {} due, rendered {:.1}/s, emailed {:.1}/s at email.concurrency {} ({} emailed in {:.1} s{})",
            ADVANCE.num_hours(),
            l.due,
            l.rendered as f64 / l.render_time.as_secs_f64(),
            l.emailed as f64 / l.email_time.as_secs_f64(),
            self.email_concurrency,
            l.emailed,
            l.email_time.as_secs_f64(),
            if l.emailed < l.due {
                "; stopped at --letters-seconds"
            } else {
                ""
            }
        )?;
        let whose = if args.in_process {
            "this process, every worker and the benchmark in it"
        } else {
            "the workers' `complaints run` process"
        };
        match self.peak_rss_kib {
            Some(kib) => writeln!(
                f,
                "  peak RSS (VmHWM) of {whose}: {:.1} MB",
                kib as f64 / 1024.0
            ),
            None => writeln!(f, "  peak RSS: not available (no /proc/<pid>/status)"),
        }
    }
}

/// How long the throughput run took, and the CPU it used.
#[derive(Debug)]
pub struct Throughput {
    /// Until the last case was committed.
    pub committed: Duration,
    /// Until both clock workers had applied the last `case.opened`.
    pub fanned_out: Duration,
    /// The processor time each part used from the first publish to the last timer set.
    pub cpu: CpuUse,
}

/// A tenth of the run (at most [`WARM_UP`]) through the whole fan-out, then the planner's
/// statistics gathered, not timed: the run then times a system that has seen complaints, not
/// its first seconds on empty tables (whose plans last until autovacuum's first look).
async fn warm_up(app: &App, complaints: &mut Complaints, count: usize) -> anyhow::Result<()> {
    let warm = (count / 10).clamp(1, WARM_UP);
    eprintln!("warm-up: {warm} complaints through the fan-out, then ANALYZE…");
    let bodies: Vec<Vec<u8>> = (0..warm).map(|_| complaints.next("W").1).collect();
    publish_all(&app.publisher, "complaint.received", &bodies).await?;
    fanned_out(app, warm).await?;
    let mut conn = app.pool.get().await?;
    Ok(db::analyze(&mut conn).await?)
}

async fn throughput(
    app: &App,
    bodies: Vec<Vec<u8>>,
    workers: Option<u32>,
) -> anyhow::Result<Throughput> {
    let count = bodies.len();
    let mut conn = app.pool.get().await?;
    let before = db::count_cases(&mut conn).await? as usize;
    let cpu_before = CpuTimes::sample(workers);
    let started = Instant::now();
    let publishing = {
        let publisher = app.publisher.clone();
        tokio::spawn(async move { publish_all(&publisher, "complaint.received", &bodies).await })
    };
    wait_for_count(before + count, "cases committed", async || {
        Ok(db::count_cases(&mut conn).await?)
    })
    .await?;
    let committed = started.elapsed();
    publishing.await??;
    fanned_out(app, before + count).await?;
    Ok(Throughput {
        committed,
        fanned_out: started.elapsed(),
        cpu: CpuTimes::sample(workers).since(&cpu_before),
    })
}

/// Waits until both clock workers have applied `cases` `case.opened` events.
async fn fanned_out(app: &App, cases: usize) -> anyhow::Result<()> {
    let mut conn = app.pool.get().await?;
    for worker in [Acknowledgement::NAME, Deadlines::NAME] {
        wait_for_count(
            cases,
            &format!("case.opened applied by the {worker} worker"),
            async || Ok(db::count_applied(&mut conn, worker, case_opened::TYPE).await?),
        )
        .await?;
    }
    Ok(())
}

/// Waits until the workers have drained what the run before left: no message ready on any
/// worker queue and no outbox event unsent, seen twice 200 ms apart (a batch in flight at the
/// first look has written its events to the outbox by the second). Each offered load is then
/// timed from a quiet system, not on the backlog of the run before it. The email sender's and
/// the printer's rounds, which work from tables at the SMTP server's and the vendor's pace,
/// are not waited for.
async fn drained(app: &App) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut conn = app.pool.get().await?;
    let mut quiet_looks = 0;
    let mut last_report = Instant::now();
    while quiet_looks < 2 {
        let stats = queue_stats(&app.config.amqp_urls(), &app.topology, QUEUES).await?;
        let queued: u64 = stats
            .iter()
            .filter(|q| !q.dead_letter)
            .map(|q| u64::from(q.messages))
            .sum();
        let unsent = crate::db::outbox::count_unsent(&mut conn).await?;
        quiet_looks = if queued == 0 && unsent == 0 {
            quiet_looks + 1
        } else {
            0
        };
        if last_report.elapsed() > Duration::from_secs(2) {
            eprintln!("  draining: {queued} messages queued, {unsent} events unsent");
            last_report = Instant::now();
        }
        anyhow::ensure!(
            started.elapsed() < super::GIVE_UP_AFTER,
            "gave up after 10 minutes with {queued} messages queued and {unsent} events unsent"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

/// Latencies of one offered load.
#[derive(Debug)]
pub struct Latency {
    /// The offered load, complaints/s.
    pub rate: u32,
    /// The median time from publish to case committed.
    pub p50: Duration,
    /// The 99th percentile.
    pub p99: Duration,
    /// The slowest time from publish to case committed.
    pub max: Duration,
    /// How many complaints were published at this load.
    pub count: usize,
    /// The load actually offered, complaints/s (below `rate` if publishing fell behind).
    pub achieved: f64,
}

/// Publishes `rate` complaints a second for `seconds` on a fixed schedule (a millisecond tick,
/// each complaint published by its own task so a slow confirm delays no other), and times each
/// from its scheduled publish to its case's commit.
async fn latency(
    app: &App,
    complaints: &mut Complaints,
    rate: u32,
    seconds: u64,
) -> anyhow::Result<Latency> {
    let total = (u64::from(rate) * seconds) as usize;
    let tag = format!("L{rate}");
    let batch: Vec<(Uuid, Vec<u8>)> = (0..total).map(|_| complaints.next(&tag)).collect();
    let published: Arc<std::sync::Mutex<HashMap<Uuid, Instant>>> = Arc::default();

    // Wakes on every commit that writes to the outbox (intake's among them).
    let wake = Arc::new(Notify::new());
    let stop = CancellationToken::new();
    let listening = tokio::spawn(crate::db::listener::listen(
        app.config.database_url(),
        crate::db::outbox::CHANNEL,
        wake.clone(),
        stop.clone(),
    ));

    let publishing = {
        let (publisher, published) = (app.publisher.clone(), published.clone());
        tokio::spawn(async move {
            let started = tokio::time::Instant::now();
            let mut sends = tokio::task::JoinSet::new();
            for (n, (id, body)) in batch.into_iter().enumerate() {
                let due = started + Duration::from_secs_f64(n as f64 / f64::from(rate));
                tokio::time::sleep_until(due).await;
                published
                    .lock()
                    .expect("not poisoned")
                    .insert(id, due.into_std());
                let publisher = publisher.clone();
                sends.spawn(async move {
                    let message = Outgoing {
                        routing_key: "complaint.received",
                        body: &body,
                        message_id: Uuid::now_v7(),
                    };
                    publisher.publish_confirmed(&[message]).await
                });
            }
            while let Some(sent) = sends.join_next().await {
                sent??;
            }
            anyhow::Ok(started.elapsed())
        })
    };

    let mut conn = app.pool.get().await?;
    let mut waits: Vec<Duration> = Vec::with_capacity(total);
    let give_up = Instant::now() + Duration::from_secs(seconds) + super::GIVE_UP_AFTER;
    while waits.len() < total {
        anyhow::ensure!(
            Instant::now() < give_up,
            "gave up with {}/{total} cases committed",
            waits.len()
        );
        // The notification is the signal; the short timeout only covers one lost between a
        // query and the next wait.
        let _ = tokio::time::timeout(Duration::from_millis(50), wake.notified()).await;
        let seen = Instant::now();
        let pending: Vec<Uuid> = published
            .lock()
            .expect("not poisoned")
            .keys()
            .copied()
            .collect();
        if pending.is_empty() {
            continue;
        }
        for id in db::opened_by(&mut conn, &pending).await? {
            if let Some(at) = published.lock().expect("not poisoned").remove(&id) {
                waits.push(seen.saturating_duration_since(at));
            }
        }
    }
    let publish_time = publishing.await??;
    stop.cancel();
    listening.await?;
    waits.sort();
    let at = |q: f64| waits[((waits.len() as f64 * q).ceil() as usize).clamp(1, waits.len()) - 1];
    Ok(Latency {
        rate,
        p50: at(0.50),
        p99: at(0.99),
        max: *waits.last().expect("at least one"),
        count: total,
        achieved: total as f64 / publish_time.as_secs_f64(),
    })
}

/// What the letters run managed.
#[derive(Debug)]
pub struct LettersRun {
    /// Acknowledgement clocks pending when the clock moved: the letters due.
    pub due: i64,
    /// Letters rendered since.
    pub rendered: i64,
    /// Letters emailed since.
    pub emailed: i64,
    /// Until the last was rendered (or the limit).
    pub render_time: Duration,
    /// Until the last was emailed (or the limit).
    pub email_time: Duration,
}

/// Advances the clock past every pending acknowledgement clock's firing and times the letters
/// that follow.
async fn letters(app: &App, limit: Duration) -> anyhow::Result<LettersRun> {
    let mut conn = app.pool.get().await?;
    // Every clock set first, so that the letters due are known before the clock moves.
    let cases = db::count_cases(&mut conn).await? as usize;
    fanned_out(app, cases).await?;
    let due = db::count_pending_timers(&mut conn, ClockKind::Acknowledgement).await?;
    let offset = crate::db::simulated_clock::offset_ms(&mut conn).await?;
    let started = Instant::now();
    crate::db::simulated_clock::set_offset_ms(&mut conn, offset + ADVANCE.num_milliseconds())
        .await?;
    let mut render_time = None;
    loop {
        let (rendered, emailed) =
            db::count_letters_of_clock(&mut conn, LetterCode::Cmsl5842, ClockKind::Acknowledgement)
                .await?;
        if render_time.is_none() && rendered >= due {
            render_time = Some(started.elapsed());
        }
        if emailed >= due || started.elapsed() >= limit {
            return Ok(LettersRun {
                due,
                rendered,
                emailed,
                render_time: render_time.unwrap_or_else(|| started.elapsed()),
                email_time: started.elapsed(),
            });
        }
        // Counting reads every letter: often enough to time a run of a minute, seldom enough
        // not to slow it.
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Whether `GET /readyz` on `port` answers 200 (its database and broker answer).
async fn ready_answers(port: u16) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let ask = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        stream
            .write_all(b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await?;
        std::io::Result::Ok(head.ends_with(b" 200"))
    };
    tokio::time::timeout(Duration::from_secs(2), ask)
        .await
        .is_ok_and(|answer| answer.unwrap_or(false))
}

/// The peak resident set (VmHWM) of process `pid` (`self` for this one), where /proc tells it.
fn peak_rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Makes distinct complaints of a [`Mix`], each with a fresh event id and its own customer.
struct Complaints {
    mix: Mix,
    sample: Value,
    rng: StdRng,
    made: usize,
}

impl Complaints {
    fn new(mix: Mix) -> Self {
        Self {
            mix,
            sample: serde_json::from_str(SAMPLE).expect("the sample is JSON"),
            // Seeded: every run publishes the same mix.
            rng: StdRng::seed_from_u64(14),
            made: 0,
        }
    }

    /// The next complaint: its event id and body. `tag` keeps customer references distinct
    /// between the runs of one benchmark.
    fn next(&mut self, tag: &str) -> (Uuid, Vec<u8>) {
        let id = Uuid::now_v7();
        let now = chrono::Utc::now();
        let mut event = self.sample.clone();
        event["id"] = Value::String(id.to_string());
        event["time"] = json!(now);
        let data = &mut event["data"];
        data["received_at"] = json!(now);
        data["customer"]["reference"] = Value::String(format!("BENCH-{tag}-{:08}", self.made));
        self.made += 1;
        match self.mix {
            Mix::Tier1 => data["raised_by"] = json!("mp"),
            Mix::Realistic => realistic(data, &mut self.rng),
        }
        (id, serde_json::to_vec(&event).expect("JSON serialises"))
    }
}

/// Turns the sample's data into one draw of the realistic mix.
fn realistic(data: &mut Value, rng: &mut StdRng) {
    let roll = rng.random_range(0..100);
    match roll {
        // Tier 0: the first point of contact (the sample as it is).
        0..62 => {}
        // Tier 0: a staff complaint an apology settles, which a team leader owns.
        62..67 => {
            data["about"] = json!("staff");
            data["apology_suffices"] = json!(true);
            data["staff_member"] = json!({ "reference": "STAFF-0042", "name": "A Colleague" });
        }
        // Tier 1: raised by an MP.
        67..85 => data["raised_by"] = json!("mp"),
        // Tier 1: an allegation of staff behaviour (written contact only).
        85..90 => {
            data["about"] = json!("staff");
            data["staff_member"] = json!({ "reference": "STAFF-0042", "name": "A Colleague" });
        }
        // Tier 1 and 0 customers whose contact is restricted to writing.
        90..95 => {
            data["customer"]["contact_restriction"] = json!("written_only");
            if roll % 2 == 0 {
                data["raised_by"] = json!("mp");
            }
        }
        // Tier 2: raised by the Independent Case Examiner or the PHSO.
        95..99 => data["raised_by"] = json!("ice"),
        _ => data["raised_by"] = json!("phso"),
    }
    data["customer"]["region"] = json!(match rng.random_range(0..100) {
        0..85 => "england_and_wales",
        85..95 => "scotland",
        _ => "northern_ireland",
    });
    let mut categories = vec![category(rng)];
    if rng.random_range(0..3) == 0 {
        let second = category(rng);
        if second != categories[0] {
            categories.push(second);
        }
    }
    data["categories"] = json!(categories);
}

/// One category, drawn by [`CATEGORIES`]' weights.
fn category(rng: &mut StdRng) -> &'static str {
    let total: u32 = CATEGORIES.iter().map(|(_, w)| w).sum();
    let mut pick = rng.random_range(0..total);
    for (name, weight) in CATEGORIES {
        if pick < *weight {
            return name;
        }
        pick -= weight;
    }
    CATEGORIES[0].0
}
