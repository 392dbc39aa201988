//! The complaint process end to end (process.md §4): each path of each tier's procedure, driven
//! by the decision events a caseworker, team leader, G7 manager or customer would cause, through
//! the real broker and database. Each test observes what a user would see: the case's stage,
//! status and resolution code, the letters produced with their text, the tasks for teams, the
//! linked cases an escalation opens, and the refusals.

mod common;

use common::casework::{
    allocate, case, decide, decision, dissatisfied, escalated_from, g7_authorises, letters_of, mp,
    open, team_leader_cannot_resolve, timeline_len,
};
use common::{dead_letters_of, wait_for, TestEnv};
use complaints::db::cases::find_by_reference;
use complaints::db::schema::{systemic_issues, timers};
use complaints::supervisor::WorkerKind;
use complaints::vocabulary::{ExternalStage, Outcome, ResolutionCode, Signposting, SubStatus};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};

const WORKERS: &[WorkerKind] = &[
    WorkerKind::Intake,
    WorkerKind::Casework,
    WorkerKind::Escalation,
    WorkerKind::Letters,
    WorkerKind::OutboxRelay,
];

fn apology_plan(by: &str) -> Value {
    json!({
        "grounds": ["The payment was late three months running"],
        "actions": [{ "id": "A1", "kind": "apology", "description": "Apologise for the delay", "due_on": "2026-12-10" }],
        "by": by,
    })
}

