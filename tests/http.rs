//! The HTTP surface: health and readiness, metrics with queue depths, and intake over HTTP
//! refusing bad events with reasons.

mod common;

use common::{complaint, TestEnv};
use complaints::app::App;
use complaints::supervisor::WorkerKind;
use complaints::vocabulary::Scope;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics() {
    let env = TestEnv::start(&[WorkerKind::Intake, WorkerKind::Http]).await;
    let http = env.http_client().await;
    let health = http.get(env.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = http.get(env.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(
        ready.json::<Value>().await.unwrap(),
        json!({ "database": "ok", "broker": "ok" })
    );

    let intake = env.app.topology.queue("intake");
    let dead = env.app.topology.dead_letter_queue("intake");
    let consumers =
        complaints::workers::settings::<complaints::workers::intake::Intake>(&env.app.config)
            .consumers;
    let metrics = common::wait_for("the intake consumers in /metrics", || async {
        let text = http
            .get(env.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.contains(&format!(
            "complaints_queue_consumers{{queue=\"{intake}\"}} {consumers}"
        ))
        .then_some(text)
    })
    .await;
    assert!(
        metrics.contains(&format!(
            "complaints_queue_messages{{queue=\"{intake}\"}} 0"
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!("complaints_queue_messages{{queue=\"{dead}\"}} 0")),
        "{metrics}"
    );
    assert!(metrics.contains("complaints_outbox_pending 0"), "{metrics}");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_events_are_refused_with_their_reasons_and_nothing_is_published() {
    let env = TestEnv::start(&[WorkerKind::Intake, WorkerKind::Http]).await;
    let http = env.http_client().await;
    let post = |body: Vec<u8>| {
        let request = http.post(env.url("/v1/events")).body(body);
        async move {
            let response = request.send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };

    let (status, body) = post(b"{".to_vec()).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("not_json")));

    let (status, body) = post(serde_json::to_vec(&json!({ "id": 1 })).unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("not_cloudevent"))
    );

    let mut unknown = complaint("C");
    unknown["type"] = json!("case.opened");
    let (status, body) = post(serde_json::to_vec(&unknown).unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unknown_type")),
        "only intake types are accepted from outside"
    );

    let mut bad = complaint("C");
    bad["data"]["categories"] = json!([]);
    bad["data"]["customer"]["email"] = json!("not-an-email");
    let (status, body) = post(serde_json::to_vec(&bad).unwrap()).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "schema_violation");
    let reasons: Vec<&str> = body["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        reasons.iter().any(|r| r.starts_with("data.categories")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.starts_with("data.customer.email")),
        "{reasons:?}"
    );

    assert_eq!(common::case_count(&env).await, 0);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_ready_while_the_broker_is_unreachable() {
    let env = TestEnv::start(&[]).await;
    let token = env
        .client_token("web-form", &[Scope::ComplaintsWrite])
        .await;
    let mut config = (*env.app.config).clone();
    config.amqp.url = Some("amqp://guest:guest@127.0.0.1:1/%2f".into());
    let app = App::new(config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(complaints::http::serve(listener, app, shutdown.clone()));
    let ready = reqwest::get(format!("http://{addr}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(
        ready.json::<Value>().await.unwrap(),
        json!({ "database": "ok", "broker": "unreachable" })
    );
    let accepted = common::auth::authorised(&token)
        .post(format!("http://{addr}/v1/events"))
        .json(&complaint("C"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        accepted.status(),
        503,
        "never 202 without the broker's confirm"
    );
    assert_eq!(
        accepted.json::<Value>().await.unwrap()["error"],
        "broker_unavailable"
    );
    shutdown.cancel();
    server.await.unwrap().unwrap();
    env.stop().await;
}
