//! `complaints bench timers --pending N --due D`: the time the scheduler takes to fire the due
//! timers among many pending ones, then the firing lag of timers falling due while it runs.

use std::time::{Duration, Instant};

use clap::Args;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::db::bench::{count_lag_timers_fired, lag_timers_lag, seed_lag_timers, seed_timers};
use crate::supervisor::{self, WorkerKind};

/// Arguments of `complaints bench timers`.
#[derive(Debug, Args)]
pub struct TimersArgs {
    /// Timers pending in all.
    #[arg(long, default_value_t = 100_000)]
    pub pending: usize,
    /// How many of them are due already.
    #[arg(long, default_value_t = 10_000)]
    pub due: usize,
    /// Timers falling due during the lag measurement.
    #[arg(long, default_value_t = 2_000)]
    pub lag_timers: usize,
}

/// Runs the benchmark in `app`'s (scratch) database and prints its figures.
pub async fn run(app: &App, args: TimersArgs) -> anyhow::Result<()> {
    let TimersArgs {
        pending,
        due,
        lag_timers,
    } = args;
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
    seed_lag_timers(&mut conn, start, lag_timers).await?;
    let waiting = Instant::now();
    loop {
        let n = count_lag_timers_fired(&mut conn).await?;
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
    let lag = lag_timers_lag(&mut conn).await?;

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