fn letter_5701() -> Value {
    json!({
        "explanation": "The payment was held by a system fault.",
        "apology": "We are sorry for the worry this caused.",
        "corrective_action": "The fault is fixed and the payment released.",
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tier_0_resolved_at_source() {
    let mut env = TestEnv::start(WORKERS).await;
    let mut closed = env.observe(&["case.closed"]).await;
    let mut scheduled = env.observe(&["actions.scheduled"]).await;
    let dis = open(&env, "CUST-T0-SOURCE", |_| {}).await;
    assert_eq!((dis.tier.number(), dis.status.as_str()), (0, "In Progress"));
    let r = dis.reference.as_str();

    decide(
        &env,
        r,
        "resolution_plan.drafted",
        apology_plan("cw1"),
        |c| c.resolution_plan.is_some(),
    )
    .await;
    decide(
        &env,
        r,
        "resolution_plan.proposed",
        json!({ "customer_reached": false, "by": "cw1", "letter_fields": letter_5701() }),
        |c| c.resolution_plan.as_ref().unwrap()["proposed"] == json!(true),
    )
    .await;
    decide(
        &env,
        r,
        "resolution_plan.agreed",
        json!({ "actions": [{ "id": "A1", "description": "Apologise", "due_on": "2026-12-12" }] }),
        |c| c.stage == "Resolution Action",
    )
    .await;
    // The plan in force: the deadlines worker starts a clock for each action from this.
    let in_force = scheduled.next().await;
    assert_eq!(
        in_force.data["actions"],
        json!([{ "id": "A1", "due_on": "2026-12-12" }])
    );
    decide(
        &env,
        r,
        "action.completed",
        json!({ "action_id": "A1" }),
        |c| c.resolution_plan.as_ref().unwrap()["completed"] == json!(["A1"]),
    )
    .await;
    let done = decide(
        &env,
        r,
        "closure.decided",
        json!({ "resolution_code": "Actions Complete – Client OK", "customer_reached": true,
                "root_cause": "system error", "by": "cw1", "letter_fields": letter_5701() }),
        |c| c.status == "Closed",
    )
    .await;
    assert_eq!(
        done.resolution_code,
        Some(ResolutionCode::ActionsCompleteClientOk)
    );
    assert_eq!(done.sub_status, Some(SubStatus::Complete));
    assert_eq!(done.root_cause.as_deref(), Some("system error"));
    assert!(done.closed_at.is_some());

    let sent = letters_of(&env, dis.id, 2).await;
    assert_eq!(
        sent.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        ["CMSL5701", "CMSL5701"]
    );
    // Seed 004: the first sets out the proposed actions, the second confirms the complaint closed.
    assert!(sent[0].1.contains("What we propose to do") && !sent[0].1.contains("closed"));
    assert!(
        sent[1].1.contains("your complaint is now closed"),
        "{}",
        sent[1].1
    );
    assert!(sent[1]
        .1
        .contains("The fault is fixed and the payment released."));
    let announced = closed.next().await;
    assert_eq!(announced.subject.as_deref(), Some(r));
    env.stop().await;
}

/// The whole journey: tier 0 → team leader → G7 → Resolution → Review → ICE signposting,
/// each case closed with its code and linked to the one before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_journey_escalates_from_tier_0_to_ice() {
    let mut env = TestEnv::start(WORKERS).await;
    let mut tasks = env.observe(&["task.created", "command.rejected"]).await;
    let dis = open(&env, "CUST-JOURNEY", |_| {}).await;
    let r = dis.reference.as_str();

    dissatisfied(&env, r, "cw1").await;
    let task = tasks.next().await;
    assert_eq!(task.data["assignee"], "team_leader");
    team_leader_cannot_resolve(&env, r).await;
    assert_eq!(tasks.next().await.data["assignee"], "manager");
    let closed = g7_authorises(&env, r, true, false).await;
    assert_eq!(closed.resolution_code, Some(ResolutionCode::Unresolved));
    assert_eq!(closed.stage, "Escalate to Resolution");

    let res = escalated_from(&env, &dis).await;
    // One CMSL5842, from the new Resolution case and quoting its reference (issue 11).
    let told = letters_of(&env, res.id, 1).await;
    assert_eq!(told[0].0, "CMSL5842");
    assert!(told[0].1.contains(&res.reference), "{}", told[0].1);
    assert_eq!(
        (res.tier.number(), res.status.as_str()),
        (1, "Pending Assignment")
    );
    assert_eq!(res.handling_team, "complaint_resolution_team");
    assert_eq!(res.complaint.summary, dis.complaint.summary);
    let told = tasks.next().await;
    assert_eq!(told.data["assignee"], "complaint_resolution_team");
    assert_eq!(told.subject.as_deref(), Some(res.reference.as_str()));

    let r1 = res.reference.as_str();
    allocate(&env, r1, "cm1", "tl2").await;
    let escalated = decide(
        &env,
        r1,
        "outcome.decided",
        json!({ "outcome": "not_upheld", "reasons": "Paid on time by the bank's records",
                "customer_clearly_dissatisfied": true, "by": "cm1" }),
        |c| c.status == "Closed",
    )
    .await;
    assert_eq!(escalated.signposted_to, Some(Signposting::Review));
    assert_eq!(escalated.resolution_code, Some(ResolutionCode::Unresolved));

    let rev = escalated_from(&env, &res).await;
    assert_eq!(
        (rev.tier.number(), rev.handling_team.as_str()),
        (2, "complaint_review_team")
    );
    assert_eq!(tasks.next().await.data["assignee"], "complaint_review_team");
    let r2 = rev.reference.as_str();

    // The review may not go to the person who handled tier 1.
    env.publish(&decision(
        r2,
        "case.allocated",
        json!({ "to": "cm1", "by": "tl3" }),
    ))
    .await;
    let refused = tasks.next().await;
    assert_eq!(refused.event_type, "command.rejected");
    assert!(refused.data["reason"]
        .as_str()
        .unwrap()
        .contains("no part in earlier responses"));
    assert_eq!(case(&env, r2).await.status, "Pending Assignment");

    allocate(&env, r2, "rv1", "tl3").await;
    decide(
        &env,
        r2,
        "outcome.decided",
        json!({ "outcome": "justified", "reasons": "Right to complain; the apology given is enough",
                "by": "rv1", "letter_fields": { "update": "We have looked again at your complaint." } }),
        |c| c.sub_status == Some(SubStatus::Wait),
    )
    .await;
    assert_eq!(letters_of(&env, rev.id, 1).await[0].0, "CMSL5800");
    decide(
        &env,
        r2,
        "client.replied",
        json!({ "channel": "phone" }),
        |_| true,
    )
    .await;
    let final_case = decide(
        &env,
        r2,
        "closure.decided",
        json!({ "resolution_code": "No Action Taken", "customer_reached": true, "by": "rv1" }),
        |c| c.status == "Closed",
    )
    .await;
    assert_eq!(final_case.signposted_to, Some(Signposting::Ice));
    let at_ice = decide(
        &env,
        r2,
        "external_stage.recorded",
        json!({ "body": "ice", "stage": "contacted", "note": "ICE asked for the file", "by": "ice-team" }),
        |c| c.ice_stage == Some(ExternalStage::Contacted),
    )
    .await;
    assert_eq!(at_ice.linked_case_id, Some(res.id));
    assert_eq!(res.linked_case_id, Some(dis.id));
    let mut conn = env.conn().await;
    let view = find_by_reference(&mut conn, r).await.unwrap().unwrap();
    let journey: Vec<(&str, i16, Option<&str>)> = view
        .journey
        .iter()
        .map(|s| {
            let code = s.resolution_code.map(ResolutionCode::as_str);
            (s.reference.as_str(), s.tier.number(), code)
        })
        .collect();
    assert_eq!(
        journey,
        [
            (dis.reference.as_str(), 0, Some("Unresolved")),
            (r1, 1, Some("Unresolved")),
            (r2, 2, Some("No Action Taken")),
        ]
    );
    env.stop().await;
}

/// Tier 1 redress: a payment beyond delegated authority needs the Special Payment Team after
/// the team leader; then the plan is agreed, done and the case closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_special_payment_beyond_delegated_authority_goes_to_the_special_payment_team() {
    let mut env = TestEnv::start(WORKERS).await;
    let mut tasks = env.observe(&["task.created"]).await;
    let res = open(&env, "CUST-SPT", mp).await;
    assert_eq!(
        (res.tier.number(), res.handling_team.as_str()),
        (1, "mp_specialists")
    );
    let r = res.reference.as_str();
    allocate(&env, r, "mp1", "tl1").await;
    decide(
        &env,
        r,
        "outcome.decided",
        json!({ "outcome": "upheld", "reasons": "The payment was late", "by": "mp1" }),
        |c| c.outcome == Some(Outcome::Upheld),
    )
    .await;
    decide(
        &env,
        r,
        "resolution_plan.drafted",
        json!({
            "grounds": ["Three late payments"],
            "actions": [
                { "id": "A1", "kind": "apology", "description": "Apologise", "due_on": "2026-12-10" },
                { "id": "A2", "kind": "financial_redress", "description": "Bank charges", "due_on": "2026-12-15",
                  "payment": { "amount_pence": 30000, "kind": "actual_financial_loss" } }
            ],
            "by": "mp1"
        }),
        |c| c.sub_status == Some(SubStatus::DraftActionPlan),
    )
    .await;
    // At Resolution beyond the case manager's delegated authority the payment goes straight to
    // the Special Payment Team (seed 001); team leader approval is the Review's rule.
    decide(
        &env,
        r,
        "resolution_plan.submitted",
        json!({ "by": "mp1" }),
        |c| c.sub_status == Some(SubStatus::PendingSpecialPaymentTeam),
    )
    .await;
    let spt = tasks.next().await;
    assert_eq!(spt.data["assignee"], "special_payment_team");
    // Operations see what the case waits for.
    let config = &env.app.config;
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_complaints"))
        .arg("status")
        .env_clear()
        .env("COMPLAINTS__DATABASE__URL", &config.database.url)
        .env("COMPLAINTS__AMQP__NAMESPACE", &config.amqp.namespace)
        .output()
        .expect("complaints status runs");
    let printed = String::from_utf8_lossy(&status.stdout);
    assert!(
        printed.lines().any(
            |l| l.trim_start().starts_with("Pending Special Payment Team") && l.ends_with(" 1")
        ),
        "{printed}"
    );
    assert!(spt.data["task"].as_str().unwrap().contains("£300.00"));
    decide(
        &env,
        r,
        "resolution_plan.approved",
        json!({ "approver": "special_payment_team", "amount_pence": 30000, "by": "spt1" }),
        |c| c.sub_status == Some(SubStatus::Approved),
    )
    .await;
    decide(
        &env,
        r,
        "resolution_plan.proposed",
        json!({ "customer_reached": true, "by": "mp1" }),
        |c| c.resolution_plan.as_ref().unwrap()["proposed"] == json!(true),
    )
    .await;
    decide(
        &env,
        r,
        "resolution_plan.agreed",
        json!({ "actions": [
            { "id": "A1", "description": "Apologise", "due_on": "2026-12-10" },
            { "id": "A2", "description": "Bank charges", "due_on": "2026-12-20" }
        ] }),
        |c| c.sub_status == Some(SubStatus::UndertakeActionsPrescribed),
    )
    .await;
    for id in ["A1", "A2"] {
        decide(
            &env,
            r,
            "action.completed",
            json!({ "action_id": id }),
            |c| {
                c.resolution_plan.as_ref().unwrap()["completed"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x == id)
            },
        )
        .await;
    }
    let done = decide(
        &env,
        r,
        "closure.decided",
        json!({ "resolution_code": "Actions Complete – Client OK", "customer_reached": true, "by": "mp1" }),
        |c| c.status == "Closed",
    )
    .await;
    assert_eq!(done.signposted_to, Some(Signposting::Review));
    env.stop().await;
}

/// Tier 2 with an action plan the customer disputes: the team leader has it go ahead
/// (CMSL5803), and the customer still disagreeing at the end closes it Client Not OK (CMSL5807
/// with the leaflet).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disputed_review_plan_goes_ahead_and_closes_client_not_ok() {
    let env = TestEnv::start(WORKERS).await;
    let res = open(&env, "CUST-REVIEW", mp).await;
    let r1 = res.reference.as_str();
    allocate(&env, r1, "mp1", "tl1").await;
    decide(
        &env,
        r1,
        "outcome.decided",
        json!({ "outcome": "part_upheld", "reasons": "One payment was late", "by": "mp1" }),
        |c| c.outcome.is_some(),
    )
    .await;
    decide(
        &env,
        r1,
        "customer.dissatisfied",
        json!({ "reason": "Wants more", "by": "mp1" }),
        |c| c.status == "Closed",
    )
    .await;
    let rev = escalated_from(&env, &res).await;
    let r = rev.reference.as_str();
    allocate(&env, r, "rv1", "tl2").await;
    decide(
        &env,
        r,
        "outcome.decided",
        json!({ "outcome": "upheld", "reasons": "All three payments were late", "by": "rv1" }),
        |c| c.sub_status == Some(SubStatus::DraftActionPlan),
    )
    .await;
    decide(
        &env,
        r,
        "resolution_plan.drafted",
        apology_plan("rv1"),
        |c| c.sub_status == Some(SubStatus::Approved),
    )
    .await;
    decide(
        &env,
        r,
        "resolution_plan.proposed",
        json!({ "customer_reached": true, "by": "rv1", "letter_fields": {
            "complaint_details": "Your payments were late.",
            "why_mistake": "A system fault held them.",
            "corrective_action": "We will apologise in writing.",
            "days_until_due": "10"
        } }),
        |c| c.resolution_plan.as_ref().unwrap()["proposed"] == json!(true),
    )
    .await;
    decide(
        &env,
        r,
        "resolution_plan.disagreed",
        json!({ "objection": "Not enough", "by": "rv1" }),
        |c| c.sub_status == Some(SubStatus::PendingTlApproval),
    )
    .await;
    decide(
        &env,
        r,
        "resolution_plan.approved",
        json!({ "approver": "team_leader", "amount_pence": 0, "by": "tl2",
                "letter_fields": { "update": "A senior team leader reviewed the plan." } }),
        |c| c.sub_status == Some(SubStatus::UndertakeActionsPrescribed),
    )
    .await;
    decide(
        &env,
        r,
        "action.completed",
        json!({ "action_id": "A1" }),
        |c| c.resolution_plan.as_ref().unwrap()["completed"] == json!(["A1"]),
    )
    .await;
    let closed = decide(
        &env,
        r,
        "customer.dissatisfied",
        json!({ "reason": "Does not accept closure", "by": "rv1",
                "letter_fields": { "update": "We have done what we said we would." } }),
        |c| c.status == "Closed",
    )
    .await;
    assert_eq!(
        closed.resolution_code,
        Some(ResolutionCode::ActionsCompleteClientNotOk)
    );
    let sent = letters_of(&env, rev.id, 3).await;
    let codes: Vec<&str> = sent.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(codes, ["CMSL5801", "CMSL5803", "CMSL5807"]);
    // What was written with each decision is on the cases' timelines as written (issue 12
    // point 12), as `show` and the API present them.
    assert_eq!(
        written(&env, r1).await,
        [
            "Reasons for the outcome: One payment was late",
            "Why the customer is not content: Wants more"
        ]
    );
    assert_eq!(
        written(&env, r).await,
        [
            "Reasons for the outcome: All three payments were late",
            "The customer's objection to the plan: Not enough",
            "Why the customer is not content: Does not accept closure"
        ]
    );
    env.stop().await;
}

