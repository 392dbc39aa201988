//! The casework-side rules of the seeds (issue 12, points 7 to 11), each through the real
//! workers, broker and database: staff allegations to the CRT, the invitation to send more
//! evidence with its own clock, case conferences recorded, the Systemic Log at Review with the
//! action taken, a missed target's holding reply kept.

mod common;

use chrono::{Duration, Utc};
use common::casework::{
    allocate, case, decide, decision, dissatisfied, g7_authorises, mp, open,
    team_leader_cannot_resolve, upheld,
};
use common::{close_case_at, wait_for, TestEnv};
use complaints::db::schema::{case_timeline, cases, systemic_issues, timers};
use complaints::supervisor::WorkerKind;
use complaints::vocabulary::{ResolutionCode, SubStatus};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};
use uuid::Uuid;

const WORKERS: &[WorkerKind] = &[
    WorkerKind::Intake,
    WorkerKind::Casework,
    WorkerKind::Deadlines,
    WorkerKind::Scheduler,
    WorkerKind::OutboxRelay,
];

/// The timeline entries of a case, oldest first.
async fn timeline(env: &TestEnv, case_id: Uuid) -> Vec<String> {
    let mut conn = env.conn().await;
    case_timeline::table
        .filter(case_timeline::case_id.eq(case_id))
        .order(case_timeline::id)
        .select(case_timeline::entry)
        .load(&mut conn)
        .await
        .unwrap()
}

/// The state of the case's clock of `kind`, once it is `state`.
async fn clock_is(env: &TestEnv, case_id: Uuid, kind: &str, state: &str) {
    wait_for(&format!("clock {kind} {state}"), || async {
        let mut conn = env.conn().await;
        let states: Vec<String> = timers::table
            .filter(timers::case_id.eq(case_id))
            .filter(timers::clock.eq(kind))
            .select(timers::state)
            .load(&mut conn)
            .await
            .unwrap();
        states.iter().any(|s| s == state).then_some(())
    })
    .await;
}

/// Seed 000: every allegation of staff behaviour goes to the Complaint Resolution Team, except
/// one where an apology on the colleague's behalf is enough, which a team leader resolves at
/// tier 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_allegation_goes_to_the_crt_unless_an_apology_suffices() {
    let env = TestEnv::start(WORKERS).await;
    let staff = |apology_suffices: bool| {
        move |data: &mut Value| {
            data["about"] = json!("staff");
            data["categories"] = json!(["staff_conduct"]);
            data["staff_member"] = json!({ "reference": "LM-REF-9", "name": "Pat Officer" });
            data["apology_suffices"] = json!(apology_suffices);
        }
    };
    let allegation = open(&env, "CUST-STAFF-CRT", staff(false)).await;
    assert_eq!(
        (allegation.tier.number(), allegation.handling_team.as_str()),
        (1, "complaint_resolution_team")
    );
    assert_eq!(allegation.status, "Pending Assignment");
    let apology = open(&env, "CUST-STAFF-SORRY", staff(true)).await;
    assert_eq!(
        (apology.tier.number(), apology.handling_team.as_str()),
        (0, "team_leaders")
    );
    // Categories are kept by their agreed names, whatever the spelling; free text (event
    // version 1 allows it) is kept as written and counts on no Systemic Log.
    let spelt = open(&env, "CUST-SPELLING", |data| {
        data["categories"] = json!(["Lost post", "lost-post", "Post office queue"]);
    })
    .await;
    assert_eq!(
        spelt.complaint.categories,
        ["lost_post", "Post office queue"]
    );
    env.stop().await;
}

