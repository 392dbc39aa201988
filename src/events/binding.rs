//! The CloudEvents protocol bindings: how a message that arrived over HTTP or AMQP becomes the
//! one envelope every event is read into, whichever content mode its sender chose.
//!
//! - **Structured mode**: the whole event is the body, as JSON (`Content-Type:
//!   application/cloudevents+json`; a body with a `specversion` under any JSON content type is
//!   read the same way, as this system always has).
//! - **Binary mode**: the attributes travel beside the data — as `ce-` prefixed HTTP headers
//!   (percent-encoded as the HTTP binding says), or as AMQP message headers (`ce-`, `ce_`,
//!   `cloudEvents_` or `cloudEvents:` prefixed, as the AMQP bindings name them) — and the body
//!   is the event's `data`, its content type `application/json`.
//! - **Batched mode** (`application/cloudevents-batch+json`, a JSON array of structured
//!   events) is HTTP's alone: see `POST /v1/events`.
//!
//! A binary-mode message is turned into exactly the JSON a structured one would have been, then
//! read as a structured one is ([`crate::events::incoming::parse_envelope`]), so both modes meet the same bounds and the same schemas. What the
//! system itself publishes is always structured.

use lapin::types::AMQPValue;
use lapin::BasicProperties;
use serde_json::{Map, Value};

use super::checks::{bounded, MAX_MESSAGE_BYTES};
use super::envelope::CloudEvent;
use super::incoming::{envelope_from_json, parse_json, without_values, Refusal};

/// The media type of a structured-mode event.
pub const STRUCTURED: &str = "application/cloudevents+json";
/// The media type of a batch of structured-mode events (HTTP only).
pub const BATCH: &str = "application/cloudevents-batch+json";
/// The media type of `data` in binary mode.
pub const JSON: &str = "application/json";

/// Most attributes a binary-mode message may carry (the envelope has eight; the rest are
/// refused by name, but a flood of them is refused first).
const MAX_ATTRIBUTES: usize = 32;
/// Longest attribute name, as the CloudEvents specification bounds it.
const MAX_ATTRIBUTE_NAME: usize = 20;
/// Longest attribute value read from a header, in bytes.
const MAX_ATTRIBUTE_BYTES: usize = 2048;

/// A message as a transport delivered it: its body, the content type it declared, and the
/// CloudEvents attributes it carried beside the body (none in structured mode).
#[derive(Debug, Default)]
pub struct Message<'a> {
    /// The body, as sent.
    pub body: &'a [u8],
    /// The declared content type, parameters included (`application/json; charset=utf-8`).
    pub content_type: Option<String>,
    /// Binary-mode attributes by name (lower-case, prefix removed), values decoded.
    pub attributes: Vec<(String, Value)>,
    /// Why an attribute could not be read (a value not percent-encoded UTF-8, one given twice):
    /// the message is refused with this reason.
    pub unreadable: Option<String>,
}

impl<'a> Message<'a> {
    /// A structured-mode message: the body is the whole event.
    pub fn structured(body: &'a [u8]) -> Self {
        Self {
            body,
            ..Self::default()
        }
    }

    /// The message an HTTP request carried: `ce-` headers, `Content-Type`, the body.
    pub fn from_http(headers: &axum::http::HeaderMap, body: &'a [u8]) -> Self {
        let mut message = Self {
            body,
            content_type: headers
                .get(axum::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            ..Self::default()
        };
        for (name, value) in headers {
            let Some(attribute) = name.as_str().strip_prefix("ce-") else {
                continue;
            };
            let decoded = value
                .to_str()
                .ok()
                .and_then(|v| percent_encoding::percent_decode_str(v).decode_utf8().ok());
            match decoded {
                Some(text) => message.add(attribute, Value::String(text.into_owned())),
                None => message.refuse(format!(
                    "header `ce-{}`: not percent-encoded UTF-8",
                    bounded(attribute, 32)
                )),
            }
        }
        message
    }

    /// The message an AMQP delivery carried: headers with a CloudEvents prefix, the
    /// `content-type` property, the body.
    pub fn from_amqp(properties: &BasicProperties, body: &'a [u8]) -> Self {
        let mut message = Self {
            body,
            content_type: properties.content_type().as_ref().map(|c| c.to_string()),
            ..Self::default()
        };
        let Some(headers) = properties.headers() else {
            return message;
        };
        for (name, value) in headers.inner() {
            let Some(attribute) = amqp_attribute(name.as_str()) else {
                continue;
            };
            match amqp_text(value) {
                Some(text) => message.add(&attribute, Value::String(text)),
                None => message.refuse(format!(
                    "header `{}`: not a string or a timestamp",
                    bounded(name.as_str(), 40)
                )),
            }
        }
        message
    }

    fn add(&mut self, name: &str, value: Value) {
        let name = name.to_ascii_lowercase();
        if self.attributes.len() >= MAX_ATTRIBUTES {
            self.refuse(format!("more than {MAX_ATTRIBUTES} CloudEvents attributes"));
        } else if name.is_empty()
            || name.len() > MAX_ATTRIBUTE_NAME
            || !name.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            self.refuse(format!(
                "attribute `{}`: names are 1 to 20 lower-case letters and digits",
                bounded(&name, 32)
            ));
        } else if value
            .as_str()
            .is_some_and(|v| v.len() > MAX_ATTRIBUTE_BYTES)
        {
            self.refuse(format!(
                "attribute `{name}`: longer than {MAX_ATTRIBUTE_BYTES} bytes"
            ));
        } else if self.attributes.iter().any(|(known, _)| *known == name) {
            self.refuse(format!("attribute `{name}` given twice"));
        } else {
            self.attributes.push((name, value));
        }
    }