/// The timeline entries of case `reference` that keep what someone wrote, as `show` and the
/// API present them.
async fn written(env: &TestEnv, reference: &str) -> Vec<String> {
    let mut conn = env.conn().await;
    let view = find_by_reference(&mut conn, reference)
        .await
        .unwrap()
        .unwrap();
    view.timeline
        .into_iter()
        .filter(|e| e.written().is_some())
        .map(|e| e.entry)
        .collect()
}

/// A decision the case's state does not allow is refused with the reason, and changes
/// nothing; so is a letter without the caseworker's text it needs, and a phone call to a
/// customer who may be contacted only in writing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_the_case_does_not_allow_is_refused_and_changes_nothing() {
    let mut env = TestEnv::start(WORKERS).await;
    let mut refusals = env.observe(&["command.rejected"]).await;
    let dis = open(&env, "CUST-REFUSED", |data| {
        data["customer"]["contact_restriction"] = json!("written_only");
    })
    .await;
    let r = dis.reference.as_str();
    let before = case(&env, r).await;
    let entries = timeline_len(&env, r).await;

    let refused = [
        (
            "outcome.decided",
            json!({ "outcome": "upheld", "reasons": "x", "by": "cw1" }),
            "no outcome",
        ),
        (
            "contact.attempted",
            json!({ "method": "phone", "successful": true, "by": "cw1" }),
            "in writing only",
        ),
        (
            "escalation.authorised",
            json!({ "customer_told_by_phone": true, "by": "g7" }),
            "no referral",
        ),
        (
            "closure.decided",
            json!({ "resolution_code": "Rejected", "customer_reached": true, "by": "cw1" }),
            "not Rejected",
        ),
        (
            "resolution_plan.submitted",
            json!({ "by": "cw1" }),
            "no resolution plan",
        ),
    ];
    for (event_type, data, why) in refused {
        let event = decision(r, event_type, data);
        env.publish(&event).await;
        let rejection = refusals.next().await;
        assert_eq!(rejection.data["event_id"], event["id"], "{event_type}");
        let reason = rejection.data["reason"].as_str().unwrap();
        assert!(reason.contains(why), "{event_type}: {reason}");
    }
    // A plan put to the customer needs CMSL5701's text.
    decide(
        &env,
        r,
        "resolution_plan.drafted",
        apology_plan("cw1"),
        |c| c.resolution_plan.is_some(),
    )
    .await;
    let entries_after_plan = timeline_len(&env, r).await;
    env.publish(&decision(
        r,
        "resolution_plan.proposed",
        json!({ "customer_reached": false, "by": "cw1" }),
    ))
    .await;
    let missing = refusals.next().await;
    assert!(
        missing.data["reason"]
            .as_str()
            .unwrap()
            .contains("CMSL5701"),
        "{missing:?}"
    );
    // And a case nobody has heard of.
    env.publish(&decision(
        "DIS-1999-999999",
        "case.allocated",
        json!({ "to": "a", "by": "b" }),
    ))
    .await;
    assert!(refusals.next().await.data["reason"]
        .as_str()
        .unwrap()
        .contains("no case"));

    let after = case(&env, r).await;
    assert_eq!(
        (
            after.status.as_str(),
            after.stage.as_str(),
            after.outcome.as_ref()
        ),
        (before.status.as_str(), before.stage.as_str(), None)
    );
    assert_eq!(
        after.resolution_plan.as_ref().unwrap()["proposed"],
        json!(false)
    );
    assert_eq!(timeline_len(&env, r).await, entries_after_plan);
    assert_eq!(entries_after_plan, entries + 1, "only the plan was noted");
    env.stop().await;
}

