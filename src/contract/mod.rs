//! The published contract, in the formats of the ecosystem, generated from the same Rust types
//! as the JSON Schemas of `schema/` so that none of them can drift from the code:
//!
//! - `schema/<type>.schema.json`: each event type's CloudEvent, with its payload
//!   ([`crate::events::schema_files`]);
//! - `schema/asyncapi.json`: an AsyncAPI 3 document of the exchanges, routing keys and message
//!   types ([`asyncapi`]);
//! - `schema/openapi.json`: an OpenAPI 3.1 document of the HTTP API ([`openapi`]), also served
//!   at `GET /openapi.json`.
//!
//! `complaints schema --write` writes them all; the test suite fails while a checked-in file
//! differs from what the code generates.

pub mod asyncapi;
pub mod openapi;

use serde_json::{Map, Value};

/// Every file of `schema/` that is generated, by file name: the event schemas, then the
/// AsyncAPI and OpenAPI documents.
pub fn files() -> Vec<(String, Value)> {
    let mut files = crate::events::schema_files();
    files.push(("asyncapi.json".into(), asyncapi::document()));
    files.push(("openapi.json".into(), openapi::document()));
    files
}

/// One version of an event type's whole-event schema (as in `schema/`).
pub(crate) struct EventSchema {
    /// Its name in the documents: the type at version 1 (`complaint.received`), with the version
    /// after it (`complaint.received.v2`).
    pub name: String,
    /// The event type, also the routing key.
    pub event_type: String,
    /// The schema.
    pub schema: Value,
}

/// Every version of every event type's whole-event schema, version 1 of a type first.
pub(crate) fn event_schemas() -> Vec<EventSchema> {
    crate::events::schema_files()
        .into_iter()
        .filter_map(|(file, schema)| {
            let name = file.strip_suffix(".schema.json")?.to_owned();
            let event_type = schema
                .pointer("/properties/type/const")?
                .as_str()?
                .to_owned();
            Some(EventSchema {
                name,
                event_type,
                schema,
            })
        })
        .collect()
}

/// Moves a generated schema into a document's shared schemas: its `$defs` become entries of
/// `shared` (at `#/components/schemas/`), the references to them are rewritten, and the rest is
/// returned to embed. `$schema` and `$id` go (the embedding document sets the dialect; the id
/// would change the base of the rewritten references); the id is returned beside it.
///
/// A definition that two types both generate must be the same under both (it is: one Rust type).
pub(crate) fn lift(mut schema: Value, shared: &mut Map<String, Value>) -> (Value, Option<String>) {
    let object = schema.as_object_mut().expect("a schema is an object");
    object.remove("$schema");
    let id = object
        .remove("$id")
        .and_then(|id| id.as_str().map(str::to_owned));
    if let Some(Value::Object(defs)) = object.remove("$defs") {
        for (name, mut def) in defs {
            rewrite_refs(&mut def);
            if let Some(existing) = shared.get(&name) {
                assert_eq!(
                    existing, &def,
                    "two types generate different schemas named {name}"
                );
            }
            shared.insert(name, def);
        }
    }
    rewrite_refs(&mut schema);
    (schema, id)
}

/// `#/$defs/X` → `#/components/schemas/X`, everywhere in `value`.
fn rewrite_refs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                match inner {
                    Value::String(target) if key == "$ref" => {
                        if let Some(name) = target.strip_prefix("#/$defs/") {
                            *target = format!("#/components/schemas/{name}");
                        }
                    }
                    other => rewrite_refs(other),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}
