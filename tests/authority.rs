//! Decisions checked against the staff directory (README "Security", docs/process.md): made by
//! an active member holding a role the process allows for them, never a plan approved by the
//! one who drafted it; and the directory loaded from a CSV file, all or nothing.

mod common;

use chrono::{Duration, Utc};
use common::casework::{
    allocate, case, decide, decision, dissatisfied, mp, open, team_leader_cannot_resolve,
};
use common::{close_case_at, Observer, TestEnv};
use complaints::supervisor::WorkerKind;
use complaints::vocabulary::{Outcome, SubStatus};
use serde_json::{json, Value};

const WORKERS: &[WorkerKind] = &[
    WorkerKind::Intake,
    WorkerKind::Casework,
    WorkerKind::OutboxRelay,
];

/// Publishes a decision and returns the reason it was refused for.
async fn refused(env: &TestEnv, refusals: &mut Observer, r: &str, t: &str, data: Value) -> String {
    let event = decision(r, t, data);
    env.publish(&event).await;
    let rejection = refusals.next().await;
    assert_eq!(rejection.data["event_id"], event["id"], "{t}");
    rejection.data["reason"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_entitled_staff_decide_and_nobody_approves_their_own_plan() {
    let mut env = TestEnv::start(WORKERS).await;
    let mut refusals = env.observe(&["command.rejected"]).await;
    let res = open(&env, "CUST-AUTHORITY", mp).await;
    let r = res.reference.as_str();

    for (by, to, why) in [
        ("nobody", "mp1", "a case is allocated by a team leader: nobody is not in the staff directory"),
        ("cw1", "mp1", "a case is allocated by a team leader: cw1 does not hold the role team_leader"),
        ("left1", "mp1", "a case is allocated by a team leader: left1 is not active in the staff directory"),
        ("tl1", "cw1", "a case of tier 1 is allocated to one who handles that tier (case_manager or mp_specialist): cw1 does not hold the role case_manager or mp_specialist"),
    ] {
        let reason = refused(&env, &mut refusals, r, "case.allocated", json!({ "to": to, "by": by })).await;
        assert_eq!(reason, why);
    }
    assert_eq!(
        case(&env, r).await.status,
        "Pending Assignment",
        "nothing changed"
    );
    allocate(&env, r, "cmtl1", "tl1").await;

    let reason = refused(
        &env,
        &mut refusals,
        r,
        "outcome.decided",
        json!({ "outcome": "upheld", "reasons": "Late", "by": "rv1" }),
    )
    .await;
    assert_eq!(
        reason,
        "a Resolution case is handled by a case manager or an MP specialist: rv1 does not hold the role case_manager or mp_specialist"
    );
    decide(
        &env,
        r,
        "outcome.decided",
        json!({ "outcome": "upheld", "reasons": "The payment was late", "by": "cmtl1" }),
        |c| c.outcome == Some(Outcome::Upheld),
    )
    .await;
    decide(
        &env,
        r,
        "resolution_plan.drafted",
        json!({
            "grounds": ["Three late payments"],
            "actions": [{ "id": "A1", "kind": "financial_redress", "description": "Bank charges",
                "due_on": "2026-12-15", "payment": { "amount_pence": 60000, "kind": "actual_financial_loss" } }],
            "by": "cmtl1"
        }),
        |c| c.sub_status == Some(SubStatus::DraftActionPlan),
    )
    .await;
    // At Resolution a payment beyond the case manager's delegated authority goes straight to
    // the Special Payment Team (seed 001): not to a team leader calling themselves one.
    decide(
        &env,
        r,
        "resolution_plan.submitted",
        json!({ "by": "cmtl1" }),
        |c| c.sub_status == Some(SubStatus::PendingSpecialPaymentTeam),
    )
    .await;
    let reason = refused(
        &env,
        &mut refusals,
        r,
        "resolution_plan.approved",
        json!({ "approver": "special_payment_team", "amount_pence": 60000, "by": "tl2" }),
    )
    .await;
    assert_eq!(
        reason,
        "a payment beyond delegated authority is approved by the Special Payment Team: tl2 does not hold the role special_payment_team"
    );
    decide(
        &env,
        r,
        "resolution_plan.approved",
        json!({ "approver": "special_payment_team", "amount_pence": 60000, "by": "spt1" }),
        |c| c.sub_status == Some(SubStatus::Approved),
    )
    .await;

    // At Review a plan with money needs the team leader (seed 002), within their grade.
    let earlier = open(&env, "CUST-AUTHORITY-REVIEW", mp).await;
    close_case_at(&env, earlier.id, Utc::now() - Duration::days(30)).await;
    let rev = open(&env, "CUST-AUTHORITY-REVIEW", |data| {
        data["received_at"] = json!(Utc::now());
        data["earlier_case"] = json!(earlier.reference);
    })
    .await;
    assert_eq!(rev.tier.number(), 2);
    let r = rev.reference.as_str();
    let steps = [
        ("case.allocated", json!({ "to": "rvtl1", "by": "tl3" })),
        (
            "outcome.decided",
            json!({ "outcome": "upheld", "reasons": "The payment was late", "by": "rvtl1" }),
        ),
        (
            "resolution_plan.drafted",
            json!({
                "grounds": ["Three late payments"],
                "actions": [{ "id": "A1", "kind": "financial_redress", "description": "Bank charges",
                    "due_on": "2026-12-15", "payment": { "amount_pence": 60000, "kind": "actual_financial_loss" } }],
                "by": "rvtl1"
            }),
        ),
    ];
    for (event_type, data) in steps {
        decide(&env, r, event_type, data, |_| true).await;
    }
    decide(
        &env,
        r,
        "resolution_plan.submitted",
        json!({ "by": "rvtl1" }),
        |c| c.sub_status == Some(SubStatus::PendingTlApproval),
    )
    .await;
    // The drafter is a team leader too, and still may not approve their own plan.
    let reason = refused(
        &env,
        &mut refusals,
        r,
        "resolution_plan.approved",
        json!({ "approver": "team_leader", "amount_pence": 60000, "by": "rvtl1" }),
    )
    .await;
    assert_eq!(
        reason,
        "separation of duties: the person who drafted the plan cannot approve it"
    );
    let reason = refused(
        &env,
        &mut refusals,
        r,
        "resolution_plan.approved",
        json!({ "approver": "team_leader", "amount_pence": 60000, "by": "mp1" }),
    )
    .await;
    assert!(
        reason.ends_with("mp1 does not hold the role team_leader or g7_manager"),
        "{reason}"
    );
    // £600 is beyond what a team leader of tl1's grade (HEO) approves: the plan goes up with
    // CMSF5551 to a manager of the grade the directory shows is needed.
    let reason = refused(
        &env,
        &mut refusals,
        r,
        "resolution_plan.approved",
        json!({ "approver": "team_leader", "amount_pence": 60000, "by": "tl1" }),
    )
    .await;
    assert_eq!(
        reason,
        "payments of £600.00 are approved by grade SEO or above: tl1 is HEO; pass the plan up with form CMSF5551 to a manager of that grade"
    );
    decide(
        &env,
        r,
        "resolution_plan.approved",
        json!({ "approver": "team_leader", "amount_pence": 60000, "by": "g7" }),
        |c| c.sub_status == Some(SubStatus::PendingSpecialPaymentTeam),
    )
    .await;
    decide(
        &env,
        r,
        "resolution_plan.approved",
        json!({ "approver": "special_payment_team", "amount_pence": 60000, "by": "spt1" }),
        |c| c.sub_status == Some(SubStatus::Approved),
    )
    .await;
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tier_0_escalation_needs_a_team_leader_then_a_g7() {
    let mut env = TestEnv::start(WORKERS).await;
    let mut refusals = env.observe(&["command.rejected"]).await;
    let dis = open(&env, "CUST-AUTHORITY-0", |_| {}).await;
    let r = dis.reference.as_str();
    dissatisfied(&env, r, "cw1").await;
    let reason = refused(
        &env,
        &mut refusals,
        r,
        "team_leader.decided",
        json!({ "decision": "cannot_resolve", "by": "cw1" }),
    )
    .await;
    assert_eq!(
        reason,
        "a team leader's decision is made by a team leader: cw1 does not hold the role team_leader"
    );
    team_leader_cannot_resolve(&env, r).await;
    let reason = refused(
        &env,
        &mut refusals,
        r,
        "escalation.authorised",
        json!({ "case_conference_held": true, "customer_told_by_phone": true, "by": "tl1" }),
    )
    .await;
    assert_eq!(
        reason,
        "escalation to tier 1 is authorised by a G7 manager: tl1 does not hold the role g7_manager"
    );
    env.stop().await;
}

/// Runs `complaints staff …` against the test's database.
fn staff_cli(env: &TestEnv, args: &[&str]) -> std::process::Output {
    env.cli(&[&["staff"], args].concat())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_is_imported_whole_or_not_at_all() {
    let env = TestEnv::start(&[]).await;
    let dir = std::env::temp_dir().join(format!("staff-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "staff_id,team,roles,grade,active\nnew1,CRT,case_manager,HEO,true\nnew2,CRT,wizard,HEO,true\n",
    )
    .unwrap();
    let refused = staff_cli(&env, &["import", bad.to_str().unwrap()]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("line 3: roles: unknown StaffRole `wizard`"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    let listed = String::from_utf8(staff_cli(&env, &["list"]).stdout).unwrap();
    assert!(
        !listed.contains("new1"),
        "the good row before it was not imported either"
    );

    let good = dir.join("good.csv");
    std::fs::write(
        &good,
        "staff_id,team,roles,grade,active\nnew1,CRT,case_manager;mp_specialist,HEO,true\ncw1,Dissatisfaction North,caseworker,EO,false\n",
    )
    .unwrap();
    for _ in 0..2 {
        let imported = staff_cli(&env, &["import", good.to_str().unwrap()]);
        assert!(
            imported.status.success(),
            "{}",
            String::from_utf8_lossy(&imported.stderr)
        );
    }
    let listed = String::from_utf8(staff_cli(&env, &["list"]).stdout).unwrap();
    let line = |id: &str| {
        listed
            .lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("{id} listed: {listed}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(line("new1"), "new1 CRT HEO yes case_manager;mp_specialist");
    assert_eq!(
        line("cw1"),
        "cw1 Dissatisfaction North EO no caseworker",
        "updated, not doubled"
    );
    assert_eq!(listed.lines().filter(|l| l.starts_with("cw1 ")).count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
    env.stop().await;
}
