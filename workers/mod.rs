//! The workers. Each consuming worker is one file with the same small shape: the queue it
//! reads ([`Worker::NAME`]), the events it reads ([`Worker::Event`], whose types are bound to
//! its queue), how it is built from the app ([`Worker::build`]), its consumers, batch and
//! prefetch (consts, overridden per worker by `[workers.<name>]`), and `apply`, which changes
//! the database inside the transaction the [`runner`] opens. The workers that work in rounds
//! over rows instead (the scheduler, the outbox relay, the report-days worker, the senders) are
//! [`poll::Poller`]s.
//!
//! Adding a worker is adding its file and one line to the [`registry!`] table below: the queue
//! list ([`QUEUES`]), the names `complaints run --workers` takes and runs by default
//! ([`WorkerKind`]) and the spawning ([`WorkerKind::build`]) all come from that table.
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
//! - [`report_days`]: keeps the figures of each day's cases for the report (not a consumer).
//!
//! Only the casework worker changes a case's state: it reads the decisions from outside and
//! forwards each one it accepted, as it came, to `complaints.internal`. The clock workers
//! (acknowledgement, deadlines) read only that exchange, so they start, meet and stop clocks on
//! what casework accepted, never on a refused decision; and a clock whose running out ends the
//! case is casework's to decide ([`Worker::FROM_OUTSIDE`] says which workers read from outside).
//!
//! Which worker owns which clock (starts it; every clock also stops when its case closes). The
//! events in "met by" are the accepted decisions casework forwards, or what the system emitted:
//!
//! | clock | started by, on | met by | when it runs out |
//! | --- | --- | --- | --- |
//! | `acknowledgement` (48 h, tier 1) | acknowledgement, `case.opened` | contact made, any letter sent, outcome, holding reply | acknowledgement requests CMSL5842 |
//! | `review_acknowledgement` (2 working days, tier 2) | acknowledgement, `case.opened` | as above | acknowledgement requests CMSL5829 |
//! | `dissatisfaction_reply_window` (14 days) | acknowledgement, CMSL5700 sent | `client.replied` | acknowledgement: the caseworker decides on escalation |
//! | `response_target` (15 / 20 working days) | deadlines, `case.opened` | plan agreed, holding reply, answering letter | deadlines records the breach, tells the team leader and the manager |
//! | `wait_after_cmsl5800` / `_5805` (7 / 14 days) | deadlines, the letter sent | `client.replied` | casework: the state machine closes the review ([`clocks::END_THE_CASE`](crate::process::clocks::END_THE_CASE)) |
//! | `wait_after_cmsl5801` (7 days) | deadlines, the letter sent while waiting | reply, plan agreed or disagreed | deadlines: the caseworker's task |
//! | `action_due`, `action_overdue` | deadlines, `actions.scheduled` (what casework accepted) | `action.completed` | deadlines: reminder, then the manager |
//! | `remedial_action`, `remedial_action_overdue` | deadlines, `remedial_action.requested` (accepted) | `action.completed` | deadlines: chase, then the manager |
//! | `evidence_wait` | casework, `evidence.requested` | `client.replied` (deadlines) | deadlines: the caseworker decides on what there is |
//! | `ice_redress` (4 weeks) | deadlines, ICE's final report with redress | `ice.redress_paid` | deadlines: the manager's task |
//! | `dispute_reply`, `dispute_action_due` | disputes, the plan letters | reply, plan agreed | disputes |
//!
//! [`official`] is the part of casework that is no tier's procedure: an MP's involvement and
//! the reply to official correspondence.
//!
//! [`effects`] and [`opening`] are what the workers share: the timeline entries and events a
//! batch causes, and how a case opens. [`runner`] is the consumer loop, [`poll`] the round
//! loop, [`sender`] what the two senders share.

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
pub mod poll;
pub mod report_days;
pub mod runner;
pub mod scheduler;
pub mod sender;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::broker::topology::QueueSpec;
use crate::config::{Config, WorkerSettings};
use crate::events::incoming::EventSet;
use crate::events::CloudEvent;
use poll::Poller;

