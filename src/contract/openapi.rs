//! The OpenAPI 3.1 document of the HTTP API, served at `GET /openapi.json` and checked in at
//! `schema/openapi.json`. The request bodies of `POST /v1/events` are the event types' own
//! schemas (OpenAPI 3.1 speaks JSON Schema 2020-12, the dialect they are generated in); the
//! answers are the one error shape and the types the routes serialise.

use schemars::schema_for;
use serde_json::{json, Map, Value};

use super::{event_schemas, lift, EventSchema};
use crate::event_status::EventStatus;
use crate::events::binding::{BATCH, JSON, STRUCTURED};
use crate::events::envelope::SCHEMA_VERSION;
use crate::events::incoming::{Accepted, EventSet};
use crate::http::events::MAX_BATCH;

/// The OpenAPI 3.1 document of the HTTP routes, as `schema/openapi.json` and `/openapi.json`.
pub fn document() -> Value {
    let mut shared = Map::new();
    let mut events = Vec::new();
    let mut data = Vec::new();
    for EventSchema {
        name,
        event_type,
        schema,
    } in event_schemas()
    {
        if !Accepted::TYPES.contains(&event_type.as_str()) {
            continue;
        }
        let (event, _) = lift(schema, &mut shared);
        if let Some(payload) = event.pointer("/properties/data/$ref") {
            data.push(json!({ "$ref": payload }));
        }
        shared.insert(name.clone(), event);
        events.push(json!({ "$ref": format!("#/components/schemas/{name}") }));
    }
    let (status, _) = lift(schema_for!(EventStatus).to_value(), &mut shared);
    shared.insert("EventStatus".into(), status);
    shared.insert("Error".into(), error_schema());
    shared.insert("Readiness".into(), readiness_schema());
    shared.insert("Accepted".into(), accepted_schema());
    shared.insert("BatchResults".into(), batch_schema());
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "complaints: HTTP API",
            "version": SCHEMA_VERSION.to_string(),
            "description": "Intake of complaints and case-management decisions as CloudEvents, \
    the status of an event, cases, reports and operations. Every route but `/healthz` and `/readyz` \
    needs `Authorization: Bearer <token>` of an API client (`complaints clients add NAME --scope S`) \
    holding the route's scope. Every answer that is not a success is `{\"error\": code, \"reasons\": [...]}`.",
            "license": { "name": "MIT OR Apache-2.0" },
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "paths": {
            "/v1/events": { "post": post_events(events, data) },
            "/v1/events/{id}": { "get": operation(
                "What happened to an event: pending, applied (with the case it opened), refused or dead-lettered",
                "complaints:write or decisions:write",
                vec![path_parameter("id", "The event's id (a UUID).")],
                json!({ "200": json_answer("The event's status.", "EventStatus") }),
            ) },
            "/v1/cases/{reference}": { "get": operation(
                "A case with its customer, clocks, letters, timeline and journey",
                "cases:read",
                vec![path_parameter("reference", "The case reference (`RES-2026-000042`, any case).")],
                json!({ "200": { "description": "The case.", "content": { JSON: { "schema": { "type": "object" } } } } }),
            ) },
            "/v1/cases/{reference}/letters/{id}": { "get": operation(
                "A letter of the case exactly as sent",
                "cases:read",
                vec![
                    path_parameter("reference", "The case reference."),
                    path_parameter("id", "The letter's id."),
                ],
                json!({ "200": { "description": "The letter: text, HTML and print forms.", "content": { JSON: { "schema": { "type": "object" } } } } }),
            ) },
            "/v1/reports/complaints": { "get": operation(
                "The figures of the process for the cases received in a period of whole UK days",
                "reports:read",
                vec![
                    query_parameter("from", "The first day, `YYYY-MM-DD`.", true),
                    query_parameter("to", "The last day, `YYYY-MM-DD`.", true),
                    query_parameter("format", "`csv` for `section,item,value` rows; JSON otherwise.", false),
                ],
                json!({ "200": { "description": "The report.", "content": {
                    JSON: { "schema": { "type": "object" } },
                    "text/csv": { "schema": { "type": "string" } },
                } } }),
            ) },
            "/v1/tasks": { "get": operation(
                "Tasks (what a person or team must do on a case), oldest first",
                "tasks:read",
                vec![
                    query_parameter("team", "Only this team's: a handling team (`operational_caseworkers`, `complaint_resolution_team`, …) or a central one (`special_payment_team`).", false),
                    query_parameter("state", "`open` (the default), `done` or `cancelled`.", false),
                    query_parameter("limit", "At most this many (1–1000, default 200).", false),
                ],
                json!({ "200": { "description": "`{\"tasks\": [...]}`: each with its id (its `task.created` event's), case_reference, team, assignee, key, task, clock, state, created_at, due_at, closed_at.", "content": { JSON: { "schema": { "type": "object" } } } } }),
            ) },
            "/openapi.json": { "get": operation(
                "This document",
                "any valid client",
                vec![],
                json!({ "200": { "description": "The OpenAPI document.", "content": { JSON: { "schema": { "type": "object" } } } } }),
            ) },
            "/healthz": { "get": {
                "summary": "The process is up",
                "security": [],
                "responses": { "200": { "description": "`ok`, while the process runs.", "content": { "text/plain": { "schema": { "type": "string" } } } } },
            } },
            "/readyz": { "get": {
                "summary": "PostgreSQL and RabbitMQ are reachable",
                "security": [],
                "responses": {
                    "200": json_answer("Both answer.", "Readiness"),
                    "503": json_answer("One or both do not; the same report says which (not the error shape).", "Readiness"),
                },
            } },
            "/metrics": { "get": operation(
                "Prometheus metrics, text format",
                "metrics:read (none with `http.metrics_public`)",
                vec![],
                json!({ "200": { "description": "The metrics.", "content": { "text/plain": { "schema": { "type": "string" } } } } }),
            ) },
            "/ops": { "get": html("The live operations page", vec![]) },
            "/ops/live": { "get": html("The operations page's live part, fetched every 5 seconds", vec![]) },
            "/ops/login": {
                "get": {
                    "summary": "The sign-in form of the operations page",
                    "tags": ["operations"],
                    "security": [],
                    "responses": { "200": { "description": "The form.", "content": { "text/html": { "schema": { "type": "string" } } } } },
                },
                "post": {
                    "summary": "Signs in with a token (form field `token`): a session cookie for `/ops`",
                    "tags": ["operations"],
                    "security": [],
                    "responses": {
                        "303": { "description": "Signed in: the session cookie (`Set-Cookie`), and to `/ops`." },
                        "401": { "description": "Not a token of a client holding `ops`: the form again, saying so.", "content": { "text/html": { "schema": { "type": "string" } } } },
                    },
                },
            },
            "/ops/dead-letters/{worker}/{id}/{action}": {
                "get": html("Confirms a dead letter's replay or discard", ops_parameters()),
                "post": html("Replays or discards a dead letter", ops_parameters()),
            },
        },
        "components": {
            "securitySchemes": { "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "An API client's token, `cmpl_<client id>_<secret>`, printed once by `complaints clients add`.",
            } },
            "schemas": shared,
        },
    })
}

