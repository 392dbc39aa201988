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

/// The version of an event type's schema that an event naming no `dataschema` is read as, and
/// the version of every event this system emits. Within a version an event type changes only by
/// additions a reader may ignore (a new optional field, a new value where readers were told to
/// expect more); a change that would refuse or misread an event sent before it is a new version
/// (or a new type name), and this system goes on reading the old one. See "Changing an event
/// type" in the README.
pub const SCHEMA_VERSION: u32 = 1;

/// The first version at which a type's `categories` are names of the agreed list (`Category`,
/// seed 003 standard 5.3), any other refused; version 1 took free text.
pub const AGREED_CATEGORIES: u32 = 2;

/// The types with a version [`AGREED_CATEGORIES`] beside version 1.
const CATEGORISED: &[&str] = &[
    super::complaint_received::TYPE,
    super::categories_changed::TYPE,
];

/// The versions of `event_type`'s schema this system reads, oldest first: 1 for every type, and
/// [`AGREED_CATEGORIES`] as well for `complaint.received` and `categories.changed`.
pub fn versions(event_type: &str) -> &'static [u32] {
    if CATEGORISED.contains(&event_type) {
        &[SCHEMA_VERSION, AGREED_CATEGORIES]
    } else {
        &[SCHEMA_VERSION]
    }
}

/// The `dataschema` of an event of `event_type` at [`SCHEMA_VERSION`], as this system emits it
/// (`urn:complaints:schema:complaint.received:v1`).
pub fn dataschema(event_type: &str) -> String {
    dataschema_at(event_type, SCHEMA_VERSION)
}

/// The `dataschema` naming `version` of `event_type`'s schema: also the `$id` of
/// `schema/<type>.schema.json` at version 1 and of `schema/<type>.v<version>.schema.json` after.
pub fn dataschema_at(event_type: &str, version: u32) -> String {
    format!("urn:complaints:schema:{event_type}:v{version}")
}

/// The version of its type's schema an event's `dataschema` names: [`SCHEMA_VERSION`] when it
/// names none, `None` when it names one this system does not read.
pub fn version_named(event_type: &str, named: Option<&str>) -> Option<u32> {
    let Some(named) = named else {
        return Some(SCHEMA_VERSION);
    };
    versions(event_type)
        .iter()
        .copied()
        .find(|&version| named == dataschema_at(event_type, version))
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
    /// every event this system emits. Optional from senders (version 1 is read then); when
    /// given it must name a version of the type's schema this system reads, and `data` is read
    /// against that version.
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