/// The tasks of one process, each ending with an error when it stops by itself for one.
pub type Tasks = JoinSet<anyhow::Result<()>>;

/// A task that runs beside a worker's consumers until shutdown (the letters worker's printer,
/// the email worker's sender).
pub type Companion = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A worker that consumes one queue.
pub trait Worker: Send + Sync + 'static {
    /// The worker's one name: its queue is `complaints.<NAME>`, its inbox rows, timeline
    /// entries, metrics and log lines carry it, and `complaints run --workers` and
    /// `[workers.<NAME>]` take it.
    const NAME: &'static str;
    /// Consumers per process, each with its own channel and transaction: while one commits,
    /// another reads (`[workers.<NAME>] consumers`).
    const CONSUMERS: usize = 1;
    /// Most deliveries applied in one database transaction (`batch_size`).
    const BATCH_SIZE: usize = 256;
    /// Longest a partly filled batch waits for more deliveries, in milliseconds
    /// (`batch_wait_ms`).
    const BATCH_WAIT_MS: u64 = 5;
    /// Unacknowledged deliveries each consumer holds at once (`prefetch`).
    const PREFETCH: u16 = 512;
    /// Whether it takes the events accepted from outside (complaints, decisions) as they
    /// arrive on `complaints.events`: only the workers that decide whether they stand (intake,
    /// casework, disputes). Every other worker reads only `complaints.internal`, where casework
    /// forwards each decision it accepted, so none acts on a decision the state machine refused.
    const FROM_OUTSIDE: bool = false;
    /// Whether the events it reads name cases (their subjects) that it reads and writes back.
    /// If so, the runner locks those cases' rows ([`cases::lock`](crate::db::cases::lock)) at
    /// the start of the batch's transaction, before `apply`, so nothing changes a case between
    /// what the worker reads of it and what it writes; and a consumer begins its next batch as
    /// soon as this one holds its locks, committing them in order ([`runner`]). Such a
    /// worker calls [`runner::after_the_batch_before`] before it takes any other lock that
    /// batches of other cases take too.
    const LOCKS_CASES: bool = false;
    /// The events it reads; their types are the routing keys bound to its queue. A message
    /// that does not parse and validate as one of them is dead-lettered before `apply` sees it.
    type Event: EventSet;

    /// The worker, from the app's configuration; fails when it cannot work (e.g. a letter
    /// template does not compile), before anything starts.
    fn build(app: &App) -> anyhow::Result<Self>
    where
        Self: Sized;

    /// Applies events not applied before, in the caller's transaction: every state change,
    /// timeline entry and outbox event commits together or not at all.
    fn apply<'a>(
        &'a self,
        conn: &'a mut AsyncPgConnection,
        events: &'a [&'a CloudEvent<Self::Event>],
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send + 'a;

    /// The tasks that run beside its consumers, once per process (none by default).
    fn companions(self: &Arc<Self>, _app: &App, _shutdown: &CancellationToken) -> Vec<Companion> {
        Vec::new()
    }
}

/// How `W` runs under `config`: its consts, with `[workers.<NAME>]` (and the older keys) over
/// them.
pub fn settings<W: Worker>(config: &Config) -> WorkerSettings {
    config.worker_settings(
        W::NAME,
        WorkerSettings {
            consumers: W::CONSUMERS,
            batch_size: W::BATCH_SIZE,
            batch_wait: Duration::from_millis(W::BATCH_WAIT_MS),
            prefetch: W::PREFETCH,
        },
    )
}

/// The queue of a worker.
pub const fn queue_spec<W: Worker>() -> QueueSpec {
    QueueSpec {
        worker: W::NAME,
        event_types: W::Event::TYPES,
        from_outside: W::FROM_OUTSIDE,
    }
}

/// A worker built and ready to spawn.
pub struct Runnable(Box<SpawnOnto>);

