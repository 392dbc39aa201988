//! The CloudEvents content modes, as an intake channel's developer using an official SDK would
//! send them: over HTTP structured, binary (`ce-` headers, the data as the body) and batched
//! (`application/cloudevents-batch+json`, a result per event); over AMQP structured and binary
//! (the RabbitMQ binding's `ce-` headers). Each opens its case; a request in no mode is told so;
//! what the system emits stays structured and names its schema's version.

mod common;

use common::auth::authorised;
use common::{amqp, case_opened_by, complaint, dead_letters, TestEnv};
use complaints::broker::topology::long_string;
use complaints::supervisor::WorkerKind;
use complaints::vocabulary::Scope;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::FieldTable;
use lapin::BasicProperties;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use serde_json::{json, Value};
use uuid::Uuid;

/// The attributes of `event` as binary-mode headers, `prefix` before each name.
fn attributes(event: &Value) -> Vec<(String, String)> {
    ["specversion", "id", "type", "source", "time", "subject"]
        .iter()
        .filter_map(|name| Some(((*name).to_owned(), event.get(*name)?.as_str()?.to_owned())))
        .collect()
}

/// `event` as an HTTP binary-mode request's headers and body.
fn http_binary(event: &Value) -> (HeaderMap, Vec<u8>) {
    let mut headers = HeaderMap::new();
    for (name, value) in attributes(event) {
        headers.insert(
            HeaderName::from_bytes(format!("ce-{name}").as_bytes()).unwrap(),
            HeaderValue::from_str(&value).unwrap(),
        );
    }
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    (headers, serde_json::to_vec(&event["data"]).unwrap())
}

/// A decision from the examples, about a case that does not exist (it is refused later, by the
/// casework worker, which these tests do not run).
fn decision() -> Value {
    let mut decision: Value =
        serde_json::from_str(include_str!("../schema/examples/case.allocated.json")).unwrap();
    decision["id"] = json!(Uuid::now_v7());
    decision["time"] = json!(chrono::Utc::now());
    decision
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_http_content_mode_opens_cases_and_a_request_in_none_is_told_so() {
    let env = TestEnv::start(&[WorkerKind::Intake, WorkerKind::Http]).await;
    let http = env.http_client().await;

    // Binary mode: the default of several SDKs.
    let binary = complaint("CUST-MODES-BINARY");
    let (headers, body) = http_binary(&binary);
    let posted = http
        .post(env.url("/v1/events"))
        .headers(headers)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 202);
    let answer: Value = posted.json().await.unwrap();
    assert_eq!(answer["id"], binary["id"]);
    assert_eq!(
        answer["status_url"],
        format!("/v1/events/{}", binary["id"].as_str().unwrap())
    );
    case_opened_by(&env, binary["id"].as_str().unwrap()).await;

    // Structured mode, with its own media type.
    let structured = complaint("CUST-MODES-STRUCTURED");
    let posted = http
        .post(env.url("/v1/events"))
        .header(CONTENT_TYPE, "application/cloudevents+json")
        .body(serde_json::to_vec(&structured).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 202);
    case_opened_by(&env, structured["id"].as_str().unwrap()).await;

    // Neither: the data alone, with no `ce-` headers.
    let posted = http
        .post(env.url("/v1/events"))
        .json(&complaint("CUST-MODES-NEITHER")["data"])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 400);
    let answer: Value = posted.json().await.unwrap();
    assert_eq!(answer["error"], "not_cloudevent");
    assert_eq!(
        answer["reasons"],
        json!(["not a CloudEvent: no `ce-specversion` header and the body is not `application/cloudevents+json`"])
    );

    // Binary mode is held to the same schema as structured mode.
    let mut broken = complaint("CUST-MODES-BROKEN");
    broken["data"]["customer"]
        .as_object_mut()
        .unwrap()
        .remove("address");
    let (headers, body) = http_binary(&broken);
    let posted = http
        .post(env.url("/v1/events"))
        .headers(headers)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 400);
    let answer: Value = posted.json().await.unwrap();
    assert_eq!(answer["error"], "schema_violation");
    assert!(answer["reasons"][0].as_str().unwrap().contains("address"));

    // Batched mode: a result per event, in order; the good ones published.
    let first = complaint("CUST-MODES-BATCH-1");
    let last = complaint("CUST-MODES-BATCH-2");
    let batch = json!([first, broken, last]);
    let posted = http
        .post(env.url("/v1/events"))
        .header(CONTENT_TYPE, "application/cloudevents-batch+json")
        .body(serde_json::to_vec(&batch).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 200);
    let answer: Value = posted.json().await.unwrap();
    assert_eq!(answer["accepted"], 2);
    assert_eq!(answer["refused"], 1);
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results[0]["status"], 202);
    assert_eq!(results[0]["id"], first["id"]);
    assert_eq!(results[1]["status"], 400);
    assert_eq!(results[1]["error"], "schema_violation");
    assert_eq!(results[2]["status"], 202);
    case_opened_by(&env, first["id"].as_str().unwrap()).await;
    case_opened_by(&env, last["id"].as_str().unwrap()).await;

    // A channel's client may post complaints, not decisions: checked per event of a batch.
    let channel = authorised(
        &env.client_token("web-form", &[Scope::ComplaintsWrite])
            .await,
    );
    let batch = json!([complaint("CUST-MODES-BATCH-3"), decision()]);
    let answer: Value = channel
        .post(env.url("/v1/events"))
        .header(CONTENT_TYPE, "application/cloudevents-batch+json")
        .body(serde_json::to_vec(&batch).unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["results"][0]["status"], 202);
    assert_eq!(answer["results"][1]["status"], 403);
    assert_eq!(answer["results"][1]["error"], "forbidden");

    // A batch that is not an array of 1 to 100 is refused whole.
    let posted = http
        .post(env.url("/v1/events"))
        .header(CONTENT_TYPE, "application/cloudevents-batch+json")
        .body("[]")
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 400);
    env.stop().await;
}

