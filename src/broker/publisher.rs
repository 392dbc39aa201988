//! Publishing with publisher confirms. A [`Publisher`] keeps one channel in confirm mode and
//! opens a new connection when the old one is gone, so a broker restart costs the callers one
//! failed attempt, not a restart of the process.

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::{BasicProperties, Channel, Confirmation, Connection};
use tokio::sync::Mutex;
use uuid::Uuid;

use super::topology::Topology;

/// The content type of every message: a structured-mode CloudEvent.
pub const CONTENT_TYPE: &str = crate::events::binding::STRUCTURED;

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

/// A confirming publisher; each message goes to the exchange of its type
/// ([`Topology::exchange_for`]).
pub struct Publisher {
    urls: Vec<String>,
    connection_name: String,
    route: Route,
    link: Mutex<Option<(Connection, Channel)>>,
}

impl Publisher {
    /// A publisher to the exchanges of `topology`; it connects on first use.
    pub fn new(urls: &[String], connection_name: &str, topology: &Topology) -> Self {
        Self {
            urls: urls.to_vec(),
            connection_name: connection_name.to_owned(),
            route: Route::ByType(topology.clone()),
            link: Mutex::new(None),
        }
    }

    /// A publisher of every message to `exchange` (`""` is the default exchange, where the
    /// routing key names a queue): for measuring the broker itself.
    pub fn to_exchange(urls: &[String], connection_name: &str, exchange: &str) -> Self {
        Self {
            urls: urls.to_vec(),
            connection_name: connection_name.to_owned(),
            route: Route::Fixed(exchange.to_owned()),
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
        let connection = super::connect(&self.urls, &self.connection_name).await?;
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
        self.publish(messages, false).await
    }

    /// As [`publish_confirmed`](Self::publish_confirmed), for what the system emitted (the
    /// outbox): every message goes to `complaints.internal`, whatever its type, so a decision
    /// casework accepted and forwards reaches the workers that follow decisions, never the
    /// deciding workers again.
    pub async fn publish_emitted(&self, messages: &[Outgoing<'_>]) -> Result<(), PublishError> {
        self.publish(messages, true).await
    }

    async fn publish(&self, messages: &[Outgoing<'_>], emitted: bool) -> Result<(), PublishError> {
        let channel = self.channel().await?;
        let result = self.publish_on(&channel, messages, emitted).await;
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
        emitted: bool,
    ) -> Result<(), PublishError> {
        let mut confirms = Vec::with_capacity(messages.len());
        for message in messages {
            let confirm = channel
                .basic_publish(
                    self.route.exchange(message.routing_key, emitted).into(),
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

/// Where a publisher sends a message.
enum Route {
    /// To the exchange of the message's type.
    ByType(Topology),
    /// Always to one exchange.
    Fixed(String),
}

impl Route {
    fn exchange(&self, routing_key: &str, emitted: bool) -> String {
        match self {
            Route::ByType(topology) if emitted => topology.internal_exchange(),
            Route::ByType(topology) => topology.exchange_for(routing_key),
            Route::Fixed(exchange) => exchange.clone(),
        }
    }
}

/// Persistent, typed as a CloudEvent, identified by the event id.
pub fn properties(message_id: Uuid) -> BasicProperties {
    BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type(CONTENT_TYPE.into())
        .with_message_id(message_id.to_string().into())
}