/// What spawns a built worker's tasks onto a process's.
type SpawnOnto = dyn FnOnce(&App, &CancellationToken, &mut Tasks) + Send;

impl Runnable {
    fn consumer<W: Worker>(worker: W) -> Self {
        Self(Box::new(move |app, shutdown, tasks| {
            runner::spawn(worker, app, shutdown, tasks)
        }))
    }

    fn poller<P: Poller>(poller: P) -> Self {
        Self(Box::new(move |app, shutdown, tasks| {
            let (app, shutdown) = (app.clone(), shutdown.clone());
            tasks.spawn(async move {
                poll::run(poller, app, shutdown).await;
                Ok(())
            });
        }))
    }

    /// Spawns its tasks onto `tasks`; they run until `shutdown`.
    pub fn spawn(self, app: &App, shutdown: &CancellationToken, tasks: &mut Tasks) {
        (self.0)(app, shutdown, tasks)
    }
}

/// The one table of workers: writes [`WorkerKind`] (with the HTTP server, which is not a
/// worker but runs beside them), [`WorkerKind::ALL`], [`WorkerKind::build`] and [`QUEUES`].
/// A `consumers` line names a [`Worker`], a `pollers` line a [`Poller`] built by `Default`.
macro_rules! registry {
    (
        consumers { $( $(#[$cdoc:meta])* $consumer:ident => $cty:ty, )* }
        pollers { $( $(#[$pdoc:meta])* $poller:ident => $pty:ty, )* }
    ) => {
        /// A kind of worker a process can run (`complaints run --workers`, in kebab case).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
        pub enum WorkerKind {
            $( $(#[$cdoc])* $consumer, )*
            $( $(#[$pdoc])* $poller, )*
            /// The HTTP server: intake, case look-up, the ops page, health, metrics.
            Http,
        }

        impl WorkerKind {
            /// Every kind: what `complaints run` runs by default.
            pub const ALL: &[WorkerKind] = &[
                $( WorkerKind::$consumer, )*
                $( WorkerKind::$poller, )*
                WorkerKind::Http,
            ];

            /// Builds the kind's worker, ready to spawn; `None` for the HTTP server, which
            /// the supervisor serves itself.
            pub fn build(self, app: &App) -> anyhow::Result<Option<Runnable>> {
                Ok(match self {
                    $( WorkerKind::$consumer => Some(Runnable::consumer(<$cty as Worker>::build(app)?)), )*
                    $( WorkerKind::$poller => Some(Runnable::poller(<$pty as Default>::default())), )*
                    WorkerKind::Http => None,
                })
            }
        }

        /// Every worker queue, declared by every process on start.
        pub const QUEUES: &[QueueSpec] = &[ $( queue_spec::<$cty>(), )* ];
    };
}

registry! {
    consumers {
        /// Consumes `complaint.received`, opens cases.
        Intake => intake::Intake,
        /// Starts and meets the acknowledgement clocks, requests their letters.
        Acknowledgement => acknowledgement::Acknowledgement,
        /// Applies caseworkers' decisions through the tier state machines; keeps the Systemic
        /// Log.
        Casework => casework::Casework,
        /// Opens the linked higher case of an escalated one and tells the receiving team.
        Escalation => escalation::Escalation,
        /// Response targets, waits, action due dates, ICE redress.
        Deadlines => deadlines::Deadlines,
        /// A dispute's action plan letters and their follow-up clocks.
        Disputes => disputes::Disputes,
        /// Renders requested letters and sends them to email or post; prints postal letters.
        Letters => letters::Letters,
        /// Sends letters and team notifications by SMTP.
        Email => email::Email,
    }
    pollers {
        /// Fires due timers.
        Scheduler => scheduler::Scheduler,
        /// Publishes the outbox.
        OutboxRelay => outbox_relay::OutboxRelay,
        /// Keeps each day's report figures.
        ReportDays => report_days::ReportDays,
    }
}
