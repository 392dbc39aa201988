//! The one connection a process's consumers share, each on a channel of its own.
//!
//! lapin keeps a read and a write buffer of 32 frames for every connection, and RabbitMQ's
//! frames are 128 KiB: 8 MiB a connection. With a connection per consumer that was 84 MiB of a
//! workers' process's heap (valgrind's massif); shared, it is 8 MiB, whatever the workers. The
//! frames are not made smaller instead: RabbitMQ delivers a message's headers in one frame
//! whatever the size a client asked for, and lapin drops a connection that receives a frame
//! larger than it asked for, so a message with large headers would bring its consumers down on
//! every delivery.
//!
//! When the connection breaks, every consumer's channel breaks with it; each consumer then
//! asks for a channel again ([`ConsumerConnection::channel`]), and the first to ask opens a
//! new connection (to the first node that answers) that the others then share. Under a
//! broker's memory or disk alarm, RabbitMQ blocks a connection that publishes (a consumer
//! dead-lettering a message) whole, acknowledgements included: every consumer of the process
//! then waits with it until the alarm clears, where before only that consumer did. Nothing is
//! lost either way; unacknowledged messages stay on their queues.

use lapin::{Channel, Connection};
use tokio::sync::Mutex;

/// The connection this process's consumers share; it connects on first use.
pub struct ConsumerConnection {
    urls: Vec<String>,
    name: String,
    current: Mutex<Option<Connection>>,
}

impl ConsumerConnection {
    /// A connection to the nodes `urls`, named `name` in the broker's management view.
    pub fn new(urls: &[String], name: &str) -> Self {
        Self {
            urls: urls.to_vec(),
            name: name.to_owned(),
            current: Mutex::new(None),
        }
    }

    /// A new channel on the shared connection, opening the connection first if there is none
    /// or it has broken.
    pub async fn channel(&self) -> lapin::Result<Channel> {
        let mut current = self.current.lock().await;
        if let Some(connection) = current.as_ref().filter(|c| c.status().connected()) {
            return connection.create_channel().await;
        }
        *current = None;
        let connection = super::connect(&self.urls, &self.name).await?;
        let channel = connection.create_channel().await?;
        *current = Some(connection);
        Ok(channel)
    }
}
