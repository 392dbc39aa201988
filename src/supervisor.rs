//! Starts the chosen workers of one process as tasks and stops them together: `complaints run`
//! uses it, and so do the tests and the benchmark, so they run exactly what production runs.

use std::path::Path;
use std::sync::Arc;

use clap::ValueEnum;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::broker::consumer;
use crate::letters::render::Letters;
use crate::workers::acknowledgement::Acknowledgement;
use crate::workers::casework::Casework;
use crate::workers::deadlines::Deadlines;
use crate::workers::disputes::Disputes;
use crate::workers::email::{run_sender, EmailWorker};
use crate::workers::escalation::Escalation;
use crate::workers::intake::Intake;
use crate::workers::letters::{run_printer, LettersWorker, PostRoom};
use crate::workers::{outbox_relay, scheduler};

/// A kind of worker a process can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WorkerKind {
    /// Consumes `complaint.received`, opens cases.
    Intake,
    /// Starts and meets the acknowledgement clocks, requests their letters.
    Acknowledgement,
    /// Applies caseworkers' decisions through the tier state machines; keeps the Systemic Log.
    Casework,
    /// Opens the linked higher case of an escalated one and tells the receiving team.
    Escalation,
    /// Response targets, waits, action due dates, ICE redress.
    Deadlines,
    /// A dispute's action plan letters and their follow-up clocks.
    Disputes,
    /// Fires due timers.
    Scheduler,
    /// Renders requested letters and sends them to email or post; prints postal letters.
    Letters,
    /// Sends letters and team notifications by SMTP.
    Email,
    /// Publishes the outbox.
    OutboxRelay,
    /// The HTTP server.
    Http,
}

/// Spawns `kinds`; the HTTP server, if chosen, serves on `http`. Fails before starting anything
/// when a worker cannot be built (e.g. a letter template does not compile).
pub fn start(
    app: &App,
    kinds: &[WorkerKind],
    http: Option<TcpListener>,
    shutdown: &CancellationToken,
) -> anyhow::Result<JoinSet<anyhow::Result<()>>> {
    let letters = if kinds.contains(&WorkerKind::Letters) {
        let dir = Path::new(&app.config.letters.templates_dir);
        Some(Arc::new(Letters::load(dir)?))
    } else {
        None
    };
    let email = if kinds.contains(&WorkerKind::Email) {
        Some(Arc::new(EmailWorker::new(app)?))
    } else {
        None
    };
    // The recorder must exist before the first counter is touched, or those counts are lost.
    crate::telemetry::metrics();
    let mut tasks = JoinSet::new();
    if let Some(follow) = app.follow_clock(shutdown.clone()) {
        tasks.spawn(async move {
            follow.await;
            Ok(())
        });
    }
    let mut http = http;
    for kind in kinds {
        let (app, shutdown) = (app.clone(), shutdown.clone());
        match kind {
            WorkerKind::Intake => {
                let intake = Arc::new(Intake);
                for _ in 0..app.config.intake.consumers {
                    let (app, shutdown, intake) = (app.clone(), shutdown.clone(), intake.clone());
                    tasks.spawn(async move {
                        consumer::run(intake, app, shutdown).await;
                        Ok(())
                    });
                }
            }
            WorkerKind::Acknowledgement => {
                let worker = Arc::new(Acknowledgement::new(&app));
                tasks.spawn(async move {
                    consumer::run(worker, app, shutdown).await;
                    Ok(())
                });
            }
            WorkerKind::Casework => {
                tasks.spawn(async move {
                    consumer::run(Arc::new(Casework), app, shutdown).await;
                    Ok(())
                });
            }
            WorkerKind::Escalation => {
                tasks.spawn(async move {
                    consumer::run(Arc::new(Escalation), app, shutdown).await;
                    Ok(())
                });
            }
            WorkerKind::Deadlines => {
                let worker = Arc::new(Deadlines::new(&app));
                tasks.spawn(async move {
                    consumer::run(worker, app, shutdown).await;
                    Ok(())
                });
            }
            WorkerKind::Disputes => {
                tasks.spawn(async move {
                    consumer::run(Arc::new(Disputes), app, shutdown).await;
                    Ok(())
                });
            }
            WorkerKind::Scheduler => {
                tasks.spawn(async move {
                    scheduler::run(app, shutdown).await;
                    Ok(())
                });
            }
            WorkerKind::Letters => {
                let templates = letters.clone().expect("loaded above");
                let worker = Arc::new(LettersWorker::new(&app, templates));
                let printer = (PostRoom::new(&app), app.clone(), shutdown.clone());
                tasks.spawn(async move {
                    consumer::run(worker, app, shutdown).await;
                    Ok(())
                });
                tasks.spawn(async move {
                    let (post_room, app, shutdown) = printer;
                    run_printer(post_room, app, shutdown).await;
                    Ok(())
                });
            }
            WorkerKind::Email => {
                let worker = email.clone().expect("built above");
                let sender = (worker.clone(), app.clone(), shutdown.clone());
                tasks.spawn(async move {
                    consumer::run(worker, app, shutdown).await;
                    Ok(())
                });
                tasks.spawn(async move {
                    let (worker, app, shutdown) = sender;
                    run_sender(worker, app, shutdown).await;
                    Ok(())
                });
            }
            WorkerKind::OutboxRelay => {
                tasks.spawn(async move {
                    outbox_relay::run(app, shutdown).await;
                    Ok(())
                });
            }
            WorkerKind::Http => {
                // The ops page's chart of what arrives on each queue needs their depths over
                // time: whichever processes serve HTTP sample them.
                let (sampling, stop) = (app.clone(), shutdown.clone());
                tasks.spawn(async move {
                    crate::http::ops::sample_queue_depths(sampling, stop).await;
                    Ok(())
                });
                let listener = http.take();
                tasks.spawn(async move {
                    let listener = match listener {
                        Some(l) => l,
                        None => TcpListener::bind(app.config.http.listen).await?,
                    };
                    crate::http::serve(listener, app, shutdown).await?;
                    Ok(())
                });
            }
        }
    }
    Ok(tasks)
}
