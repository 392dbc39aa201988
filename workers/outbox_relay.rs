//! The outbox relay: publishes the events other workers wrote to the outbox, with publisher
//! confirms, and marks them sent only once the broker has confirmed them.
//!
//! Rows are claimed with `FOR UPDATE SKIP LOCKED`, so any number of relays on any number of
//! hosts share the work without publishing a row twice in the normal course; after a crash
//! between the broker's confirm and the commit, a row is published again, and consumers
//! de-duplicate it by event id. A `LISTEN outbox` connection wakes the relay the moment a
//! writer commits; a slow poll covers a lost notification. When the broker is down the round
//! fails, nothing is marked sent, and the relay retries with backoff.

use std::sync::Arc;
use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::app::App;
use crate::backoff::Backoff;
use crate::broker::publisher::Outgoing;
use crate::db::{listener, outbox};

/// The worker kind's name (`complaints run --workers outbox-relay`).
pub const NAME: &str = "outbox-relay";

/// Relays until `shutdown`.
pub async fn run(app: App, shutdown: CancellationToken) {
    let wake = Arc::new(Notify::new());
    tokio::spawn(listener::listen(
        app.config.database_url(),
        outbox::CHANNEL,
        wake.clone(),
        shutdown.clone(),
    ));
    let poll = Duration::from_millis(app.config.relay.poll_interval_ms);
    let mut backoff = Backoff::default();
    info!("outbox relay running");
    loop {
        match relay_round(&app).await {
            Ok(published) if published as i64 >= app.config.relay.batch_size => {
                backoff = Backoff::default();
                continue;
            }
            Ok(_) => backoff = Backoff::default(),
            Err(e) => {
                let wait = backoff.next_wait();
                warn!(error = %e, ?wait, "outbox relay round failed; retrying");
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
            app.publisher.publish_confirmed(&messages).await?;
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
