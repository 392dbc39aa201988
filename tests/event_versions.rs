//! Version 2 of `complaint.received` and `categories.changed` (issue 12, point 10): a sender that
//! names it in `dataschema` gives categories from the agreed list only, and any other is refused
//! with the field named — dead-lettered off the broker, 400 over HTTP, one parser for both.
//! Version 1, named or not, still takes free text, kept as written. Through the real intake and
//! casework workers, broker and database.

mod common;

use common::casework::{case, decide, decision};
use common::{
    case_count, case_opened_by, complaint, dead_letters, dead_letters_of, wait_for, TestEnv,
};
use complaints::supervisor::WorkerKind;
use serde_json::{json, Value};

/// What a refusal of a category outside the agreed list says, after the field's path.
const NOT_AGREED: &str = "is not an agreed category: version 2 takes one of delay, payments, calculation, lost_post, wrong_information, communication, staff_conduct, enforcement, accessibility, data_protection, provider, other";

/// `event` naming `version` of its type's schema (or, `None`, naming none).
fn at(mut event: Value, version: Option<u32>) -> Value {
    if let Some(version) = version {
        let event_type = event["type"].as_str().unwrap().to_owned();
        event["dataschema"] = json!(format!("urn:complaints:schema:{event_type}:v{version}"));
    }
    event
}

/// A complaint from `customer` with `categories`, at `version`.
fn complaint_at(customer: &str, version: Option<u32>, categories: Value) -> Value {
    let mut event = complaint(customer);
    event["data"]["categories"] = categories;
    at(event, version)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_2_takes_only_agreed_categories_and_version_1_still_takes_free_text() {
    let env = TestEnv::start(&[
        WorkerKind::Intake,
        WorkerKind::Casework,
        WorkerKind::OutboxRelay,
        WorkerKind::Http,
    ])
    .await;
    let http = env.http_client().await;

    // Version 2 with agreed categories: a case, its categories as sent.
    let agreed = complaint_at("CUST-V2-AGREED", Some(2), json!(["lost_post", "delay"]));
    env.publish(&agreed).await;
    let opened = case_opened_by(&env, agreed["id"].as_str().unwrap()).await;
    assert_eq!(opened.complaint.categories, ["lost_post", "delay"]);

    // Version 2 with "Stuff": dead-lettered off the broker, refused over HTTP, saying which
    // category and why, never repeating it.
    let stuff = complaint_at("CUST-V2-STUFF", Some(2), json!(["delay", "Stuff"]));
    env.publish(&stuff).await;
    let dead = dead_letters(&env, 1).await;
    assert_eq!(dead[0].reason_kind.as_deref(), Some("schema_violation"));
    let reason = dead[0].reason.as_deref().unwrap();
    assert_eq!(
        reason,
        format!("fails the schema of `complaint.received`: data.categories[1]: {NOT_AGREED}")
    );
    let posted = complaint_at("CUST-V2-STUFF-HTTP", Some(2), json!(["Stuff"]));
    let answer = http
        .post(env.url("/v1/events"))
        .json(&posted)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(
        body,
        json!({ "error": "schema_violation", "reasons": [format!("data.categories[0]: {NOT_AGREED}")] })
    );

    // Version 1, named or not: "Stuff" opens a case, kept as written.
    let mut free = Vec::new();
    for (customer, version) in [("CUST-V1-STUFF", Some(1)), ("CUST-NO-VERSION", None)] {
        let event = complaint_at(customer, version, json!(["Stuff"]));
        let answer = http
            .post(env.url("/v1/events"))
            .json(&event)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 202, "{customer}");
        let opened = case_opened_by(&env, event["id"].as_str().unwrap()).await;
        assert_eq!(opened.complaint.categories, ["Stuff"], "{customer}");
        free.push(opened);
    }
    assert_eq!(case_count(&env).await, 3, "no case for either refusal");

    // `categories.changed` alike, through the casework worker: at version 2 "Stuff" is
    // dead-lettered and the case keeps its categories; an agreed one replaces them.
    let reference = free[0].reference.as_str();
    let change = |categories: Value| {
        at(
            decision(
                reference,
                "categories.changed",
                json!({ "categories": categories, "by": "cw1" }),
            ),
            Some(2),
        )
    };
    env.publish(&change(json!(["Stuff"]))).await;
    let dead = dead_letters_of(&env, "casework", 1).await;
    assert_eq!(
        dead[0].reason.as_deref(),
        Some(
            format!("fails the schema of `categories.changed`: data.categories[0]: {NOT_AGREED}")
                .as_str()
        )
    );
    assert_eq!(case(&env, reference).await.complaint.categories, ["Stuff"]);
    env.publish(&change(json!(["communication"]))).await;
    wait_for("the agreed category to replace the case's", || async {
        let now = case(&env, reference).await;
        (now.complaint.categories == ["communication"]).then_some(())
    })
    .await;
    // And at version 1 free text still replaces them.
    let changed = decide(
        &env,
        reference,
        "categories.changed",
        json!({ "categories": ["Stuff", "payments"], "by": "cw1" }),
        |c| c.complaint.categories == ["Stuff", "payments"],
    )
    .await;
    assert_eq!(changed.reference, reference);
    env.stop().await;
}
