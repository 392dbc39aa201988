//! The exchanges and queues, declared by every process on start (declaring is idempotent):
//!
//! - `complaints.events`: topic exchange for the events the system accepts from outside
//!   (complaints from intake channels, decisions from case-management front ends); the routing
//!   key is the event type. Intake channels' broker users may write here, for their own
//!   routing keys only;
//! - `complaints.internal`: topic exchange for the events the system emits (`case.opened`,
//!   `case.closed`, `timer.fired`, `letter.requested`, …) and for each decision the casework
//!   worker accepted, forwarded as it came: only the workers' own broker user writes here, so
//!   nobody outside can forge them. Anyone following the system's events binds a queue of
//!   their own here;
//! - `complaints.<worker>`: a durable quorum queue per worker kind, bound by the event types the
//!   worker handles (on `complaints.events` only for the workers that decide whether an event
//!   from outside stands: [`QueueSpec::from_outside`]), with a delivery limit so a message that keeps failing is dead-lettered
//!   instead of redelivered forever;
//! - `complaints.dead-letter`: direct exchange, routing key = the worker queue's name;
//! - `complaints.<worker>.dead-letter`: the dead letters of each worker queue, kept for
//!   `amqp.dead_letter_ttl_days` (they hold personal data) and then discarded by the broker.
//!
//! A namespace (config `amqp.namespace`) prefixes every name, so tests share one broker.

use lapin::options::{
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{Channel, Connection, ExchangeKind};

use crate::events::incoming::{Accepted, EventSet};

/// A worker queue: the worker kind's name and the event types bound to it.
#[derive(Debug, Clone, Copy)]
pub struct QueueSpec {
    /// The worker kind, e.g. `intake`.
    pub worker: &'static str,
    /// The routing keys (event types) it receives.
    pub event_types: &'static [&'static str],
    /// Whether it takes the types accepted from outside from `complaints.events` (the workers
    /// that decide whether they stand); otherwise every binding is on `complaints.internal`,
    /// where casework forwards the decisions it accepted.
    pub from_outside: bool,
}

/// The names of everything, under one namespace.
#[derive(Debug, Clone)]
pub struct Topology {
    prefix: String,
    delivery_limit: u32,
    dead_letter_ttl_ms: Option<u64>,
    quorum_initial_group_size: Option<u32>,
}

impl Topology {
    /// Names under `namespace` (empty in production).
    pub fn new(namespace: &str, delivery_limit: u32) -> Self {
        let prefix = if namespace.is_empty() {
            String::new()
        } else {
            format!("{namespace}.")
        };
        Self {
            prefix,
            delivery_limit,
            dead_letter_ttl_ms: None,
            quorum_initial_group_size: None,
        }
    }

    /// Each new queue is replicated over `nodes` of the cluster (`x-quorum-initial-group-size`;
    /// all of them when the cluster is smaller).
    pub fn with_quorum_initial_group_size(mut self, nodes: u32) -> Self {
        self.quorum_initial_group_size = Some(nodes);
        self
    }

    /// Dead letters are discarded by the broker after `days` (the queues' `x-message-ttl`).
    pub fn with_dead_letter_ttl_days(mut self, days: u32) -> Self {
        self.dead_letter_ttl_ms = Some(u64::from(days) * 24 * 60 * 60 * 1000);
        self
    }

    /// The exchange events from outside are published to.
    pub fn events_exchange(&self) -> String {
        format!("{}complaints.events", self.prefix)
    }

    /// The exchange a worker queue is bound to for `event_type`, and where a dead letter of
    /// that queue is replayed: the type's own exchange for a worker that takes events from
    /// outside, else `complaints.internal` (a decision as casework accepted and forwarded it).
    pub fn exchange_bound(&self, spec: &QueueSpec, event_type: &str) -> String {
        if spec.from_outside {
            self.exchange_for(event_type)
        } else {
            self.internal_exchange()
        }
    }

    /// The exchange the events the system emits are published to.
    pub fn internal_exchange(&self) -> String {
        format!("{}complaints.internal", self.prefix)
    }

    /// The exchange an event of `event_type` travels on: `complaints.events` for the types
    /// accepted from outside, `complaints.internal` for every other.
    pub fn exchange_for(&self, event_type: &str) -> String {
        if Accepted::TYPES.contains(&event_type) {
            self.events_exchange()
        } else {
            self.internal_exchange()
        }
    }

    /// The exchange dead letters go to.
    pub fn dead_letter_exchange(&self) -> String {
        format!("{}complaints.dead-letter", self.prefix)
    }

    /// A worker kind's queue.
    pub fn queue(&self, worker: &str) -> String {
        format!("{}complaints.{worker}", self.prefix)
    }

