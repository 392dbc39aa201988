//! The HTTP server: intake over HTTP, case look-up, health and metrics.
//!
//! | route | scope | what |
//! | --- | --- | --- |
//! | `POST /v1/events` | `complaints:write` or `decisions:write` (by type) | validate a CloudEvent (structured, binary or batched mode), publish it with a confirm: 202 + id, or 400 + reasons |
//! | `GET /v1/events/{id}` | `complaints:write` or `decisions:write` | what happened to an event: pending, applied, refused or dead-lettered |
//! | `GET /v1/cases/{reference}` | `cases:read` | a case with its customer, clocks, letters and timeline (a staff complaint's case notes also need `staff_complaints:read`) |
//! | `GET /v1/cases/{reference}/letters/{id}` | `cases:read` | a letter exactly as sent |
//! | `GET /v1/reports/complaints?from=&to=[&format=csv]` | `reports:read` | the figures of process.md §7 for a period |
//! | `GET /v1/tasks?team=&state=open` | `tasks:read` | a team's tasks in a state, oldest first |
//! | `GET /openapi.json` | any valid client | the OpenAPI 3.1 document of these routes |
//! | `GET /healthz` | none | the process is up |
//! | `GET /readyz` | none | PostgreSQL and RabbitMQ are reachable |
//! | `GET /metrics` | `metrics:read` (none with `http.metrics_public`) | Prometheus text format |
//! | `GET /ops` | `ops` (see [`ops`]) | the live operations page, with dead-letter replay and discard |
//!
//! Every handler answers its refusals and failures with the one error type, [`error::ApiError`]
//! (`{"error": code, "reasons": [...]}`), and so do unknown routes (404), wrong methods (405),
//! bodies over `http.body_limit_bytes` (413), requests slower than `http.request_timeout_ms`
//! (503 `timeout`), clients over their rate (429) and the operations page's 303 to its sign-in
//! form. The one exception is `/readyz`'s 503, which is its readiness report, as its 200 is.
//! Who may call what is [`auth`]'s.

pub mod auth;
mod cases;
pub mod error;
mod event_status;
pub mod events;
mod health;
mod letters;
mod metrics;
pub mod ops;
mod reports;
mod tasks;

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::info;

use self::auth::RateLimits;
use self::error::ApiError;
use crate::app::App;

/// The routes, over the shared dependencies, with the limits of `[http]`.
pub fn router(app: App) -> Router {
    let limits = RateLimits::new(&app.config.http);
    let body_limit = app.config.http.body_limit_bytes;
    Router::new()
        .route("/v1/events", post(events::post))
        .route("/v1/events/{id}", get(event_status::get))
        .route("/v1/cases/{reference}", get(cases::get))
        .route("/v1/cases/{reference}/letters/{id}", get(letters::get))
        .route("/v1/reports/complaints", get(reports::complaints))
        .route("/v1/tasks", get(tasks::list))
        .route("/openapi.json", get(openapi))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .merge(ops::routes())
        .fallback(|| async { ApiError::not_found("no such route") })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(Extension(limits))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(app.clone(), deadline))
        .with_state(app)
}

/// `GET /openapi.json`: the OpenAPI 3.1 document of these routes (as `schema/openapi.json`),
/// for any valid client.
async fn openapi(_caller: auth::Caller) -> axum::Json<serde_json::Value> {
    static DOCUMENT: std::sync::LazyLock<serde_json::Value> =
        std::sync::LazyLock::new(crate::contract::openapi::document);
    axum::Json(DOCUMENT.clone())
}

/// Answers 503 `timeout` for a request not answered within `http.request_timeout_ms` (the
/// handler is dropped, so its work stops with it).
async fn deadline(State(app): State<App>, request: Request, next: Next) -> Response {
    let limit = Duration::from_millis(app.config.http.request_timeout_ms);
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::timeout().into_response(),
    }
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
