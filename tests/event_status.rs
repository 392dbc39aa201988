//! "What happened to my event?": `GET /v1/events/{id}` and `complaints events show` answer
//! pending, applied (with the case), refused (with the reason) or dead-lettered (with the
//! reason), as a front end that posted the event would ask.

mod common;

use common::{case_opened_by, complaint, wait_for, TestEnv};
use complaints::supervisor::WorkerKind;
use serde_json::{json, Value};
use uuid::Uuid;

async fn status(env: &TestEnv, id: &str) -> (u16, Value) {
    let response = env
        .http_client()
        .await
        .get(env.url(&format!("/v1/events/{id}")))
        .send()
        .await
        .unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

async fn wait_for_status(env: &TestEnv, id: &str, wanted: &str) -> Value {
    wait_for(&format!("event {id} {wanted}"), || async {
        let (_, body) = status(env, id).await;
        (body["status"] == wanted).then_some(body)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_is_pending_applied_refused_or_dead_lettered() {
    let env = TestEnv::start(&[WorkerKind::Intake, WorkerKind::Casework, WorkerKind::Http]).await;
    let http = env.http_client().await;

    let unknown = Uuid::new_v4().to_string();
    let (code, body) = status(&env, &unknown).await;
    assert_eq!(code, 200);
    assert_eq!(body["status"], "pending");
    let (code, body) = status(&env, "not-a-uuid").await;
    assert_eq!(code, 400);
    assert_eq!(body["error"], "invalid_event_id");

    let good = complaint("CUST-STATUS-1");
    let good_id = good["id"].as_str().unwrap();
    let posted = http
        .post(env.url("/v1/events"))
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 202);
    let case = case_opened_by(&env, good_id).await;
    let applied = wait_for_status(&env, good_id, "applied").await;
    assert_eq!(applied["opened_case"], case.reference.as_str());
    assert_eq!(applied["applied_by"], json!(["intake"]));

    // A decision about a case that does not exist: accepted (202), then refused with a reason.
    let mut decision: Value =
        serde_json::from_str(include_str!("../schema/examples/case.allocated.json")).unwrap();
    let decision_id = Uuid::now_v7().to_string();
    decision["id"] = json!(decision_id);
    decision["subject"] = json!("RES-2026-999999");
    let posted = http
        .post(env.url("/v1/events"))
        .json(&decision)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 202);
    let refused = wait_for_status(&env, &decision_id, "refused").await;
    assert_eq!(refused["refusals"][0]["event_type"], "command.rejected");
    assert!(
        refused["refusals"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("RES-2026-999999"),
        "{refused}"
    );
    let shown = env.cli(&["events", "show", &decision_id]);
    let shown = String::from_utf8(shown.stdout).unwrap();
    assert!(
        shown.contains("refused") && shown.contains("command.rejected"),
        "{shown}"
    );

    // A complaint an intake channel published straight to the broker with a bad postcode.
    let mut bad = complaint("CUST-STATUS-2");
    bad["data"]["customer"]["address"]["postcode"] = json!("NOT A POSTCODE");
    env.publish(&bad).await;
    let dead = wait_for_status(&env, bad["id"].as_str().unwrap(), "dead_lettered").await;
    assert_eq!(dead["dead_letters"][0]["queue"], "intake");
    assert_eq!(dead["dead_letters"][0]["reason_kind"], "schema_violation");
    env.stop().await;
}
