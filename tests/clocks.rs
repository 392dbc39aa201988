//! The clocks of process.md §5 run by themselves through the real workers, broker and
//! database, with the simulated clock moved by the `complaints clock` command: acknowledgement
//! letters, response targets and breaches, waits after letters, action reminders; a clock met
//! one second before it is due never fires.

mod common;

use chrono::{Duration, Utc};
use common::casework::{allocate, decide, decision};
use common::{case_opened_by, close_case_at, complaint, wait_for, TestEnv};
use complaints::db::cases::{find_by_reference, CaseRecord};
use complaints::db::schema::{cases, timers};
use complaints::supervisor::{self, WorkerKind};
use complaints::vocabulary::SubStatus;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};
use uuid::Uuid;

const ALL: &[WorkerKind] = &[
    WorkerKind::Intake,
    WorkerKind::Acknowledgement,
    WorkerKind::Casework,
    WorkerKind::Deadlines,
    WorkerKind::Scheduler,
    WorkerKind::OutboxRelay,
];

/// A complaint that opens a tier 1 (Resolution) case: an MP's.
fn tier_1(customer: &str) -> Value {
    let mut event = complaint(customer);
    event["data"]["raised_by"] = json!("mp");
    event["data"]["received_at"] = json!(Utc::now());
    event
}

/// A Review case: the customer's Resolution case closed a month ago, and they ask for a review.
async fn review_case(env: &TestEnv, customer: &str) -> CaseRecord {
    let earlier = tier_1(customer);
    env.publish(&earlier).await;
    let resolution = case_opened_by(env, earlier["id"].as_str().unwrap()).await;
    close_case_at(env, resolution.id, Utc::now() - Duration::days(30)).await;
    let mut review = complaint(customer);
    review["data"]["received_at"] = json!(Utc::now());
    review["data"]["earlier_case"] = json!(resolution.reference);
    env.publish(&review).await;
    let case = case_opened_by(env, review["id"].as_str().unwrap()).await;
    assert_eq!(case.tier.number(), 2);
    case
}

/// The state of a case's clock of `kind`, once it exists.
async fn clock_state(
    env: &TestEnv,
    case_id: Uuid,
    kind: &str,
) -> Option<(String, chrono::DateTime<Utc>)> {
    let mut conn = env.conn().await;
    timers::table
        .filter(timers::case_id.eq(case_id))
        .filter(timers::clock.eq(kind))
        .order(timers::id.desc())
        .select((timers::state, timers::due_at))
        .first(&mut conn)
        .await
        .optional()
        .unwrap()
}

