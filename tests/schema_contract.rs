//! The wire contract: the JSON Schemas, the AsyncAPI and the OpenAPI documents checked in under
//! `schema/` are exactly what the event types generate, the two documents pass the ecosystem's
//! validators, and every example event in `schema/examples/` is accepted.

use std::collections::BTreeSet;
use std::path::Path;

use complaints::contract;
use complaints::events::checks::Checks;
use complaints::events::incoming::{check_accepted, EventSet};
use complaints::events::{render_schema, schema_files};

#[test]
fn checked_in_schemas_and_documents_match_the_event_types() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
    let generated = contract::files();
    for (name, schema) in &generated {
        let on_disk = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|_| {
            panic!("schema/{name} is missing: run `complaints schema --write`")
        });
        assert!(
            on_disk == render_schema(schema),
            "schema/{name} differs from the event type: run `complaints schema --write`"
        );
    }
    let expected: BTreeSet<String> = generated.into_iter().map(|(name, _)| name).collect();
    let present: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json"))
        .collect();
    assert_eq!(present, expected, "no stale schema files");
}

#[test]
fn every_example_is_accepted_under_its_own_type() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let example = std::fs::read(&path).unwrap();
        // Each example is checked as of the moment it says it was sent.
        let sent: serde_json::Value = serde_json::from_slice(&example).unwrap();
        let sent_at = sent["time"].as_str().unwrap().parse().unwrap();
        let envelope = check_accepted(&example, &Checks::new(sent_at, 31))
            .unwrap_or_else(|e| panic!("{} does not meet its schema: {e}", path.display()));
        let named = path.file_stem().unwrap().to_str().unwrap();
        assert_eq!(envelope.event_type, named, "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 5, "the examples are there");
}

#[test]
fn every_event_schema_names_its_type_and_forbids_unknown_fields() {
    for (name, schema) in schema_files() {
        if name == "cloudevent.schema.json" {
            continue;
        }
        // `<type>.schema.json` at version 1, `<type>.v<version>.schema.json` after it.
        let (event_type, version) = versioned(&name);
        assert_eq!(schema["properties"]["type"]["const"], event_type, "{name}");
        assert_eq!(
            schema["$id"],
            format!("urn:complaints:schema:{event_type}:v{version}"),
            "{name}"
        );
        assert_eq!(schema["additionalProperties"], false, "{name}");
        assert!(
            schema["required"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r == "data"),
            "{name}"
        );
    }
}

/// The AsyncAPI CLI (npm `@asyncapi/cli`) and `openapi-spec-validator` accept the documents,
/// warnings included: `scripts/contract-check`, which installs them into `target/tools` when
/// missing.
#[test]
fn the_asyncapi_and_openapi_documents_pass_their_validators() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let checked = std::process::Command::new(root.join("scripts/contract-check"))
        .current_dir(root)
        .output()
        .expect("scripts/contract-check runs");
    assert!(
        checked.status.success(),
        "scripts/contract-check failed:\n{}\n{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
}

/// A schema file's event type and version: `complaint.received.v2.schema.json` is version 2 of
/// `complaint.received`, `complaint.received.schema.json` version 1.
fn versioned(file: &str) -> (&str, u32) {
    let stem = file.trim_end_matches(".schema.json");
    match stem.rsplit_once(".v") {
        Some((event_type, version)) if version.parse::<u32>().is_ok() => {
            (event_type, version.parse().unwrap())
        }
        _ => (stem, 1),
    }
}

/// Every version of every event type of the schemas is a message of the AsyncAPI document, on
/// the exchange that carries it, in its type's operation, with its type as the routing key.
#[test]
fn the_asyncapi_document_routes_every_event_type() {
    let document = contract::asyncapi::document();
    for (file, _) in schema_files() {
        if file == "cloudevent.schema.json" {
            continue;
        }
        let name = file.trim_end_matches(".schema.json");
        let (event_type, _) = versioned(&file);
        let accepted = complaints::events::incoming::Accepted::TYPES.contains(&event_type);
        let channel = if accepted { "events" } else { "internal" };
        assert!(
            document["channels"][channel]["messages"][name].is_object(),
            "{name} on {channel}"
        );
        let action = if accepted { "receive" } else { "send" };
        let operation =
            &document["operations"][format!("{action}_{}", event_type.replace('.', "_"))];
        assert_eq!(operation["bindings"]["amqp"]["cc"][0], event_type);
        let message = format!("#/channels/{channel}/messages/{name}");
        assert!(
            operation["messages"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["$ref"] == message.as_str()),
            "{name} in its operation"
        );
    }
}

