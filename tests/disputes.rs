//! The dispute path (issue 11 point 9; seed 004, CMSL5811 and CMSL5812), walked as the customer
//! experiences it through the real workers, broker, database and SMTP server, with the
//! simulated clock moved by `complaints clock`: a complaint refused as an appealable decision
//! opens a dispute; its action plan reaches the customer once, by CMSL5811 (not reached by
//! phone) or CMSL5812 (agreed by phone), and the clock after each letter ends in a task.

mod common;

use common::casework::{case, decide};
use common::{case_opened_by, complaint, wait_for, SmtpServer, TestEnv};
use complaints::db::cases::CaseRecord;
use complaints::db::schema::{case_timeline, cases, letters, timers};
use complaints::letters::post::letter_date;
use complaints::supervisor::WorkerKind;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use uuid::Uuid;

const ALL: &[WorkerKind] = &[
    WorkerKind::Intake,
    WorkerKind::Acknowledgement,
    WorkerKind::Casework,
    WorkerKind::Escalation,
    WorkerKind::Deadlines,
    WorkerKind::Disputes,
    WorkerKind::Scheduler,
    WorkerKind::Letters,
    WorkerKind::Email,
    WorkerKind::OutboxRelay,
];

/// A complaint about a decision, refused at intake; the dispute it opened.
async fn dispute(env: &TestEnv, customer: &str) -> CaseRecord {
    let mut event = complaint(customer);
    event["data"]["about"] = json!("decision");
    env.publish(&event).await;
    case_opened_by(env, event["id"].as_str().unwrap()).await
}

/// The dispute's letters that reached the SMTP server, oldest first: code and text as sent.
async fn emailed(env: &TestEnv, smtp: &SmtpServer, id: Uuid, n: usize) -> Vec<(String, String)> {
    let domain = env.app.config.email.message_id_domain.clone();
    wait_for(&format!("{n} emails"), || async {
        let mut conn = env.conn().await;
        let rows: Vec<(Uuid, String, String)> = letters::table
            .filter(letters::case_id.eq(id))
            .order(letters::created_at)
            .select((letters::id, letters::code, letters::body_text))
            .load(&mut conn)
            .await
            .unwrap();
        let messages = smtp.messages();
        let sent: Vec<(String, String)> = rows
            .into_iter()
            .filter(|(id, _, _)| {
                messages
                    .iter()
                    .any(|m| m.contains(&format!("<{id}@{domain}>")))
            })
            .map(|(_, code, text)| (code, text))
            .collect();
        (sent.len() >= n).then_some(sent)
    })
    .await
}

/// Every letter produced for the dispute, whatever its channel.
async fn letter_codes(env: &TestEnv, id: Uuid) -> Vec<String> {
    let mut conn = env.conn().await;
    letters::table
        .filter(letters::case_id.eq(id))
        .order(letters::created_at)
        .select(letters::code)
        .load(&mut conn)
        .await
        .unwrap()
}

/// Waits until the dispute's latest clock of `kind` is in `state`.
async fn wait_for_clock(env: &TestEnv, id: Uuid, kind: &str, state: &str) {
    wait_for(&format!("clock {kind} {state}"), || async {
        let mut conn = env.conn().await;
        let found: Option<String> = timers::table
            .filter(timers::case_id.eq(id))
            .filter(timers::clock.eq(kind))
            .order(timers::id.desc())
            .select(timers::state)
            .first(&mut conn)
            .await
            .optional()
            .unwrap();
        (found.as_deref() == Some(state)).then_some(())
    })
    .await
}

/// Waits until the dispute's timeline has an entry starting with `entry`.
async fn wait_for_entry(env: &TestEnv, id: Uuid, entry: &str) {
    wait_for(&format!("timeline entry {entry:?}"), || async {
        let mut conn = env.conn().await;
        let found: i64 = case_timeline::table
            .filter(case_timeline::case_id.eq(id))
            .filter(case_timeline::entry.like(format!("{entry}%")))
            .count()
            .get_result(&mut conn)
            .await
            .unwrap();
        (found > 0).then_some(())
    })
    .await
}