    fn refuse(&mut self, why: String) {
        self.unreadable.get_or_insert(why);
    }

    /// Binary mode: the attributes name a `specversion`.
    pub fn is_binary(&self) -> bool {
        self.attributes
            .iter()
            .any(|(name, _)| name == "specversion")
    }

    /// The declared media type without parameters, lower-case.
    fn media_type(&self) -> Option<String> {
        self.content_type.as_deref().map(|c| {
            c.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
    }

    /// Declared as a batch (`application/cloudevents-batch+json`).
    pub fn is_batch(&self) -> bool {
        !self.is_binary() && self.media_type().as_deref() == Some(BATCH)
    }
}

/// The CloudEvents attribute an AMQP header name carries, if it has one of the bindings'
/// prefixes.
fn amqp_attribute(header: &str) -> Option<String> {
    ["ce-", "ce_", "cloudEvents_", "cloudEvents:"]
        .iter()
        .find_map(|prefix| {
            let head = header.get(..prefix.len())?;
            head.eq_ignore_ascii_case(prefix)
                .then(|| header[prefix.len()..].to_owned())
        })
}

/// An AMQP header's value as the attribute's text: a string, or a timestamp (the AMQP
/// binding's type for `time`) as RFC 3339.
fn amqp_text(value: &AMQPValue) -> Option<String> {
    match value {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        AMQPValue::Timestamp(seconds) => i64::try_from(*seconds)
            .ok()
            .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
            .map(|t| t.to_rfc3339()),
        _ => None,
    }
}

/// Reads a message in either content mode into the envelope, leaving `data` untyped.
pub fn read_envelope(message: &Message) -> Result<CloudEvent<Value>, Refusal> {
    if let Some(why) = &message.unreadable {
        return Err(Refusal::not_cloud_event(why));
    }
    if message.is_binary() {
        return envelope_from_json(binary_to_structured(message)?);
    }
    if message.is_batch() {
        return Err(Refusal::not_cloud_event(
            "a batch (`application/cloudevents-batch+json`) is accepted only by HTTP `POST /v1/events`",
        ));
    }
    let media_type = message.media_type();
    if let Some(media_type) = &media_type {
        if media_type.starts_with("application/cloudevents") && media_type != STRUCTURED {
            return Err(Refusal::not_cloud_event(
                "structured mode: only `application/cloudevents+json` is spoken",
            ));
        }
    }
    let json = parse_json(message.body)?;
    let declared_structured = media_type.as_deref() == Some(STRUCTURED);
    if !declared_structured && !names_specversion(&json) {
        return Err(neither());
    }
    envelope_from_json(json)
}

/// The refusal of a message that is in no content mode.
fn neither() -> Refusal {
    Refusal::not_cloud_event(
        "no `ce-specversion` header and the body is not `application/cloudevents+json`",
    )
}

/// Whether a body is a JSON object with a `specversion` key: a structured event sent under a
/// plain JSON content type (or none), as senders always could.
fn names_specversion(json: &Value) -> bool {
    json.as_object()
        .is_some_and(|map| map.contains_key("specversion"))
}

/// The structured JSON a binary-mode message stands for: its attributes, `datacontenttype` from
/// its content type, and its body as `data`.
fn binary_to_structured(message: &Message) -> Result<Value, Refusal> {
    if message.body.len() > MAX_MESSAGE_BYTES {
        return Err(Refusal::TooLarge {
            bytes: message.body.len(),
        });
    }
    let media_type = message.media_type();
    if media_type.as_deref().is_some_and(|m| m != JSON) {
        return Err(Refusal::not_cloud_event(
            "binary mode: the data's content type must be `application/json`",
        ));
    }
    let mut event: Map<String, Value> = message.attributes.iter().cloned().collect();
    if let Some(content_type) = &message.content_type {
        event.insert(
            "datacontenttype".into(),
            Value::String(content_type.clone()),
        );
    }
    let data: Value = serde_json::from_slice(message.body).map_err(|e| {
        Refusal::NotJson(bounded(
            &format!(
                "binary mode, the body (the event's data): {}",
                without_values(&e.to_string())
            ),
            300,
        ))
    })?;
    event.insert("data".into(), data);
    Ok(Value::Object(event))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue};

    fn http(headers: &[(&'static str, &str)], body: &'static [u8]) -> Message<'static> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        Message::from_http(&map, body)
    }

    const DATA: &[u8] = br#"{"by": "staff-1"}"#;

    #[test]
    fn binary_mode_reads_headers_as_attributes_and_the_body_as_data() {
        let message = http(
            &[
                ("ce-specversion", "1.0"),
                ("ce-id", "0192f6b8-6f4a-7a8e-9c1d-2b3c4d5e6f70"),
                ("ce-type", "client.replied"),
                ("ce-source", "urn:channel:web%20form"),
                ("ce-time", "2026-11-27T09:00:00Z"),
                ("ce-subject", "RES-2026-000001"),
                ("content-type", "application/json"),
            ],
            DATA,
        );
        let envelope = read_envelope(&message).unwrap();
        assert_eq!(envelope.event_type, "client.replied");
        assert_eq!(envelope.source, "urn:channel:web form", "percent-decoded");
        assert_eq!(envelope.subject.as_deref(), Some("RES-2026-000001"));
        assert_eq!(
            envelope.datacontenttype.as_deref(),
            Some("application/json")
        );
        assert_eq!(envelope.data["by"], "staff-1");
    }

    #[test]
    fn a_message_in_no_mode_says_so() {
        let refusal = read_envelope(&http(&[("content-type", "application/json")], DATA));
        assert_eq!(
            refusal.unwrap_err().to_string(),
            "not a CloudEvent: no `ce-specversion` header and the body is not `application/cloudevents+json`"
        );
    }

    #[test]
    fn binary_mode_refuses_unknown_attributes_and_other_media_types() {
        let base = [
            ("ce-specversion", "1.0"),
            ("ce-id", "0192f6b8-6f4a-7a8e-9c1d-2b3c4d5e6f70"),
            ("ce-type", "client.replied"),
            ("ce-source", "urn:x"),
            ("ce-time", "2026-11-27T09:00:00Z"),
        ];
        let mut extra = base.to_vec();
        extra.push(("ce-colour", "blue"));
        let refusal = read_envelope(&http(&extra, DATA)).unwrap_err();
        assert!(
            refusal.to_string().contains("unknown field `colour`"),
            "{refusal}"
        );
        let mut xml = base.to_vec();
        xml.push(("content-type", "application/xml"));
        let refusal = read_envelope(&http(&xml, b"<a/>")).unwrap_err();
        assert!(
            refusal.to_string().contains("application/json"),
            "{refusal}"
        );
        let mut twice = base.to_vec();
        twice.push(("ce-id", "0192f6b8-6f4a-7a8e-9c1d-2b3c4d5e6f71"));
        let refusal = read_envelope(&http(&twice, DATA)).unwrap_err();
        assert!(refusal.to_string().contains("given twice"), "{refusal}");
    }

    #[test]
    fn amqp_headers_of_every_binding_prefix_are_attributes() {
        assert_eq!(amqp_attribute("ce-id").as_deref(), Some("id"));
        assert_eq!(amqp_attribute("ce_id").as_deref(), Some("id"));
        assert_eq!(amqp_attribute("cloudEvents_id").as_deref(), Some("id"));
        assert_eq!(amqp_attribute("cloudEvents:id").as_deref(), Some("id"));
        assert_eq!(amqp_attribute("x-delivery-count"), None);
        assert_eq!(
            amqp_text(&AMQPValue::Timestamp(1_795_770_000)).as_deref(),
            Some("2026-11-27T09:00:00+00:00")
        );
    }
}