/// `POST /v1/events` in its three content modes.
fn post_events(events: Vec<Value>, data: Vec<Value>) -> Value {
    let header = |name: &str, description: &str| json!({ "name": name, "in": "header", "required": false, "description": description, "schema": { "type": "string" } });
    let mut post = operation(
        "Publish a complaint or a decision as a CloudEvent (structured, binary or batched mode)",
        "complaints:write for complaint.received, decisions:write for a decision",
        vec![
            header("ce-specversion", "Binary mode: `1.0`. Its presence makes the request binary mode."),
            header("ce-id", "Binary mode: the event id, a UUID (the idempotency key)."),
            header("ce-type", "Binary mode: the event type (e.g. `complaint.received`)."),
            header("ce-source", "Binary mode: the sender (e.g. `urn:channel:web-form`)."),
            header("ce-time", "Binary mode: when it happened (RFC 3339)."),
            header("ce-subject", "Binary mode: the case reference, for a decision."),
            header("ce-dataschema", "Binary mode, optional: the schema and version of the data (`urn:complaints:schema:<type>:v1`; `:v2` for `complaint.received` and `categories.changed` with agreed categories only). Without it, version 1 is read."),
        ],
        json!({
            "202": json_answer("Published (the broker confirmed it); follow it at `status_url`.", "Accepted"),
            "200": json_answer("A batch: a result per event, in order.", "BatchResults"),
            "413": error_answer("The body is over `http.body_limit_bytes`."),
            "503": error_answer("The broker could not be reached; send the same event (same id) again."),
        }),
    );
    post["requestBody"] = json!({
        "required": true,
        "content": {
            STRUCTURED: {
                "schema": { "oneOf": events.clone() },
            },
            JSON: {
                "schema": {
                    "description": "Binary mode: the event's data, its attributes in the `ce-` headers.",
                    "oneOf": data,
                },
            },
            BATCH: {
                "schema": { "type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": { "oneOf": events } },
            },
        },
    });
    post
}

