//! The AsyncAPI 3 document of the broker side: the two topic exchanges, the routing key of
//! each event type (its type), and each message's payload schema — the structured-mode
//! CloudEvent of `schema/<type>.schema.json`.

use serde_json::{json, Map, Value};

use super::{event_schemas, lift, EventSchema};
use crate::events::binding::STRUCTURED;
use crate::events::envelope::SCHEMA_VERSION;
use crate::events::incoming::{Accepted, EventSet};
use crate::workers::casework::forwards;

/// The version of the AMQP bindings object used throughout.
const AMQP_BINDING_VERSION: &str = "0.3.0";

/// The document, as checked in at `schema/asyncapi.json`.
pub fn document() -> Value {
    let mut shared = Map::new();
    let mut messages = Map::new();
    let mut events_channel = Map::new();
    let mut internal_channel = Map::new();
    let mut operations = Map::new();
    for EventSchema {
        name,
        event_type,
        schema,
    } in event_schemas()
    {
        let (payload, dataschema) = lift(schema, &mut shared);
        let accepted = Accepted::TYPES.contains(&event_type.as_str());
        messages.insert(
            name.clone(),
            message(&name, &event_type, payload, dataschema),
        );
        if accepted {
            let summary = format!("Publish `{event_type}` to `complaints.events` with routing key `{event_type}`; the workers consume it.");
            add(
                &mut events_channel,
                &mut operations,
                ("events", "receive"),
                (&event_type, &name),
                summary,
            );
        }
        if !accepted || forwards(&event_type) {
            let summary = if accepted {
                format!("Once the casework worker accepts a `{event_type}`, it forwards it as it came (same id and data) to `complaints.internal` with routing key `{event_type}`; the clock workers read it there, and so can you.")
            } else {
                format!("The system publishes `{event_type}` to `complaints.internal` with routing key `{event_type}`; bind a queue of your own to follow it.")
            };
            add(
                &mut internal_channel,
                &mut operations,
                ("internal", "send"),
                (&event_type, &name),
                summary,
            );
        }
    }
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "complaints: events",
            "version": SCHEMA_VERSION.to_string(),
            "description": DESCRIPTION,
            "license": { "name": "MIT OR Apache-2.0" },
        },
        "defaultContentType": STRUCTURED,
        "servers": {
            "development": {
                "host": "localhost:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "RabbitMQ as scripts/up starts it; in production, the broker your operators name.",
            }
        },
        "channels": {
            "events": channel(
                "complaints.events",
                "What the system accepts from outside: complaints from intake channels and the decisions of case-management front ends. An intake channel's broker user may publish its own types here and nothing else.",
                events_channel,
            ),
            "internal": channel(
                "complaints.internal",
                "What the system says it did (cases opened and closed, letters, clocks, tasks), and each decision the casework worker accepted, forwarded as it came. Only the workers publish here.",
                internal_channel,
            ),
        },
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": shared,
        },
    })
}

const DESCRIPTION: &str = "Every message is a CloudEvents 1.0 event whose `type` is also its \
routing key and whose `id` is the idempotency key (publishing the same id twice changes nothing). \
Publish it persistent (delivery mode 2) with publisher confirms, in either content mode of the \
RabbitMQ binding: structured (`content-type: application/cloudevents+json`, the whole event as \
the body, as the payloads below show) or binary (the attributes as `ce-` headers — `ce-specversion`, \
`ce-id`, `ce-type`, `ce-source`, `ce-time`, optional `ce-subject` and `ce-dataschema` — and \
`content-type: application/json` with the event's `data` as the body). What the system publishes \
is always structured. A message that cannot be read, or fails its schema, goes to the worker's \
dead-letter queue with the reason in the header `x-complaints-reason`. `dataschema` names the \
type's schema and its version (`urn:complaints:schema:<type>:v<version>`, the `$id` of \
`schema/<type>.schema.json`, or of `schema/<type>.v<version>.schema.json` after version 1); without \
it, version 1 is read. Within a version only additive changes are made; `complaint.received` and \
`categories.changed` have a version 2 (`complaint.received.v2`, `categories.changed.v2` below) \
whose categories are names of the agreed list, any other refused.";

/// Adds the message `name` (a version of `event_type`) to a channel's messages and to the
/// operation `(channel, action)` of its type, which it creates with `summary` for the type's
/// first version.
fn add(
    channel_messages: &mut Map<String, Value>,
    operations: &mut Map<String, Value>,
    (channel, action): (&str, &str),
    (event_type, name): (&str, &str),
    summary: String,
) {
    channel_messages.insert(
        name.to_owned(),
        json!({ "$ref": format!("#/components/messages/{name}") }),
    );
    let message = json!({ "$ref": format!("#/channels/{channel}/messages/{name}") });
    let operation = operations
        .entry(operation_id(action, event_type))
        .or_insert_with(|| {
            json!({
                "action": action,
                "channel": { "$ref": format!("#/channels/{channel}") },
                "summary": summary,
                "messages": [],
                "bindings": { "amqp": {
                    "cc": [event_type],
                    "deliveryMode": 2,
                    "bindingVersion": AMQP_BINDING_VERSION,
                } },
            })
        });
    if let Some(messages) = operation["messages"].as_array_mut() {
        messages.push(message);
    }
}

/// A channel: a topic exchange whose messages are routed by their type.
fn channel(exchange: &str, description: &str, messages: Map<String, Value>) -> Value {
    json!({
        "address": exchange,
        "description": description,
        "messages": messages,
        "bindings": { "amqp": {
            "is": "routingKey",
            "exchange": {
                "name": exchange,
                "type": "topic",
                "durable": true,
                "autoDelete": false,
                "vhost": "/",
            },
            "bindingVersion": AMQP_BINDING_VERSION,
        } },
    })
}

/// A message: one version of an event type, its payload the whole structured-mode CloudEvent.
fn message(name: &str, event_type: &str, payload: Value, dataschema: Option<String>) -> Value {
    let mut description = payload
        .pointer("/properties/data/description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if let Some(dataschema) = &dataschema {
        description.push_str(&format!(" dataschema: `{dataschema}`."));
    }
    json!({
        "name": name,
        "title": name,
        "contentType": STRUCTURED,
        "description": description.trim(),
        "payload": payload,
        "bindings": { "amqp": {
            "messageType": event_type,
            "bindingVersion": AMQP_BINDING_VERSION,
        } },
    })
}

/// An operation's id: `receive_complaint_received`.
fn operation_id(action: &str, event_type: &str) -> String {
    format!("{action}_{}", event_type.replace('.', "_"))
}
