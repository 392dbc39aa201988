//! The dead-letter queues as something an operator works with: list what is in them, read one
//! (personal data masked), replay one or many to the exchange their queue reads, or discard them.
//!
//! Messages are read with `basic.get` and left unacknowledged; closing the channel returns the
//! ones not acted on to their queue. A replay publishes the original body to the exchange its
//! queue is bound to for its type (`complaints.events` for an event from outside that its
//! deciding worker refused, `complaints.internal` for the rest) under its original routing key (the event type), waits for the broker's confirm, records the
//! action (the caller's `record`), and only then acks the dead letter, so a replay is never lost
//! and at worst repeated (harmless: every handler dedupes on the event id). Only the messages
//! in a queue when the pass starts are looked at, so a replayed message that fails again and
//! comes straight back is not replayed twice in one pass.

use std::collections::BTreeMap;
use std::future::Future;

use chrono::{DateTime, Utc};
use lapin::message::BasicGetMessage;
use lapin::options::{
    BasicAckOptions, BasicGetOptions, BasicPublishOptions, ConfirmSelectOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Confirmation, Connection};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::consumer::{
    DEAD_LETTERED_AT_HEADER, REASON_HEADER, REASON_KIND_HEADER, ROUTING_KEY_HEADER,
};
use super::stats::is_not_found;
use super::topology::{QueueSpec, Topology};

/// How many times a message has been replayed (a header the replay sets).
pub const REPLAYS_HEADER: &str = "x-complaints-replays";

/// One message in a dead-letter queue.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetter {
    /// The event id when the body is a CloudEvent with one, else the message id, else the
    /// first 16 hex digits of the body's SHA-256: what `show`, `replay` and `discard` take.
    pub id: String,
    /// The worker kind whose queue dead-lettered it (`intake`, `casework`, …).
    pub worker: String,
    /// The event type it was published under: its routing key.
    pub event_type: Option<String>,
    /// Why it was dead-lettered, in words.
    pub reason: String,
    /// The kind of reason (`schema_violation`, `delivery_limit`, …).
    pub reason_kind: String,
    /// When it was dead-lettered, when known.
    pub dead_lettered_at: Option<DateTime<Utc>>,
    /// How many times it has reached a dead-letter queue (1 + replays).
    pub attempts: u32,
    /// Every header, as text.
    pub headers: BTreeMap<String, String>,
    /// The body, as published.
    #[serde(skip)]
    pub body: Vec<u8>,
}

/// Which dead letters an action applies to.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only this worker kind's dead-letter queue.
    pub worker: Option<String>,
    /// Only this id.
    pub id: Option<String>,
    /// Only this kind of reason.
    pub reason_kind: Option<String>,
    /// At most this many messages read from each queue (the ops page's view); all when `None`.
    pub limit: Option<u32>,
}

impl Selection {
    fn matches(&self, letter: &DeadLetter) -> bool {
        self.id.as_ref().is_none_or(|id| id == &letter.id)
            && self
                .reason_kind
                .as_ref()
                .is_none_or(|kind| kind == &letter.reason_kind)
    }

    fn includes_worker(&self, worker: &str) -> bool {
        self.worker.as_ref().is_none_or(|w| w == worker)
    }
}

/// What to do with each selected dead letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Publish it again to the events exchange, then remove it.
    Replay,
    /// Remove it.
    Discard,
}

impl Action {
    /// The word recorded and counted: `replayed` or `discarded`.
    pub fn past_tense(self) -> &'static str {
        match self {
            Action::Replay => "replayed",
            Action::Discard => "discarded",
        }
    }
}

/// Reads every dead letter of the selected queues without removing any.
pub async fn list(
    urls: &[String],
    topology: &Topology,
    specs: &[QueueSpec],
    selection: &Selection,
) -> anyhow::Result<Vec<DeadLetter>> {
    let connection = connect(urls).await?;
    let mut found = Vec::new();
    let channel = connection.create_channel().await?;
    for spec in specs.iter().filter(|s| selection.includes_worker(s.worker)) {
        let queue = topology.dead_letter_queue(spec.worker);
        for message in get_all(&channel, &queue, selection.limit).await? {
            let letter = read(spec.worker, &message);
            if selection.matches(&letter) {
                found.push(letter);
            }
        }
    }
    // Closing the channel returns every message read to its queue.
    channel.close(200, "dead letters read".into()).await?;
    connection.close(200, "dead letters read".into()).await?;
    Ok(found)
}

