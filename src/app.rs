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
use crate::broker::consumers::ConsumerConnection;
use crate::broker::publisher::Publisher;
use crate::broker::topology::Topology;
use crate::clock::{SharedClock, SimulatedClock, SystemClock};
use crate::config::Config;
use crate::db::{self, DbPool};
use crate::events::checks::Checks;
use crate::process::working_days::WorkingDays;
use crate::workers::QUEUES;

/// What every task of a `complaints` process shares.
#[derive(Clone)]
pub struct App {
    /// The configuration the process started with, shared read-only by every task.
    pub config: Arc<Config>,
    /// The PostgreSQL connection pool every worker and route takes connections from.
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
    /// The connection the process's consumers share, a channel each.
    pub consumers: Arc<ConsumerConnection>,
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
            .with_dead_letter_ttl_days(config.amqp.dead_letter_ttl_days)
            .with_quorum_initial_group_size(config.amqp.quorum_initial_group_size);
        let publisher = Arc::new(Publisher::new(
            &config.amqp_urls(),
            "complaints-publisher",
            &topology,
        ));
        let consumers = Arc::new(ConsumerConnection::new(
            &config.amqp_urls(),
            "complaints-consumers",
        ));
        Ok(Self {
            config: Arc::new(config),
            pool,
            clock,
            simulated,
            calendar: Arc::new(calendar),
            topology,
            publisher,
            consumers,
        })
    }

    /// What validation measures events against now: this process's clock and the configured
    /// bounds (`intake.max_received_age_days`).
    pub fn checks(&self) -> Checks {
        Checks::new(self.clock.now(), self.config.intake.max_received_age_days)
    }

    /// The task that keeps a simulated clock in step with the database, when the clock is one.
    pub fn follow_clock(
        &self,
        shutdown: CancellationToken,
    ) -> Option<impl Future<Output = ()> + Send + 'static> {
        let simulated = self.simulated.clone()?;
        Some(simulated.follow(self.config.database_url(), shutdown))
    }

    /// Applies pending migrations and declares the broker topology, once each. An error names
    /// the service and the address that failed.
    pub async fn prepare(&self) -> anyhow::Result<()> {
        let database = || format!("PostgreSQL at {}", address(&self.config.database.url));
        if db::ensure_database(&self.config.database_url())
            .await
            .with_context(database)?
        {
            info!("created the database");
        }
        let applied = db::migrate(&self.config.database_url())
            .await
            .with_context(database)?;
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
                    warn!(error = %format!("{e:#}"), ?wait, "waiting for a service to come up");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Declares the exchanges and every worker queue (idempotent).
    pub async fn declare_topology(&self) -> anyhow::Result<()> {
        let declare = async {
            let connection =
                crate::broker::connect(&self.config.amqp_urls(), "complaints-topology").await?;
            self.topology.declare(&connection, QUEUES).await?;
            connection.close(200, "topology declared".into()).await?;
            anyhow::Ok(())
        };
        declare.await.with_context(|| self.broker_name())
    }

    /// "RabbitMQ at host:port/vhost", for errors: which service, where, never a password.
    pub fn broker_name(&self) -> String {
        format!("RabbitMQ at {}", addresses(self.config.amqp.nodes()))
    }

    /// A database connection from the pool, or an error naming PostgreSQL and its address,
    /// with the fix when the database does not exist yet.
    pub async fn db(&self) -> anyhow::Result<db::PooledConnection> {
        self.pool.get().await.map_err(|e| {
            let text = format!("{e}");
            let hint = if text.contains("does not exist") {
                " (create it and its tables with `complaints migrate`)"
            } else {
                ""
            };
            anyhow::anyhow!(
                "PostgreSQL at {}: {text}{hint}",
                address(&self.config.database.url)
            )
        })
    }
}

/// The addresses of a cluster's nodes ([`address`] of each), comma-separated.
pub fn addresses(urls: &[String]) -> String {
    urls.iter()
        .map(|url| address(url))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The host, port and path of a connection URL, without the user, password or query: safe to
/// show in an error.
pub fn address(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split('?').next().unwrap_or(rest);
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    if path.is_empty() {
        host.to_owned()
    } else {
        format!("{host}/{path}")
    }
}

#[cfg(test)]
mod tests {
    use super::address;

    #[test]
    fn an_address_never_shows_the_user_or_password() {
        assert_eq!(
            address("amqp://guest:secret@10.0.0.5:5672/%2f"),
            "10.0.0.5:5672/%2f"
        );
        assert_eq!(
            address("postgres://postgres@db:5432/complaints?sslmode=require"),
            "db:5432/complaints"
        );
        assert_eq!(address("postgres://db"), "db");
    }
}
