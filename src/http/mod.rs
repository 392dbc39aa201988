//! The HTTP server: intake over HTTP, case look-up, health and metrics.
//!
//! | route | what |
//! | --- | --- |
//! | `POST /v1/events` | validate a CloudEvent, publish it with a confirm: 202 + id, or 400 + reasons |
//! | `GET /v1/events/{id}` | what happened to an event: pending, applied, refused or dead-lettered |
//! | `GET /v1/cases/{reference}` | a case with its customer, clocks, letters and timeline |
//! | `GET /v1/cases/{reference}/letters/{id}` | a letter exactly as sent |
//! | `GET /v1/reports/complaints?from=&to=[&format=csv]` | the figures of process.md §7 for a period |
//! | `GET /healthz` | the process is up |
//! | `GET /readyz` | PostgreSQL and RabbitMQ are reachable |
//! | `GET /metrics` | Prometheus text format |
//! | `GET /ops` | the live operations page (see [`ops`]), with dead-letter replay and discard |

mod cases;
pub mod error;
mod event_status;
mod events;
mod health;
mod letters;
mod metrics;
pub mod ops;
mod reports;

use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::app::App;

/// The routes, over the shared dependencies.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/v1/events", post(events::post))
        .route("/v1/events/{id}", get(event_status::get))
        .route("/v1/cases/{reference}", get(cases::get))
        .route("/v1/cases/{reference}/letters/{id}", get(letters::get))
        .route("/v1/reports/complaints", get(reports::complaints))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .merge(ops::routes())
        .with_state(app)
}

/// Serves on `listener` until `shutdown`.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    info!(address = %listener.local_addr()?, "HTTP listening");
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}