/// Reached by phone and agreeing, the customer gets one CMSL5812 under the dispute's own
/// reference, quoting the date of the dispute and the days to act; when those days run out the
/// caseworker gets a task. A second agreement is refused and sends nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_agreed_by_phone_is_confirmed_by_cmsl5812_once_and_followed_up() {
    let mut env = TestEnv::start_simulated(ALL).await;
    let smtp = SmtpServer::start(env.app.config.email.port);
    let mut refused = env.observe(&["command.rejected"]).await;
    let opened = dispute(&env, "CUST-DISPUTE-AGREED").await;
    assert!(opened.reference.starts_with("DSP-"), "{}", opened.reference);
    assert_eq!(opened.stage, "Dispute Received");
    let mut conn = env.conn().await;
    let kind: String = cases::table
        .find(opened.id)
        .select(cases::kind)
        .first(&mut conn)
        .await
        .unwrap();
    assert_eq!(kind, "dispute");

    let agreed = json!({
        "by": "cw1",
        "days_to_act": 10,
        "letter_fields": { "steps": "We will recalculate your maintenance from 1 March." }
    });
    decide(
        &env,
        &opened.reference,
        "dispute_plan.agreed",
        agreed.clone(),
        |c| c.stage == "Plan Agreed",
    )
    .await;
    let sent = emailed(&env, &smtp, opened.id, 1).await;
    assert_eq!(sent[0].0, "CMSL5812");
    let text = &sent[0].1;
    for expected in [
        format!("Our reference: {}", opened.reference),
        "We have considered your dispute and will amend our decision".into(),
        format!(
            "You disputed our decision on {}.",
            letter_date(opened.complaint.received_at)
        ),
        "The steps that we'll take to resolve your dispute".into(),
        "We will recalculate your maintenance from 1 March.".into(),
        "We will take these steps within 10 days.".into(),
    ] {
        assert!(text.contains(&expected), "{expected:?} in {text}");
    }
    wait_for_clock(&env, opened.id, "dispute_action_due", "pending").await;

    // The same plan agreed again: refused, nothing sent.
    env.publish(&common::casework::decision(
        &opened.reference,
        "dispute_plan.agreed",
        agreed,
    ))
    .await;
    let rejection = refused.next().await;
    assert_eq!(
        rejection.subject.as_deref(),
        Some(opened.reference.as_str())
    );

    // The ten days pass: the caseworker is told the steps are due; still one letter in all.
    env.advance("11d");
    wait_for_clock(&env, opened.id, "dispute_action_due", "fired").await;
    wait_for_entry(
        &env,
        opened.id,
        "Task for the caseworker: The steps CMSL5812 told the customer",
    )
    .await;
    assert_eq!(letter_codes(&env, opened.id).await, ["CMSL5812"]);
    assert_eq!(case(&env, &opened.reference).await.stage, "Plan Agreed");
    env.stop().await;
}

/// Not reached by phone, the customer gets CMSL5811 proposing the plan, with 7 days to object;
/// no complaint acknowledgement is sent for a dispute. With no reply the caseworker is told the
/// plan stands; when the customer later agrees by phone, CMSL5812 confirms it: two letters in
/// all, one of each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_proposed_in_writing_goes_by_cmsl5811_with_seven_days_to_object() {
    let env = TestEnv::start_simulated(ALL).await;
    let smtp = SmtpServer::start(env.app.config.email.port);
    let opened = dispute(&env, "CUST-DISPUTE-PROPOSED").await;
    decide(
        &env,
        &opened.reference,
        "dispute_plan.proposed",
        json!({
            "by": "cw1",
            "letter_fields": {
                "dispute": "You told us the calculation used the wrong income.",
                "apology": "We are sorry for the mistake.",
                "corrective_action": "We will recalculate using your current income."
            }
        }),
        |c| c.stage == "Plan Proposed",
    )
    .await;
    let sent = emailed(&env, &smtp, opened.id, 1).await;
    assert_eq!(sent[0].0, "CMSL5811");
    let text = &sent[0].1;
    for expected in [
        format!("Our reference: {}", opened.reference),
        "We tried to call you about your dispute but could not reach you.".into(),
        "You told us the calculation used the wrong income.".into(),
        "We are sorry for the mistake.".into(),
        "We will recalculate using your current income.".into(),
        "within 7 days of the date of this letter".into(),
    ] {
        assert!(text.contains(&expected), "{expected:?} in {text}");
    }
    assert!(
        !text.contains("Why the mistake happened"),
        "optional part left out: {text}"
    );
    wait_for_clock(&env, opened.id, "dispute_reply", "pending").await;

    env.advance("8d");
    wait_for_clock(&env, opened.id, "dispute_reply", "fired").await;
    wait_for_entry(
        &env,
        opened.id,
        "Task for the caseworker: No reply within 7 days to CMSL5811",
    )
    .await;

    decide(
        &env,
        &opened.reference,
        "dispute_plan.agreed",
        json!({
            "by": "cw1",
            "days_to_act": 5,
            "letter_fields": { "steps": "We will recalculate using your current income." }
        }),
        |c| c.stage == "Plan Agreed",
    )
    .await;
    let sent = emailed(&env, &smtp, opened.id, 2).await;
    assert_eq!(sent[1].0, "CMSL5812");
    assert!(sent[1].1.contains("within 5 days"), "{}", sent[1].1);
    wait_for_clock(&env, opened.id, "dispute_action_due", "pending").await;
    assert_eq!(
        letter_codes(&env, opened.id).await,
        ["CMSL5811", "CMSL5812"]
    );
    env.stop().await;
}

