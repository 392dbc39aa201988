//! Starts the chosen workers of one process as tasks and stops them together: `complaints run`
//! uses it, and so do the tests and the benchmark, so they run exactly what production runs.
//! Which workers there are, and how each is built, is the workers' registry
//! (`workers/mod.rs`); this adds the HTTP server and the clock that follows a simulated one.

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::workers::Tasks;
pub use crate::workers::WorkerKind;

/// Spawns `kinds`; the HTTP server, if chosen, serves on `http`. Fails before starting anything
/// when a worker cannot be built (e.g. a letter template does not compile).
pub fn start(
    app: &App,
    kinds: &[WorkerKind],
    http: Option<TcpListener>,
    shutdown: &CancellationToken,
) -> anyhow::Result<Tasks> {
    let built = kinds
        .iter()
        .map(|kind| kind.build(app))
        .collect::<anyhow::Result<Vec<_>>>()?;
    warn_if_holidays_end_soon(app);
    // The recorder must exist before the first counter is touched, or those counts are lost.
    crate::telemetry::metrics();
    let mut tasks = Tasks::new();
    if let Some(follow) = app.follow_clock(shutdown.clone()) {
        tasks.spawn(async move {
            follow.await;
            Ok(())
        });
    }
    for worker in built.into_iter().flatten() {
        worker.spawn(app, shutdown, &mut tasks);
    }
    if kinds.contains(&WorkerKind::Http) {
        serve_http(app, http, shutdown, &mut tasks);
    }
    Ok(tasks)
}

/// Warns once, at start, when the bank-holiday list ends within six months: working-day
/// deadlines past its end would count bank holidays as working days.
fn warn_if_holidays_end_soon(app: &App) {
    let today = app.clock.now().date_naive();
    if app.calendar.ends_soon(today) {
        tracing::warn!(
            known_until = %app.calendar.known_until(),
            "the bank-holiday list ends within six months; past its end only weekends are \
             skipped, so update govuk-bank-holidays or set calendar.bank_holidays_file"
        );
    }
}

/// The HTTP server, on `listener` or `http.listen`, and the sampling of queue depths that its
/// ops page charts.
fn serve_http(
    app: &App,
    listener: Option<TcpListener>,
    shutdown: &CancellationToken,
    tasks: &mut Tasks,
) {
    let (sampling, stop) = (app.clone(), shutdown.clone());
    tasks.spawn(async move {
        crate::http::ops::sample_queue_depths(sampling, stop).await;
        Ok(())
    });
    let (app, shutdown) = (app.clone(), shutdown.clone());
    tasks.spawn(async move {
        let listener = match listener {
            Some(l) => l,
            None => TcpListener::bind(app.config.http.listen).await?,
        };
        crate::http::serve(listener, app, shutdown).await?;
        Ok(())
    });
}
