//! The wire contract: the JSON Schemas checked in under `schema/` are exactly what the event
//! types generate, and every example event in `schema/examples/` is accepted.

use std::collections::BTreeSet;
use std::path::Path;

use complaints::events::checks::Checks;
use complaints::events::incoming::check_accepted;
use complaints::events::{render_schema, schema_files};

#[test]
fn checked_in_schemas_match_the_event_types() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
    let generated = schema_files();
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
        .filter(|n| n.ends_with(".schema.json"))
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
        let event_type = name.trim_end_matches(".schema.json");
        assert_eq!(schema["properties"]["type"]["const"], event_type, "{name}");
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
