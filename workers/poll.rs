//! The loop of every worker that works in rounds over rows rather than consuming a queue: the
//! scheduler (due timers), the outbox relay (unsent events), the report-days worker (days whose
//! cases changed), and the two senders (letters to print, letters and notifications to email).
//! One shape for all of them:
//!
//! - a round handles up to a batch of rows and says how many;
//! - a full round is followed at once by another (there may be more);
//! - otherwise the loop sleeps until a `NOTIFY` on the poller's channel says work was
//!   committed, the simulated clock jumps, or [`Poller::idle`] passes (which covers a lost
//!   notification and work that becomes due with time);
//! - a failed round (database or broker gone, SMTP server unreachable) is retried after a
//!   capped backoff, nothing is lost.
//!
//! A round is never cancelled half-way: it checks `shutdown` between the acts it does, so no
//! claim is left standing over an act cut off in the middle.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::app::App;
use crate::backoff::Backoff;
use crate::db::listener;

/// A worker that works in rounds ([`run`] is its loop).
pub trait Poller: Send + Sync + 'static {
    /// The worker's name, in logs (`complaints run --workers <name>` for the registered ones).
    const NAME: &'static str;
    /// The PostgreSQL channel whose `NOTIFY` says there is new work.
    const CHANNEL: &'static str;

    /// Does one round, checking `shutdown` between acts; returns how many rows it handled.
    fn round<'a>(
        &'a self,
        app: &'a App,
        shutdown: &'a CancellationToken,
    ) -> impl Future<Output = anyhow::Result<usize>> + Send + 'a;

    /// A round that handled this many rows is followed at once by another.
    fn batch_size(&self, app: &App) -> usize;

    /// Longest the loop sleeps, once caught up, without a notification.
    fn idle<'a>(&'a self, app: &'a App) -> impl Future<Output = Duration> + Send + 'a;
}

/// Runs `poller` until `shutdown`.
pub async fn run<P: Poller>(poller: P, app: App, shutdown: CancellationToken) {
    let wake = Arc::new(Notify::new());
    tokio::spawn(listener::listen(
        app.config.database_url(),
        P::CHANNEL,
        wake.clone(),
        shutdown.clone(),
    ));
    let mut jumps = app.clock.jumps();
    let mut backoff = Backoff::default();
    info!(worker = P::NAME, "running");
    while !shutdown.is_cancelled() {
        let sleep = match poller.round(&app, &shutdown).await {
            Ok(handled) if handled >= poller.batch_size(&app) => {
                backoff = Backoff::default();
                continue;
            }
            Ok(_) => {
                backoff = Backoff::default();
                poller.idle(&app).await
            }
            Err(e) => {
                let wait = backoff.next_wait();
                warn!(worker = P::NAME, error = %format!("{e:#}"), ?wait, "round failed; retrying");
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(wait) => continue,
                }
            }
        };
        let jumped = async {
            match jumps.as_mut() {
                Some(rx) => {
                    let _ = rx.changed().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = wake.notified() => {}
            () = jumped => {}
            () = tokio::time::sleep(sleep) => {}
        }
    }
}
