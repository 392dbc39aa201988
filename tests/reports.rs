//! The report of process.md §7 over cases driven through the process: what was received, the
//! response targets met, outcomes and codes, remedies and special payments, escalation rates,
//! first-point-of-contact resolutions and parliamentary contact — over HTTP (JSON, CSV, and a
//! 400 for a bad query) and from `complaints report`; and the special payments made
//! (`special_payment.made`) and Reviews taken to ICE.

mod common;

use std::process::Command;

use common::casework::{
    allocate, decide, decision, escalate_to_resolution, escalated_from, mp, open, timeline_len,
};
use common::{wait_for, TestEnv};
use complaints::db::schema::{report_changes, report_days};
use complaints::supervisor::WorkerKind;
use complaints::vocabulary::ExternalStage;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_counts_what_happened_to_the_cases_of_the_period() {
    let kinds = [
        WorkerKind::Intake,
        WorkerKind::Casework,
        WorkerKind::Escalation,
        WorkerKind::Deadlines,
        WorkerKind::OutboxRelay,
        WorkerKind::ReportDays,
        WorkerKind::Http,
    ];
    let mut env = TestEnv::start_with(&kinds, |config| config.reports.keep_every_ms = 100).await;

    // An enquiry answered at the first point of contact.
    let enquiry = open(&env, "CUST-REPORT-A", |_| {}).await;
    decide(
        &env,
        &enquiry.reference,
        "closure.decided",
        json!({ "resolution_code": "Answered Enquiry", "customer_reached": true, "by": "cw1" }),
        |c| c.status == "Closed",
    )
    .await;

    // A Dissatisfaction case the team leader could not resolve: escalated to tier 1.
    let dis = open(&env, "CUST-REPORT-B", |_| {}).await;
    escalate_to_resolution(&env, &dis, "cw2", true).await;

    // An MP's letter, upheld with a £50 consolatory payment, done and closed.
    let res = open(&env, "CUST-REPORT-C", |data| {
        mp(data);
        data["channel"] = json!("letter");
    })
    .await;
    let r = res.reference.as_str();
    let steps: Vec<(&str, Value)> = vec![
        ("case.allocated", json!({ "to": "mp1", "by": "tl2" })),
        (
            "outcome.decided",
            json!({ "outcome": "upheld", "reasons": "Late", "by": "mp1" }),
        ),
        (
            "resolution_plan.drafted",
            json!({ "grounds": ["Late"], "by": "mp1", "actions": [
            { "id": "A1", "kind": "apology", "description": "Apologise", "due_on": "2026-12-10" },
            { "id": "A2", "kind": "financial_redress", "description": "For the worry", "due_on": "2026-12-10",
              "payment": { "amount_pence": 5000, "kind": "consolatory" } } ] }),
        ),
        // £50 consolatory is within the case manager's own delegated authority (seed 001).
        (
            "resolution_plan.proposed",
            json!({ "customer_reached": true, "by": "mp1" }),
        ),
        (
            "resolution_plan.agreed",
            json!({ "actions": [
            { "id": "A1", "description": "Apologise", "due_on": "2026-12-10" },
            { "id": "A2", "description": "For the worry", "due_on": "2026-12-10" } ] }),
        ),
        ("action.completed", json!({ "action_id": "A1" })),
        ("action.completed", json!({ "action_id": "A2" })),
    ];
    for (event_type, data) in steps {
        decide(&env, r, event_type, data, |_| true).await;
    }
    decide(
        &env,
        r,
        "closure.decided",
        json!({ "resolution_code": "Actions Complete – Client OK", "customer_reached": true, "by": "mp1" }),
        |c| c.status == "Closed",
    )
    .await;

    // An MP takes it to the PHSO, which upholds it.
    decide(
        &env,
        r,
        "external_stage.recorded",
        json!({ "body": "phso", "stage": "contacted", "note": "Referred by the MP", "by": "pu1" }),
        |c| c.phso_stage == Some(ExternalStage::Contacted),
    )
    .await;
    decide(
        &env,
        r,
        "external_stage.recorded",
        json!({ "body": "phso", "stage": "final_report", "upheld": true, "note": "Upheld", "by": "pu1" }),
        |c| c.phso_upheld == Some(true),
    )
    .await;

    let http = env.http_client().await;
    // The complaints were received just now: a period of whole days around today holds them.
    let (from, to) = period_around_today();
    let url = env.url(&format!("/v1/reports/complaints?from={from}&to={to}"));
    // The deadlines worker meets the closed case's target on its own queue: wait for it.
    let report: Value = wait_for("the closed case's target to be met", || async {
        let report: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
        (report["response_target"]["met"] == 1).then_some(report)
    })
    .await;
    assert_eq!(report["received"]["total"], 4);
    assert_eq!(report["received"]["by_tier"], json!({ "0": 2, "1": 2 }));
    assert_eq!(
        report["received"]["by_channel"],
        json!({ "letter": 1, "web_form": 3 })
    );
    assert_eq!(report["response_target"]["pending"], 1);
    assert_eq!(report["response_target"]["percent_met"], 100.0);
    assert_eq!(report["outcomes"], json!({ "tier 1 upheld": 1 }));
    assert_eq!(
        report["resolution_codes"],
        json!({ "tier 0 Answered Enquiry": 1, "tier 0 Unresolved": 1, "tier 1 Actions Complete – Client OK": 1 })
    );
    assert_eq!(
        report["remedies"],
        json!({ "apology": 1, "financial_redress": 1 })
    );
    assert_eq!(
        report["special_payments_pence"],
        json!({ "consolatory": 5000 })
    );
    assert_eq!(
        report["escalation_tier_0_to_1"],
        json!({ "closed": 2, "escalated": 1, "percent": 50.0 })
    );
    assert_eq!(report["escalation_tier_1_to_2"]["escalated"], 0);
    assert_eq!(report["resolved_at_first_point_of_contact"], 1);
    assert_eq!(report["parliamentary_contact"], 1);
    assert_eq!(report["phso_stages"], json!({ "final_report": 1 }));
    assert_eq!(
        report["phso_findings"],
        json!({ "reported": 1, "upheld": 1, "percent_upheld": 100.0 })
    );
    assert_eq!(report["ice_findings"]["reported"], 0);

    // The report-days worker keeps the day's figures; the report read from them says the same.
    wait_for("the day's figures kept, with no change waiting", || async {
        let mut conn = env.conn().await;
        let kept: i64 = report_days::table
            .count()
            .get_result(&mut conn)
            .await
            .unwrap();
        let waiting: i64 = report_changes::table
            .count()
            .get_result(&mut conn)
            .await
            .unwrap();
        (kept > 0 && waiting == 0).then_some(())
    })
    .await;
    let kept: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(kept, report);

    let csv = http.get(format!("{url}&format=csv")).send().await.unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("section,item,value\r\n"), "{csv}");
    assert!(
        csv.contains("special payments (pence),total,5000\r\n"),
        "{csv}"
    );

    let bad = http
        .get(env.url("/v1/reports/complaints?from=yesterday&to=2026-01-01&colour=red"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let reasons = bad.json::<Value>().await.unwrap()["reasons"].to_string();
    assert!(
        reasons.contains("`from` is not a date") && reasons.contains("`colour`"),
        "{reasons}"
    );

    // A decision the case refuses is counted for operations.
    let mut refusals = env.observe(&["command.rejected"]).await;
    env.publish(&decision(
        &enquiry.reference,
        "outcome.decided",
        json!({ "outcome": "upheld", "reasons": "Too late", "by": "cw1" }),
    ))
    .await;
    assert!(refusals.next().await.data["reason"]
        .as_str()
        .unwrap()
        .contains("closed"));
    let metrics = http
        .get(env.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("complaints_commands_rejected_total")
                && l.contains("worker=\"casework\"")
                && l.contains("type=\"outcome.decided\"")),
        "{metrics}"
    );

    let config = &env.app.config;
    let printed = Command::new(env!("CARGO_BIN_EXE_complaints"))
        .args(["report", "--from", &from, "--to", &to, "--csv"])
        .env_clear()
        .env("COMPLAINTS__DATABASE__URL", &config.database.url)
        .env("COMPLAINTS__AMQP__NAMESPACE", &config.amqp.namespace)
        .output()
        .expect("complaints report runs");
    assert!(
        printed.status.success(),
        "{}",
        String::from_utf8_lossy(&printed.stderr)
    );
    assert_eq!(String::from_utf8(printed.stdout).unwrap(), csv);
    env.stop().await;
}

