//! The report-days worker: keeps the figures of each day's cases in `report_days`, so that a
//! year's report reads from `cases` only the days changed since it last kept them
//! ([`crate::db::reports`]).
//!
//! A round keeps up to `reports.days_per_round` changed days in one transaction; a full round
//! is followed at once by another (as after the migration that began keeping days, when every
//! day waits). Caught up, it waits `reports.keep_every_ms`. A report never waits for it: a day
//! changed since it was kept is read from `cases`, so the worker decides how fast a report is,
//! never what it says. The rounds of the workers of several processes take turns under one
//! advisory lock.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::poll::Poller;
use crate::app::App;
use crate::db::reports;

/// The report-days worker: keeps the figures of each day's cases.
#[derive(Debug, Default)]
pub struct ReportDays;

impl Poller for ReportDays {
    const NAME: &'static str = "report-days";
    const CHANNEL: &'static str = reports::CHANNEL;

    async fn round(&self, app: &App, _shutdown: &CancellationToken) -> anyhow::Result<usize> {
        keep_changed_days(app).await
    }

    fn batch_size(&self, app: &App) -> usize {
        usize::try_from(app.config.reports.days_per_round).unwrap_or(usize::MAX)
    }

    async fn idle(&self, app: &App) -> Duration {
        Duration::from_millis(app.config.reports.keep_every_ms)
    }
}

/// Keeps up to one round's changed days; returns how many it kept.
pub async fn keep_changed_days(app: &App) -> anyhow::Result<usize> {
    let mut conn = app.pool.get().await?;
    let limit = app.config.reports.days_per_round;
    let kept = reports::keep_changed_days(&mut conn, limit, app.clock.now()).await?;
    if kept > 0 {
        debug!(days = kept, "report days kept");
        metrics::counter!("complaints_report_days_kept_total").increment(kept as u64);
    }
    Ok(kept)
}
