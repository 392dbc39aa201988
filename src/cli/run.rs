//! `complaints run`: migrate, declare the broker topology, and run the chosen workers until
//! SIGINT or SIGTERM, then stop them gracefully (in-flight batches finish or are redelivered),
//! within a bounded time. A worker that stops by itself stops the process with a non-zero exit,
//! so that the service manager (ops/systemd) starts it again.

use std::time::Duration;

use clap::Args;
use tokio::signal::unix::{signal, SignalKind};
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

use crate::app::App;
use crate::supervisor::{self, WorkerKind};

/// Arguments of `complaints run`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  complaints run                          # everything in one process\n  \
complaints run --workers intake          # only intake, e.g. on a second host\n  \
complaints run --workers http,outbox-relay\n\n\
Any number of processes may run the same workers on any number of hosts: they compete for \
messages on the same queues and share the outbox without publishing a row twice."
)]
pub struct RunArgs {
    /// Workers to run, comma-separated (all of them by default).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = WorkerKind::ALL.to_vec())]
    pub workers: Vec<WorkerKind>,
}

/// How long the workers have to finish their in-flight work once asked to stop; whatever has
/// not finished by then is abandoned (its messages are redelivered, its transactions rolled
/// back by the database when the process exits).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Runs until a signal. Fails (a non-zero exit, so a service manager restarts the process)
/// when a worker stops by itself or the workers do not stop within [`SHUTDOWN_GRACE`].
pub async fn run(app: App, args: RunArgs) -> anyhow::Result<()> {
    app.prepare_patiently().await;
    let shutdown = CancellationToken::new();
    let mut tasks = supervisor::start(&app, &args.workers, None, &shutdown)?;
    info!(workers = ?args.workers, "running");
    let mut terminate = signal(SignalKind::terminate())?;
    let failed = tokio::select! {
        _ = tokio::signal::ctrl_c() => { info!("interrupted; stopping"); None }
        _ = terminate.recv() => { info!("terminated; stopping"); None }
        Some(ended) = tasks.join_next() => {
            let why = match ended {
                Ok(Ok(())) => "it returned".to_owned(),
                Ok(Err(e)) => format!("{e:#}"),
                Err(e) if e.is_panic() => "it panicked".to_owned(),
                Err(e) => e.to_string(),
            };
            error!(%why, "a worker stopped by itself; stopping the others");
            Some(why)
        }
    };
    shutdown.cancel();
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while let Some(ended) = tasks.join_next().await {
            match ended {
                Ok(Err(e)) => error!(error = %e, "worker ended with an error"),
                Err(e) if e.is_panic() => error!("worker panicked while stopping"),
                _ => {}
            }
        }
    })
    .await;
    if drained.is_err() {
        error!(grace = ?SHUTDOWN_GRACE, "workers did not stop in time; abandoning them");
        tasks.abort_all();
        anyhow::bail!("the workers did not stop within {SHUTDOWN_GRACE:?}");
    }
    match failed {
        Some(why) => anyhow::bail!("a worker stopped by itself ({why}); the others were stopped"),
        None => Ok(()),
    }
}
