//! The loop of the senders, which do what cannot be undone: the email worker's SMTP sends and
//! the letters worker's PDF writes for the print vendor. Neither happens inside a transaction
//! that may roll back. A sender works in rounds, in the steps the outbox relay's publishing
//! follows: **claim** a row (attempt + 1 and a claim stamp, committed), **act**, **mark** it
//! done together with what it causes (timeline, events; committed). The printer takes one row
//! at a time; the email sender keeps `email.concurrency` sends in flight, claiming and marking
//! them in groups. So a failed batch repeats nothing, and a crash between the act and the mark
//! repeats only the acts then in flight (one PDF; at most `email.concurrency` emails), once
//! their claims' lease (`letters.claim_lease_secs`) runs out; each such repeat is counted in
//! `complaints_effects_repeated_total{effect}`.
//!
//! A round that cannot act (SMTP server unreachable, dispatch directory unwritable, database
//! gone) gives its claims back and the loop retries with capped backoff; nothing is lost and
//! nothing burns delivery attempts. `NOTIFY dispatch` wakes the senders when work is committed;
//! a slow poll covers lost notifications and lapsed claims.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::app::App;
use crate::backoff::Backoff;
use crate::db::{letters, listener};

/// Most rows one round handles before it looks again for a wake-up or shutdown.
pub const BATCH: i64 = 64;

/// How long a claim stays its sender's.
pub fn lease(app: &App) -> Duration {
    Duration::from_secs(app.config.letters.claim_lease_secs)
}

/// Counts an effect that may be a repeat: its earlier claim lapsed without being marked done.
pub fn count_repeat(effect: &'static str) {
    metrics::counter!("complaints_effects_repeated_total", "effect" => effect).increment(1);
}

/// Runs `round` (which checks `shutdown` between acts) until `shutdown`: again at once after a full round, after a wake-up or the poll
/// otherwise, after a backoff when it fails. `round` returns how many rows it handled.
pub async fn run<F, Fut>(app: App, name: &'static str, shutdown: CancellationToken, mut round: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<usize>>,
{
    let wake = Arc::new(Notify::new());
    tokio::spawn(listener::listen(
        app.config.database_url(),
        letters::CHANNEL,
        wake.clone(),
        shutdown.clone(),
    ));
    let poll = Duration::from_millis(app.config.relay.poll_interval_ms);
    let mut backoff = Backoff::default();
    info!(sender = name, "sender running");
    loop {
        if shutdown.is_cancelled() {
            return;
        }
        // Not cancelled mid-round: a round checks `shutdown` between acts, so no claim is
        // left standing over an act cut off half-way.
        match round().await {
            Ok(claimed) if claimed as i64 >= BATCH => {
                backoff = Backoff::default();
                continue;
            }
            Ok(_) => backoff = Backoff::default(),
            Err(e) => {
                let wait = backoff.next_wait();
                warn!(sender = name, error = %e, ?wait, "sending round failed; retrying");
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(wait) => continue,
                }
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = wake.notified() => {}
            () = tokio::time::sleep(poll) => {}
        }
    }
}
