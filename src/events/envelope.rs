//! The CloudEvents 1.0 JSON envelope every message on `complaints.events` travels in.
//!
//! `id` is the idempotency key: a consumer applies an event id once, however often it is
//! delivered. `subject` carries the case reference once a case exists.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The only CloudEvents version spoken.
pub const SPEC_VERSION: &str = "1.0";

/// The `source` of events this system emits.
pub const SOURCE: &str = "urn:complaints";

/// The version of every event type's schema today. Within a version an event type changes only
/// by additions a reader may ignore (a new optional field, a new value where readers were told
/// to expect more); a change that would refuse or misread an event sent before it is a new
/// version (or a new type name), and this system goes on reading the old one. See "Changing an
/// event type" in the README.
pub const SCHEMA_VERSION: u32 = 1;

/// The `dataschema` of an event of `event_type`: the URI naming its schema and the schema's
/// version, which is also the `$id` of `schema/<type>.schema.json`
/// (`urn:complaints:schema:complaint.received:v1`).
pub fn dataschema(event_type: &str) -> String {
    format!("urn:complaints:schema:{event_type}:v{SCHEMA_VERSION}")
}

/// A CloudEvents 1.0 envelope, in structured JSON mode, around `data` of type `T`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "CloudEvent",
    description = "CloudEvents 1.0 envelope (structured JSON mode) of every event on complaints.events"
)]
pub struct CloudEvent<T> {
    /// Always `"1.0"`.
    #[schemars(regex(pattern = r"^1\.0$"))]
    pub specversion: String,
    /// Unique per event; the key for de-duplication.
    pub id: Uuid,
    /// The event type, also the routing key (e.g. `complaint.received`).
    #[serde(rename = "type")]
    #[schemars(length(min = 1))]
    pub event_type: String,
    /// Who produced the event (e.g. `urn:channel:web-form`).
    #[schemars(length(min = 1))]
    pub source: String,
    /// When it happened.
    pub time: DateTime<Utc>,
    /// The case reference, once there is a case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Always `application/json` when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datacontenttype: Option<String>,
    /// The schema of `data` and its version (`urn:complaints:schema:<type>:v<version>`); set on
    /// every event this system emits. Optional from senders; when given it must name a version
    /// of the type's schema this system reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 200))]
    pub dataschema: Option<String>,
    /// CloudEvents extension attribute: the API client that posted the event over HTTP
    /// (`POST /v1/events` sets it from the bearer token, replacing whatever the sender wrote).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 200))]
    pub authclient: Option<String>,
    /// The payload, whose shape the `type` names.
    pub data: T,
}

impl<T> CloudEvent<T> {
    /// A new event from this system, with a fresh time-ordered id.
    pub fn new(event_type: &str, time: DateTime<Utc>, subject: Option<String>, data: T) -> Self {
        Self {
            specversion: SPEC_VERSION.into(),
            id: Uuid::now_v7(),
            event_type: event_type.into(),
            source: SOURCE.into(),
            time,
            subject,
            datacontenttype: Some("application/json".into()),
            dataschema: Some(dataschema(event_type)),
            authclient: None,
            data,
        }
    }
}