/// A customer who may only be written to cannot agree a plan by phone: the agreement is refused
/// and no CMSL5812 ("thank you for talking to us") goes out; CMSL5811 is their letter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_written_only_customer_gets_cmsl5811_never_a_phone_agreement() {
    let mut env = TestEnv::start_simulated(ALL).await;
    let _smtp = SmtpServer::start(env.app.config.email.port);
    let mut refused = env.observe(&["command.rejected"]).await;
    let mut event = complaint("CUST-DISPUTE-WRITTEN");
    event["data"]["about"] = json!("decision");
    event["data"]["customer"]["contact_restriction"] = json!("written_only");
    env.publish(&event).await;
    let opened = case_opened_by(&env, event["id"].as_str().unwrap()).await;

    env.publish(&common::casework::decision(
        &opened.reference,
        "dispute_plan.agreed",
        json!({ "by": "cw1", "days_to_act": 5, "letter_fields": { "steps": "We will recalculate." } }),
    ))
    .await;
    let rejection = refused.next().await;
    assert_eq!(
        rejection.subject.as_deref(),
        Some(opened.reference.as_str())
    );
    assert!(
        rejection.data["reason"]
            .as_str()
            .unwrap()
            .contains("may only be written to"),
        "{rejection:?}"
    );

    decide(
        &env,
        &opened.reference,
        "dispute_plan.proposed",
        json!({
            "by": "cw1",
            "letter_fields": {
                "dispute": "You told us the calculation was wrong.",
                "apology": "We are sorry.",
                "why_mistake": "An old payslip was used.",
                "corrective_action": "We will recalculate."
            }
        }),
        |c| c.stage == "Plan Proposed",
    )
    .await;
    // A written-only customer's letters go by post: the PDF in the dispatch directory.
    let (code, channel, text, pdf) = wait_for("CMSL5811 posted", || async {
        let mut conn = env.conn().await;
        letters::table
            .filter(letters::case_id.eq(opened.id))
            // Printed once the printer has written its PDF (claimed, written, marked).
            .filter(letters::pdf_path.is_not_null())
            .select((
                letters::code,
                letters::channel,
                letters::body_print,
                letters::pdf_path,
            ))
            .first::<(String, String, String, Option<String>)>(&mut conn)
            .await
            .optional()
            .unwrap()
    })
    .await;
    assert_eq!((code.as_str(), channel.as_str()), ("CMSL5811", "post"));
    assert!(std::path::Path::new(&pdf.unwrap()).exists());
    assert!(
        !text.contains("tried to call"),
        "never told we tried to call: {text}"
    );
    assert!(text.contains("An old payslip was used."), "{text}");
    assert_eq!(letter_codes(&env, opened.id).await, ["CMSL5811"]);
    env.stop().await;
}

/// The customer answers CMSL5811: the 7 days are met and the caseworker is asked to talk the
/// plan through. A complaint decision about a dispute is refused, saying so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_to_cmsl5811_meets_its_clock_and_complaint_decisions_are_refused() {
    let mut env = TestEnv::start_simulated(ALL).await;
    let smtp = SmtpServer::start(env.app.config.email.port);
    let mut refused = env.observe(&["command.rejected"]).await;
    let opened = dispute(&env, "CUST-DISPUTE-REPLY").await;
    decide(
        &env,
        &opened.reference,
        "dispute_plan.proposed",
        json!({
            "by": "cw1",
            "letter_fields": {
                "dispute": "You told us the calculation was wrong.",
                "apology": "We are sorry.",
                "corrective_action": "We will recalculate."
            }
        }),
        |c| c.stage == "Plan Proposed",
    )
    .await;
    emailed(&env, &smtp, opened.id, 1).await;
    wait_for_clock(&env, opened.id, "dispute_reply", "pending").await;

    env.publish(&common::casework::decision(
        &opened.reference,
        "client.replied",
        json!({ "channel": "letter" }),
    ))
    .await;
    wait_for_clock(&env, opened.id, "dispute_reply", "cancelled").await;
    wait_for_entry(
        &env,
        opened.id,
        "Task for the caseworker: The customer replied to CMSL5811",
    )
    .await;

    env.publish(&common::casework::decision(
        &opened.reference,
        "case.allocated",
        json!({ "to": "cm-1", "by": "tl-1" }),
    ))
    .await;
    let rejection = refused.next().await;
    assert_eq!(rejection.data["event_type"], "case.allocated");
    assert!(
        rejection.data["reason"]
            .as_str()
            .unwrap()
            .contains("is a dispute, not a complaint"),
        "{rejection:?}"
    );
    assert_eq!(letter_codes(&env, opened.id).await, ["CMSL5811"]);
    env.stop().await;
}