/// Seed 001: with too little evidence to decide a special payment the customer is invited to
/// send more; the case waits (sub-status `Wait`) on its own clock, which their reply meets and
/// which otherwise ends in a task to decide on what there is. A drafted plan ends the wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_evidence_is_invited_on_its_own_clock() {
    let mut env = TestEnv::start_simulated(WORKERS).await;
    let mut tasks = env.observe(&["task.created"]).await;
    let mut refused = env.observe(&["command.rejected"]).await;
    let silent = upheld(&env, "CUST-EVIDENCE-SILENT").await;
    let replying = upheld(&env, "CUST-EVIDENCE-REPLIES").await;
    let ask = |days: u32| json!({ "requested": "Bank statements showing the charges", "days": days, "by": "mp1" });
    for (case, days) in [(&silent, 10), (&replying, 14)] {
        let waiting = decide(
            &env,
            &case.reference,
            "evidence.requested",
            ask(days),
            |c| c.sub_status == Some(SubStatus::Wait),
        )
        .await;
        assert_eq!(waiting.status, "In Progress");
        clock_is(&env, case.id, "evidence_wait", "pending").await;
    }
    let entries = timeline(&env, silent.id).await;
    assert!(
        entries
            .iter()
            .any(|e| e == "Evidence asked for: Bank statements showing the charges"),
        "{entries:?}"
    );
    // Asked twice: refused, nothing changes.
    env.publish(&decision(&silent.reference, "evidence.requested", ask(10)))
        .await;
    let refusal = refused.next().await;
    assert!(
        refusal.data["reason"]
            .as_str()
            .unwrap()
            .contains("already been asked for evidence"),
        "{}",
        refusal.data
    );

    env.publish(&decision(
        &replying.reference,
        "client.replied",
        json!({ "channel": "letter" }),
    ))
    .await;
    clock_is(&env, replying.id, "evidence_wait", "cancelled").await;
    wait_for("the reply ends the wait", || async {
        let now = case(&env, &replying.reference).await;
        (now.sub_status == Some(SubStatus::DraftActionPlan)).then_some(())
    })
    .await;

    env.advance("11d");
    clock_is(&env, silent.id, "evidence_wait", "fired").await;
    let task = loop {
        let task = tasks.next().await;
        if task.data["clock"] == "evidence_wait" {
            break task;
        }
    };
    assert_eq!(task.subject.as_deref(), Some(silent.reference.as_str()));
    assert_eq!(task.data["assignee"], "caseworker");
    assert!(task.data["task"]
        .as_str()
        .unwrap()
        .contains("special payment"));

    // The case manager decides: the drafted redress ends the wait.
    decide(
        &env,
        &silent.reference,
        "resolution_plan.drafted",
        json!({ "grounds": ["Bank charges"], "by": "mp1", "actions": [
            { "id": "A1", "kind": "apology", "description": "Apologise", "due_on": "2026-12-10" }
        ] }),
        |c| c.sub_status == Some(SubStatus::Approved),
    )
    .await;
    let mut conn = env.conn().await;
    let awaiting: bool = cases::table
        .find(silent.id)
        .select(cases::awaiting_evidence)
        .first(&mut conn)
        .await
        .unwrap();
    assert!(!awaiting);
    env.stop().await;
}

/// Seed 001: a case conference is recorded with its notes and decision (agreed additional
/// steps are the caseworker's task); at tier 0 the G7's conference before authorising a
/// referral is kept too (it was discarded).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_conference_is_recorded() {
    let mut env = TestEnv::start(WORKERS).await;
    let mut tasks = env.observe(&["task.created"]).await;
    let res = upheld(&env, "CUST-CONFERENCE").await;
    decide(
        &env,
        &res.reference,
        "case_conference.held",
        json!({
            "attendees": ["tl2", "cm1"],
            "notes": "A refund of the fee and a call from the team leader could settle it.",
            "decision": "additional_steps",
            "by": "mp1",
        }),
        |_| true,
    )
    .await;
    let task = tasks.next().await;
    assert_eq!(task.data["assignee"], "caseworker");
    assert!(task.data["task"]
        .as_str()
        .unwrap()
        .contains("additional steps"));
    let entries = timeline(&env, res.id).await;
    assert!(entries
        .iter()
        .any(|e| e == "Case conference held: additional steps agreed"));
    assert!(entries.iter().any(|e| e
        == "Case conference notes (tl2, cm1): A refund of the fee and a call from the team leader could settle it."));

    // Tier 0: only the G7 holds one, while the referral waits for them.
    let dis = open(&env, "CUST-CONFERENCE-T0", |_| {}).await;
    let r = dis.reference.as_str();
    dissatisfied(&env, r, "cw1").await;
    team_leader_cannot_resolve(&env, r).await;
    g7_authorises(&env, r, true, true).await;
    let entries = timeline(&env, dis.id).await;
    assert!(entries
        .iter()
        .any(|e| e == "The G7 held a case conference before authorising the referral"));
    env.stop().await;
}

