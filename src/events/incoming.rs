//! Reading a message off the wire: bytes → JSON → CloudEvent → the typed payload its `type`
//! names, validated. Each step that fails gives a [`Refusal`] that says why, which goes into the
//! dead-letter header or the HTTP 400 body.

use garde::Validate;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::envelope::{CloudEvent, SPEC_VERSION};
use super::{complaint_received, ComplaintReceived};

/// Event types the system accepts from outside (intake channels and, later, case-management
/// front ends). Everything else on the exchange is emitted by the system itself.
pub const ACCEPTED_TYPES: &[&str] = &[complaint_received::TYPE];

/// Why a message was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The body is not JSON at all.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// JSON, but not a CloudEvents 1.0 envelope.
    #[error("not a CloudEvent: {0}")]
    NotCloudEvent(String),
    /// A CloudEvent of a type no worker here handles.
    #[error("unknown event type `{0}`")]
    UnknownType(String),
    /// The payload does not meet its type's schema; each entry names the field.
    #[error("fails the schema of `{event_type}`: {}", problems.join("; "))]
    SchemaViolation {
        /// The event type whose schema was applied.
        event_type: String,
        /// One line per problem, each starting with the field's path.
        problems: Vec<String>,
    },
}

impl Refusal {
    /// A short label for metrics and headers.
    pub fn kind(&self) -> &'static str {
        match self {
            Refusal::NotJson(_) => "not_json",
            Refusal::NotCloudEvent(_) => "not_cloudevent",
            Refusal::UnknownType(_) => "unknown_type",
            Refusal::SchemaViolation { .. } => "schema_violation",
        }
    }
}

/// Reads the envelope, leaving `data` untyped.
pub fn parse_envelope(body: &[u8]) -> Result<CloudEvent<Value>, Refusal> {
    let json: Value = serde_json::from_slice(body).map_err(|e| Refusal::NotJson(e.to_string()))?;
    let envelope: CloudEvent<Value> = serde_path_to_error::deserialize(json)
        .map_err(|e| Refusal::NotCloudEvent(format!("{}: {}", e.path(), e.inner())))?;
    if envelope.specversion != SPEC_VERSION {
        return Err(Refusal::NotCloudEvent(format!(
            "specversion is `{}`, only `{SPEC_VERSION}` is spoken",
            envelope.specversion
        )));
    }
    Ok(envelope)
}

/// Types and validates the payload of an envelope whose type is `T`'s.
pub fn parse_data<T>(envelope: CloudEvent<Value>) -> Result<CloudEvent<T>, Refusal>
where
    T: DeserializeOwned + Validate<Context = ()>,
{
    let event_type = envelope.event_type.clone();
    let violation = |problems: Vec<String>| Refusal::SchemaViolation {
        event_type: event_type.clone(),
        problems,
    };
    let data: T = serde_path_to_error::deserialize(envelope.data).map_err(|e| {
        let path = e.path().to_string();
        let at = if path == "." {
            "data".to_owned()
        } else {
            format!("data.{path}")
        };
        violation(vec![format!("{at}: {}", e.inner())])
    })?;
    data.validate().map_err(|report| {
        violation(
            report
                .iter()
                .map(|(path, error)| format!("data.{path}: {error}"))
                .collect(),
        )
    })?;
    Ok(CloudEvent {
        specversion: envelope.specversion,
        id: envelope.id,
        event_type: envelope.event_type,
        source: envelope.source,
        time: envelope.time,
        subject: envelope.subject,
        datacontenttype: envelope.datacontenttype,
        data,
    })
}

/// Checks a message from outside: a CloudEvent of an accepted type whose payload meets its
/// schema. Returns the envelope, untouched, for publishing.
pub fn check_accepted(body: &[u8]) -> Result<CloudEvent<Value>, Refusal> {
    let envelope = parse_envelope(body)?;
    match envelope.event_type.as_str() {
        complaint_received::TYPE => {
            parse_data::<ComplaintReceived>(envelope.clone())?;
            Ok(envelope)
        }
        other => Err(Refusal::UnknownType(other.to_owned())),
    }
}
