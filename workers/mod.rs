//! The workers. Each consuming worker is one file with the same small shape: the queue it
//! reads ([`Worker::NAME`]), the events it reads ([`Worker::Event`], whose types are bound to
//! its queue), and `apply`, which changes the database inside the transaction the consumer
//! loop opens. Adding a worker is adding a file, a line to [`QUEUES`] and a line to `src/supervisor.rs`.
//!
//! - [`intake`]: `complaint.received` → route (process.md §3) → case opened or complaint refused.
//! - [`acknowledgement`]: the 48-hour, 2-working-day and CMSL5700 clocks and their letters.
//! - [`casework`]: every human decision about a case, through the tier state machines
//!   (process.md §4); the Systemic Log.
//! - [`escalation`]: opens the linked case at the next tier when one escalates.
//! - [`deadlines`]: response targets, waits after letters, action due dates, ICE redress.
//! - [`disputes`]: a dispute's action plan (CMSL5811 / CMSL5812) and the clocks after it.
//! - [`letters`]: renders each requested letter, keeps it, sends it to email or to post.
//! - [`email`]: sends letters over SMTP; a bounced one goes by post.
//! - [`scheduler`]: fires due timers as `timer.fired` events (not a consumer).
//! - [`outbox_relay`]: publishes what the others wrote to the outbox (not a consumer).
//!
//! [`official`] is the part of casework that is no tier's procedure: an MP's involvement and
//! the reply to official correspondence.
//!
//! [`effects`] and [`opening`] are what the workers share: the timeline entries and events a
//! batch causes, and how a case opens.

pub mod acknowledgement;
pub mod casework;
pub mod deadlines;
pub mod disputes;
pub mod effects;
pub mod email;
pub mod escalation;
pub mod intake;
pub mod letters;
pub mod official;
pub mod opening;
pub mod outbox_relay;
pub mod scheduler;
pub mod sender;

use std::future::Future;

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;

use crate::broker::topology::QueueSpec;
use crate::events::incoming::EventSet;
use crate::events::CloudEvent;

/// A worker that consumes one queue.
pub trait Worker: Send + Sync + 'static {
    /// The worker kind: its queue is `complaints.<NAME>`, its inbox rows carry this name.
    const NAME: &'static str;
    /// The events it reads; their types are the routing keys bound to its queue. A message
    /// that does not parse and validate as one of them is dead-lettered before `apply` sees it.
    type Event: EventSet;

    /// Applies events not applied before, in the caller's transaction: every state change,
    /// timeline entry and outbox event commits together or not at all.
    fn apply<'a>(
        &'a self,
        conn: &'a mut AsyncPgConnection,
        events: &'a [&'a CloudEvent<Self::Event>],
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send + 'a;
}

/// The queue of a worker.
pub const fn queue_spec<W: Worker>() -> QueueSpec {
    QueueSpec {
        worker: W::NAME,
        event_types: W::Event::TYPES,
    }
}

/// Every worker queue, declared by every process on start.
pub const QUEUES: &[QueueSpec] = &[
    queue_spec::<intake::Intake>(),
    queue_spec::<acknowledgement::Acknowledgement>(),
    queue_spec::<casework::Casework>(),
    queue_spec::<escalation::Escalation>(),
    queue_spec::<deadlines::Deadlines>(),
    queue_spec::<disputes::Disputes>(),
    queue_spec::<letters::LettersWorker>(),
    queue_spec::<email::EmailWorker>(),
];