    /// The dead letters of a worker kind's queue.
    pub fn dead_letter_queue(&self, worker: &str) -> String {
        format!("{}complaints.{worker}.dead-letter", self.prefix)
    }

    /// Declares the exchanges and the queues of `specs` with their bindings, on a channel of
    /// `connection` (and one more per queue, to ask whether it exists).
    pub async fn declare(&self, connection: &Connection, specs: &[QueueSpec]) -> lapin::Result<()> {
        let channel = &connection.create_channel().await?;
        let durable = ExchangeDeclareOptions {
            durable: true,
            ..Default::default()
        };
        for exchange in [self.events_exchange(), self.internal_exchange()] {
            channel
                .exchange_declare(
                    exchange.into(),
                    ExchangeKind::Topic,
                    durable,
                    FieldTable::default(),
                )
                .await?;
        }
        channel
            .exchange_declare(
                self.dead_letter_exchange().into(),
                ExchangeKind::Direct,
                durable,
                FieldTable::default(),
            )
            .await?;
        for spec in specs {
            let queue = self.queue(spec.worker);
            let dead = self.dead_letter_queue(spec.worker);
            let mut dead_args = FieldTable::default();
            if let Some(ttl) = self.dead_letter_ttl_ms {
                dead_args.insert("x-message-ttl".into(), AMQPValue::LongLongInt(ttl as i64));
            }
            self.declare_quorum(connection, channel, &dead, dead_args)
                .await?;
            channel
                .queue_bind(
                    dead.as_str().into(),
                    self.dead_letter_exchange().into(),
                    queue.as_str().into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
            let mut args = FieldTable::default();
            args.insert(
                "x-dead-letter-exchange".into(),
                long_string(&self.dead_letter_exchange()),
            );
            args.insert("x-dead-letter-routing-key".into(), long_string(&queue));
            args.insert(
                "x-delivery-limit".into(),
                AMQPValue::LongUInt(self.delivery_limit),
            );
            self.declare_quorum(connection, channel, &queue, args)
                .await?;
            for event_type in spec.event_types {
                channel
                    .queue_bind(
                        queue.as_str().into(),
                        self.exchange_bound(spec, event_type).into(),
                        (*event_type).into(),
                        QueueBindOptions::default(),
                        FieldTable::default(),
                    )
                    .await?;
            }
        }
        channel.close(200, "topology declared".into()).await?;
        Ok(())
    }

    /// Declares a durable quorum queue with `args` unless it exists. A queue's arguments are
    /// fixed when it is first declared, and declaring it again with different ones is refused
    /// (PRECONDITION_FAILED): a queue declared before its group size was configured keeps the
    /// group it has, and starting a process never fails for that.
    async fn declare_quorum(
        &self,
        connection: &Connection,
        channel: &Channel,
        name: &str,
        mut args: FieldTable,
    ) -> lapin::Result<()> {
        if exists(connection, name).await? {
            return Ok(());
        }
        args.insert("x-queue-type".into(), long_string("quorum"));
        if let Some(nodes) = self.quorum_initial_group_size {
            args.insert(
                "x-quorum-initial-group-size".into(),
                AMQPValue::LongUInt(nodes),
            );
        }
        channel
            .queue_declare(
                ShortString::from(name),
                QueueDeclareOptions {
                    durable: true,
                    ..Default::default()
                },
                args,
            )
            .await?;
        Ok(())
    }

    /// Deletes everything [`declare`](Self::declare) made: for tests, which leave nothing behind.
    pub async fn delete(&self, channel: &Channel, specs: &[QueueSpec]) -> lapin::Result<()> {
        for spec in specs {
            for queue in [self.queue(spec.worker), self.dead_letter_queue(spec.worker)] {
                channel
                    .queue_delete(queue.into(), QueueDeleteOptions::default())
                    .await?;
            }
        }
        for exchange in [
            self.events_exchange(),
            self.internal_exchange(),
            self.dead_letter_exchange(),
        ] {
            channel
                .exchange_delete(exchange.into(), ExchangeDeleteOptions::default())
                .await?;
        }
        Ok(())
    }
}

/// Whether queue `name` exists, asked on a channel of its own (the broker closes a channel
/// that asks about a queue that does not exist).
async fn exists(connection: &Connection, name: &str) -> lapin::Result<bool> {
    let channel = connection.create_channel().await?;
    let passive = QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };
    match channel
        .queue_declare(ShortString::from(name), passive, FieldTable::default())
        .await
    {
        Ok(_) => {
            channel.close(200, "queue exists".into()).await?;
            Ok(true)
        }
        Err(e) if super::stats::is_not_found(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// An AMQP long-string value.
pub fn long_string(s: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(s))
}