/// Versioning: an event of every accepted type as a sender wrote it against version 1 of its
/// schema (`schema/compat/v1/`, never edited once checked in) is still accepted, so a change
/// within a version stays additive. A new version of a type adds `schema/compat/v2/` beside it.
#[test]
fn an_event_of_every_accepted_type_as_sent_at_v1_is_still_accepted() {
    let covered = accepted_as_sent_at(1);
    let accepted: BTreeSet<String> = complaints::events::incoming::Accepted::TYPES
        .iter()
        .map(|t| (*t).to_owned())
        .collect();
    assert_eq!(covered, accepted, "a v1 event of every accepted type");
}

/// Version 2: an event of each type that has one, as a sender wrote it against version 2
/// (`schema/compat/v2/`, never edited once checked in), is accepted, and read as version 2.
#[test]
fn an_event_of_every_type_with_a_version_2_as_sent_at_v2_is_accepted() {
    let covered = accepted_as_sent_at(2);
    let with_v2: BTreeSet<String> = complaints::events::incoming::Accepted::TYPES
        .iter()
        .filter(|t| complaints::events::envelope::versions(t).contains(&2))
        .map(|t| (*t).to_owned())
        .collect();
    assert_eq!(
        covered, with_v2,
        "a v2 event of every type with a version 2"
    );
    assert_eq!(
        covered,
        BTreeSet::from([
            "categories.changed".to_owned(),
            "complaint.received".to_owned()
        ])
    );
}

/// Reads every event stored in `schema/compat/v<version>/` as its sender wrote it, checks it
/// is accepted (on the day it was sent) and read as that version of its schema, and returns
/// the types covered.
fn accepted_as_sent_at(version: u32) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("schema/compat/v{version}"));
    let mut covered = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let sent = std::fs::read(&path).unwrap();
        let event: serde_json::Value = serde_json::from_slice(&sent).unwrap();
        let sent_at = event["time"].as_str().unwrap().parse().unwrap();
        let envelope = check_accepted(&sent, &Checks::new(sent_at, 31))
            .unwrap_or_else(|e| panic!("{} is not accepted: {e}", path.display()));
        assert_eq!(
            envelope.dataschema.as_deref(),
            Some(format!("urn:complaints:schema:{}:v{version}", envelope.event_type).as_str())
        );
        covered.insert(envelope.event_type);
    }
    covered
}

/// An event naming a version of its schema this system does not read is refused, saying which
/// it reads, rather than misread.
#[test]
fn an_unknown_schema_version_is_refused_naming_the_one_read() {
    let sent = include_str!("../schema/compat/v1/case.allocated.json");
    let mut event: serde_json::Value = serde_json::from_str(sent).unwrap();
    event["dataschema"] = "urn:complaints:schema:case.allocated:v2".into();
    let sent_at = event["time"].as_str().unwrap().parse().unwrap();
    let refusal = check_accepted(
        &serde_json::to_vec(&event).unwrap(),
        &Checks::new(sent_at, 31),
    )
    .unwrap_err();
    assert_eq!(refusal.kind(), "not_cloudevent");
    assert!(
        refusal
            .reason()
            .contains("urn:complaints:schema:case.allocated:v1"),
        "{refusal}"
    );
    // A type with two versions names both.
    let sent = include_str!("../schema/compat/v1/complaint.received.json");
    let mut event: serde_json::Value = serde_json::from_str(sent).unwrap();
    event["dataschema"] = "urn:complaints:schema:complaint.received:v3".into();
    let sent_at = event["time"].as_str().unwrap().parse().unwrap();
    let refusal = check_accepted(
        &serde_json::to_vec(&event).unwrap(),
        &Checks::new(sent_at, 31),
    )
    .unwrap_err();
    assert_eq!(
        refusal.reason(),
        "not a CloudEvent: dataschema: this system reads `urn:complaints:schema:complaint.received:v1` or `urn:complaints:schema:complaint.received:v2` for `complaint.received` (or no dataschema)"
    );
}
