//! `complaints run`: migrate, declare the broker topology, and run the chosen workers until
//! SIGINT or SIGTERM, then stop them gracefully (in-flight batches finish or are redelivered).

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
    /// Workers to run, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "intake,acknowledgement,casework,escalation,deadlines,disputes,scheduler,letters,email,outbox-relay,http"
    )]
    pub workers: Vec<WorkerKind>,
}

/// Runs until a signal.
pub async fn run(app: App, args: RunArgs) -> anyhow::Result<()> {
    app.prepare_patiently().await;
    let shutdown = CancellationToken::new();
    let mut tasks = supervisor::start(&app, &args.workers, None, &shutdown)?;
    info!(workers = ?args.workers, "running");
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => info!("interrupted; stopping"),
        _ = terminate.recv() => info!("terminated; stopping"),
        Some(ended) = tasks.join_next() => {
            error!(?ended, "a worker stopped by itself; stopping the others");
        }
    }
    shutdown.cancel();
    while let Some(ended) = tasks.join_next().await {
        if let Ok(Err(e)) = ended {
            error!(error = %e, "worker ended with an error");
        }
    }
    Ok(())
}
