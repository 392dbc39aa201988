//! The shared dependencies every worker and handler is given: configuration, database pool,
//! clock, broker topology and a confirming publisher. One value, cloned into each task, as
//! crates.io's worker `Environment` does.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use tracing::{info, warn};

use crate::backoff::Backoff;
use crate::broker::publisher::Publisher;
use crate::broker::topology::Topology;
use crate::clock::{SharedClock, SimulatedClock, SystemClock};
use crate::config::Config;
use crate::db::{self, DbPool};
use crate::process::working_days::WorkingDays;
use crate::workers::QUEUES;

/// What every task of a `complaints` process shares.
#[derive(Clone)]
pub struct App {
    /// The configuration.
    pub config: Arc<Config>,
    /// The database.
    pub pool: DbPool,
    /// Where "now" comes from.
    pub clock: SharedClock,
    /// The same clock when it is the simulated one, which must follow the database.
    simulated: Option<SimulatedClock>,
    /// Working days per region.
    pub calendar: Arc<WorkingDays>,
    /// Exchange and queue names.
    pub topology: Topology,
    /// Publishes to `complaints.events` with confirms.
    pub publisher: Arc<Publisher>,
}

impl App {
    /// Builds the shared dependencies with the clock the configuration asks for (the system
    /// clock, or the simulated one); nothing is connected until first used.
    pub fn new(config: Config) -> anyhow::Result<Self> {
        if config.clock.simulated {
            let simulated = SimulatedClock::default();
            Self::build(config, Arc::new(simulated.clone()), Some(simulated))
        } else {
            Self::build(config, Arc::new(SystemClock), None)
        }
    }

    /// Builds the shared dependencies around a clock of the caller's (tests).
    pub fn with_clock(config: Config, clock: SharedClock) -> anyhow::Result<Self> {
        Self::build(config, clock, None)
    }

    fn build(
        config: Config,
        clock: SharedClock,
        simulated: Option<SimulatedClock>,
    ) -> anyhow::Result<Self> {
        let calendar = if config.calendar.bank_holidays_file.is_empty() {
            WorkingDays::official()
        } else {
            WorkingDays::from_file(Path::new(&config.calendar.bank_holidays_file))
                .context("configuration: `calendar.bank_holidays_file`")?
        };
        let pool = db::pool(&config.database_url(), config.database.pool_size)?;
        let topology = Topology::new(&config.amqp.namespace, config.amqp.delivery_limit)
            .with_dead_letter_ttl_days(config.amqp.dead_letter_ttl_days);
        let publisher = Arc::new(Publisher::new(
            &config.amqp_url(),
            "complaints-publisher",
            &topology.events_exchange(),
        ));
        Ok(Self {
            config: Arc::new(config),
            pool,
            clock,
            simulated,
            calendar: Arc::new(calendar),
            topology,
            publisher,
        })
    }

    /// The task that keeps a simulated clock in step with the database, when the clock is one.
    pub fn follow_clock(
        &self,
        shutdown: CancellationToken,
    ) -> Option<impl Future<Output = ()> + Send + 'static> {
        let simulated = self.simulated.clone()?;
        Some(simulated.follow(self.config.database_url(), shutdown))
    }

    /// Applies pending migrations and declares the broker topology, once each.
    pub async fn prepare(&self) -> anyhow::Result<()> {
        if db::ensure_database(&self.config.database_url()).await? {
            info!("created the database");
        }
        let applied = db::migrate(&self.config.database_url()).await?;
        if !applied.is_empty() {
            info!(?applied, "migrations applied");
        }
        self.declare_topology().await
    }

    /// Like [`prepare`](Self::prepare), but waits for the database and the broker to come up
    /// (with backoff and a log line per attempt) instead of failing: what a service does when
    /// it starts before its dependencies.
    pub async fn prepare_patiently(&self) {
        let mut backoff = Backoff::default();
        loop {
            match self.prepare().await {
                Ok(()) => return,
                Err(e) => {
                    let wait = backoff.next_wait();
                    warn!(error = %format!("{e:#}"), ?wait, "waiting for PostgreSQL and RabbitMQ");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Declares the exchanges and every worker queue (idempotent).
    pub async fn declare_topology(&self) -> anyhow::Result<()> {
        let connection =
            crate::broker::connect(&self.config.amqp_url(), "complaints-topology").await?;
        let channel = connection.create_channel().await?;
        self.topology.declare(&channel, QUEUES).await?;
        connection.close(200, "topology declared".into()).await?;
        Ok(())
    }
}
