//! RabbitMQ through lapin: the topology the application declares, a confirming publisher that
//! reconnects by itself, and the headers of a dead letter. The consumer loop every worker runs
//! in is the workers' runner (`workers/runner.rs`).

pub mod consumer;
pub mod dead_letters;
pub mod publisher;
pub mod stats;
pub mod topology;

use std::time::Duration;

use lapin::uri::AMQPUri;
use lapin::{Connection, ConnectionProperties};
use tracing::{debug, warn};

/// Longest one node may take to accept a connection before the next is tried: a node whose
/// host is down answers nothing at all, rather than refusing.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest frame a connection asks for, in bytes, unless its URL sets `frame_max`. lapin
/// keeps a read and a write buffer of 32 frames for each connection, and RabbitMQ offers
/// 128 KiB frames: 8 MiB a connection, 84 MiB of a workers' process's heap with one
/// connection per consumer (valgrind's massif, at rest). Our messages are a few KiB; a larger
/// body goes as several frames. At 16 KiB the buffers are 1 MiB a connection.
const FRAME_MAX: u32 = 16 * 1024;

/// Opens a connection to the first of the cluster's nodes `urls` that answers, named after the
/// process role so the broker's management view says who is who. Every caller reconnects
/// through here when its connection breaks, so a process whose node dies moves to another.
pub async fn connect(urls: &[String], name: &str) -> lapin::Result<Connection> {
    let mut last_error = lapin::Error::from(std::io::Error::new(
        std::io::ErrorKind::NotConnected,
        "no RabbitMQ node is configured",
    ));
    for (node, url) in urls.iter().enumerate() {
        let mut uri: AMQPUri = match url.parse() {
            Ok(uri) => uri,
            Err(problem) => {
                last_error = std::io::Error::new(std::io::ErrorKind::InvalidInput, problem).into();
                continue;
            }
        };
        uri.query.frame_max.get_or_insert(FRAME_MAX);
        let properties = ConnectionProperties::default().with_connection_name(name.into());
        match tokio::time::timeout(CONNECT_TIMEOUT, Connection::connect_uri(uri, properties)).await
        {
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
