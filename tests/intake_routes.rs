//! The intake-side routes of the seeds beside the complaint tiers, end to end through the real
//! broker, database and workers: compliments, suggestions and enquiries recorded and counted
//! (process.md §1); official correspondence answered with no escalation (seed 001);
//! complaints about contracted providers and mixed complaints (seed 003); complaints raised by
//! ICE or the PHSO (seed 002); an MP's involvement in a customer's complaint; and "the same
//! issue" checked against the customer and looked up by category (§3, rules 5 to 7).

mod common;

use chrono::{Duration as Days, Utc};
use common::casework::{decide, decision, open};
use common::{case_count, case_opened_by, complaint, wait_for, TestEnv};
use complaints::db::cases::find_by_reference;
use complaints::db::reports::report;
use complaints::db::schema::{feedback, rejected_complaints, timers};
use complaints::supervisor::WorkerKind;
use complaints::vocabulary::{Correspondence, ResolutionCode};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};
use uuid::Uuid;

const WORKERS: &[WorkerKind] = &[
    WorkerKind::Intake,
    WorkerKind::Casework,
    WorkerKind::Acknowledgement,
    WorkerKind::Deadlines,
    WorkerKind::OutboxRelay,
    WorkerKind::Http,
];

/// A `feedback.received` event from an intake channel.
fn feedback_event(kind: &str, team: &str, staff: Option<&str>) -> Value {
    json!({
        "specversion": "1.0",
        "id": Uuid::now_v7().to_string(),
        "type": "feedback.received",
        "source": "urn:test:web-form",
        "time": Utc::now(),
        "datacontenttype": "application/json",
        "data": {
            "kind": kind,
            "received_at": Utc::now(),
            "channel": "web_form",
            "team": team,
            "staff_reference": staff,
            "categories": ["service"],
            "summary": "Very helpful on the phone.",
        },
    })
}

/// The report over the last day and the next.
async fn todays_report(env: &TestEnv) -> complaints::reports::Report {
    let mut conn = env.conn().await;
    report(
        &mut conn,
        Utc::now() - Days::days(1),
        Utc::now() + Days::days(1),
    )
    .await
    .unwrap()
}

