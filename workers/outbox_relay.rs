//! The outbox relay: publishes the events other workers wrote to the outbox to
//! `complaints.internal` (decisions casework forwards included), with publisher confirms, and
//! marks them sent only once the broker has confirmed them.
//!
//! Rows are claimed with `FOR UPDATE SKIP LOCKED`, so any number of relays on any number of
//! hosts share the work without publishing a row twice in the normal course; after a crash
//! between the broker's confirm and the commit, a row is published again, and consumers
//! de-duplicate it by event id. A `LISTEN outbox` connection wakes the relay the moment a
//! writer commits; a slow poll covers a lost notification. When the broker is down the round
//! fails, nothing is marked sent, and the relay retries with backoff.

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection};
use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::poll::Poller;
use crate::app::App;
use crate::broker::publisher::Outgoing;
use crate::db::outbox;

/// The outbox relay.
#[derive(Debug, Default)]
pub struct OutboxRelay;

impl Poller for OutboxRelay {
    const NAME: &'static str = "outbox-relay";
    const CHANNEL: &'static str = outbox::CHANNEL;

    async fn round(&self, app: &App, _shutdown: &CancellationToken) -> anyhow::Result<usize> {
        relay_round(app).await
    }

    fn batch_size(&self, app: &App) -> usize {
        usize::try_from(app.config.relay.batch_size).unwrap_or(usize::MAX)
    }

    /// `relay.poll_interval_ms`: a lost notification delays an event at most this long.
    async fn idle(&self, app: &App) -> Duration {
        Duration::from_millis(app.config.relay.poll_interval_ms)
    }
}

/// Publishes one batch of unsent events and marks them sent, in one transaction; returns how
/// many were published.
pub async fn relay_round(app: &App) -> anyhow::Result<usize> {
    let mut pooled = app.pool.get().await?;
    let conn: &mut AsyncPgConnection = &mut pooled;
    let limit = app.config.relay.batch_size;
    let published = conn
        .transaction::<_, anyhow::Error, _>(async |conn| {
            let pending = outbox::claim_unsent(conn, limit).await?;
            if pending.is_empty() {
                return Ok(0);
            }
            let bodies: Vec<Vec<u8>> = pending
                .iter()
                .map(|p| serde_json::to_vec(&p.payload))
                .collect::<Result<_, _>>()?;
            let messages: Vec<Outgoing<'_>> = pending
                .iter()
                .zip(&bodies)
                .map(|(p, body)| Outgoing {
                    routing_key: &p.event_type,
                    body,
                    message_id: p.event_id,
                })
                .collect();
            app.publisher.publish_emitted(&messages).await?;
            let ids: Vec<i64> = pending.iter().map(|p| p.id).collect();
            outbox::mark_sent(conn, &ids, app.clock.now()).await?;
            Ok(pending.len())
        })
        .await?;
    if published > 0 {
        debug!(published, "outbox events published");
        metrics::counter!("complaints_outbox_published_total").increment(published as u64);
    }
    Ok(published)
}
