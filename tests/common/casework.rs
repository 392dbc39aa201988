//! Driving cases through the process as a case-management front end would: decision events
//! published under a case's reference, and waiting until the case shows their effect.

use chrono::Utc;
use complaints::db::cases::CaseRecord;
use complaints::db::schema::{case_timeline, cases, letters};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{case_opened_by, complaint, wait_for, TestEnv};

/// A decision about case `reference`, as a case-management front end would publish it.
pub fn decision(reference: &str, event_type: &str, data: Value) -> Value {
    json!({
        "specversion": "1.0",
        "id": Uuid::now_v7().to_string(),
        "type": event_type,
        "source": "urn:test:case-management",
        "time": Utc::now(),
        "subject": reference,
        "datacontenttype": "application/json",
        "data": data,
    })
}

pub async fn case(env: &TestEnv, reference: &str) -> CaseRecord {
    let mut conn = env.conn().await;
    cases::table
        .filter(cases::reference.eq(reference))
        .select(CaseRecord::as_select())
        .first(&mut conn)
        .await
        .expect("the case exists")
}

/// Publishes a decision and waits until the case shows it took effect.
pub async fn decide(
    env: &TestEnv,
    reference: &str,
    event_type: &str,
    data: Value,
    took_effect: impl Fn(&CaseRecord) -> bool,
) -> CaseRecord {
    let entries_before = timeline_len(env, reference).await;
    env.publish(&decision(reference, event_type, data)).await;
    wait_for(&format!("{event_type} on {reference}"), || async {
        let now = case(env, reference).await;
        (timeline_len(env, reference).await > entries_before && took_effect(&now)).then_some(now)
    })
    .await
}

pub async fn timeline_len(env: &TestEnv, reference: &str) -> i64 {
    let mut conn = env.conn().await;
    case_timeline::table
        .inner_join(cases::table)
        .filter(cases::reference.eq(reference))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap()
}

/// The letters produced for a case, oldest first, once there are `n`.
pub async fn letters_of(env: &TestEnv, case_id: Uuid, n: usize) -> Vec<(String, String)> {
    wait_for(&format!("{n} letters"), || async {
        let mut conn = env.conn().await;
        let found: Vec<(String, String)> = letters::table
            .filter(letters::case_id.eq(case_id))
            .order(letters::created_at)
            .select((letters::code, letters::body_text))
            .load(&mut conn)
            .await
            .unwrap();
        (found.len() >= n).then_some(found)
    })
    .await
}

/// The case opened by escalation from `lower`.
pub async fn escalated_from(env: &TestEnv, lower: &CaseRecord) -> CaseRecord {
    wait_for("the escalated case", || async {
        let mut conn = env.conn().await;
        cases::table
            .filter(cases::linked_case_id.eq(lower.id))
            .select(CaseRecord::as_select())
            .first(&mut conn)
            .await
            .optional()
            .unwrap()
    })
    .await
}

/// Opens a case from the sample complaint, adjusted by `adjust`.
pub async fn open(env: &TestEnv, customer: &str, adjust: impl FnOnce(&mut Value)) -> CaseRecord {
    let mut event = complaint(customer);
    adjust(&mut event["data"]);
    env.publish(&event).await;
    case_opened_by(env, event["id"].as_str().unwrap()).await
}

/// Raised by an MP: tier 1 at once (process.md §3, rule 4).
pub fn mp(data: &mut Value) {
    data["raised_by"] = json!("mp");
}
