//! The scheduler: turns due timers into `timer.fired` events through the outbox.
//!
//! It claims due timers with `FOR UPDATE SKIP LOCKED`, so schedulers on several hosts never fire
//! one timer twice; in the same transaction it writes each `timer.fired` event, a timeline
//! entry and the timer's new state. Between rounds it sleeps until the earliest pending timer
//! is due (one index read, never a scan), or until a `NOTIFY timers` says an earlier one was
//! set, or the simulated clock jumps.

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::effects::{CaseRef, Effects};
use super::poll::Poller;
use crate::app::App;
use crate::db::{cases, timers};
use crate::events::{timer_fired, TimerFired};

/// The scheduler: turns due timers into `timer.fired` events through the outbox.
#[derive(Debug, Default)]
pub struct Scheduler;

impl Poller for Scheduler {
    const NAME: &'static str = "scheduler";
    const CHANNEL: &'static str = timers::CHANNEL;

    async fn round(&self, app: &App, _shutdown: &CancellationToken) -> anyhow::Result<usize> {
        fire_due(app).await
    }

    fn batch_size(&self, app: &App) -> usize {
        usize::try_from(app.config.scheduler.batch_size).unwrap_or(usize::MAX)
    }

    /// Until the earliest pending timer is due, at most `scheduler.max_idle_ms`.
    async fn idle(&self, app: &App) -> Duration {
        let max_idle = Duration::from_millis(app.config.scheduler.max_idle_ms);
        until_next_due(app).await.unwrap_or(max_idle).min(max_idle)
    }
}

/// How long until the earliest pending timer is due by the app's clock; `None` if none is
/// pending or the database cannot say.
async fn until_next_due(app: &App) -> Option<Duration> {
    let mut conn = app.pool.get().await.ok()?;
    let next = timers::next_due(&mut conn).await.ok()??;
    Some((next - app.clock.now()).to_std().unwrap_or(Duration::ZERO))
}

/// Fires up to one batch of due timers in one transaction; returns how many fired.
pub async fn fire_due(app: &App) -> anyhow::Result<usize> {
    let mut pooled = app.pool.get().await?;
    let conn: &mut AsyncPgConnection = &mut pooled;
    let now = app.clock.now();
    let limit = app.config.scheduler.batch_size;
    let fired = conn
        .transaction::<_, anyhow::Error, _>(async |conn| {
            let due = timers::claim_due(conn, now, limit).await?;
            if due.is_empty() {
                return Ok(Vec::new());
            }
            let case_ids: Vec<_> = due.iter().map(|t| t.case_id).collect();
            let references = cases::references_by_id(conn, &case_ids).await?;
            let mut effects = Effects::new(Scheduler::NAME, now);
            for timer in &due {
                let case = CaseRef {
                    id: timer.case_id,
                    reference: references[&timer.case_id].clone(),
                };
                let fired = TimerFired {
                    case_reference: case.reference.clone(),
                    clock: timer.clock.parse().map_err(anyhow::Error::msg)?,
                    key: timer.key.clone(),
                    deadline: timer.deadline,
                    due_at: timer.due_at,
                };
                effects.emit_noted(
                    &case,
                    (timer_fired::TYPE, fired),
                    format!(
                        "Clock {} ran out (deadline {})",
                        timer.clock,
                        timer.deadline.format("%Y-%m-%d %H:%M UTC")
                    ),
                    json!({ "clock": timer.clock, "key": timer.key, "due_at": timer.due_at }),
                );
            }
            let ids: Vec<i64> = due.iter().map(|t| t.id).collect();
            timers::mark_fired(conn, &ids, now).await?;
            effects.write(conn).await?;
            Ok(due)
        })
        .await?;
    if !fired.is_empty() {
        debug!(fired = fired.len(), "timers fired");
        metrics::counter!("complaints_timers_fired_total").increment(fired.len() as u64);
        // How late each timer fired. (A jump of the simulated clock shows up here as lag.)
        let lag = metrics::histogram!("complaints_timer_firing_lag_seconds");
        for timer in &fired {
            lag.record((now - timer.due_at).num_milliseconds().max(0) as f64 / 1000.0);
        }
    }
    Ok(fired.len())
}
