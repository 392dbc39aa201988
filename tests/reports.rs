//! The report of process.md §7 over cases driven through the process: what was received, the
//! response targets met, outcomes and codes, remedies and special payments, escalation rates,
//! first-point-of-contact resolutions and parliamentary contact — over HTTP (JSON, CSV, and a
//! 400 for a bad query) and from `complaints report`.

mod common;

use std::process::Command;

use common::casework::{decide, decision, escalate_to_resolution, mp, open};
use common::{wait_for, TestEnv};
use complaints::supervisor::WorkerKind;
use complaints::vocabulary::ExternalStage;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_counts_what_happened_to_the_cases_of_the_period() {
    let mut env = TestEnv::start(&[
        WorkerKind::Intake,
        WorkerKind::Casework,
        WorkerKind::Escalation,
        WorkerKind::Deadlines,
        WorkerKind::OutboxRelay,
        WorkerKind::Http,
    ])
    .await;

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

/// A period of whole days from a week ago to tomorrow, as `YYYY-MM-DD`.
fn period_around_today() -> (String, String) {
    let today = chrono::Utc::now().date_naive();
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    (
        day(today - chrono::Days::new(7)),
        day(today + chrono::Days::new(1)),
    )
}