/// The third Resolution complaint on one category within a month goes on the Systemic Log and
/// the manager is told.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_third_complaint_on_a_category_within_a_month_is_a_systemic_issue() {
    let mut env = TestEnv::start(WORKERS).await;
    let mut recorded = env.observe(&["systemic_issue.recorded"]).await;
    let mut references = Vec::new();
    for i in 0..3 {
        let case = open(&env, &format!("CUST-SYSTEMIC-{i}"), |data| {
            mp(data);
            data["categories"] = json!(["lost_post"]);
        })
        .await;
        references.push(case.reference);
    }
    let issue = recorded.next().await;
    assert_eq!(issue.data["category"], "lost_post");
    let mut logged: Vec<String> =
        serde_json::from_value(issue.data["case_references"].clone()).unwrap();
    logged.sort();
    references.sort();
    assert_eq!(logged, references);
    let mut conn = env.conn().await;
    let rows: i64 = systemic_issues::table
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(rows, 1);
    env.stop().await;
}

/// Complaints arriving together (a batch of the casework worker) are counted on the Systemic
/// Log as if one at a time: ten on one category make three entries and seven on another two,
/// each naming three cases of its own category, no case in two entries, and a case on both
/// categories counted on each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complaints_arriving_together_are_counted_on_the_systemic_log_one_by_one() {
    let mut env = TestEnv::start(WORKERS).await;
    let mut recorded = env.observe(&["systemic_issue.recorded"]).await;
    let mut events = Vec::new();
    let categories = |i: usize| match i {
        0..=5 => json!(["delay"]),
        6..=9 => json!(["delay", "payments"]),
        _ => json!(["payments"]),
    };
    for i in 0..13 {
        let mut event = common::complaint(&format!("CUST-BURST-{i}"));
        mp(&mut event["data"]);
        event["data"]["categories"] = categories(i);
        events.push(event);
    }
    for event in &events {
        env.publish(event).await;
    }
    let issues = recorded.take(5).await;
    let mut by_category: std::collections::HashMap<String, Vec<Vec<String>>> = Default::default();
    for issue in &issues {
        let cases: Vec<String> =
            serde_json::from_value(issue.data["case_references"].clone()).unwrap();
        assert_eq!(cases.len(), 3, "an entry names three cases: {cases:?}");
        by_category
            .entry(issue.data["category"].as_str().unwrap().to_owned())
            .or_default()
            .push(cases);
    }
    assert_eq!(
        by_category["delay"].len(),
        3,
        "ten on `delay`: three entries"
    );
    assert_eq!(
        by_category["payments"].len(),
        2,
        "seven on `payments`: two entries"
    );
    for (category, entries) in &by_category {
        let mut named: Vec<&String> = entries.iter().flatten().collect();
        let all = named.len();
        named.sort();
        named.dedup();
        assert_eq!(named.len(), all, "no case twice on `{category}`");
    }
    let mut conn = env.conn().await;
    let rows: i64 = systemic_issues::table
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(rows, 5, "no entry beyond the five announced");
    env.stop().await;
}

