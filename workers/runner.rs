//! The runner: the consumer loop every queue worker runs in: take a batch of deliveries, dead-letter the ones
//! that cannot be read (with the reason in a header), apply the rest in one transaction that
//! also claims their event ids in the inbox, commit, then ack. Nothing is acked before its
//! effects are durable; a redelivered message finds its id claimed and changes nothing.
//!
//! When the batch's transaction fails, each message is tried alone, so one poisoned message
//! cannot hold the others back: it is nacked, and the quorum queue's delivery limit
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
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use super::{settings, Tasks, Worker};
use crate::app::App;
use crate::backoff::Backoff;
use crate::broker::consumer::{
    DEAD_LETTERED_AT_HEADER, REASON_HEADER, REASON_KIND_HEADER, ROUTING_KEY_HEADER,
};
use crate::broker::topology::long_string;
use crate::db::inbox;
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
/// shutdown (Ok) or a broker error (Err).
async fn consume<W: Worker>(
    worker: &W,
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
    loop {
        let first = tokio::select! {
            () = shutdown.cancelled() => {
                let _ = channel.close(200, "shutting down".into()).await;
                return Ok(());
            }
            next = consumer.next() => next,
        };
        let mut batch = vec![next_delivery(first)?];
        fill_batch(
            &mut consumer,
            &mut batch,
            settings.batch_size,
            settings.batch_wait,
        )
        .await?;
        handle_batch(worker, app, &channel, batch, shutdown).await?;
    }
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

/// Dead-letters the unreadable, applies the rest, acks.
async fn handle_batch<W: Worker>(
    worker: &W,
    app: &App,
    channel: &Channel,
    batch: Vec<Delivery>,
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
    match apply_held(worker, app, &events, shutdown).await {
        Applied::Yes => {
            if let Some(tag) = last_tag {
                channel
                    .basic_ack(tag, BasicAckOptions { multiple: true })
                    .await?;
            }
            record_handled(W::NAME, &readable);
        }
        Applied::ShuttingDown => return Ok(()),
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
                match apply_held(worker, app, &[&r.event], shutdown).await {
                    Applied::Yes => {
                        r.delivery.acker.ack(BasicAckOptions::default()).await?;
                        record_handled(W::NAME, std::slice::from_ref(r));
                    }
                    Applied::ShuttingDown => return Ok(()),
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
    Failed(anyhow::Error),
}

/// Applies `events` as [`apply_in_transaction`] does, but holds them (with backoff) while the
/// database is down, so an outage never burns a message's delivery attempts.
async fn apply_held<W: Worker>(
    worker: &W,
    app: &App,
    events: &[&CloudEvent<W::Event>],
    shutdown: &CancellationToken,
) -> Applied {
    let mut backoff = Backoff::default();
    loop {
        match apply_in_transaction(worker, app, events, shutdown).await {
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

/// Claims the events' ids and applies the new ones in one transaction. Waits (with backoff)
/// while no database connection can be had: that is an outage, not a bad message. A panic
/// while applying is caught inside the transaction, so the transaction rolls back, and the
/// connection is discarded rather than returned to the pool.
async fn apply_in_transaction<W: Worker>(
    worker: &W,
    app: &App,
    events: &[&CloudEvent<W::Event>],
    shutdown: &CancellationToken,
) -> Applied {
    if events.is_empty() {
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
                worker.apply(conn, &new, now).await
            };
            AssertUnwindSafe(work)
                .catch_unwind()
                .await
                .unwrap_or_else(|panic| Err(panicked(W::NAME, panic.as_ref()).into()))
        })
        .await;
    match result {
        Ok(()) => Applied::Yes,
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