/// Replays or discards the selected dead letters, one at a time: `record` is called after a
/// replay is confirmed (or before a discard) and before the dead letter is acked, and
/// `progress` after each (done, total). Returns the letters acted on.
pub async fn act<R, Fut>(
    urls: &[String],
    topology: &Topology,
    specs: &[QueueSpec],
    selection: &Selection,
    action: Action,
    mut record: R,
    mut progress: impl FnMut(usize, usize, &DeadLetter),
) -> anyhow::Result<Vec<DeadLetter>>
where
    R: FnMut(DeadLetter) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let connection = connect(urls).await?;
    // One channel holds every unacknowledged message; closing it returns those not acted on.
    let channel = connection.create_channel().await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    let mut selected = Vec::new();
    for spec in specs.iter().filter(|s| selection.includes_worker(s.worker)) {
        let queue = topology.dead_letter_queue(spec.worker);
        for message in get_all(&channel, &queue, selection.limit).await? {
            let letter = read(spec.worker, &message);
            if selection.matches(&letter) {
                selected.push((spec, message, letter));
            }
        }
    }
    let total = selected.len();
    let mut done = Vec::with_capacity(total);
    for (n, (spec, message, letter)) in selected.into_iter().enumerate() {
        if action == Action::Replay {
            replay(&channel, topology, spec, &message, &letter).await?;
        }
        record(letter.clone()).await?;
        message
            .delivery
            .acker
            .ack(BasicAckOptions::default())
            .await?;
        metrics::counter!(
            "complaints_dead_letters_actions_total",
            "worker" => letter.worker.clone(),
            "action" => action.past_tense()
        )
        .increment(1);
        progress(n + 1, total, &letter);
        done.push(letter);
    }
    channel.close(200, "dead letters handled".into()).await?;
    connection.close(200, "dead letters handled".into()).await?;
    Ok(done)
}

