//! `complaints bench data --cases N --timeline-per-case M`: whether the reads people wait for
//! stay quick at a national service's volume. Seeds a scratch database with N cases received
//! over a year and N×M timeline entries (with their timers, tasks and letters; see
//! [`seed_volume`]), then times `complaints show`'s read, GET /v1/cases/{ref} over a real
//! HTTP connection to this process's server, the database part of `complaints status` and a
//! year's `complaints report`, each through the library functions the commands call. The
//! report is timed three ways: with no day's figures kept (every case read), after the
//! report-days worker's catch-up has kept every day (itself timed), and with the last week's
//! days changed since. With `--explain`, prints every statement's plan as PostgreSQL ran it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use clap::Args;
use diesel_async::AsyncPgConnection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::app::App;
use crate::cli::status::case_status;
use crate::config::Config;
use crate::db::bench::{
    change_days_before, sample_references, seed_volume, seeded_rows, Explaining, Plan, Volume,
};
use crate::db::scratch::ScratchDatabase;
use crate::db::{cases, clients, reports};
use crate::vocabulary::Scope;

/// The year the cases are received in, as `complaints report --from … --to …` names it.
const FIRST_DAY: (i32, u32, u32) = (2025, 12, 1);
/// The last day of that year.
const LAST_DAY: (i32, u32, u32) = (2026, 11, 30);

/// Arguments of `complaints bench data`.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Cases to seed, received evenly over a year.
    #[arg(long, default_value_t = 1_000_000)]
    pub cases: i64,
    /// Timeline entries per case.
    #[arg(long, default_value_t = 10)]
    pub timeline_per_case: i64,
    /// How many times each operation is timed (show and the HTTP look-up read a different case
    /// each time).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Also print the plan of every statement each operation runs, with its rows and buffers
    /// (PostgreSQL's auto_explain module, which only a superuser may load).
    #[arg(long)]
    pub explain: bool,
    /// Keep the scratch database (its URL is printed) instead of dropping it.
    #[arg(long)]
    pub keep: bool,
}

/// Runs the benchmark in a scratch database on the configured server and prints its figures.
pub async fn run(config: Config, args: DataArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.cases >= 10 && args.runs >= 1 && args.timeline_per_case >= 1,
        "seed at least 10 cases and 1 timeline entry each, and time at least 1 run"
    );
    let scratch = ScratchDatabase::create(&config.database_url(), "complaints_bench").await?;
    let outcome = measure(config, &scratch.url, &args).await;
    if args.keep {
        eprintln!("kept the scratch database: {}", scratch.url);
    } else {
        scratch.drop_database().await?;
    }
    outcome
}

