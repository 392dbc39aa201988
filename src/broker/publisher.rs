//! Publishing with publisher confirms. A [`Publisher`] keeps one channel in confirm mode and
//! opens a new connection when the old one is gone, so a broker restart costs the callers one
//! failed attempt, not a restart of the process.

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::{BasicProperties, Channel, Confirmation, Connection};
use tokio::sync::Mutex;
use uuid::Uuid;

/// The content type of every message: a structured-mode CloudEvent.
pub const CONTENT_TYPE: &str = "application/cloudevents+json";

/// A message to publish.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// The routing key: the event type.
    pub routing_key: &'a str,
    /// The whole CloudEvent, serialised.
    pub body: &'a [u8],
    /// The event id (also the AMQP message id).
    pub message_id: Uuid,
}

/// Why a publish did not complete; the message may or may not have reached the broker, so the
/// caller publishes again (consumers de-duplicate on the event id).
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// No connection or channel could be had, or it broke during the publish.
    #[error("broker unavailable: {0}")]
    Broker(#[from] lapin::Error),
    /// The broker refused to take responsibility for a message.
    #[error("the broker refused (nacked) event {0}")]
    Nacked(Uuid),
}

/// A confirming publisher to one exchange.
pub struct Publisher {
    url: String,
    connection_name: String,
    exchange: String,
    link: Mutex<Option<(Connection, Channel)>>,
}

impl Publisher {
    /// A publisher to `exchange`; it connects on first use.
    pub fn new(url: &str, connection_name: &str, exchange: &str) -> Self {
        Self {
            url: url.to_owned(),
            connection_name: connection_name.to_owned(),
            exchange: exchange.to_owned(),
            link: Mutex::new(None),
        }
    }

    /// The channel, opening a new connection if there is none or it has broken.
    async fn channel(&self) -> Result<Channel, lapin::Error> {
        let mut link = self.link.lock().await;
        if let Some((connection, channel)) = link.as_ref() {
            if connection.status().connected() && channel.status().connected() {
                return Ok(channel.clone());
            }
        }
        *link = None;
        let connection = super::connect(&self.url, &self.connection_name).await?;
        let channel = connection.create_channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        *link = Some((connection, channel.clone()));
        Ok(channel)
    }

    /// Whether the broker can be reached now.
    pub async fn is_connected(&self) -> bool {
        self.channel().await.is_ok()
    }

    /// Publishes `messages` as persistent messages and returns once the broker has confirmed
    /// every one. The publishes are pipelined: all are sent, then all confirms awaited.
    pub async fn publish_confirmed(&self, messages: &[Outgoing<'_>]) -> Result<(), PublishError> {
        let channel = self.channel().await?;
        let result = self.publish_on(&channel, messages).await;
        if result.is_err() {
            // Start afresh next time rather than reuse a channel in an unknown state.
            *self.link.lock().await = None;
        }
        result
    }

    async fn publish_on(
        &self,
        channel: &Channel,
        messages: &[Outgoing<'_>],
    ) -> Result<(), PublishError> {
        let mut confirms = Vec::with_capacity(messages.len());
        for message in messages {
            let confirm = channel
                .basic_publish(
                    self.exchange.as_str().into(),
                    message.routing_key.into(),
                    BasicPublishOptions::default(),
                    message.body,
                    properties(message.message_id),
                )
                .await?;
            confirms.push((message.message_id, confirm));
        }
        for (id, confirm) in confirms {
            match confirm.await? {
                Confirmation::Ack(_) => {}
                Confirmation::Nack(_) | Confirmation::NotRequested => {
                    return Err(PublishError::Nacked(id))
                }
            }
        }
        Ok(())
    }
}

/// Persistent, typed as a CloudEvent, identified by the event id.
pub fn properties(message_id: Uuid) -> BasicProperties {
    BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type(CONTENT_TYPE.into())
        .with_message_id(message_id.to_string().into())
}
