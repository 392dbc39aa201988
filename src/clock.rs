//! Where "now" comes from. Every component is handed a [`Clock`] instead of reading the system
//! time, so a test can put time wherever it needs it.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::db::{listener, simulated_clock};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current instant on this clock (the system's, or the simulated one).
    fn now(&self) -> DateTime<Utc>;

    /// For a clock that can jump (the simulated one), a receiver that changes when it does, so
    /// a task sleeping until a time can wake and recompute. `None` for clocks that only run.
    fn jumps(&self) -> Option<watch::Receiver<i64>> {
        None
    }
}

/// A clock shared by every task of a process.
pub type SharedClock = Arc<dyn Clock>;

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Real time plus an offset kept in the database (`clock.simulated = true` only): `complaints
/// clock advance 8d` moves every process's clock together, so a 14-day wait runs in seconds,
/// end to end, across real processes.
#[derive(Debug, Clone)]
pub struct SimulatedClock {
    offset_ms: Arc<watch::Sender<i64>>,
}

impl Default for SimulatedClock {
    fn default() -> Self {
        Self {
            offset_ms: Arc::new(watch::channel(0).0),
        }
    }
}

impl SimulatedClock {
    /// Follows the offset in the database at `url` until `shutdown`: reads it now and again on
    /// every `NOTIFY clock`.
    pub async fn follow(self, url: String, shutdown: CancellationToken) {
        let wake = Arc::new(Notify::new());
        tokio::spawn(listener::listen(
            url.clone(),
            simulated_clock::CHANNEL,
            wake.clone(),
            shutdown.clone(),
        ));
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = wake.notified() => {}
            }
            match read_offset(&url).await {
                Ok(ms) => {
                    if self.offset_ms.send_replace(ms) != ms {
                        info!(offset = %Duration::milliseconds(ms), "simulated clock moved");
                    }
                }
                Err(e) => warn!(error = %e, "could not read the simulated clock"),
            }
        }
    }
}

async fn read_offset(url: &str) -> anyhow::Result<i64> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    Ok(simulated_clock::offset_ms(&mut conn).await?)
}

impl Clock for SimulatedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(*self.offset_ms.borrow())
    }

    fn jumps(&self) -> Option<watch::Receiver<i64>> {
        Some(self.offset_ms.subscribe())
    }
}
