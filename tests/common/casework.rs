//! Driving cases through the process as a case-management front end would: decision events
//! published under a case's reference, and waiting until the case shows their effect.

use chrono::Utc;
use complaints::db::cases::CaseRecord;
use complaints::db::schema::{case_timeline, cases, letters};
use complaints::vocabulary::{Outcome, SubStatus};
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

/// A team leader (`by`) allocates case `reference` to `to`; waits until it is in progress.
pub async fn allocate(env: &TestEnv, reference: &str, to: &str, by: &str) -> CaseRecord {
    decide(
        env,
        reference,
        "case.allocated",
        json!({ "to": to, "by": by }),
        |c| c.status == "In Progress",
    )
    .await
}

/// Tier 0: `by` records that the customer is still not content ("Still no payment"); the case
/// waits for its team leader.
pub async fn dissatisfied(env: &TestEnv, reference: &str, by: &str) -> CaseRecord {
    decide(
        env,
        reference,
        "customer.dissatisfied",
        json!({ "reason": "Still no payment", "by": by }),
        |c| c.sub_status == Some(SubStatus::PendingApprovalTl),
    )
    .await
}

/// Tier 0: team leader `tl1` cannot resolve it; the case waits for the G7's authority.
pub async fn team_leader_cannot_resolve(env: &TestEnv, reference: &str) -> CaseRecord {
    decide(
        env,
        reference,
        "team_leader.decided",
        json!({ "decision": "cannot_resolve", "by": "tl1" }),
        |c| c.sub_status == Some(SubStatus::PendingG7Authorisation),
    )
    .await
}

/// Tier 0: the G7 (`g7`) authorises the escalation, having held a case conference or not and
/// having told the customer by phone or not; the tier 0 case closes.
pub async fn g7_authorises(
    env: &TestEnv,
    reference: &str,
    case_conference_held: bool,
    customer_told_by_phone: bool,
) -> CaseRecord {
    decide(
        env,
        reference,
        "escalation.authorised",
        json!({ "case_conference_held": case_conference_held,
                "customer_told_by_phone": customer_told_by_phone, "by": "g7" }),
        |c| c.status == "Closed",
    )
    .await
}

/// Tier 0 to tier 1 the usual way: the customer is dissatisfied (recorded by `by`), the team
/// leader cannot resolve it and the G7 authorises the escalation with no case conference.
/// Returns the Resolution case the escalation opened.
pub async fn escalate_to_resolution(
    env: &TestEnv,
    dis: &CaseRecord,
    by: &str,
    customer_told_by_phone: bool,
) -> CaseRecord {
    let r = dis.reference.as_str();
    dissatisfied(env, r, by).await;
    team_leader_cannot_resolve(env, r).await;
    g7_authorises(env, r, false, customer_told_by_phone).await;
    escalated_from(env, dis).await
}

/// An MP's complaint (a Resolution case at once) allocated to `mp1` by `tl2`, with an Upheld
/// outcome: waiting for its redress.
pub async fn upheld(env: &TestEnv, customer: &str) -> CaseRecord {
    let res = open(env, customer, mp).await;
    let r = res.reference.as_str();
    allocate(env, r, "mp1", "tl2").await;
    decide(
        env,
        r,
        "outcome.decided",
        json!({ "outcome": "upheld", "reasons": "The payment was late", "by": "mp1" }),
        |c| c.outcome == Some(Outcome::Upheld),
    )
    .await
}
