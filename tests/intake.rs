//! Intake end to end through the real broker and database: a complaint published over AMQP or
//! HTTP opens a case, and `case.opened` is seen on the exchange; duplicates open one case; the
//! routing rules of process.md §3 show in the cases and events that come out.

mod common;

use chrono::{Duration as Days, Utc};
use common::{case_count, case_opened_by, close_case_at, complaint, wait_for, TestEnv};
use complaints::db::cases::find_by_reference;
use complaints::db::schema::{cases, inbox, parties, rejected_complaints};
use complaints::supervisor::WorkerKind;
use complaints::vocabulary::ResolutionCode;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;

const WORKERS: &[WorkerKind] = &[WorkerKind::Intake, WorkerKind::OutboxRelay];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complaint_published_over_amqp_opens_a_case_and_announces_it() {
    let mut env = TestEnv::start(WORKERS).await;
    let mut observer = env.observe(&["case.opened"]).await;
    let event = complaint("CUST-AMQP-1");
    env.publish(&event).await;

    let case = case_opened_by(&env, event["id"].as_str().unwrap()).await;
    assert_eq!(case.tier.number(), 0);
    assert_eq!(case.stage, "Acknowledge Issue");
    assert_eq!(case.status, "In Progress");
    assert_eq!(case.handling_team, "operational_caseworkers");
    assert!(case.reference.starts_with("DIS-"), "{}", case.reference);

    let opened = observer.next().await;
    assert_eq!(opened.event_type, "case.opened");
    assert_eq!(opened.subject.as_deref(), Some(case.reference.as_str()));
    assert_eq!(opened.data["customer_reference"], "CUST-AMQP-1");
    assert_eq!(opened.data["complaint_event_id"], event["id"]);

    let mut conn = env.conn().await;
    let view = find_by_reference(&mut conn, &case.reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.customer.name, "Ms Jane Example");
    assert_eq!(view.customer.postcode, "SG11 2AA");
    let entries: Vec<&str> = view.timeline.iter().map(|e| e.entry.as_str()).collect();
    assert_eq!(
        entries,
        [
            "Complaint received by web_form from customer",
            "Opened at tier 0 (dissatisfaction) for operational_caseworkers by routing rule 8: first point of contact"
        ]
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complaint_posted_over_http_opens_a_case_readable_over_http() {
    let mut env = TestEnv::start(&[
        WorkerKind::Intake,
        WorkerKind::OutboxRelay,
        WorkerKind::Http,
    ])
    .await;
    let mut observer = env.observe(&["case.opened"]).await;
    let http = env.http_client().await;
    let event = complaint("CUST-HTTP-1");
    let accepted = http
        .post(env.url("/v1/events"))
        .json(&event)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 202);
    let body: serde_json::Value = accepted.json().await.unwrap();
    assert_eq!(body["id"], event["id"]);

    let case = case_opened_by(&env, event["id"].as_str().unwrap()).await;
    let opened = observer.next().await;
    assert_eq!(opened.subject.as_deref(), Some(case.reference.as_str()));

    let read = http
        .get(env.url(&format!("/v1/cases/{}", case.reference)))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let view: serde_json::Value = read.json().await.unwrap();
    assert_eq!(view["reference"], case.reference.as_str());
    assert_eq!(view["customer"]["reference"], "CUST-HTTP-1");
    assert_eq!(view["timeline"].as_array().unwrap().len(), 2);

    let missing = http
        .get(env.url("/v1/cases/DIS-1999-000000"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_complaint_delivered_twice_opens_one_case() {
    let env = TestEnv::start(WORKERS).await;
    let event = complaint("CUST-TWICE");
    env.publish(&event).await;
    let first = case_opened_by(&env, event["id"].as_str().unwrap()).await;
    // Delivered again (a publisher retrying after a lost confirm, or a redelivery after a
    // crash between commit and ack), then a marker behind it on the same queue.
    env.publish(&event).await;
    let marker = complaint("CUST-MARKER");
    env.publish(&marker).await;
    case_opened_by(&env, marker["id"].as_str().unwrap()).await;

    assert_eq!(
        case_count(&env).await,
        2,
        "one case for the complaint, one for the marker"
    );
    let mut conn = env.conn().await;
    let same: i64 = cases::table
        .filter(cases::cause.eq(first_id(&event)))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(same, 1);
    let claims: i64 = inbox::table
        .filter(inbox::event_id.eq(first_id(&event)))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(claims, 1);
    assert!(first.reference.starts_with("DIS-"));
    env.stop().await;
}

fn first_id(event: &serde_json::Value) -> uuid::Uuid {
    event["id"].as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appealable_decision_is_refused_and_kept() {
    let mut env = TestEnv::start(WORKERS).await;
    let mut observer = env.observe(&["complaint.rejected"]).await;
    let mut event = complaint("CUST-APPEAL");
    event["data"]["about"] = json!("decision");
    env.publish(&event).await;

    let rejected = observer.next().await;
    assert_eq!(rejected.data["reason"], "appealable_decision");
    assert_eq!(rejected.data["complaint_event_id"], event["id"]);
    let mut conn = env.conn().await;
    let (reason, kept): (String, serde_json::Value) = rejected_complaints::table
        .filter(rejected_complaints::event_id.eq(first_id(&event)))
        .select((rejected_complaints::reason, rejected_complaints::complaint))
        .first(&mut conn)
        .await
        .unwrap();
    assert_eq!(reason, "appealable_decision");
    // Kept whole, with the defaults the customer did not have to give filled in.
    for field in ["about", "summary", "received_at", "categories", "channel"] {
        assert_eq!(kept[field], event["data"][field], "{field}");
    }
    assert_eq!(kept["customer"]["reference"], "CUST-APPEAL");
    assert_eq!(kept["addressee"], "business_in_general");
    // No complaint case: the dispute process takes it on, as a dispute of its own.
    let kinds: Vec<String> = cases::table
        .select(cases::kind)
        .load(&mut conn)
        .await
        .unwrap();
    assert_eq!(kinds, ["dispute"]);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_time_is_refused_unless_an_mp_raises_it() {
    let mut env = TestEnv::start(WORKERS).await;
    let mut observer = env.observe(&["complaint.rejected", "case.opened"]).await;
    let closed_long_ago = (Utc::now() - Days::days(15 * 31)).date_naive();
    let mut late = complaint("CUST-LATE");
    late["data"]["received_at"] = json!(Utc::now());
    late["data"]["customer_case_closed_on"] = json!(closed_long_ago);
    env.publish(&late).await;
    let refused = observer.next().await;
    assert_eq!(refused.event_type, "complaint.rejected");
    assert_eq!(refused.data["reason"], "out_of_time");

    let mut from_mp = late.clone();
    from_mp["id"] = json!(uuid::Uuid::now_v7());
    from_mp["data"]["raised_by"] = json!("mp");
    env.publish(&from_mp).await;
    let case = case_opened_by(&env, from_mp["id"].as_str().unwrap()).await;
    assert_eq!(
        case.tier.number(),
        1,
        "MP correspondence goes to Resolution"
    );
    assert_eq!(case.handling_team, "mp_specialists");
    assert!(case.parliamentary_contact);
    assert!(case.reference.starts_with("RES-"));
    let opened = observer.next().await;
    assert_eq!(opened.event_type, "case.opened");
    assert_eq!(opened.data["routing_rule"], "4: MP correspondence");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_high_profile_complaint_notifies_the_operations_directors_office() {
    let mut env = TestEnv::start(WORKERS).await;
    let mut observer = env.observe(&["case.flagged_high_profile"]).await;
    let mut event = complaint("CUST-PRESS");
    event["data"]["high_profile"] = json!(true);
    env.publish(&event).await;
    let case = case_opened_by(&env, event["id"].as_str().unwrap()).await;
    assert!(case.high_profile);
    assert_eq!(case.tier.number(), 0, "the case stays at its own tier");
    let flagged = observer.next().await;
    assert_eq!(flagged.subject.as_deref(), Some(case.reference.as_str()));
    assert_eq!(flagged.data["notify"], "operations_director_office");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_needs_a_resolution_case_closed_in_the_last_six_months() {
    let mut env = TestEnv::start(WORKERS).await;
    let mut observer = env.observe(&["case.closed"]).await;
    // A Resolution case (an MP's complaint), closed 2 months ago.
    let mut earlier = complaint("CUST-JOURNEY");
    earlier["data"]["raised_by"] = json!("mp");
    env.publish(&earlier).await;
    let resolution = case_opened_by(&env, earlier["id"].as_str().unwrap()).await;
    close_case_at(&env, resolution.id, Utc::now() - Days::days(60)).await;
    let mut conn = env.conn().await;

    let mut review = complaint("CUST-JOURNEY");
    review["data"]["received_at"] = json!(Utc::now());
    review["data"]["earlier_case"] = json!(resolution.reference);
    review["data"]["review_requested"] = json!(true);
    env.publish(&review).await;
    let opened = case_opened_by(&env, review["id"].as_str().unwrap()).await;
    assert_eq!(opened.tier.number(), 2);
    assert_eq!(opened.handling_team, "complaint_review_team");
    assert_eq!(opened.linked_case_id, Some(resolution.id));
    assert_eq!(opened.closed_at, None);

    // Eight months on, the same referral is rejected and returned.
    diesel::update(cases::table.find(resolution.id))
        .set(cases::closed_at.eq(Utc::now() - Days::days(240)))
        .execute(&mut conn)
        .await
        .unwrap();
    let mut stale = review.clone();
    stale["id"] = json!(uuid::Uuid::now_v7());
    env.publish(&stale).await;
    let refused = case_opened_by(&env, stale["id"].as_str().unwrap()).await;
    assert_eq!(refused.tier.number(), 2);
    assert_eq!(refused.status, "Closed");
    assert_eq!(refused.resolution_code, Some(ResolutionCode::Rejected));
    let closed = observer.next().await;
    assert_eq!(closed.subject.as_deref(), Some(refused.reference.as_str()));
    assert_eq!(closed.data["resolution_code"], "Rejected");
    assert_eq!(closed.data["returned_to"], "mp_specialists");

    let customers: i64 = parties::table
        .filter(parties::reference.eq("CUST-JOURNEY"))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(customers, 1, "one customer across the whole journey");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recent_dissatisfaction_on_the_same_issue_goes_to_resolution() {
    let env = TestEnv::start(WORKERS).await;
    let first = complaint("CUST-AGAIN");
    env.publish(&first).await;
    let dissatisfaction = case_opened_by(&env, first["id"].as_str().unwrap()).await;
    let mut again = complaint("CUST-AGAIN");
    again["data"]["earlier_case"] = json!(dissatisfaction.reference);
    env.publish(&again).await;
    let resolution = case_opened_by(&env, again["id"].as_str().unwrap()).await;
    assert_eq!(resolution.tier.number(), 1);
    assert_eq!(resolution.stage, "Acknowledge Complaint");
    assert_eq!(resolution.status, "Pending Assignment");
    assert_eq!(resolution.linked_case_id, Some(dissatisfaction.id));
    wait_for("both cases", || async {
        (case_count(&env).await == 2).then_some(())
    })
    .await;
    env.stop().await;
}
