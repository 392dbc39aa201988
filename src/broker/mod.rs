//! RabbitMQ through lapin: the topology the application declares, a confirming publisher that
//! reconnects by itself, and the consumer loop every worker runs in.

pub mod consumer;
pub mod dead_letters;
pub mod publisher;
pub mod stats;
pub mod topology;

use lapin::{Connection, ConnectionProperties};

/// Opens a connection named after the process role, so the broker's management view says who
/// is who.
pub async fn connect(url: &str, name: &str) -> lapin::Result<Connection> {
    Connection::connect(
        url,
        ConnectionProperties::default().with_connection_name(name.into()),
    )
    .await
}