/// Publishes `body` to the events exchange under `routing_key` with `headers` and
/// `content_type`, as a client of the RabbitMQ binding would.
async fn publish_amqp(
    env: &TestEnv,
    routing_key: &str,
    headers: FieldTable,
    content_type: &str,
    body: &[u8],
) {
    let connection = amqp(&env.app).await;
    let channel = connection.create_channel().await.unwrap();
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    channel
        .basic_publish(
            env.app.topology.events_exchange().as_str().into(),
            routing_key.into(),
            BasicPublishOptions::default(),
            body,
            BasicProperties::default()
                .with_delivery_mode(2)
                .with_content_type(content_type.into())
                .with_headers(headers),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    connection.close(200, "done".into()).await.unwrap();
}

/// `event`'s attributes as AMQP headers, `ce-` prefixed.
fn amqp_headers(event: &Value) -> FieldTable {
    let mut headers = FieldTable::default();
    for (name, value) in attributes(event) {
        headers.insert(format!("ce-{name}").as_str().into(), long_string(&value));
    }
    headers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amqp_binary_mode_opens_a_case_and_what_the_system_emits_is_structured_and_versioned() {
    let mut env = TestEnv::start(&[WorkerKind::Intake, WorkerKind::OutboxRelay]).await;
    let mut opened = env.observe(&["case.opened"]).await;

    let binary = complaint("CUST-MODES-AMQP-BINARY");
    publish_amqp(
        &env,
        "complaint.received",
        amqp_headers(&binary),
        "application/json",
        &serde_json::to_vec(&binary["data"]).unwrap(),
    )
    .await;
    case_opened_by(&env, binary["id"].as_str().unwrap()).await;

    let structured = complaint("CUST-MODES-AMQP-STRUCTURED");
    publish_amqp(
        &env,
        "complaint.received",
        FieldTable::default(),
        "application/cloudevents+json",
        &serde_json::to_vec(&structured).unwrap(),
    )
    .await;
    case_opened_by(&env, structured["id"].as_str().unwrap()).await;

    let event = opened.next().await;
    assert_eq!(event.specversion, "1.0");
    assert_eq!(
        event.dataschema.as_deref(),
        Some("urn:complaints:schema:case.opened:v1")
    );

    // The data alone, with no attributes: dead-lettered, saying why.
    publish_amqp(
        &env,
        "complaint.received",
        FieldTable::default(),
        "application/json",
        &serde_json::to_vec(&complaint("CUST-MODES-AMQP-NEITHER")["data"]).unwrap(),
    )
    .await;
    let dead = dead_letters(&env, 1).await;
    assert_eq!(dead[0].reason_kind.as_deref(), Some("not_cloudevent"));
    assert!(dead[0]
        .reason
        .as_deref()
        .unwrap()
        .contains("no `ce-specversion` header"));
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_served_and_every_path_in_it_is_a_route() {
    let env = TestEnv::start(&[WorkerKind::Http]).await;
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let refused = anonymous
        .get(env.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 401, "a credential is needed");
    let reader = authorised(
        &env.client_token("contract-reader", &[Scope::ReportsRead])
            .await,
    );
    let served: Value = reader
        .get(env.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served, complaints::contract::openapi::document());
    assert_eq!(served["openapi"], "3.1.0");

    for (path, operations) in served["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{id}", "0192f6b8-6f4a-7a8e-9c1d-2b3c4d5e6f70")
            .replace("{reference}", "RES-2026-000001")
            .replace("{worker}", "intake")
            .replace("{action}", "replay");
        for method in operations.as_object().unwrap().keys() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let answer = anonymous
                .request(method.clone(), env.url(&concrete))
                .send()
                .await
                .unwrap();
            let status = answer.status().as_u16();
            assert!(
                status != 404 && status != 405,
                "{method} {path} is in the OpenAPI document but answered {status}"
            );
        }
    }
    env.stop().await;
}