/// Publishes a dead letter's body under its event type to the exchange its queue is bound to
/// for that type ([`Topology::exchange_bound`]: an event the system emitted, or a decision
/// casework forwarded, goes back to `complaints.internal`), with its original properties, the
/// dead-letter headers removed and the replay count raised; waits for the confirm.
async fn replay(
    channel: &Channel,
    topology: &Topology,
    spec: &QueueSpec,
    message: &BasicGetMessage,
    letter: &DeadLetter,
) -> anyhow::Result<()> {
    let Some(routing_key) = letter.event_type.as_deref() else {
        anyhow::bail!(
            "dead letter {} has no event type to replay it under; discard it instead",
            letter.id
        );
    };
    let mut headers = message
        .delivery
        .properties
        .headers()
        .clone()
        .unwrap_or_default();
    let kept: BTreeMap<_, _> = headers
        .inner()
        .iter()
        .filter(|(k, _)| {
            ![
                REASON_HEADER,
                REASON_KIND_HEADER,
                DEAD_LETTERED_AT_HEADER,
                ROUTING_KEY_HEADER,
                "x-complaints-worker",
                "x-death",
                "x-first-death-exchange",
                "x-first-death-queue",
                "x-first-death-reason",
                "x-last-death-exchange",
                "x-last-death-queue",
                "x-last-death-reason",
                "x-delivery-count",
            ]
            .contains(&k.as_str())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    headers = FieldTable::from(kept);
    headers.insert(REPLAYS_HEADER.into(), AMQPValue::LongUInt(letter.attempts));
    let properties: BasicProperties = message
        .delivery
        .properties
        .clone()
        .with_headers(headers)
        .with_delivery_mode(2);
    let confirm = channel
        .basic_publish(
            topology.exchange_bound(spec, routing_key).into(),
            routing_key.into(),
            BasicPublishOptions::default(),
            &message.delivery.data,
            properties,
        )
        .await?
        .await?;
    if !matches!(confirm, Confirmation::Ack(_)) {
        anyhow::bail!("the broker did not confirm the replay of {}", letter.id);
    }
    Ok(())
}

/// [`act`] with the application's broker and queues, recording each action in
/// `dead_letter_actions` under `actor` (in its own transaction, before the dead letter is
/// acked).
pub async fn act_and_record(
    app: &crate::app::App,
    selection: &Selection,
    action: Action,
    actor: &str,
    progress: impl FnMut(usize, usize, &DeadLetter),
) -> anyhow::Result<Vec<DeadLetter>> {
    let record = |letter: DeadLetter| async move {
        let mut conn = app.db().await?;
        crate::db::dead_letter_actions::record(
            &mut conn,
            &crate::db::dead_letter_actions::DeadLetterAction {
                at: app.clock.now(),
                actor: actor.to_owned(),
                action: action.past_tense().to_owned(),
                worker: letter.worker,
                dead_letter_id: letter.id,
                event_type: letter.event_type,
                reason_kind: letter.reason_kind,
            },
        )
        .await?;
        anyhow::Ok(())
    };
    act(
        &app.config.amqp_urls(),
        &app.topology,
        crate::workers::QUEUES,
        selection,
        action,
        record,
        progress,
    )
    .await
}

async fn connect(urls: &[String]) -> anyhow::Result<Connection> {
    super::connect(urls, "complaints-dead-letters")
        .await
        .map_err(|e| anyhow::anyhow!("RabbitMQ at {}: {e}", crate::app::addresses(urls)))
}

/// Takes every message in `queue` when called, or the first `limit` (unacknowledged).
async fn get_all(
    channel: &Channel,
    queue: &str,
    limit: Option<u32>,
) -> anyhow::Result<Vec<BasicGetMessage>> {
    let declared = channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .map_err(|e| {
            if is_not_found(&e) {
                anyhow::anyhow!("queue `{queue}` is not declared yet: start `complaints run` first")
            } else {
                e.into()
            }
        })?;
    let mut messages = Vec::new();
    let count = limit.map_or(declared.message_count(), |l| {
        l.min(declared.message_count())
    });
    for _ in 0..count {
        match channel
            .basic_get(queue.into(), BasicGetOptions { no_ack: false })
            .await?
        {
            Some(message) => messages.push(message),
            None => break,
        }
    }
    Ok(messages)
}

/// Reads a dead letter's id, type, reason and headers.
fn read(worker: &str, message: &BasicGetMessage) -> DeadLetter {
    let properties = &message.delivery.properties;
    let body = message.delivery.data.clone();
    let json: Option<Value> = serde_json::from_slice(&body).ok();
    let mut headers = BTreeMap::new();
    if let Some(table) = properties.headers() {
        for (key, value) in table.inner() {
            headers.insert(key.to_string(), text(value));
        }
    }
    let death = x_death(properties);
    let id = json
        .as_ref()
        .and_then(|j| j.get("id")?.as_str().map(str::to_owned))
        // A binary-mode event carries its id as a header.
        .or_else(|| headers.get("ce-id").cloned())
        .or_else(|| properties.message_id().as_ref().map(|m| m.to_string()))
        .unwrap_or_else(|| {
            let digest = Sha256::digest(&body);
            digest[..8].iter().map(|b| format!("{b:02x}")).collect()
        });
    let event_type = headers
        .get(ROUTING_KEY_HEADER)
        .cloned()
        .or_else(|| death.as_ref().and_then(|d| d.routing_key.clone()))
        .or_else(|| {
            json.as_ref()
                .and_then(|j| j.get("type")?.as_str().map(str::to_owned))
        });
    let (reason, reason_kind) = match (headers.get(REASON_HEADER), headers.get(REASON_KIND_HEADER))
    {
        (Some(reason), kind) => (
            reason.clone(),
            kind.cloned().unwrap_or_else(|| "unknown".into()),
        ),
        (None, _) => match &death {
            Some(d) if d.reason == "delivery_limit" => (
                "the worker failed to apply it on every delivery (delivery limit reached)".into(),
                "delivery_limit".into(),
            ),
            Some(d) => (
                format!("dead-lettered by the broker: {}", d.reason),
                d.reason.clone(),
            ),
            None => ("no reason recorded".into(), "unknown".into()),
        },
    };
    let dead_lettered_at = headers
        .get(DEAD_LETTERED_AT_HEADER)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .or_else(|| death.as_ref().and_then(|d| d.time));
    let replays = match properties
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get(REPLAYS_HEADER).cloned())
    {
        Some(AMQPValue::LongUInt(n)) => n,
        _ => 0,
    };
    DeadLetter {
        id,
        worker: worker.to_owned(),
        event_type,
        reason,
        reason_kind,
        dead_lettered_at,
        attempts: replays + 1,
        headers,
        body,
    }
}

/// The first entry of the broker's `x-death` header.
struct Death {
    reason: String,
    routing_key: Option<String>,
    time: Option<DateTime<Utc>>,
}

fn x_death(properties: &BasicProperties) -> Option<Death> {
    let headers = properties.headers().as_ref()?;
    let AMQPValue::FieldArray(deaths) = headers.inner().get("x-death")? else {
        return None;
    };
    let AMQPValue::FieldTable(first) = deaths.as_slice().first()? else {
        return None;
    };
    let first = first.inner();
    let reason = match first.get("reason") {
        Some(value) => text(value),
        None => "unknown".into(),
    };
    let routing_key = match first.get("routing-keys") {
        Some(AMQPValue::FieldArray(keys)) => keys.as_slice().first().map(text),
        _ => None,
    };
    let time = match first.get("time") {
        Some(AMQPValue::Timestamp(t)) => DateTime::from_timestamp(*t as i64, 0),
        _ => None,
    };
    Some(Death {
        reason,
        routing_key,
        time,
    })
}

/// A header value as text.
fn text(value: &AMQPValue) -> String {
    match value {
        AMQPValue::LongString(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
        AMQPValue::ShortString(s) => s.to_string(),
        AMQPValue::FieldArray(_) | AMQPValue::FieldTable(_) => format!("{value:?}"),
        other => format!("{other:?}")
            .split_once('(')
            .and_then(|(_, v)| v.strip_suffix(')'))
            .map_or_else(|| format!("{other:?}"), str::to_owned),
    }
}

/// Field names whose values are codes and dates, never personal data: shown as they are in a
/// masked body. Every other string under `data` is masked.
const PLAIN_FIELDS: &[&str] = &[
    "channel",
    "raised_by",
    "about",
    "region",
    "contact_restriction",
    "addressee",
    "categories",
    "received_at",
    "customer_case_closed_on",
    "decision",
    "outcome",
    "code",
    "letter_code",
    "tier",
    "stage",
    "by",
    "allocated_to",
    "reference",
    "earlier_case",
    "due",
    "due_on",
    "kind",
];

/// The body for display: a CloudEvent's envelope as it is and, under `data`, every string not
/// in [`PLAIN_FIELDS`] replaced by `«masked: N characters»`; a body that is not JSON as its
/// length only.
pub fn masked_body(body: &[u8]) -> String {
    let Ok(mut json) = serde_json::from_slice::<Value>(body) else {
        return format!(
            "«{} bytes, not JSON: shown only with --unmasked»",
            body.len()
        );
    };
    match json.get_mut("data") {
        Some(data) => mask(data, None),
        None => mask(&mut json, None),
    }
    serde_json::to_string_pretty(&json).unwrap_or_default()
}

fn mask(value: &mut Value, key: Option<&str>) {
    let plain = key.is_some_and(|k| PLAIN_FIELDS.contains(&k));
    match value {
        Value::String(s) if !plain => *s = format!("«masked: {} characters»", s.chars().count()),
        Value::Array(items) => items.iter_mut().for_each(|item| mask(item, key)),
        Value::Object(map) => map.iter_mut().for_each(|(k, v)| mask(v, Some(k))),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::masked_body;

    #[test]
    fn personal_data_is_masked_and_codes_are_not() {
        let body = br#"{"id":"1","type":"complaint.received","data":{"channel":"web",
            "customer":{"name":"Jane Doe","email":"jane@example.org","region":"england"},
            "summary":"My payment is late"}}"#;
        let shown = masked_body(body);
        assert!(!shown.contains("Jane"), "{shown}");
        assert!(!shown.contains("jane@example.org"), "{shown}");
        assert!(!shown.contains("payment"), "{shown}");
        assert!(
            shown.contains("\"web\"") && shown.contains("\"england\""),
            "{shown}"
        );
        assert!(shown.contains("complaint.received"), "{shown}");
        assert_eq!(
            masked_body(b"Jane Doe, 1 High St"),
            "«19 bytes, not JSON: shown only with --unmasked»"
        );
    }
}