/// Seeds 001 and 002: the Systemic Log is kept at Review as well as at Resolution (each tier its
/// own), on the agreed categories; the manager records the action taken by an event, and the
/// entry, the case's timeline and the report show it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_team_keeps_a_systemic_log_with_the_action_taken() {
    let mut env = TestEnv::start(WORKERS).await;
    let mut recorded = env.observe(&["systemic_issue.recorded"]).await;
    let mut refused = env.observe(&["command.rejected"]).await;
    let mut reviews = Vec::new();
    for i in 0..3 {
        let customer = format!("CUST-SYS-REVIEW-{i}");
        let resolution = open(&env, &customer, mp).await;
        close_case_at(&env, resolution.id, Utc::now() - Duration::days(30)).await;
        let review = open(&env, &customer, |data| {
            data["received_at"] = json!(Utc::now());
            data["earlier_case"] = json!(resolution.reference);
            data["categories"] = json!(["lost_post"]);
        })
        .await;
        assert_eq!(review.tier.number(), 2);
        reviews.push(review);
    }
    let issue = loop {
        let issue = recorded.next().await;
        if issue.data["tier"] == "review" {
            break issue;
        }
    };
    assert_eq!(issue.data["category"], "lost_post");
    let id = issue.data["issue_id"].as_i64().unwrap();
    let mut conn = env.conn().await;
    let logs: Vec<(i16, String)> = systemic_issues::table
        .order((systemic_issues::tier, systemic_issues::category))
        .select((systemic_issues::tier, systemic_issues::category))
        .load(&mut conn)
        .await
        .unwrap();
    assert!(logs.contains(&(2, "lost_post".into())), "{logs:?}");
    assert!(
        logs.iter().all(|(tier, c)| *tier == 2 || c != "lost_post"),
        "a Review is not counted on the Resolution log: {logs:?}"
    );

    let action = "Post room process changed: recorded delivery for all review letters.";
    let latest = &reviews[2];
    // Only a team leader or manager keeps the log.
    env.publish(&decision(
        &latest.reference,
        "systemic_issue.action_recorded",
        json!({ "issue_id": id, "action_taken": action, "by": "cw1" }),
    ))
    .await;
    let refusal = refused.next().await;
    assert!(refusal.data["reason"]
        .as_str()
        .unwrap()
        .contains("kept by a manager"));
    // The entry must name the case.
    let outsider = open(&env, "CUST-SYS-OUTSIDER", mp).await;
    env.publish(&decision(
        &outsider.reference,
        "systemic_issue.action_recorded",
        json!({ "issue_id": id, "action_taken": action, "by": "g7" }),
    ))
    .await;
    let refusal = refused.next().await;
    assert!(
        refusal.data["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("no Systemic Log entry {id} names case")),
        "{}",
        refusal.data
    );
    decide(
        &env,
        &latest.reference,
        "systemic_issue.action_recorded",
        json!({ "issue_id": id, "action_taken": action, "by": "g7" }),
        |_| true,
    )
    .await;
    let (taken, by): (Option<String>, Option<String>) = systemic_issues::table
        .find(id)
        .select((
            systemic_issues::action_taken,
            systemic_issues::action_recorded_by,
        ))
        .first(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        (taken.as_deref(), by.as_deref()),
        (Some(action), Some("g7"))
    );
    let entries = timeline(&env, latest.id).await;
    assert!(entries
        .iter()
        .any(|e| e == &format!("Action taken on systemic issue {id} (`lost_post`): {action}")));
    let report = complaints::db::reports::report(
        &mut conn,
        Utc::now() - Duration::days(1),
        Utc::now() + Duration::days(1),
    )
    .await
    .unwrap();
    let shown = report
        .systemic_issues
        .iter()
        .find(|e| e.id == id)
        .expect("the entry is reported");
    assert_eq!(
        (shown.tier, shown.action_taken.as_deref()),
        (2, Some(action))
    );
    env.stop().await;
}