/// Every decision type refuses a field it does not know, and one missing a field it needs: the
/// message goes to the casework dead-letter queue unchanged, with the reason, and the case is
/// untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_decision_type_refuses_bad_input_and_keeps_it() {
    let env = TestEnv::start(WORKERS).await;
    let dis = open(&env, "CUST-BAD-DECISIONS", |_| {}).await;
    let r = dis.reference.as_str();
    let entries = timeline_len(&env, r).await;
    let valid: Vec<(&str, Value)> = vec![
        (
            "contact.attempted",
            json!({ "method": "phone", "successful": true, "by": "cw1" }),
        ),
        ("case.allocated", json!({ "to": "cw2", "by": "tl1" })),
        ("resolution_plan.drafted", apology_plan("cw1")),
        ("resolution_plan.submitted", json!({ "by": "cw1" })),
        (
            "resolution_plan.approved",
            json!({ "approver": "team_leader", "amount_pence": 0, "by": "tl1" }),
        ),
        (
            "resolution_plan.rejected",
            json!({ "approver": "team_leader", "reason": "No", "by": "tl1" }),
        ),
        (
            "resolution_plan.proposed",
            json!({ "customer_reached": true, "by": "cw1" }),
        ),
        (
            "resolution_plan.agreed",
            json!({ "actions": [{ "id": "A1", "description": "x", "due_on": "2026-12-01" }] }),
        ),
        (
            "resolution_plan.disagreed",
            json!({ "objection": "No", "by": "cw1" }),
        ),
        ("action.completed", json!({ "action_id": "A1" })),
        (
            "outcome.decided",
            json!({ "outcome": "upheld", "reasons": "x", "by": "cw1" }),
        ),
        ("client.replied", json!({ "channel": "phone" })),
        (
            "customer.dissatisfied",
            json!({ "reason": "No", "by": "cw1" }),
        ),
        (
            "team_leader.decided",
            json!({ "decision": "cannot_resolve", "by": "tl1" }),
        ),
        (
            "escalation.authorised",
            json!({ "customer_told_by_phone": true, "by": "g7" }),
        ),
        (
            "categories.changed",
            json!({ "categories": ["delay"], "by": "cw1" }),
        ),
        (
            "closure.decided",
            json!({ "resolution_code": "Answered Enquiry", "customer_reached": true, "by": "cw1" }),
        ),
        (
            "external_stage.recorded",
            json!({ "body": "ice", "stage": "contacted", "note": "x", "by": "ice" }),
        ),
    ];
    let mut sent = Vec::new();
    for (event_type, data) in &valid {
        let mut unknown = data.clone();
        unknown["colour"] = json!("red");
        let mut incomplete = data.clone();
        let first = incomplete
            .as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap()
            .clone();
        incomplete.as_object_mut().unwrap().remove(&first);
        for data in [unknown, incomplete] {
            let event = decision(r, event_type, data);
            env.publish(&event).await;
            sent.push(serde_json::to_vec(&event).unwrap());
        }
    }
    let dead = dead_letters_of(&env, "casework", sent.len()).await;
    for letter in &dead {
        assert_eq!(letter.reason_kind.as_deref(), Some("schema_violation"));
        assert!(sent.contains(&letter.body), "kept byte for byte");
    }
    let reasons: Vec<&str> = dead.iter().filter_map(|d| d.reason.as_deref()).collect();
    for (event_type, _) in &valid {
        let about: Vec<&&str> = reasons
            .iter()
            .filter(|r| r.contains(&format!("`{event_type}`")))
            .collect();
        assert_eq!(about.len(), 2, "{event_type}: {reasons:?}");
        assert!(
            about.iter().any(|r| r.contains("unknown field `colour`")),
            "{event_type}: {about:?}"
        );
        assert!(
            about.iter().any(|r| r.contains("missing field")),
            "{event_type}: {about:?}"
        );
    }
    assert_eq!(
        timeline_len(&env, r).await,
        entries,
        "the case is untouched"
    );
    env.stop().await;
}