/// Seeds, times and prints.
async fn measure(mut config: Config, url: &str, args: &DataArgs) -> anyhow::Result<()> {
    config.database.url = url.to_owned();
    config.database.password = None;
    let app = App::new(config)?;
    let mut conn = app.pool.get().await?;
    let day = |(y, m, d): (i32, u32, u32)| NaiveDate::from_ymd_opt(y, m, d).expect("a day");
    let (from, to) =
        crate::reports::period(day(FIRST_DAY), day(LAST_DAY)).map_err(anyhow::Error::msg)?;
    let volume = Volume {
        cases: args.cases,
        timeline_per_case: args.timeline_per_case,
        from,
        days: (to - from).num_days(),
    };
    eprintln!(
        "seeding {} cases and {} timeline entries…",
        args.cases,
        args.cases * args.timeline_per_case
    );
    let seeding = Instant::now();
    seed_volume(&mut conn, volume, |what, done, total| {
        eprintln!(
            "  {what}: {done}/{total} ({:.0} s)",
            seeding.elapsed().as_secs_f64()
        );
    })
    .await?;
    let seeded = seeding.elapsed();
    let rows = seeded_rows(&mut conn).await?;

    let references = sample_references(&mut conn, args.cases, args.runs as i64).await?;
    let mut show = Vec::new();
    for reference in &references {
        let started = Instant::now();
        let case = cases::find_by_reference(&mut conn, reference)
            .await?
            .context("a seeded case")?;
        serde_json::to_string(&case)?;
        show.push(started.elapsed());
    }

    let id = Uuid::now_v7();
    let token = crate::auth::new_token(id)?;
    let scopes = [Scope::CasesRead.as_str().to_owned()];
    clients::add(
        &mut conn,
        id,
        "bench-data",
        &scopes,
        &token.secret_sha256,
        app.clock.now(),
    )
    .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(crate::http::serve(listener, app.clone(), shutdown.clone()));
    let mut http = Vec::new();
    for reference in &references {
        let started = Instant::now();
        get(address, &token.token, &format!("/v1/cases/{reference}")).await?;
        http.push(started.elapsed());
    }
    shutdown.cancel();
    server.await??;

    let mut status = Vec::new();
    for _ in 0..args.runs {
        let started = Instant::now();
        case_status(&mut conn).await?;
        status.push(started.elapsed());
    }
    let report_read = time_report(&mut conn, (from, to), args.runs).await?;
    let keeping = Instant::now();
    let kept_days = reports::keep_every_changed_day(
        &mut conn,
        app.config.reports.days_per_round,
        app.clock.now(),
        |kept| {
            eprintln!(
                "  report days kept: {kept} ({:.0} s)",
                keeping.elapsed().as_secs_f64()
            );
        },
    )
    .await?;
    let keeping = keeping.elapsed();
    let report_kept = time_report(&mut conn, (from, to), args.runs).await?;
    change_days_before(&mut conn, to, CHANGED_DAYS).await?;
    let report_changed = time_report(&mut conn, (from, to), args.runs).await?;

    println!(
        "complaints bench data --cases {} --timeline-per-case {} --runs {}",
        args.cases, args.timeline_per_case, args.runs
    );
    println!(
        "  seeded {} cases, {} timeline entries, {} timers, {} tasks, {} letters in {:.0} s",
        args.cases,
        args.cases * args.timeline_per_case,
        rows.timers,
        rows.tasks,
        rows.letters,
        seeded.as_secs_f64()
    );
    println!(
        "  kept {kept_days} days' report figures in {:.1} s (the report-days worker's catch-up)",
        keeping.as_secs_f64()
    );
    println!("  {:<60} {:>10} {:>10}", "operation", "p50", "max");
    let (first, last) = (day(FIRST_DAY), day(LAST_DAY));
    for (what, times) in [
        ("show (the case read whole, as JSON)".to_owned(), show),
        ("GET /v1/cases/{ref} (over HTTP)".to_owned(), http),
        ("status (its database part)".to_owned(), status),
        (
            format!("report --from {first} --to {last}, no day kept"),
            report_read,
        ),
        ("the same, every day kept".to_owned(), report_kept),
        (
            format!("the same, the last {CHANGED_DAYS} days changed since"),
            report_changed,
        ),
    ] {
        let (p50, max) = p50_and_max(times);
        println!(
            "  {what:<60} {:>7.1} ms {:>7.1} ms",
            p50.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3
        );
    }

    if args.explain {
        let mut explaining = Explaining::connect(url, true)
            .await
            .context("--explain loads auto_explain, which takes a superuser")?;
        cases::find_by_reference(&mut explaining.conn, &references[0]).await?;
        print_plans(
            "show and GET /v1/cases/{ref} (one function)",
            &explaining.plans(),
        );
        case_status(&mut explaining.conn).await?;
        print_plans("status", &explaining.plans());
        reports::report(&mut explaining.conn, from, to).await?;
        print_plans("report", &explaining.plans());
    }
    Ok(())
}

/// Days before the period's end noted as changed for the last report timed, as a week of work
/// on recent cases does between two rounds of the report-days worker.
const CHANGED_DAYS: i32 = 7;

/// Times `complaints report` over `period` `runs` times.
async fn time_report(
    conn: &mut AsyncPgConnection,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    runs: usize,
) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        reports::report(conn, from, to).await?;
        times.push(started.elapsed());
    }
    Ok(times)
}

/// The median and the slowest of `times`.
fn p50_and_max(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    (
        times[times.len() / 2],
        times.last().copied().unwrap_or_default(),
    )
}

/// `GET path` with the bearer `token` over a new connection to `address`; fails unless the
/// answer is 200.
async fn get(address: SocketAddr, token: &str, path: &str) -> anyhow::Result<()> {
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    anyhow::ensure!(
        response.starts_with(b"HTTP/1.1 200"),
        "GET {path} answered {}",
        String::from_utf8_lossy(&response[..response.len().min(100)])
    );
    Ok(())
}

/// Prints each statement's time and what it read: every scan node with its table, index and
/// rows, and the statement's shared buffers found in memory and read.
fn print_plans(operation: &str, plans: &[Plan]) {
    println!("\n{operation}: {} statements", plans.len());
    for plan in plans {
        let query: String = plan.query.split_whitespace().collect::<Vec<_>>().join(" ");
        let query: String = query.chars().take(110).collect();
        println!(
            "  {:>9.2} ms  {query}{}",
            plan.duration_ms,
            if plan.query.len() > 110 { "…" } else { "" }
        );
        let blocks = |key: &str| plan.root[key].as_i64().unwrap_or(0);
        for node in plan.nodes() {
            let Some(table) = node["Relation Name"].as_str() else {
                continue;
            };
            let index = node["Index Name"]
                .as_str()
                .map(|i| format!(" using {i}"))
                .unwrap_or_default();
            println!(
                "              {} on {table}{index}: {} rows",
                node["Node Type"].as_str().unwrap_or("?"),
                node["Actual Rows"]
            );
        }
        println!(
            "              buffers: {} in memory, {} read",
            blocks("Shared Hit Blocks"),
            blocks("Shared Read Blocks")
        );
    }
}