/// A special payment is recorded as made only for an agreed plan's financial-redress action,
/// for its amount, by someone who may pay it, once; the report counts the payments made beside
/// those agreed, and the Reviews closed that the customer took to ICE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn special_payments_made_and_reviews_taken_to_ice_are_reported() {
    let mut env = TestEnv::start(&[
        WorkerKind::Intake,
        WorkerKind::Casework,
        WorkerKind::Escalation,
        WorkerKind::OutboxRelay,
        WorkerKind::Http,
    ])
    .await;
    let mut refusals = env.observe(&["command.rejected"]).await;

    // An MP's complaint, upheld, with a £50 consolatory payment in its plan.
    let res = open(&env, "CUST-PAID", mp).await;
    let r = res.reference.as_str();
    allocate(&env, r, "mp1", "tl2").await;
    let steps: Vec<(&str, Value)> = vec![
        (
            "outcome.decided",
            json!({ "outcome": "upheld", "reasons": "Late", "by": "mp1" }),
        ),
        (
            "resolution_plan.drafted",
            json!({ "grounds": ["Late"], "by": "mp1", "actions": [
            { "id": "A1", "kind": "apology", "description": "Apologise", "due_on": "2026-12-10" },
            { "id": "A2", "kind": "financial_redress", "description": "For the worry", "due_on": "2026-12-10",
              "payment": { "amount_pence": 5000, "kind": "consolatory" } } ] }),
        ),
    ];
    for (event_type, data) in steps {
        decide(&env, r, event_type, data, |_| true).await;
    }
    let pay = |action: &str, pence: i64, by: &str| {
        decision(
            r,
            "special_payment.made",
            json!({ "action_id": action, "amount_pence": pence, "by": by }),
        )
    };
    let mut refused = async |event: Value| -> String {
        env.publish(&event).await;
        let rejected = refusals.next().await;
        assert_eq!(rejected.data["event_id"], event["id"], "{rejected:?}");
        rejected.data["reason"].as_str().unwrap().to_owned()
    };
    // Not agreed yet: nothing in the plan may be paid.
    let reason = refused(pay("A2", 5000, "mp1")).await;
    assert!(reason.contains("not agreed"), "{reason}");
    for (event_type, data) in [
        (
            "resolution_plan.proposed",
            json!({ "customer_reached": true, "by": "mp1" }),
        ),
        (
            "resolution_plan.agreed",
            json!({ "actions": [
            { "id": "A1", "description": "Apologise", "due_on": "2026-12-10" },
            { "id": "A2", "description": "For the worry", "due_on": "2026-12-10" } ] }),
        ),
    ] {
        decide(&env, r, event_type, data, |_| true).await;
    }
    let reason = refused(pay("A1", 5000, "mp1")).await;
    assert!(reason.contains("not a special payment"), "{reason}");
    let reason = refused(pay("A2", 6000, "mp1")).await;
    assert_eq!(reason, "action A2 agreed £50.00, not £60.00");
    let reason = refused(pay("A2", 5000, "cw1")).await;
    assert!(
        reason.contains("the case's handler or the Special Payment Team")
            && reason.contains("cw1 does not hold"),
        "{reason}"
    );

    // Within the case manager's own authority: the MP specialist handling it pays.
    let made = pay("A2", 5000, "mp1");
    let before = timeline_len(&env, r).await;
    env.publish(&made).await;
    // Redelivered, it changes nothing and is not refused.
    env.publish(&made).await;
    // A second payment for the same action is refused.
    let reason = refused(pay("A2", 5000, "spt1")).await;
    assert!(reason.contains("already paid"), "{reason}");
    assert_eq!(timeline_len(&env, r).await, before + 1);
    let mut conn = env.conn().await;
    let view = complaints::db::cases::find_by_reference(&mut conn, r)
        .await
        .unwrap()
        .unwrap();
    assert!(
        view.timeline
            .iter()
            .any(|e| e.entry == "Special payment made for action A2: £50.00 (consolatory)"),
        "{:?}",
        view.timeline
    );
    drop(conn);

    // A Review the customer takes to ICE; and a Review referral closed at once (no Resolution
    // case to review), which goes no further.
    let first = open(&env, "CUST-TO-ICE", mp).await;
    allocate(&env, &first.reference, "cm1", "tl2").await;
    decide(
        &env,
        &first.reference,
        "outcome.decided",
        json!({ "outcome": "not_upheld", "reasons": "Paid on time",
                "customer_clearly_dissatisfied": true, "by": "cm1" }),
        |c| c.status == "Closed",
    )
    .await;
    let rev = escalated_from(&env, &first).await;
    let r2 = rev.reference.as_str();
    allocate(&env, r2, "rv1", "tl3").await;
    let steps: Vec<(&str, Value)> = vec![
        (
            "outcome.decided",
            json!({ "outcome": "justified", "reasons": "The apology is enough", "by": "rv1",
                    "letter_fields": { "update": "We have looked again at your complaint." } }),
        ),
        ("client.replied", json!({ "channel": "phone" })),
    ];
    for (event_type, data) in steps {
        decide(&env, r2, event_type, data, |_| true).await;
    }
    decide(
        &env,
        r2,
        "closure.decided",
        json!({ "resolution_code": "No Action Taken", "customer_reached": true, "by": "rv1" }),
        |c| c.status == "Closed",
    )
    .await;
    decide(
        &env,
        r2,
        "external_stage.recorded",
        json!({ "body": "ice", "stage": "contacted", "note": "ICE asked for the file", "by": "ice-team" }),
        |c| c.ice_stage.is_some(),
    )
    .await;
    let rejected = open(&env, "CUST-NO-REVIEW", |data| {
        data["review_requested"] = json!(true);
    })
    .await;
    assert_eq!(
        (rejected.tier.number(), rejected.status.as_str()),
        (2, "Closed")
    );

    let http = env.http_client().await;
    let (from, to) = period_around_today();
    let url = env.url(&format!("/v1/reports/complaints?from={from}&to={to}"));
    let report: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        report["special_payments_made"],
        json!({ "count": 1, "total_pence": 5000 })
    );
    assert_eq!(
        report["special_payments_pence"],
        json!({ "consolatory": 5000 })
    );
    assert_eq!(
        report["escalation_tier_2_to_ice"],
        json!({ "closed": 2, "escalated": 1, "percent": 50.0 })
    );
    let csv = http
        .get(format!("{url}&format=csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for row in [
        "special payments made,count,1\r\n",
        "special payments made (pence),total,5000\r\n",
        "escalation,tier 2 to ice percent,50.0\r\n",
    ] {
        assert!(csv.contains(row), "{row} in {csv}");
    }

    let config = &env.app.config;
    let printed = Command::new(env!("CARGO_BIN_EXE_complaints"))
        .args(["report", "--from", &from, "--to", &to])
        .env_clear()
        .env("COMPLAINTS__DATABASE__URL", &config.database.url)
        .env("COMPLAINTS__AMQP__NAMESPACE", &config.amqp.namespace)
        .output()
        .expect("complaints report runs");
    let text = String::from_utf8(printed.stdout).unwrap();
    let block = text
        .split("\n\n")
        .find(|b| b.starts_with("special payments made"))
        .unwrap_or_else(|| panic!("a block of payments made in {text}"));
    assert!(
        block.contains("count") && block.contains("£50.00"),
        "{block}"
    );
    env.stop().await;
}

/// A period of whole days from a week ago to tomorrow, as `YYYY-MM-DD`.
fn period_around_today() -> (String, String) {
    let today = chrono::Utc::now().date_naive();
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    (
        day(today - chrono::Days::new(7)),
        day(today + chrono::Days::new(1)),
    )
}