/// The state machine and the clocks together: a Review whose actions are done but whose
/// customer cannot be reached gets CMSL5805 by post, and fourteen days of silence close it
/// (simulated clock).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_closes_fourteen_days_after_cmsl5805_when_the_customer_is_silent() {
    let mut everything = WORKERS.to_vec();
    everything.extend([WorkerKind::Deadlines, WorkerKind::Scheduler]);
    let env = TestEnv::start_simulated(&everything).await;
    let res = open(&env, "CUST-SILENT", |data| {
        mp(data);
        data["customer"].as_object_mut().unwrap().remove("email");
    })
    .await;
    let r1 = res.reference.as_str();
    let tier_1: [(&str, Value); 3] = [
        ("case.allocated", json!({ "to": "mp1", "by": "tl1" })),
        (
            "outcome.decided",
            json!({ "outcome": "part_upheld", "reasons": "One late payment", "by": "mp1" }),
        ),
        (
            "customer.dissatisfied",
            json!({ "reason": "Wants a review", "by": "mp1" }),
        ),
    ];
    for (event_type, data) in tier_1 {
        decide(&env, r1, event_type, data, |_| true).await;
    }
    let rev = escalated_from(&env, &res).await;
    let r = rev.reference.as_str();
    let tier_2: [(&str, Value); 6] = [
        ("case.allocated", json!({ "to": "rv1", "by": "tl2" })),
        (
            "outcome.decided",
            json!({ "outcome": "upheld", "reasons": "All late", "by": "rv1" }),
        ),
        ("resolution_plan.drafted", apology_plan("rv1")),
        (
            "resolution_plan.proposed",
            json!({ "customer_reached": true, "by": "rv1", "letter_fields": {
            "complaint_details": "Late payments.", "why_mistake": "A fault.",
            "corrective_action": "An apology.", "days_until_due": "5" } }),
        ),
        (
            "resolution_plan.agreed",
            json!({ "actions": [{ "id": "A1", "description": "Apologise", "due_on": "2026-12-10" }] }),
        ),
        ("action.completed", json!({ "action_id": "A1" })),
    ];
    for (event_type, data) in tier_2 {
        decide(&env, r, event_type, data, |_| true).await;
    }
    let waiting = decide(
        &env,
        r,
        "closure.decided",
        json!({ "resolution_code": "Actions Complete – Client OK", "customer_reached": false, "by": "rv1",
                "letter_fields": { "what_this_means": "Your complaint is resolved." } }),
        |c| c.sub_status == Some(SubStatus::Wait),
    )
    .await;
    assert_eq!(
        waiting.status, "In Progress",
        "open until the wait runs out"
    );
    let sent = letters_of(&env, rev.id, 2).await;
    assert_eq!(sent[1].0, "CMSL5805");
    wait_for("the 14-day wait after CMSL5805", || async {
        let mut conn = env.conn().await;
        let pending: i64 = timers::table
            .filter(timers::case_id.eq(rev.id))
            .filter(timers::clock.eq("wait_after_cmsl5805"))
            .filter(timers::state.eq("pending"))
            .count()
            .get_result(&mut conn)
            .await
            .unwrap();
        (pending == 1).then_some(())
    })
    .await;

    env.advance("15d");
    let closed = wait_for("the review to close", || async {
        let now = case(&env, r).await;
        (now.status == "Closed").then_some(now)
    })
    .await;
    assert_eq!(
        closed.resolution_code,
        Some(ResolutionCode::ActionsCompleteClientOk)
    );
    assert_eq!(closed.signposted_to, Some(Signposting::Ice));
    env.stop().await;
}
