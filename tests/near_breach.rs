//! `/metrics` counts the open cases near their response target by tier and team: none while
//! the target is weeks away, one when it is within a day (the simulated clock moved on with
//! no scheduler to fire the clock).

mod common;

use chrono::{Duration, Utc};
use common::{case_opened_by, complaint, wait_for, TestEnv};
use complaints::db::schema::timers;
use complaints::supervisor::WorkerKind;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;

/// The `complaints_cases_near_breach` lines of /metrics.
async fn near_breach(env: &TestEnv) -> Vec<String> {
    env.http_client()
        .await
        .get(env.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("complaints_cases_near_breach{"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cases_within_a_day_of_their_target_are_counted_by_tier_and_team() {
    let env = TestEnv::start_simulated(&[
        WorkerKind::Intake,
        WorkerKind::Deadlines,
        WorkerKind::OutboxRelay,
        WorkerKind::Http,
    ])
    .await;
    // Raised by an MP: a Resolution (tier 1) case, which has a response target.
    let mut event = complaint("CUST-NEAR-1");
    event["data"]["raised_by"] = json!("mp");
    event["data"]["received_at"] = json!(Utc::now());
    env.publish(&event).await;
    let case = case_opened_by(&env, event["id"].as_str().unwrap()).await;
    let deadline = wait_for("the response target set", || async {
        let mut conn = env.conn().await;
        timers::table
            .filter(timers::case_id.eq(case.id))
            .filter(timers::clock.eq("response_target"))
            .select(timers::deadline)
            .first::<chrono::DateTime<Utc>>(&mut conn)
            .await
            .ok()
    })
    .await;
    let far = near_breach(&env).await;
    assert!(far.iter().all(|l| l.ends_with(" 0")), "{far:?}");

    let to_go = deadline - env.app.clock.now() - Duration::hours(12);
    env.advance(&format!("{}s", to_go.num_seconds()));
    env.clock_reaches(deadline - Duration::hours(13)).await;
    let near = near_breach(&env).await;
    assert_eq!(near.len(), 1, "{near:?}");
    assert!(
        near[0].contains(&format!("team=\"{}\"", case.handling_team))
            && near[0].contains("tier=\"resolution\"")
            && near[0].ends_with(" 1"),
        "{near:?}"
    );
    env.stop().await;
}
