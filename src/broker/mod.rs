//! RabbitMQ through lapin: the topology the application declares, a confirming publisher that
//! reconnects by itself, the connection a process's consumers share, and the headers of a dead
//! letter. The consumer loop every worker runs
//! in is the workers' runner (`workers/runner.rs`).

pub mod consumer;
pub mod consumers;
pub mod dead_letters;
pub mod publisher;
pub mod stats;
pub mod topology;

use std::time::Duration;

use lapin::{Connection, ConnectionProperties};
use tracing::{debug, warn};

/// Longest one node may take to accept a connection before the next is tried: a node whose
/// host is down answers nothing at all, rather than refusing.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens a connection to the first of the cluster's nodes `urls` that answers, named after the
/// process role so the broker's management view says who is who. Every caller reconnects
/// through here when its connection breaks, so a process whose node dies moves to another.
pub async fn connect(urls: &[String], name: &str) -> lapin::Result<Connection> {
    let mut last_error = lapin::Error::from(std::io::Error::new(
        std::io::ErrorKind::NotConnected,
        "no RabbitMQ node is configured",
    ));
    for (node, url) in urls.iter().enumerate() {
        let properties = ConnectionProperties::default().with_connection_name(name.into());
        match tokio::time::timeout(CONNECT_TIMEOUT, Connection::connect(url, properties)).await {
            Ok(Ok(connection)) => {
                debug!(connection = name, node, "connected to RabbitMQ");
                return Ok(connection);
            }
            Ok(Err(e)) => last_error = e,
            Err(_) => last_error = std::io::Error::from(std::io::ErrorKind::TimedOut).into(),
        }
        if urls.len() > 1 {
            warn!(connection = name, node, address = %crate::app::address(url), error = %last_error, "RabbitMQ node did not answer; trying the next");
        }
    }
    Err(last_error)
}
