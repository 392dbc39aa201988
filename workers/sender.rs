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
//! Each sender is a [`super::poll::Poller`] on the `dispatch` channel. A round that cannot act
//! (SMTP server unreachable, dispatch directory unwritable, database gone) gives its claims
//! back and the loop retries with capped backoff; nothing is lost and nothing burns delivery
//! attempts. `NOTIFY dispatch` wakes the senders when work is committed; a slow poll covers
//! lost notifications and lapsed claims.

use std::time::Duration;

use crate::app::App;

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

/// Longest a sender sleeps without a notification (`relay.poll_interval_ms`): a lost
/// `NOTIFY` or a lapsed claim waits at most this long.
pub fn poll_interval(app: &App) -> Duration {
    Duration::from_millis(app.config.relay.poll_interval_ms)
}
