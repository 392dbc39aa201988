//! The runner: the consumer loop every queue worker runs in: take a batch of deliveries, dead-letter the ones
//! that cannot be read (with the reason in a header), apply the rest in one transaction that
//! also claims their event ids in the inbox, commit, then ack. Nothing is acked before its
//! effects are durable; a redelivered message finds its id claimed and changes nothing.
//!
//! A worker that locks its cases ([`Worker::LOCKS_CASES`]) has two batches in flight per
//! consumer when there is a backlog (this batch is a quarter full or more): the next begins
//! once this one holds its cases' row locks, so the worker's work on one overlaps the
//! database's on the other, and it keeps their order: the next waits for those locks on any
//! case they share, commits only after this one has committed (a [`Turn`]), and acks after it.
//! Should this one roll back, the next rolls back too and is applied again once this one is
//! settled. A lock beyond its cases' rows that other cases' batches take too (a Systemic Log
//! category's) the next takes only after this one has committed
//! ([`after_the_batch_before`]), so neither ever waits for the other.
//!
//! When the batch's transaction fails for a reason another try may cure (transient in
//! [`crate::failure`]: a deadlock, say, where no message is at fault), it is tried whole once
//! more, one transaction instead of one a message. When it fails again, or for a reason no
//! retry cures, each message is tried alone, so one poisoned message cannot hold the others
//! back: it is nacked, and the quorum queue's delivery limit
//! dead-letters it after a few tries. When the database cannot be reached at all, the loop
//! waits for it instead of burning delivery attempts. When the broker goes away, the loop
//! reconnects with capped exponential backoff.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures_util::{FutureExt, StreamExt};
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Confirmation, Consumer};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use super::effects::subjects;
use super::{settings, Tasks, Worker, WorkerSettings};
use crate::app::App;
use crate::backoff::Backoff;
use crate::broker::consumer::{
    DEAD_LETTERED_AT_HEADER, REASON_HEADER, REASON_KIND_HEADER, ROUTING_KEY_HEADER,
};
use crate::broker::topology::long_string;
use crate::db::{cases, inbox, turns};
use crate::events::binding;
use crate::events::checks::Checks;
use crate::events::incoming::{self, Refusal};
use crate::events::CloudEvent;
use crate::failure::{classify, Failure, Unprocessable};

/// Spawns the consumers of `worker` (as many as its settings say) and its companions onto
/// `tasks`.
pub fn spawn<W: Worker>(worker: W, app: &App, shutdown: &CancellationToken, tasks: &mut Tasks) {
    let worker = Arc::new(worker);
    for _ in 0..settings::<W>(&app.config).consumers {
        let (worker, app, shutdown) = (worker.clone(), app.clone(), shutdown.clone());
        tasks.spawn(async move {
            run(worker, app, shutdown).await;
            Ok(())
        });
    }
    for companion in worker.companions(app, shutdown) {
        tasks.spawn(async move {
            companion.await;
            Ok(())
        });
    }
}

/// Consumes `W`'s queue until `shutdown`, reconnecting whenever the broker goes away.
pub async fn run<W: Worker>(worker: Arc<W>, app: App, shutdown: CancellationToken) {
    let mut backoff = Backoff::default();
    loop {
        let started = Instant::now();
        match consume::<W>(&worker, &app, &shutdown).await {
            Ok(()) => return,
            Err(e) => {
                if started.elapsed() > Duration::from_secs(30) {
                    backoff = Backoff::default();
                }
                let wait = backoff.next_wait();
                warn!(worker = W::NAME, error = %e, ?wait, "consumer lost its broker connection; reconnecting");
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(wait) => {}
                }
            }
        }
    }
}

