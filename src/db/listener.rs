//! A `LISTEN` connection that wakes a task on every notification of one channel, reconnecting
//! with backoff when the database goes away. It wakes once more on each (re)connection, since
//! notifications sent while it was away are lost.

use std::pin::pin;
use std::sync::Arc;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::StreamExt;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use crate::backoff::Backoff;

/// Listens on `channel` until `shutdown`, calling `wake.notify_one()` per notification.
pub async fn listen(
    url: String,
    channel: &'static str,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) {
    let mut backoff = Backoff::default();
    loop {
        match AsyncPgConnection::establish(&url).await {
            Ok(mut conn) => match diesel::sql_query(format!("LISTEN {channel}"))
                .execute(&mut conn)
                .await
            {
                Ok(_) => {
                    backoff = Backoff::default();
                    wake.notify_one();
                    let mut notifications = pin!(conn.notifications_stream());
                    loop {
                        tokio::select! {
                            () = shutdown.cancelled() => return,
                            next = notifications.next() => match next {
                                Some(Ok(_)) => wake.notify_one(),
                                Some(Err(e)) => {
                                    warn!(channel, error = %e, "notifications stopped");
                                    break;
                                }
                                None => break,
                            },
                        }
                    }
                }
                Err(e) => warn!(channel, error = %e, "could not LISTEN"),
            },
            Err(e) => warn!(channel, error = %e, "could not connect to LISTEN"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(backoff.next_wait()) => {}
        }
    }
}