/// The timeline entries of case `reference`, oldest first.
async fn entries(env: &TestEnv, reference: &str) -> Vec<String> {
    let mut conn = env.conn().await;
    find_by_reference(&mut conn, reference)
        .await
        .unwrap()
        .unwrap()
        .timeline
        .into_iter()
        .map(|e| e.entry)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compliments_suggestions_and_enquiries_are_recorded_credited_and_counted_without_a_case() {
    let env = TestEnv::start(WORKERS).await;
    let sent = [
        feedback_event("compliment", "JSA Changes Team", Some("cw1")),
        feedback_event("compliment", "JSA Changes Team", None),
        feedback_event("suggestion", "Benefit Centre North", None),
        feedback_event("enquiry", "Benefit Centre North", None),
    ];
    for event in &sent {
        env.publish(event).await;
    }
    // Delivered again: recorded once.
    env.publish(&sent[0]).await;
    let marker = complaint("CUST-AFTER-FEEDBACK");
    env.publish(&marker).await;
    case_opened_by(&env, marker["id"].as_str().unwrap()).await;
    let mut conn = env.conn().await;
    let rows: Vec<(String, String, Option<String>)> = feedback::table
        .select((feedback::kind, feedback::team, feedback::staff_reference))
        .order(feedback::received_at)
        .load(&mut conn)
        .await
        .unwrap();
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!(
        rows[0],
        (
            "compliment".into(),
            "JSA Changes Team".into(),
            Some("cw1".into())
        )
    );
    assert_eq!(
        case_count(&env).await,
        1,
        "only the complaint opened a case"
    );
    let timers: i64 = timers::table.count().get_result(&mut conn).await.unwrap();
    assert_eq!(
        timers, 0,
        "feedback starts no clock (nor does a tier 0 case)"
    );

    let figures = todays_report(&env).await.beyond_complaints;
    assert_eq!(figures.feedback_by_kind["compliment"], 2);
    assert_eq!(figures.feedback_by_kind["suggestion"], 1);
    assert_eq!(figures.feedback_by_kind["enquiry"], 1);
    assert_eq!(figures.feedback_by_team["JSA Changes Team: compliment"], 2);
    assert_eq!(
        figures.feedback_by_team["Benefit Centre North: suggestion"],
        1
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_correspondence_is_answered_to_its_own_target_with_no_escalation() {
    let mut env = TestEnv::start(WORKERS).await;
    let mut refusals = env.observe(&["command.rejected"]).await;
    let pos = open(&env, "CUST-POS", |data| {
        data["correspondence"] = json!("pos");
        data["addressee"] = json!("minister");
    })
    .await;
    assert!(pos.reference.starts_with("COR-"), "{}", pos.reference);
    assert_eq!(pos.kind, "correspondence");
    assert_eq!(pos.correspondence, Some(Correspondence::Pos));
    assert!(pos.complaint.pos, "a POS reply is due in 20 working days");
    assert_eq!(pos.handling_team, "complaint_resolution_team");
    let treat = open(&env, "CUST-TREAT", |data| {
        data["correspondence"] = json!("treat_official");
        data["addressee"] = json!("treat_official");
    })
    .await;

    // Its own target, and no acknowledgement clock (it is not a complaint).
    let clocks = wait_for("the POS response target", || async {
        let mut conn = env.conn().await;
        let clocks: Vec<String> = timers::table
            .filter(timers::case_id.eq(pos.id))
            .select(timers::clock)
            .load(&mut conn)
            .await
            .unwrap();
        (!clocks.is_empty()).then_some(clocks)
    })
    .await;
    assert_eq!(clocks, ["response_target"]);
    // Its kind and what its reply must be are shown with it.
    let shown = env.cli_ok(&["show", &pos.reference]);
    assert!(
        shown.contains("official correspondence: POS; reply written (letter or email)")
            && shown.contains("signed by a Director")
            && shown.contains("target 20 working days")
            && shown.contains("no escalation"),
        "{shown}"
    );
    let shown: Value =
        serde_json::from_str(&env.cli_ok(&["show", &treat.reference, "--json"])).unwrap();
    assert_eq!(shown["correspondence"], "treat_official");
    assert_eq!(shown["correspondence_rules"]["kind"], "Treat Official");
    assert_eq!(shown["correspondence_rules"]["signed_by"], "handler");
    assert_eq!(shown["correspondence_rules"]["target_working_days"], 15);
    assert!(shown["correspondence_rules"]["reply"]
        .as_str()
        .unwrap()
        .contains("or a phone call"));
    assert_eq!(shown["provider_part"], Value::Null);
    let view = {
        let mut conn = env.conn().await;
        find_by_reference(&mut conn, &pos.reference)
            .await
            .unwrap()
            .unwrap()
    };
    let deadline = view.clocks[0].deadline;
    let working_days_ahead = (deadline - pos.complaint.received_at).num_days();
    assert!(
        (26..=34).contains(&working_days_ahead),
        "20 working days: {working_days_ahead} calendar days"
    );

    // No escalation route, no complaint decisions.
    env.publish(&decision(
        &pos.reference,
        "customer.dissatisfied",
        json!({ "reason": "Wants more", "by": "cm1" }),
    ))
    .await;
    let refused = refusals.next().await;
    assert!(
        refused.data["reason"]
            .as_str()
            .unwrap()
            .contains("no escalation route"),
        "{}",
        refused.data
    );
    // A POS reply is written and signed by a Director.
    env.publish(&decision(
        &pos.reference,
        "correspondence.replied",
        json!({ "method": "phone", "summary": "Called back.", "by": "cm1" }),
    ))
    .await;
    let refused = refusals.next().await;
    assert!(refused.data["reason"]
        .as_str()
        .unwrap()
        .contains("written reply"));
    env.publish(&decision(
        &pos.reference,
        "correspondence.replied",
        json!({ "method": "letter", "signed_by": "handler", "agreed_by": "tl2",
                "summary": "Explained the payment dates.", "by": "cm1" }),
    ))
    .await;
    let refused = refusals.next().await;
    assert!(refused.data["reason"]
        .as_str()
        .unwrap()
        .contains("Director"));
    let answered = decide(
        &env,
        &pos.reference,
        "correspondence.replied",
        json!({ "method": "letter", "signed_by": "director", "agreed_by": "tl2",
                "summary": "Explained the payment dates.", "by": "cm1" }),
        |c| c.status == "Closed",
    )
    .await;
    assert_eq!(
        answered.resolution_code,
        Some(ResolutionCode::AnsweredEnquiry)
    );
    assert_eq!(
        answered.signposted_to, None,
        "correspondence is never signposted"
    );
    // Treat Official may be answered by phone.
    decide(
        &env,
        &treat.reference,
        "correspondence.replied",
        json!({ "method": "phone", "summary": "Answered by phone.", "by": "cm1" }),
        |c| c.status == "Closed",
    )
    .await;
    wait_for("the POS target to stop", || async {
        let mut conn = env.conn().await;
        let state: String = timers::table
            .filter(timers::case_id.eq(pos.id))
            .select(timers::state)
            .first(&mut conn)
            .await
            .unwrap();
        (state == "cancelled").then_some(())
    })
    .await;

    let report = todays_report(&env).await;
    assert_eq!(
        report.received.total, 0,
        "correspondence is not a complaint"
    );
    let figures = report.beyond_complaints;
    assert_eq!(figures.correspondence_by_kind["pos"], 1);
    assert_eq!(figures.correspondence_by_kind["treat_official"], 1);
    assert_eq!(figures.correspondence_answered_in_time, 2);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_complaint_goes_to_the_provider_and_a_mixed_one_asks_it_for_a_contribution() {
    let mut env = TestEnv::start(WORKERS).await;
    let mut events = env.observe(&["complaint.rejected", "task.created"]).await;
    let mut provider = complaint("CUST-PROVIDER");
    provider["data"]["about"] = json!("provider");
    provider["data"]["provider"] = json!("Acme Employment Services");
    provider["data"]["raised_by"] = json!("mp");
    env.publish(&provider).await;
    let refused = events.next().await;
    assert_eq!(refused.event_type, "complaint.rejected");
    assert_eq!(refused.data["reason"], "provider_complaint");
    assert!(refused.data["detail"]
        .as_str()
        .unwrap()
        .contains("Independent Case Examiner"));

    let mixed = open(&env, "CUST-MIXED", |data| {
        data["about"] = json!("mixed");
        data["provider"] = json!("Acme Employment Services");
    })
    .await;
    assert_eq!(
        mixed.tier.number(),
        0,
        "the department owns a mixed complaint"
    );
    assert_eq!(
        mixed.complaint.provider.as_deref(),
        Some("Acme Employment Services")
    );
    let task = events.next().await;
    assert_eq!(task.event_type, "task.created");
    assert_eq!(task.subject.as_deref(), Some(mixed.reference.as_str()));
    assert_eq!(task.data["assignee"], "caseworker");
    assert!(task.data["task"]
        .as_str()
        .unwrap()
        .contains("ask Acme Employment Services for a contribution"));
    // The provider, and how its part is handled, are shown with the case.
    let shown = env.cli_ok(&["show", &mixed.reference]);
    assert!(
        shown.contains("provider: Acme Employment Services (mixed complaint: the department owns the complaint")
            && shown.contains("provider's own complaints process, then ICE"),
        "{shown}"
    );
    let http = env.http_client().await;
    let view: Value = http
        .get(env.url(&format!("/v1/cases/{}", mixed.reference)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["provider"], "Acme Employment Services");
    assert_eq!(
        view["provider_part"]["provider"],
        "Acme Employment Services"
    );
    assert!(view["provider_part"]["handling"]
        .as_str()
        .unwrap()
        .contains("asks the provider for a contribution"));
    assert_eq!(view["correspondence_rules"], Value::Null);
    assert!(
        view["tasks"][0]["task"]
            .as_str()
            .unwrap()
            .contains("ask Acme Employment Services"),
        "{view}"
    );

    let mut conn = env.conn().await;
    let kept: i64 = rejected_complaints::table
        .filter(rejected_complaints::reason.eq("provider_complaint"))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(kept, 1);
    let figures = todays_report(&env).await.beyond_complaints;
    assert_eq!(figures.provider_complaints_referred, 1);
    assert_eq!(figures.mixed_complaints, 1);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complaint_ice_raises_is_a_review_and_the_ice_team_is_told_when_it_closes() {
    let mut env = TestEnv::start(WORKERS).await;
    let mut tasks = env.observe(&["task.created"]).await;
    let phso = open(&env, "CUST-PHSO", |data| data["raised_by"] = json!("phso")).await;
    assert_eq!(
        (phso.tier.number(), phso.status.as_str()),
        (2, "Pending Assignment")
    );
    let rev = open(&env, "CUST-ICE", |data| {
        data["raised_by"] = json!("ice");
        // No time limit for ICE, and no Resolution case needed.
        data["customer_case_closed_on"] = json!("2020-01-01");
    })
    .await;
    assert!(rev.reference.starts_with("REV-"));
    assert_eq!(
        (
            rev.tier.number(),
            rev.handling_team.as_str(),
            rev.resolution_code
        ),
        (2, "complaint_review_team", None)
    );
    let r = rev.reference.as_str();
    let steps: [(&str, Value); 6] = [
        ("case.allocated", json!({ "to": "rv1", "by": "tl3" })),
        (
            "outcome.decided",
            json!({ "outcome": "upheld", "reasons": "All late", "by": "rv1" }),
        ),
        (
            "resolution_plan.drafted",
            json!({ "grounds": ["Late"], "by": "rv1", "actions": [{ "id": "A1", "kind": "apology",
                    "description": "Apologise", "due_on": "2026-12-10" }] }),
        ),
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
    for (event_type, data) in steps {
        decide(&env, r, event_type, data, |_| true).await;
    }
    decide(
        &env,
        r,
        "closure.decided",
        json!({ "resolution_code": "Actions Complete – Client OK", "customer_reached": true, "by": "rv1",
                "letter_fields": { "what_this_means": "Your complaint is resolved." } }),
        |c| c.status == "Closed",
    )
    .await;
    let told = loop {
        let task = tasks.next().await;
        if task.data["assignee"] == "ice_team" {
            break task;
        }
    };
    assert_eq!(told.subject.as_deref(), Some(r));
    assert!(told.data["task"].as_str().unwrap().contains("ICE gateway"));

    let figures = todays_report(&env).await.beyond_complaints;
    assert_eq!(figures.raised_by_ombudsman["ice"], 1);
    assert_eq!(figures.raised_by_ombudsman["phso"], 1);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mp_involved_in_a_customers_complaint_is_recorded_handed_over_and_reported() {
    let mut env = TestEnv::start(WORKERS).await;
    let mut events = env.observe(&["task.created", "command.rejected"]).await;
    let dis = open(&env, "CUST-MP-0", |_| {}).await;
    let involved = json!({ "constituency": "Stevenage", "contacted_on": Utc::now().date_naive(), "by": "cw1" });
    let flagged = decide(&env, &dis.reference, "mp.involved", involved.clone(), |c| {
        c.parliamentary_contact
    })
    .await;
    assert_eq!(flagged.handling_team, "operational_caseworkers");
    let task = events.next().await;
    assert_eq!(task.data["assignee"], "team_leader");
    assert!(task.data["task"].as_str().unwrap().contains("MP officers"));

    // A Resolution case of the CRT passes to the MP specialists (rule 7 opens it: the same
    // customer's recent Dissatisfaction on the category, found without being named).
    let earlier = open(&env, "CUST-MP-1", |_| {}).await;
    let res = open(&env, "CUST-MP-1", |_| {}).await;
    assert_eq!(res.tier.number(), 1);
    assert_eq!(res.linked_case_id, Some(earlier.id));
    let handed = decide(&env, &res.reference, "mp.involved", involved.clone(), |c| {
        c.handling_team == "mp_specialists"
    })
    .await;
    assert!(handed.parliamentary_contact);
    let task = events.next().await;
    assert_eq!(task.data["assignee"], "mp_specialists");
    assert!(entries(&env, &res.reference)
        .await
        .iter()
        .any(|e| e.starts_with("MP involved (Stevenage)")));

    // An MP raising a new complaint is rule 4, not this.
    let closed = open(&env, "CUST-MP-2", |data| {
        data["review_requested"] = json!(true);
    })
    .await;
    env.publish(&decision(&closed.reference, "mp.involved", involved))
        .await;
    let refused = events.next().await;
    assert_eq!(refused.event_type, "command.rejected");
    assert!(refused.data["reason"].as_str().unwrap().contains("rule 4"));

    let figures = todays_report(&env).await.beyond_complaints;
    assert_eq!(figures.mp_involvement, 2);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_issue_is_the_customers_own_case_named_or_found_by_category() {
    let env = TestEnv::start(WORKERS).await;
    let theirs = open(&env, "CUST-SAME-A", |_| {}).await;

    // Another customer naming it: not linked, not routed by it, and the timeline says why.
    let other = open(&env, "CUST-SAME-B", |data| {
        data["earlier_case"] = json!(theirs.reference);
    })
    .await;
    assert_eq!((other.tier.number(), other.linked_case_id), (0, None));
    assert!(entries(&env, &other.reference)
        .await
        .iter()
        .any(|e| e.contains("another customer's: not linked")));

    // The same customer on another category: a new issue, tier 0.
    let new_issue = open(&env, "CUST-SAME-A", |data| {
        data["categories"] = json!(["staff conduct"]);
    })
    .await;
    assert_eq!(
        (new_issue.tier.number(), new_issue.linked_case_id),
        (0, None)
    );

    // The same customer on the same category, naming nothing: found, tier 1 (rule 7).
    let again = open(&env, "CUST-SAME-A", |_| {}).await;
    assert_eq!(again.tier.number(), 1);
    assert_eq!(again.linked_case_id, Some(theirs.id));
    assert!(entries(&env, &again.reference)
        .await
        .iter()
        .any(|e| e.starts_with(&format!(
            "Same issue: the customer's dissatisfaction case {}",
            theirs.reference
        ))));
    env.stop().await;
}