/// One channel's life, on the connection the process's consumers share: consume until
/// shutdown (Ok) or a broker error (Err). The batches in flight are always finished first.
async fn consume<W: Worker>(
    worker: &Arc<W>,
    app: &App,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let channel = app.consumers.channel().await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    let settings = settings::<W>(&app.config);
    channel
        .basic_qos(settings.prefetch, BasicQosOptions::default())
        .await?;
    let queue = app.topology.queue(W::NAME);
    let mut consumer = channel
        .basic_consume(
            queue.as_str().into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    info!(worker = W::NAME, %queue, "consuming");
    let mut in_flight = InFlight::new(settings.batch_size);
    let consumed = async {
        while let Some(batch) = next_batch(&mut consumer, &settings, shutdown).await? {
            in_flight
                .start(worker, app, &channel, batch, shutdown)
                .await?;
        }
        anyhow::Ok(())
    }
    .await;
    let finished = in_flight.finish_all().await;
    if shutdown.is_cancelled() {
        let _ = channel.close(200, "shutting down".into()).await;
    }
    consumed.and(finished)
}

/// Waits for the next delivery and fills a batch behind it; `None` at shutdown.
async fn next_batch(
    consumer: &mut Consumer,
    settings: &WorkerSettings,
    shutdown: &CancellationToken,
) -> anyhow::Result<Option<Vec<Delivery>>> {
    let first = tokio::select! {
        () = shutdown.cancelled() => return Ok(None),
        next = consumer.next() => next,
    };
    let mut batch = vec![next_delivery(first)?];
    fill_batch(
        consumer,
        &mut batch,
        settings.batch_size,
        settings.batch_wait,
    )
    .await?;
    Ok(Some(batch))
}

/// The batches a consumer has in flight, oldest first: two at most, the one before and this
/// one.
struct InFlight {
    /// The worker's batch size, of which a quarter makes a backlog ([`Order::overlapped`]).
    batch_size: usize,
    tasks: std::collections::VecDeque<JoinHandle<anyhow::Result<()>>>,
    last: Option<Arc<Turn>>,
}

impl InFlight {
    fn new(batch_size: usize) -> Self {
        Self {
            batch_size,
            tasks: std::collections::VecDeque::new(),
            last: None,
        }
    }

    /// Handles `batch` after the batch before: a batch the next may overlap
    /// ([`Order::overlapped`]) in a task of its own, returning once the next may begin
    /// ([`Turn::next_may_begin`]); any other here, to its end, as one batch at a time always
    /// did.
    async fn start<W: Worker>(
        &mut self,
        worker: &Arc<W>,
        app: &App,
        channel: &Channel,
        batch: Vec<Delivery>,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<()> {
        if self.tasks.len() > 1 {
            if let Some(oldest) = self.tasks.pop_front() {
                finish(oldest).await?;
            }
        }
        let turn = Arc::new(Turn::new());
        let overlapped = W::LOCKS_CASES && batch.len() * 4 >= self.batch_size;
        let order = Order {
            turn: turn.clone(),
            overlapped,
            previous: self.last.take(),
        };
        let handling = handle_batch(
            worker.clone(),
            app.clone(),
            channel.clone(),
            batch,
            order,
            shutdown.clone(),
        );
        if !overlapped {
            return handling.await;
        }
        self.tasks.push_back(tokio::spawn(handling));
        turn.next_may_begin().await;
        self.last = Some(turn);
        Ok(())
    }

    /// Waits for every batch in flight to end; the first error, if any.
    async fn finish_all(self) -> anyhow::Result<()> {
        let mut finished = Ok(());
        for task in self.tasks {
            let result = finish(task).await;
            finished = finished.and(result);
        }
        finished
    }
}

/// Waits for a batch's task to end, with its error (a panic outside the transaction is one).
async fn finish(task: JoinHandle<anyhow::Result<()>>) -> anyhow::Result<()> {
    task.await.unwrap_or_else(|e| Err(e.into()))
}

/// Where a batch stands, for the consumer loop and the batch after it.
#[derive(Debug, Clone, Copy, Default)]
struct Progress {
    /// Its transaction holds its cases' row locks.
    locked: bool,
    /// Its one batch transaction ended: committed (`true`) or rolled back (`false`).
    committed: Option<bool>,
    /// Every delivery is acked, nacked or dead-lettered (`true`), or the batch gave up on
    /// its channel with some unsettled (`false`).
    settled: Option<bool>,
}

/// One batch's place in its consumer's order: the advisory lock key its transaction holds
/// ([`turns`]) and its [`Progress`].
struct Turn {
    key: i64,
    progress: watch::Sender<Progress>,
}

impl Turn {
    fn new() -> Self {
        Self {
            key: uuid::Uuid::new_v4().as_u64_pair().0 as i64,
            progress: watch::Sender::new(Progress::default()),
        }
    }

    fn note(&self, change: impl FnOnce(&mut Progress)) {
        self.progress.send_modify(change);
    }

    /// Waits until the next batch may begin: once this one holds its locks and has not
    /// rolled back, or once it is settled.
    async fn next_may_begin(&self) {
        let mut progress = self.progress.subscribe();
        let _ = progress
            .wait_for(|p| p.settled.is_some() || (p.locked && p.committed != Some(false)))
            .await;
    }

    /// Whether this batch's transaction committed, asked by the next once it holds this one's
    /// key (so the transaction has ended). Waits at most a second for this batch to note it:
    /// longer, and it is taken as not committed (the next then rolls back and goes again).
    async fn has_committed(&self) -> bool {
        let mut progress = self.progress.subscribe();
        let noted = tokio::time::timeout(
            Duration::from_secs(1),
            progress.wait_for(|p| p.committed.is_some()),
        )
        .await;
        matches!(noted, Ok(Ok(p)) if p.committed == Some(true))
    }

    /// Waits until this batch is settled; whether all went well.
    async fn settled(&self) -> bool {
        let mut progress = self.progress.subscribe();
        let settled = progress.wait_for(|p| p.settled.is_some()).await;
        matches!(settled, Ok(p) if p.settled == Some(true))
    }
}

/// A batch's turn and the batch before it, still in flight.
struct Order {
    turn: Arc<Turn>,
    /// Whether the next batch may begin before this one is settled: a batch of a worker that
    /// locks its cases, at least a quarter full (a backlog). A smaller one is about all there
    /// was, so the next would wait for deliveries anyway, and this one runs alone as batches
    /// always did.
    overlapped: bool,
    previous: Option<Arc<Turn>>,
}

/// Unwraps one item of the consumer stream; the stream ends only when the channel does.
fn next_delivery(item: Option<lapin::Result<Delivery>>) -> anyhow::Result<Delivery> {
    match item {
        Some(Ok(delivery)) => Ok(delivery),
        Some(Err(e)) => Err(e.into()),
        None => Err(anyhow::anyhow!("the broker cancelled the consumer")),
    }
}

/// Adds deliveries that arrive within `wait` until the batch is full.
async fn fill_batch(
    consumer: &mut Consumer,
    batch: &mut Vec<Delivery>,
    size: usize,
    wait: Duration,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + wait;
    while batch.len() < size {
        match tokio::time::timeout_at(deadline, consumer.next()).await {
            Ok(item) => batch.push(next_delivery(item)?),
            Err(_elapsed) => break,
        }
    }
    Ok(())
}

/// A delivery that parsed, with its event.
struct Readable<E> {
    delivery: Delivery,
    event: CloudEvent<E>,
    received: Instant,
}

/// Why a message goes to the dead-letter queue: the two headers it carries there.
struct DeadLetterReason {
    kind: &'static str,
    reason: String,
}

impl From<&Refusal> for DeadLetterReason {
    fn from(refusal: &Refusal) -> Self {
        Self {
            kind: refusal.kind(),
            reason: refusal.reason(),
        }
    }
}

/// Handles one batch (in a task of its own when the next may overlap it): dead-letters the
/// unreadable, applies the rest in its turn, acks after the batch before. Whatever happens,
/// the batch ends settled, so the next never waits for ever.
async fn handle_batch<W: Worker>(
    worker: Arc<W>,
    app: App,
    channel: Channel,
    batch: Vec<Delivery>,
    order: Order,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let settles = Settles(order.turn.clone());
    let result = handle_in_turn(&*worker, &app, &channel, batch, &order, &shutdown).await;
    settles.0.note(|p| p.settled = Some(result.is_ok()));
    result
}

/// Notes a batch settled when its task ends, as having failed unless it said otherwise (a
/// panic outside the transaction), so the batch after it never waits for ever.
struct Settles(Arc<Turn>);

impl Drop for Settles {
    fn drop(&mut self) {
        self.0.note(|p| {
            p.committed.get_or_insert(false);
            p.settled.get_or_insert(false);
        });
    }
}

/// What [`handle_batch`] does: reads and dead-letters, applies in `order` (again after the
/// batch before when that one did not commit; whole once more after a transient failure),
/// then acks or, when the batch's transaction failed, tries each message alone; never before
/// the batch before is settled.
async fn handle_in_turn<W: Worker>(
    worker: &W,
    app: &App,
    channel: &Channel,
    batch: Vec<Delivery>,
    order: &Order,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let received = Instant::now();
    let checks = app.checks();
    let last_tag = batch.last().map(|d| d.delivery_tag);
    let mut readable = Vec::with_capacity(batch.len());
    let mut unreadable = Vec::new();
    for delivery in batch {
        match read::<W>(&delivery, &checks) {
            Ok(event) => readable.push(Readable {
                delivery,
                event,
                received,
            }),
            Err(refusal) => {
                let reason = DeadLetterReason::from(&refusal);
                unreadable.push((delivery, reason));
            }
        }
    }
    let dead: Vec<_> = unreadable.iter().map(|(d, r)| (d, r)).collect();
    dead_letter(app, channel, W::NAME, &dead).await?;

    let events: Vec<&CloudEvent<W::Event>> = readable.iter().map(|r| &r.event).collect();
    let mut applied = apply_held(worker, app, &events, shutdown, Some(order)).await;
    // The batch before settles first: this one's acks and retries come after its own.
    if let Some(previous) = &order.previous {
        let previous_settled = previous.settled().await;
        anyhow::ensure!(
            previous_settled,
            "the batch before lost its channel; this one is left to be redelivered"
        );
    }
    if matches!(applied, Applied::NotItsTurn) {
        debug!(
            worker = W::NAME,
            "the batch before rolled back; applying this one again after it"
        );
        applied = apply_held(worker, app, &events, shutdown, None).await;
    }
    if let Applied::Failed(e) = &applied {
        if events.len() > 1 && matches!(classify(e), Failure::Transient { .. }) {
            warn!(worker = W::NAME, error = %e, size = events.len(), "batch failed; trying it whole once more");
            applied = apply_held(worker, app, &events, shutdown, None).await;
        }
    }
    match applied {
        Applied::Yes => {
            if let Some(tag) = last_tag {
                channel
                    .basic_ack(tag, BasicAckOptions { multiple: true })
                    .await?;
            }
            record_handled(W::NAME, &readable);
        }
        Applied::ShuttingDown | Applied::NotItsTurn => return Ok(()),
        Applied::Failed(e) if readable.len() <= 1 => {
            ack_all(unreadable.iter().map(|(d, _)| d)).await?;
            for r in &readable {
                settle_failure(app, channel, W::NAME, r, &e).await?;
            }
        }
        Applied::Failed(e) => {
            warn!(worker = W::NAME, error = %e, size = readable.len(), "batch failed; trying each message alone");
            ack_all(unreadable.iter().map(|(d, _)| d)).await?;
            for r in &readable {
                match apply_held(worker, app, &[&r.event], shutdown, None).await {
                    Applied::Yes => {
                        r.delivery.acker.ack(BasicAckOptions::default()).await?;
                        record_handled(W::NAME, std::slice::from_ref(r));
                    }
                    Applied::ShuttingDown | Applied::NotItsTurn => return Ok(()),
                    Applied::Failed(e) => settle_failure(app, channel, W::NAME, r, &e).await?,
                }
            }
        }
    }
    Ok(())
}

/// Reads one delivery as a `W` event, in either CloudEvents content mode (structured: the body
/// is the event; binary: `ce-` headers and the data as the body), or says why not.
fn read<W: Worker>(delivery: &Delivery, checks: &Checks) -> Result<CloudEvent<W::Event>, Refusal> {
    let message = binding::Message::from_amqp(&delivery.properties, &delivery.data);
    incoming::parse_data(binding::read_envelope(&message)?, checks)
}

enum Applied {
    Yes,
    ShuttingDown,
    /// Rolled back because the batch before did not commit (so the order holds).
    NotItsTurn,
    Failed(anyhow::Error),
}

/// Applies `events` as [`apply_in_transaction`] does, but holds them (with backoff) while the
/// database is down, so an outage never burns a message's delivery attempts. Only the first
/// try takes the batch's turn in `order`; a retry runs when the batch before has long ended.
async fn apply_held<W: Worker>(
    worker: &W,
    app: &App,
    events: &[&CloudEvent<W::Event>],
    shutdown: &CancellationToken,
    mut order: Option<&Order>,
) -> Applied {
    let mut backoff = Backoff::default();
    loop {
        match apply_in_transaction(worker, app, events, shutdown, order.take()).await {
            Applied::Failed(e) if classify(&e) == Failure::Outage => {
                let wait = backoff.next_wait();
                warn!(worker = W::NAME, error = %e, ?wait, "database lost mid-batch; holding the batch");
                tokio::select! {
                    () = shutdown.cancelled() => return Applied::ShuttingDown,
                    () = tokio::time::sleep(wait) => {}
                }
            }
            other => return other,
        }
    }
}

/// Lets the caller's transaction go on to commit only once `previous` (the batch before) has
/// committed; [`NotItsTurn`] when it did not. Known already (the common case under light
/// load), that costs nothing; otherwise it waits on the batch's key for its transaction to end.
async fn commit_after(conn: &mut AsyncPgConnection, previous: &Turn) -> anyhow::Result<()> {
    let known = previous.progress.borrow().committed;
    let committed = match known {
        Some(known) => known,
        None => {
            turns::take(conn, previous.key).await?;
            previous.has_committed().await
        }
    };
    if committed {
        Ok(())
    } else {
        Err(NotItsTurn.into())
    }
}

tokio::task_local! {
    /// The batch before the one whose `apply` runs in this task, when the two overlap.
    static BEFORE: Option<Arc<Turn>>;
}

/// For a worker's `apply` to call before it takes a lock that other cases' batches take too
/// (a Systemic Log category's, a row several cases share), rather than only its cases' rows:
/// waits until the batch before this one, when they overlap, has committed, or rolls this
/// one back to go again after it ([`NotItsTurn`]) when it did not. Otherwise this one might take
/// such a lock first, while the batch before still needs it: the batch before would wait for
/// this one to end and this one for the batch before to commit, until PostgreSQL's deadlock
/// detector ended one of them a second later. Costs nothing when batches do not overlap.
pub async fn after_the_batch_before(conn: &mut AsyncPgConnection) -> anyhow::Result<()> {
    let previous = BEFORE.try_with(Clone::clone).ok().flatten();
    match previous {
        Some(previous) => commit_after(conn, &previous).await,
        None => Ok(()),
    }
}

/// Why a batch's transaction was rolled back on purpose: the batch before did not commit.
#[derive(Debug, thiserror::Error)]
#[error("the batch before did not commit")]
struct NotItsTurn;

/// Claims the events' ids, locks their cases (for a worker that [`Worker::LOCKS_CASES`]) and
/// applies the new ones in one transaction. In `order`, the transaction holds its turn's key
/// from the start, notes when it holds its locks, and commits only after the batch before has
/// (else it rolls back: [`Applied::NotItsTurn`]). Waits (with backoff) while no database
/// connection can be had: that is an outage, not a bad message. A panic while applying is
/// caught inside the transaction, so the transaction rolls back, and the connection is
/// discarded rather than returned to the pool.
async fn apply_in_transaction<W: Worker>(
    worker: &W,
    app: &App,
    events: &[&CloudEvent<W::Event>],
    shutdown: &CancellationToken,
    order: Option<&Order>,
) -> Applied {
    if events.is_empty() {
        if let Some(order) = order {
            order.turn.note(|p| p.committed = Some(true));
        }
        return Applied::Yes;
    }
    let mut backoff = Backoff::default();
    let mut pooled = loop {
        match app.pool.get().await {
            Ok(conn) => break conn,
            Err(e) => {
                let wait = backoff.next_wait();
                warn!(worker = W::NAME, error = %e, ?wait, "database unavailable; holding the batch");
                tokio::select! {
                    () = shutdown.cancelled() => return Applied::ShuttingDown,
                    () = tokio::time::sleep(wait) => {}
                }
            }
        }
    };
    let now = app.clock.now();
    let ids: Vec<_> = events.iter().map(|e| e.id).collect();
    let conn: &mut AsyncPgConnection = &mut pooled;
    let result = conn
        .transaction::<_, anyhow::Error, _>(async |conn| {
            let work = async {
                if let Some(order) = order.filter(|o| o.overlapped) {
                    turns::take(conn, order.turn.key).await?;
                }
                let fresh = inbox::claim(conn, W::NAME, &ids, now).await?;
                if fresh.len() < events.len() {
                    debug!(
                        worker = W::NAME,
                        skipped = events.len() - fresh.len(),
                        "already applied"
                    );
                }
                let mut seen = std::collections::HashSet::with_capacity(fresh.len());
                let new: Vec<&CloudEvent<W::Event>> = events
                    .iter()
                    .copied()
                    .filter(|e| fresh.contains(&e.id) && seen.insert(e.id))
                    .collect();
                if W::LOCKS_CASES {
                    cases::lock(conn, &subjects(&new)).await?;
                    if let Some(order) = order {
                        order.turn.note(|p| p.locked = true);
                    }
                }
                let previous = order.and_then(|o| o.previous.clone());
                BEFORE
                    .scope(previous, worker.apply(conn, &new, now))
                    .await?;
                if let Some(previous) = order.and_then(|o| o.previous.as_ref()) {
                    commit_after(conn, previous).await?;
                }
                Ok(())
            };
            AssertUnwindSafe(work)
                .catch_unwind()
                .await
                .unwrap_or_else(|panic| Err(panicked(W::NAME, panic.as_ref()).into()))
        })
        .await;
    if let Some(order) = order {
        order.turn.note(|p| p.committed = Some(result.is_ok()));
    }
    match result {
        Ok(()) => Applied::Yes,
        Err(e) if e.is::<NotItsTurn>() => Applied::NotItsTurn,
        Err(e) => {
            if matches!(classify(&e), Failure::Permanent { kind: PANIC, .. }) {
                // Whatever the panic interrupted, the connection is not trusted again.
                drop(Object::take(pooled));
            }
            Applied::Failed(e)
        }
    }
}

/// The reason kind of a message whose handling panicked.
const PANIC: &str = "panic";

/// Turns a caught panic into a permanent failure. The panic's own message goes to the log
/// under an error id; the dead letter carries only the id.
fn panicked(worker: &'static str, panic: &(dyn std::any::Any + Send)) -> Unprocessable {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    let error_id = uuid::Uuid::now_v7();
    error!(worker, %error_id, panic = %message, "a worker panicked applying a batch; the batch is rolled back");
    metrics::counter!("complaints_worker_panics_total", "worker" => worker).increment(1);
    Unprocessable::new(
        PANIC,
        format!("the worker failed unexpectedly applying this event (error id {error_id})"),
    )
}

/// Settles a message whose transaction failed alone: a permanent failure is dead-lettered at
/// once; a transient one is returned to the queue, and dead-lettered with the last error when
/// it has used up its delivery attempts (`amqp.delivery_limit`), so that no message reaches
/// the dead-letter queue without a reason.
async fn settle_failure<E>(
    app: &App,
    channel: &Channel,
    worker: &'static str,
    r: &Readable<E>,
    error: &anyhow::Error,
) -> anyhow::Result<()> {
    metrics::counter!("complaints_messages_failed_total", "worker" => worker).increment(1);
    let attempts = delivery_count(&r.delivery) + 1;
    let reason = match classify(error) {
        Failure::Permanent { kind, reason } => DeadLetterReason { kind, reason },
        Failure::Transient { reason } if attempts >= app.config.amqp.delivery_limit => {
            DeadLetterReason {
                kind: "retries_exhausted",
                reason: format!("failed {attempts} times; the last error: {reason}"),
            }
        }
        Failure::Transient { .. } | Failure::Outage => {
            error!(worker, event_id = %r.event.id, attempts, %error, "could not apply event; returning it to the queue");
            r.delivery
                .acker
                .nack(BasicNackOptions {
                    requeue: true,
                    ..Default::default()
                })
                .await?;
            return Ok(());
        }
    };
    error!(worker, event_id = %r.event.id, kind = reason.kind, reason = %reason.reason, "could not apply event; dead-lettering it");
    dead_letter(app, channel, worker, &[(&r.delivery, &reason)]).await?;
    r.delivery.acker.ack(BasicAckOptions::default()).await?;
    Ok(())
}

/// How often the broker has delivered this message before (the quorum queue's
/// `x-delivery-count`; absent on the first delivery).
fn delivery_count(delivery: &Delivery) -> u32 {
    delivery
        .properties
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get("x-delivery-count").cloned())
        .and_then(|v| match v {
            AMQPValue::LongLongInt(n) => u32::try_from(n).ok(),
            AMQPValue::LongInt(n) => u32::try_from(n).ok(),
            AMQPValue::LongUInt(n) => Some(n),
            AMQPValue::ShortInt(n) => u32::try_from(n).ok(),
            AMQPValue::ShortUInt(n) => Some(u32::from(n)),
            AMQPValue::ShortShortInt(n) => u32::try_from(n).ok(),
            AMQPValue::ShortShortUInt(n) => Some(u32::from(n)),
            _ => None,
        })
        .unwrap_or(0)
}

async fn ack_all(deliveries: impl Iterator<Item = &Delivery>) -> lapin::Result<()> {
    for delivery in deliveries {
        delivery.acker.ack(BasicAckOptions::default()).await?;
    }
    Ok(())
}

/// Counts and times the handled messages, with one info line each: the event's id, type and
/// subject (a case reference, never personal data).
fn record_handled<E>(worker: &'static str, handled: &[Readable<E>]) {
    metrics::counter!("complaints_messages_handled_total", "worker" => worker)
        .increment(handled.len() as u64);
    let histogram = metrics::histogram!("complaints_handling_seconds", "worker" => worker);
    for r in handled {
        info!(
            worker,
            event_id = %r.event.id,
            event_type = %r.event.event_type,
            case = r
                .event
                .subject
                .as_deref()
                .and_then(crate::process::case_reference::parse_case_reference)
                .as_deref()
                .unwrap_or("-"),
            "handled"
        );
        histogram.record(r.received.elapsed().as_secs_f64());
    }
}

/// Publishes each unreadable message, unchanged, to the worker's dead-letter queue with the
/// reason in a header, and waits for the broker's confirms. The caller acks the originals
/// only afterwards, so a dead letter is never lost between the two queues.
async fn dead_letter(
    app: &App,
    channel: &Channel,
    worker: &'static str,
    dead_letters: &[(&Delivery, &DeadLetterReason)],
) -> anyhow::Result<()> {
    let mut confirms = Vec::with_capacity(dead_letters.len());
    for (delivery, why) in dead_letters {
        warn!(worker, kind = why.kind, reason = %why.reason, "dead-lettering a message");
        metrics::counter!("complaints_messages_dead_lettered_total", "worker" => worker, "reason" => why.kind)
            .increment(1);
        let mut headers = delivery.properties.headers().clone().unwrap_or_default();
        headers.insert(REASON_HEADER.into(), long_string(&why.reason));
        headers.insert(REASON_KIND_HEADER.into(), long_string(why.kind));
        headers.insert("x-complaints-worker".into(), long_string(worker));
        headers.insert(
            DEAD_LETTERED_AT_HEADER.into(),
            long_string(&app.clock.now().to_rfc3339()),
        );
        headers.insert(
            ROUTING_KEY_HEADER.into(),
            long_string(delivery.routing_key.as_str()),
        );
        let properties = delivery
            .properties
            .clone()
            .with_headers(headers)
            .with_delivery_mode(2);
        let confirm = channel
            .basic_publish(
                app.topology.dead_letter_exchange().into(),
                app.topology.queue(worker).into(),
                BasicPublishOptions::default(),
                &delivery.data,
                properties,
            )
            .await?;
        confirms.push(confirm);
    }
    for confirm in confirms {
        if !matches!(confirm.await?, Confirmation::Ack(_)) {
            anyhow::bail!("the broker refused a dead letter");
        }
    }
    Ok(())
}