/// process.md §5: a substantive holding reply meets the response target, and what it told the
/// customer is kept on the case's timeline (it was thrown away).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holding_replys_text_is_kept() {
    let env = TestEnv::start(WORKERS).await;
    let res = open(&env, "CUST-HOLDING", mp).await;
    clock_is(&env, res.id, "response_target", "pending").await;
    let text = "We have the line manager's report and expect to reply in full by 18 December.";
    env.publish(&decision(
        &res.reference,
        "holding_reply.sent",
        json!({ "summary": text }),
    ))
    .await;
    clock_is(&env, res.id, "response_target", "cancelled").await;
    let entries = timeline(&env, res.id).await;
    assert!(
        entries
            .iter()
            .any(|e| e == &format!("Substantive holding reply sent: {text}")),
        "{entries:?}"
    );
    env.stop().await;
}

/// Seed 001: at Resolution the case manager pays within their own delegated financial authority
/// (£250 actual loss, £100 consolatory) with no approval; beyond it, or for a payment requiring a
/// review, the plan goes to the Special Payment Team — not to a team leader.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_manager_pays_within_their_delegated_financial_authority() {
    let mut env = TestEnv::start(WORKERS).await;
    let mut tasks = env.observe(&["task.created"]).await;
    let plan = |pence: i64, requires_review: bool| {
        json!({ "grounds": ["The worry caused"], "by": "mp1", "actions": [
            { "id": "A1", "kind": "financial_redress", "description": "For the worry", "due_on": "2026-12-10",
              "payment": { "amount_pence": pence, "kind": "consolatory", "requires_review": requires_review } }
        ] })
    };
    let within = upheld(&env, "CUST-DFA-WITHIN").await;
    decide(
        &env,
        &within.reference,
        "resolution_plan.drafted",
        plan(10_000, false),
        |c| c.sub_status == Some(SubStatus::Approved),
    )
    .await;
    for (customer, pence, review) in [
        ("CUST-DFA-BEYOND", 10_001, false),
        ("CUST-DFA-REVIEW", 2_000, true),
    ] {
        let res = upheld(&env, customer).await;
        let r = res.reference.as_str();
        decide(
            &env,
            r,
            "resolution_plan.drafted",
            plan(pence, review),
            |c| c.sub_status == Some(SubStatus::DraftActionPlan),
        )
        .await;
        decide(
            &env,
            r,
            "resolution_plan.submitted",
            json!({ "by": "mp1" }),
            |c| c.sub_status == Some(SubStatus::PendingSpecialPaymentTeam),
        )
        .await;
        // (The third upheld case on one category also tasks the manager: the Systemic Log.)
        let task = loop {
            let task = tasks.next().await;
            if task.data["assignee"] != "manager" {
                break task;
            }
        };
        assert_eq!(task.subject.as_deref(), Some(r));
        assert_eq!(task.data["assignee"], "special_payment_team");
        assert!(task.data["task"]
            .as_str()
            .unwrap()
            .contains("Approve a special payment"));
    }
    env.stop().await;
}