async fn wait_for_clock(
    env: &TestEnv,
    case_id: Uuid,
    kind: &str,
    state: &str,
) -> chrono::DateTime<Utc> {
    wait_for(&format!("clock {kind} to be {state}"), || async {
        clock_state(env, case_id, kind)
            .await
            .filter(|(s, _)| s == state)
            .map(|(_, due)| due)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_contact_in_48_hours_sends_the_acknowledgement_letter_in_time() {
    let mut env = TestEnv::start_simulated(ALL).await;
    let mut letters = env.observe(&["letter.requested"]).await;
    let event = tier_1("CUST-ACK");
    env.publish(&event).await;
    let case = case_opened_by(&env, event["id"].as_str().unwrap()).await;
    let due = wait_for_clock(&env, case.id, "acknowledgement", "pending").await;
    assert_eq!(
        due,
        case.complaint.received_at + Duration::hours(40),
        "fires 8 hours before the 48"
    );

    env.advance("41h");
    let letter = letters.next().await;
    assert_eq!(letter.subject.as_deref(), Some(case.reference.as_str()));
    assert_eq!(letter.data["code"], "CMSL5842");
    assert_eq!(letter.data["automatic"], true);
    wait_for_clock(&env, case.id, "acknowledgement", "fired").await;

    let mut conn = env.conn().await;
    let view = find_by_reference(&mut conn, &case.reference)
        .await
        .unwrap()
        .unwrap();
    assert!(view
        .timeline
        .iter()
        .any(|e| e.entry.starts_with("Letter CMSL5842 requested")));
    let response = view
        .clocks
        .iter()
        .find(|c| c.clock == "response_target")
        .expect("listed");
    assert_eq!(response.state, "pending");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_met_one_second_before_it_is_due_never_fires() {
    // The scheduler starts only once the clock is met, so the second that separates the
    // contact from the deadline cannot be eaten by a slow machine.
    let without_scheduler: Vec<WorkerKind> = ALL
        .iter()
        .copied()
        .filter(|k| *k != WorkerKind::Scheduler)
        .collect();
    let mut env = TestEnv::start_simulated(&without_scheduler).await;
    let mut letters = env.observe(&["letter.requested"]).await;
    let met = tier_1("CUST-MET");
    env.publish(&met).await;
    let met_case = case_opened_by(&env, met["id"].as_str().unwrap()).await;
    let due = wait_for_clock(&env, met_case.id, "acknowledgement", "pending").await;

    // One second before it is due, the caseworker reaches the customer.
    let offset = (due - Duration::seconds(1)) - Utc::now();
    env.advance(&format!("{}ms", offset.num_milliseconds()));
    env.clock_reaches(due - Duration::seconds(2)).await;
    let contact = decision(
        &met_case.reference,
        "contact.attempted",
        json!({ "method": "phone", "successful": true, "by": "staff-0042" }),
    );
    env.publish(&contact).await;
    wait_for_clock(&env, met_case.id, "acknowledgement", "cancelled").await;

    // A second case whose clock runs out: when its letter comes, the scheduler has passed the
    // first case's due time.
    let marker = tier_1("CUST-MARKER");
    env.publish(&marker).await;
    let marker_case = case_opened_by(&env, marker["id"].as_str().unwrap()).await;
    wait_for_clock(&env, marker_case.id, "acknowledgement", "pending").await;
    env.advance("2d");
    let stop_scheduler = tokio_util::sync::CancellationToken::new();
    let mut scheduler =
        supervisor::start(&env.app, &[WorkerKind::Scheduler], None, &stop_scheduler)
            .expect("the scheduler starts");
    let letter = letters.next().await;
    assert_eq!(
        letter.subject.as_deref(),
        Some(marker_case.reference.as_str()),
        "only the marker's letter"
    );
    assert_eq!(
        clock_state(&env, met_case.id, "acknowledgement")
            .await
            .unwrap()
            .0,
        "cancelled"
    );
    stop_scheduler.cancel();
    while scheduler.join_next().await.is_some() {}
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_complaints_and_written_only_customers_get_the_letter_at_once() {
    let mut env = TestEnv::start_simulated(ALL).await;
    let mut letters = env.observe(&["letter.requested"]).await;
    let mut event = tier_1("CUST-WRITTEN");
    event["data"]["customer"]["contact_restriction"] = json!("written_only");
    env.publish(&event).await;
    let case = case_opened_by(&env, event["id"].as_str().unwrap()).await;
    let letter = letters.next().await;
    assert_eq!(letter.subject.as_deref(), Some(case.reference.as_str()));
    assert_eq!(letter.data["code"], "CMSL5842");
    assert!(
        clock_state(&env, case.id, "acknowledgement")
            .await
            .is_none(),
        "no phone step is waited for"
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_response_target_is_recorded_and_the_team_leader_and_manager_told() {
    let mut env = TestEnv::start_simulated(ALL).await;
    let mut breaches = env.observe(&["case.target_breached"]).await;
    let mut tasks = env.observe(&["task.created"]).await;
    let late = tier_1("CUST-LATE");
    let on_time = tier_1("CUST-PLANNED");
    env.publish(&late).await;
    env.publish(&on_time).await;
    let late_case = case_opened_by(&env, late["id"].as_str().unwrap()).await;
    let planned_case = case_opened_by(&env, on_time["id"].as_str().unwrap()).await;
    wait_for_clock(&env, late_case.id, "response_target", "pending").await;
    wait_for_clock(&env, planned_case.id, "response_target", "pending").await;

    // An agreed resolution plan before the target meets it, and starts its action's due date.
    let due_on = (Utc::now() + Duration::days(10)).date_naive();
    let r = planned_case.reference.as_str();
    let steps = [
        ("case.allocated", json!({ "to": "cm1", "by": "tl1" })),
        (
            "outcome.decided",
            json!({ "outcome": "upheld", "reasons": "Late", "by": "cm1" }),
        ),
        (
            "resolution_plan.drafted",
            json!({ "grounds": ["Late"], "by": "cm1", "actions": [
            { "id": "A1", "kind": "application_fee_refund", "description": "Refund the fee", "due_on": due_on }
        ] }),
        ),
        (
            "resolution_plan.proposed",
            json!({ "customer_reached": true, "by": "cm1" }),
        ),
    ];
    for (event_type, data) in steps {
        decide(&env, r, event_type, data, |_| true).await;
    }
    let plan = decision(
        r,
        "resolution_plan.agreed",
        json!({ "actions": [{ "id": "A1", "description": "Refund the fee", "due_on": due_on }] }),
    );
    env.publish(&plan).await;
    wait_for_clock(&env, planned_case.id, "response_target", "cancelled").await;
    wait_for_clock(&env, planned_case.id, "action_due", "pending").await;

    env.advance("30d");
    let breach = breaches.next().await;
    assert_eq!(
        breach.subject.as_deref(),
        Some(late_case.reference.as_str())
    );
    assert_eq!(breach.data["working_days"], 15);
    assert_eq!(breach.data["notify"], "team_leader");
    let manager = loop {
        let task = tasks.next().await;
        if task.data["assignee"] == "manager" {
            break task;
        }
    };
    assert_eq!(
        manager.subject.as_deref(),
        Some(late_case.reference.as_str())
    );
    assert!(manager.data["task"]
        .as_str()
        .unwrap()
        .contains("response target"));
    let mut conn = env.conn().await;
    let breached_at: Option<chrono::DateTime<Utc>> = cases::table
        .find(late_case.id)
        .select(cases::target_breached_at)
        .first(&mut conn)
        .await
        .unwrap();
    assert!(breached_at.is_some(), "the breach is recorded on the case");
    wait_for_clock(&env, planned_case.id, "action_due", "fired").await;
    wait_for_clock(&env, planned_case.id, "action_overdue", "pending").await;
    let planned: Option<chrono::DateTime<Utc>> = cases::table
        .find(planned_case.id)
        .select(cases::target_breached_at)
        .first(&mut conn)
        .await
        .unwrap();
    assert_eq!(planned, None, "the plan met the target");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_reply_seven_days_after_cmsl5800_closes_the_case_and_a_reply_stops_the_wait() {
    let mut env = TestEnv::start_simulated(ALL).await;
    let mut closures = env.observe(&["case.closed"]).await;
    let silent_case = review_case(&env, "CUST-SILENT").await;
    let replying_case = review_case(&env, "CUST-REPLIES").await;
    for case in [&silent_case, &replying_case] {
        // Review, step 7: not upheld, no further action; CMSL5800 says so.
        allocate(&env, &case.reference, "rv1", "tl3").await;
        decide(
            &env,
            &case.reference,
            "outcome.decided",
            json!({ "outcome": "not_upheld", "reasons": "Paid on time", "by": "rv1",
                    "letter_fields": { "update": "We have looked again at your complaint." } }),
            |c| c.sub_status == Some(SubStatus::Wait),
        )
        .await;
        env.publish(&decision(
            &case.reference,
            "letter.sent",
            json!({ "code": "CMSL5800", "channel": "post" }),
        ))
        .await;
        wait_for_clock(&env, case.id, "wait_after_cmsl5800", "pending").await;
    }
    env.publish(&decision(
        &replying_case.reference,
        "client.replied",
        json!({ "channel": "phone" }),
    ))
    .await;
    wait_for_clock(&env, replying_case.id, "wait_after_cmsl5800", "cancelled").await;

    env.advance("8d");
    let closed = closures.next().await;
    assert_eq!(
        closed.subject.as_deref(),
        Some(silent_case.reference.as_str())
    );
    assert_eq!(closed.data["resolution_code"], "No Action Taken");
    let mut conn = env.conn().await;
    let (status, code): (String, Option<String>) = cases::table
        .find(silent_case.id)
        .select((cases::status, cases::resolution_code))
        .first(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        (status.as_str(), code.as_deref()),
        ("Closed", Some("No Action Taken"))
    );
    wait_for_clock(&env, silent_case.id, "response_target", "cancelled").await;
    let still_open: Option<chrono::DateTime<Utc>> = cases::table
        .find(replying_case.id)
        .select(cases::closed_at)
        .first(&mut conn)
        .await
        .unwrap();
    assert_eq!(still_open, None);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_call_at_tier_0_sends_cmsl5700_and_opens_a_fourteen_day_window() {
    let mut env = TestEnv::start_simulated(ALL).await;
    let mut out = env.observe(&["letter.requested", "task.created"]).await;
    let event = complaint("CUST-TIER0");
    env.publish(&event).await;
    let case = case_opened_by(&env, event["id"].as_str().unwrap()).await;
    assert_eq!(case.tier.number(), 0);
    for _ in 0..2 {
        let failed = decision(
            &case.reference,
            "contact.attempted",
            json!({ "method": "phone", "successful": false, "by": "staff-0007" }),
        );
        env.publish(&failed).await;
    }
    let letter = out.next().await;
    assert_eq!(letter.event_type, "letter.requested");
    assert_eq!(letter.data["code"], "CMSL5700");
    env.publish(&decision(
        &case.reference,
        "letter.sent",
        json!({ "code": "CMSL5700", "channel": "email" }),
    ))
    .await;
    wait_for_clock(&env, case.id, "dissatisfaction_reply_window", "pending").await;
    env.advance("15d");
    let task = out.next().await;
    assert_eq!(
        task.event_type, "task.created",
        "one CMSL5700 for two failed calls"
    );
    assert_eq!(task.data["assignee"], "caseworker");
    assert_eq!(task.data["clock"], "dissatisfaction_reply_window");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_about_unknown_cases_are_refused_with_a_reason() {
    let mut env = TestEnv::start_simulated(ALL).await;
    let mut refusals = env.observe(&["command.rejected"]).await;
    let stray = decision(
        "RES-1999-999999",
        "client.replied",
        json!({ "channel": "letter" }),
    );
    env.publish(&stray).await;
    let refused = refusals.next().await;
    assert_eq!(refused.data["event_id"], stray["id"]);
    assert_eq!(refused.data["reason"], "no case RES-1999-999999");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_not_reached_by_phone_gets_cmsl5829_within_two_working_days() {
    let mut env = TestEnv::start_simulated(ALL).await;
    let mut letters = env.observe(&["letter.requested"]).await;
    let case = review_case(&env, "CUST-REVIEW").await;
    wait_for_clock(&env, case.id, "review_acknowledgement", "pending").await;
    wait_for_clock(&env, case.id, "response_target", "pending").await;
    env.advance("6d");
    // The closed Resolution case's own acknowledgement clock runs out too, but a closed case
    // gets no letter: the only one is the review's.
    let letter = letters.next().await;
    assert_eq!(letter.subject.as_deref(), Some(case.reference.as_str()));
    assert_eq!(letter.data["code"], "CMSL5829");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remedial_action_is_chased_after_a_week_then_escalated() {
    let mut env = TestEnv::start_simulated(ALL).await;
    let mut tasks = env.observe(&["task.created"]).await;
    let event = tier_1("CUST-REMEDY");
    env.publish(&event).await;
    let case = case_opened_by(&env, event["id"].as_str().unwrap()).await;
    let asked = decision(
        &case.reference,
        "remedial_action.requested",
        json!({ "action_id": "R1", "team": "payments", "complexity": "simple", "description": "Reissue the payment" }),
    );
    env.publish(&asked).await;
    wait_for_clock(&env, case.id, "remedial_action", "pending").await;
    env.publish(&decision(
        &case.reference,
        "contact.attempted",
        json!({ "method": "phone", "successful": true, "by": "staff-1" }),
    ))
    .await;
    wait_for_clock(&env, case.id, "acknowledgement", "cancelled").await;

    env.advance("8d");
    let reminder = tasks.next().await;
    assert_eq!(reminder.data["clock"], "remedial_action");
    assert_eq!(reminder.data["assignee"], "caseworker");
    wait_for_clock(&env, case.id, "remedial_action_overdue", "pending").await;
    env.advance("5d");
    let escalation = tasks.next().await;
    assert_eq!(escalation.data["clock"], "remedial_action_overdue");
    assert_eq!(escalation.data["assignee"], "manager");

    // Completing it later stops nothing more (both fired); a new request runs until completed.
    let again = decision(
        &case.reference,
        "remedial_action.requested",
        json!({ "action_id": "R2", "team": "payments", "complexity": "complex", "description": "Correct the account" }),
    );
    env.publish(&again).await;
    wait_for_clock(&env, case.id, "remedial_action", "pending").await;
    env.publish(&decision(
        &case.reference,
        "action.completed",
        json!({ "action_id": "R2" }),
    ))
    .await;
    wait_for_clock(&env, case.id, "remedial_action", "cancelled").await;
    env.stop().await;
}

/// The clock workers follow what casework accepted: a remedial action casework refuses (its id
/// is already an action of the plan) starts no deadline, while the next, accepted one does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_remedial_action_starts_no_clock() {
    let mut env = TestEnv::start_simulated(ALL).await;
    let mut refusals = env.observe(&["command.rejected"]).await;
    let event = tier_1("CUST-REFUSED-REMEDY");
    env.publish(&event).await;
    let case = case_opened_by(&env, event["id"].as_str().unwrap()).await;
    let r = case.reference.as_str();
    allocate(&env, r, "cm1", "tl2").await;
    decide(
        &env,
        r,
        "outcome.decided",
        json!({ "outcome": "upheld", "reasons": "Paid late", "by": "cm1" }),
        |_| true,
    )
    .await;
    decide(
        &env,
        r,
        "resolution_plan.drafted",
        json!({
            "grounds": ["The payment was late"],
            "actions": [{ "id": "A1", "kind": "apology", "description": "Apologise", "due_on": "2026-12-10" }],
            "by": "cm1",
        }),
        |_| true,
    )
    .await;
    let clash = decision(
        r,
        "remedial_action.requested",
        json!({ "action_id": "A1", "team": "payments", "complexity": "simple", "description": "Reissue the payment" }),
    );
    env.publish(&clash).await;
    let refused = refusals.next().await;
    assert_eq!(refused.data["event_id"], clash["id"]);
    assert_eq!(
        refused.data["reason"],
        "action id A1 is already in use on this case"
    );
    // The deadlines worker handles what casework accepted in order: once R2's deadline runs,
    // A1's would have too.
    env.publish(&decision(
        r,
        "remedial_action.requested",
        json!({ "action_id": "R2", "team": "payments", "complexity": "simple", "description": "Correct the account" }),
    ))
    .await;
    wait_for_clock(&env, case.id, "remedial_action", "pending").await;
    let mut conn = env.conn().await;
    let keys: Vec<String> = timers::table
        .filter(timers::case_id.eq(case.id))
        .filter(timers::clock.eq("remedial_action"))
        .select(timers::key)
        .load(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys, ["R2"], "no deadline for the refused request");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holding_reply_meets_the_target_ice_redress_runs_four_weeks_and_closing_stops_every_clock(
) {
    let mut env = TestEnv::start_simulated(ALL).await;
    let mut tasks = env.observe(&["task.created"]).await;
    // ICE takes a case after Review.
    let case = review_case(&env, "CUST-ICE").await;
    wait_for_clock(&env, case.id, "response_target", "pending").await;
    env.publish(&decision(
        &case.reference,
        "holding_reply.sent",
        json!({ "summary": "We need more time." }),
    ))
    .await;
    wait_for_clock(&env, case.id, "response_target", "cancelled").await;

    env.publish(&decision(
        &case.reference,
        "ice.final_report_recorded",
        json!({ "upheld": true, "redress_pence": 25000 }),
    ))
    .await;
    wait_for_clock(&env, case.id, "ice_redress", "pending").await;
    env.publish(&decision(
        &case.reference,
        "contact.attempted",
        json!({ "method": "letter", "successful": true, "by": "staff-9" }),
    ))
    .await;
    wait_for_clock(&env, case.id, "review_acknowledgement", "cancelled").await;
    env.advance("29d");
    let escalation = tasks.next().await;
    assert_eq!(escalation.data["clock"], "ice_redress");
    assert_eq!(escalation.data["assignee"], "manager");

    // A new remedial action, then the case closes: its clock stops with it.
    env.publish(&decision(
        &case.reference,
        "remedial_action.requested",
        json!({ "action_id": "R9", "team": "finance", "complexity": "complex", "description": "Pay the redress" }),
    ))
    .await;
    wait_for_clock(&env, case.id, "remedial_action", "pending").await;
    let r = case.reference.as_str();
    decide(
        &env,
        r,
        "case.allocated",
        json!({ "to": "rv1", "by": "tl1" }),
        |_| true,
    )
    .await;
    decide(
        &env,
        r,
        "closure.decided",
        json!({ "resolution_code": "No Action Taken", "customer_reached": true, "by": "rv1" }),
        |c| c.status == "Closed",
    )
    .await;
    wait_for_clock(&env, case.id, "remedial_action", "cancelled").await;
    env.stop().await;
}