/// An operation needing a bearer token with `scope`, answering `answers` or the usual errors.
fn operation(summary: &str, scope: &str, parameters: Vec<Value>, answers: Value) -> Value {
    let mut responses = answers.as_object().cloned().unwrap_or_default();
    for (status, why) in [
        ("400", "The request is wrong; each reason names the field."),
        ("401", "No token, or an unknown or revoked one."),
        ("403", "The client does not hold the scope."),
        (
            "429",
            "The client is over its rate; `Retry-After` says when to try again.",
        ),
    ] {
        responses.entry(status).or_insert_with(|| error_answer(why));
    }
    json!({
        "summary": summary,
        "description": format!("Scope: {scope}."),
        "parameters": parameters,
        "responses": responses,
    })
}

/// A page of the operations console (scope `ops`, or its session cookie); without either, a
/// 303 to the sign-in form.
fn html(summary: &str, parameters: Vec<Value>) -> Value {
    let mut page = operation(
        summary,
        "ops (a bearer token, or the session cookie `/ops/login` sets)",
        parameters,
        json!({
            "200": { "description": "An HTML page.", "content": { "text/html": { "schema": { "type": "string" } } } },
            "303": { "description": "Not signed in: to `/ops/login` (`Location`), with the error `sign_in`.", "content": { JSON: { "schema": { "$ref": "#/components/schemas/Error" } } } },
        }),
    );
    page["tags"] = json!(["operations"]);
    page
}

fn ops_parameters() -> Vec<Value> {
    vec![
        path_parameter(
            "worker",
            "The worker kind whose dead-letter queue holds it.",
        ),
        path_parameter("id", "The dead letter's id."),
        path_parameter("action", "`replay` or `discard`."),
    ]
}

fn path_parameter(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": description, "schema": { "type": "string" } })
}

fn query_parameter(name: &str, description: &str, required: bool) -> Value {
    json!({ "name": name, "in": "query", "required": required, "description": description, "schema": { "type": "string" } })
}

fn json_answer(description: &str, schema: &str) -> Value {
    json!({ "description": description, "content": { JSON: { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

fn error_answer(description: &str) -> Value {
    json_answer(description, "Error")
}

/// The one error shape of every route.
fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["error", "reasons"],
        "properties": {
            "error": { "type": "string", "description": "A short code (`schema_violation`, `not_cloudevent`, `forbidden`, …)." },
            "reasons": { "type": "array", "items": { "type": "string" }, "description": "One per problem, naming the field; never a value sent." },
        },
    })
}

/// What `/readyz` answers, ready or not.
fn readiness_schema() -> Value {
    let state = json!({ "type": "string", "enum": ["ok", "unreachable"] });
    json!({
        "type": "object",
        "required": ["database", "broker"],
        "properties": { "database": state, "broker": state },
    })
}

/// The answer to an event published.
fn accepted_schema() -> Value {
    json!({
        "type": "object",
        "required": ["id", "type", "status_url"],
        "properties": {
            "id": { "type": "string", "format": "uuid" },
            "type": { "type": "string" },
            "status_url": { "type": "string", "description": "`/v1/events/{id}`: what became of it." },
        },
    })
}

/// The answer to a batch.
fn batch_schema() -> Value {
    json!({
        "type": "object",
        "required": ["accepted", "refused", "results"],
        "properties": {
            "accepted": { "type": "integer", "minimum": 0 },
            "refused": { "type": "integer", "minimum": 0 },
            "results": {
                "type": "array",
                "description": "One per event of the batch, in order: `status` 202 with the id, or the status and the error of a single post.",
                "items": {
                    "type": "object",
                    "required": ["status"],
                    "properties": {
                        "status": { "type": "integer" },
                        "id": { "type": "string", "format": "uuid" },
                        "type": { "type": "string" },
                        "status_url": { "type": "string" },
                        "error": { "type": "string" },
                        "reasons": { "type": "array", "items": { "type": "string" } },
                    },
                },
            },
        },
    })
}
