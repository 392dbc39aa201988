//! The wire contract: every event type on `complaints.events`, its payload as a Rust type, and
//! the JSON Schemas in `schema/` generated from those types (so the two cannot drift).

pub mod case_closed;
pub mod case_flagged_high_profile;
pub mod case_opened;
pub mod complaint_received;
pub mod complaint_rejected;
pub mod envelope;
pub mod incoming;

use schemars::{schema_for, JsonSchema, Schema};
use serde_json::{json, Value};

pub use case_closed::CaseClosed;
pub use case_flagged_high_profile::CaseFlaggedHighProfile;
pub use case_opened::CaseOpened;
pub use complaint_received::ComplaintReceived;
pub use complaint_rejected::ComplaintRejected;
pub use envelope::CloudEvent;

/// Every schema file of `schema/`, by file name, as generated from the types.
pub fn schema_files() -> Vec<(String, Value)> {
    let mut files = vec![(
        "cloudevent.schema.json".to_owned(),
        schema_for!(CloudEvent<Value>).to_value(),
    )];
    files.push(typed::<ComplaintReceived>(complaint_received::TYPE));
    files.push(typed::<ComplaintRejected>(complaint_rejected::TYPE));
    files.push(typed::<CaseOpened>(case_opened::TYPE));
    files.push(typed::<CaseClosed>(case_closed::TYPE));
    files.push(typed::<CaseFlaggedHighProfile>(
        case_flagged_high_profile::TYPE,
    ));
    files
}

/// The schema of a whole CloudEvent whose `type` is `event_type` and whose data is `T`.
fn typed<T: JsonSchema>(event_type: &str) -> (String, Value) {
    let mut schema: Schema = schema_for!(CloudEvent<T>);
    schema.insert("title".into(), json!(event_type));
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        props.insert(
            "type".into(),
            json!({ "const": event_type, "description": "The event type, also the routing key." }),
        );
    }
    (format!("{event_type}.schema.json"), schema.to_value())
}

/// Renders a schema as it is checked in: pretty JSON with a final newline.
pub fn render_schema(schema: &Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).expect("a JSON value always serialises");
    text.push('\n');
    text
}
