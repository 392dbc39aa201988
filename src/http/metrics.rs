//! `/metrics`: the process's counters and histograms, plus gauges read at scrape time: depth
//! and consumers of every worker queue and dead-letter queue, the outbox backlog, and timers
//! pending, due and overdue (due for longer than `scheduler.overdue_grace_ms` and not fired),
//! open cases by tier and team whose response target runs out within a day or has run out, and
//! the days and changes waiting for the report-days worker.

use std::collections::BTreeSet;
use std::sync::Mutex;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use tracing::warn;

use super::auth::authorise;
use super::error::ApiResult;
use crate::app::App;
use crate::broker::stats::queue_stats;
use crate::db::{outbox, reports, timers};
use crate::vocabulary::{Scope, Tier};
use crate::workers::QUEUES;

/// Prometheus text format; scope `metrics:read` unless `http.metrics_public = true`.
pub async fn render(State(app): State<App>, headers: HeaderMap) -> ApiResult<Response> {
    if !app.config.http.metrics_public {
        authorise(&app, &headers, Scope::MetricsRead).await?;
    }
    match queue_stats(&app.config.amqp_urls(), &app.topology, QUEUES).await {
        Ok(stats) => {
            for s in stats {
                metrics::gauge!("complaints_queue_messages", "queue" => s.queue.clone())
                    .set(s.messages);
                metrics::gauge!("complaints_queue_consumers", "queue" => s.queue).set(s.consumers);
            }
        }
        Err(e) => warn!(error = %e, "could not read queue depths for /metrics"),
    }
    match app.pool.get().await {
        Ok(mut conn) => {
            match outbox::count_unsent(&mut conn).await {
                Ok(n) => metrics::gauge!("complaints_outbox_pending").set(n as f64),
                Err(e) => warn!(error = %e, "could not count the outbox for /metrics"),
            }
            let now = app.clock.now();
            let grace =
                chrono::Duration::milliseconds(app.config.scheduler.overdue_grace_ms as i64);
            match timers::counts(&mut conn, now, now - grace).await {
                Ok(counts) => {
                    metrics::gauge!("complaints_timers_pending").set(counts.pending as f64);
                    metrics::gauge!("complaints_timers_due").set(counts.due as f64);
                    metrics::gauge!("complaints_timers_overdue").set(counts.overdue as f64);
                }
                Err(e) => warn!(error = %e, "could not count timers for /metrics"),
            }
            match timers::breach_counts(&mut conn, now + chrono::Duration::days(1)).await {
                Ok(counts) => set_breach_gauges(&counts),
                Err(e) => warn!(error = %e, "could not count targets near breach for /metrics"),
            }
            match reports::changes_waiting(&mut conn).await {
                Ok(waiting) => {
                    metrics::gauge!("complaints_report_days_waiting").set(waiting.days as f64);
                    metrics::gauge!("complaints_report_changes_waiting")
                        .set(waiting.changes as f64);
                }
                Err(e) => warn!(error = %e, "could not count report changes for /metrics"),
            }
        }
        Err(e) => warn!(error = %e, "no database connection for /metrics"),
    }
    Ok(crate::telemetry::metrics().render().into_response())
}

/// Sets the near-breach and breached gauges; a tier and team seen before but absent now is
/// set to 0 rather than left at its last value.
fn set_breach_gauges(counts: &[timers::BreachCounts]) {
    static SEEN: Mutex<BTreeSet<(&'static str, String)>> = Mutex::new(BTreeSet::new());
    let mut seen = SEEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut now = BTreeSet::new();
    for c in counts {
        let tier = Tier::from_number(c.tier).map_or("unknown", Tier::as_str);
        metrics::gauge!("complaints_cases_near_breach", "tier" => tier, "team" => c.team.clone())
            .set(c.near as f64);
        metrics::gauge!("complaints_cases_breached", "tier" => tier, "team" => c.team.clone())
            .set(c.breached as f64);
        now.insert((tier, c.team.clone()));
    }
    for (tier, team) in seen.difference(&now) {
        metrics::gauge!("complaints_cases_near_breach", "tier" => *tier, "team" => team.clone())
            .set(0.0);
        metrics::gauge!("complaints_cases_breached", "tier" => *tier, "team" => team.clone())
            .set(0.0);
    }
    seen.extend(now);
}