/// Seed 004: a tier 0 consolatory payment is not a plan with money but a "non complaint
/// consolatory payment referral only" to tier 1, with CMSF5551 when the team leader's grade is
/// below the payment's. The Resolution case it opens decides the payment: it is not
/// acknowledged as a complaint, runs no response target, has no outcome and is not counted as
/// a complaint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tier_0_consolatory_payment_is_a_referral_not_a_complaint() {
    let mut env = TestEnv::start(&[
        WorkerKind::Intake,
        WorkerKind::Casework,
        WorkerKind::Escalation,
        WorkerKind::Acknowledgement,
        WorkerKind::Deadlines,
        WorkerKind::OutboxRelay,
    ])
    .await;
    let mut refused = env.observe(&["command.rejected"]).await;
    let dis = open(&env, "CUST-CONSOLATORY", |data| {
        data["received_at"] = json!(Utc::now());
    })
    .await;
    let r = dis.reference.as_str();
    env.publish(&decision(
        r,
        "resolution_plan.drafted",
        json!({ "grounds": ["The worry"], "by": "cw1", "actions": [
            { "id": "A1", "kind": "financial_redress", "description": "For the worry", "due_on": "2026-12-10",
              "payment": { "amount_pence": 5000, "kind": "consolatory" } }
        ] }),
    ))
    .await;
    let refusal = refused.next().await;
    assert!(
        refusal.data["reason"]
            .as_str()
            .unwrap()
            .contains("consolatory_payment_referral"),
        "{}",
        refusal.data
    );
    decide(
        &env,
        r,
        "customer.dissatisfied",
        json!({ "reason": "Wants something for the worry", "by": "cw1" }),
        |c| c.sub_status == Some(SubStatus::PendingApprovalTl),
    )
    .await;
    // £600 needs an SEO; tl1 is an HEO in the directory, so CMSF5551 goes with it.
    decide(
        &env,
        r,
        "team_leader.decided",
        json!({ "decision": "consolatory_payment_referral", "consolatory_payment_pence": 60000, "by": "tl1" }),
        |c| c.sub_status == Some(SubStatus::PendingG7Authorisation),
    )
    .await;
    let closed = decide(
        &env,
        r,
        "escalation.authorised",
        json!({ "customer_told_by_phone": false, "by": "g7" }),
        |c| c.status == "Closed",
    )
    .await;
    assert_eq!(
        closed.resolution_code,
        Some(ResolutionCode::ActionsCompleteClientNotOk)
    );
    let res = common::casework::escalated_from(&env, &closed).await;
    assert_eq!(res.tier.number(), 1);
    let mut conn = env.conn().await;
    let (pence, cmsf5551): (Option<i64>, bool) = cases::table
        .find(res.id)
        .select((cases::consolatory_payment_pence, cases::cmsf5551))
        .first(&mut conn)
        .await
        .unwrap();
    assert_eq!((pence, cmsf5551), (Some(60_000), true));
    // Not acknowledged as a complaint: no CMSL5842 on either case, no clocks on the new one.
    wait_for("the acknowledgement worker's note", || async {
        let entries = timeline(&env, res.id).await;
        entries
            .iter()
            .any(|e| e == "Not acknowledged as a complaint: a consolatory-payment referral")
            .then_some(())
    })
    .await;
    for id in [dis.id, res.id] {
        let entries = timeline(&env, id).await;
        assert!(
            !entries.iter().any(|e| e.contains("CMSL5842")),
            "{entries:?}"
        );
    }
    let entries = timeline(&env, res.id).await;
    assert!(entries.iter().any(|e| e
        == "Non complaint consolatory payment referral only: a consolatory payment of £600.00, with form CMSF5551 for a manager of the grade it needs"));
    let clocks: i64 = timers::table
        .filter(timers::case_id.eq(res.id))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(clocks, 0, "no acknowledgement clock, no response target");

    // The case manager decides the payment; there is no outcome to decide.
    let rr = res.reference.as_str();
    allocate(&env, rr, "cm1", "tl2").await;
    env.publish(&decision(
        rr,
        "outcome.decided",
        json!({ "outcome": "upheld", "reasons": "x", "by": "cm1" }),
    ))
    .await;
    let refusal = refused.next().await;
    assert!(refusal.data["reason"]
        .as_str()
        .unwrap()
        .contains("not a complaint"));
    decide(
        &env,
        rr,
        "resolution_plan.drafted",
        json!({ "grounds": ["Consolatory payment referred from tier 0"], "by": "cm1", "actions": [
            { "id": "P1", "kind": "financial_redress", "description": "Consolatory payment", "due_on": "2026-12-10",
              "payment": { "amount_pence": 60000, "kind": "consolatory" } }
        ] }),
        |c| c.sub_status == Some(SubStatus::DraftActionPlan),
    )
    .await;

    // Counted as a dissatisfaction at tier 0, not as a tier 1 complaint.
    let report = complaints::db::reports::report(
        &mut conn,
        Utc::now() - Duration::days(1),
        Utc::now() + Duration::days(1),
    )
    .await
    .unwrap();
    assert_eq!(report.received.by_tier.get("0"), Some(&1));
    assert_eq!(report.received.by_tier.get("1"), None);
    env.stop().await;
}
