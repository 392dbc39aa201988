//! Every customer gets the right letter, once (issue 11): each path walked as the customer
//! experiences it, through the real workers, broker, database and SMTP server (or the dispatch
//! directory for post), with the simulated clock moved by `complaints clock`. What is checked
//! is what the customer receives: which letters, how many, under which reference and in which
//! words.

mod common;

use chrono::{Duration, Utc};
use common::casework::{allocate, case, decide, decision, escalate_to_resolution, open};
use common::{case_opened_by, close_case_at, complaint, wait_for, SmtpServer, TestEnv};
use complaints::db::cases::CaseRecord;
use complaints::db::schema::{case_timeline, letters, timers};
use complaints::supervisor::WorkerKind;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};
use uuid::Uuid;

const ALL: &[WorkerKind] = &[
    WorkerKind::Intake,
    WorkerKind::Acknowledgement,
    WorkerKind::Casework,
    WorkerKind::Escalation,
    WorkerKind::Deadlines,
    WorkerKind::Scheduler,
    WorkerKind::Letters,
    WorkerKind::Email,
    WorkerKind::OutboxRelay,
];

/// The letters of a case that reached the SMTP server, oldest first: code and text as sent.
async fn emailed(env: &TestEnv, smtp: &SmtpServer, case_id: Uuid) -> Vec<(String, String)> {
    let mut conn = env.conn().await;
    let rows: Vec<(Uuid, String, String)> = letters::table
        .filter(letters::case_id.eq(case_id))
        .order(letters::created_at)
        .select((letters::id, letters::code, letters::body_text))
        .load(&mut conn)
        .await
        .unwrap();
    let messages = smtp.messages();
    let domain = &env.app.config.email.message_id_domain;
    rows.into_iter()
        .filter(|(id, _, _)| {
            messages
                .iter()
                .any(|m| m.contains(&format!("<{id}@{domain}>")))
        })
        .map(|(_, code, text)| (code, text))
        .collect()
}

/// Waits until `n` of the case's letters have reached the SMTP server.
async fn wait_for_emails(
    env: &TestEnv,
    smtp: &SmtpServer,
    case_id: Uuid,
    n: usize,
) -> Vec<(String, String)> {
    wait_for(&format!("{n} emails"), || async {
        let found = emailed(env, smtp, case_id).await;
        (found.len() >= n).then_some(found)
    })
    .await
}

/// Every letter produced for a case, whatever its channel.
async fn letter_codes(env: &TestEnv, case_id: Uuid) -> Vec<String> {
    let mut conn = env.conn().await;
    letters::table
        .filter(letters::case_id.eq(case_id))
        .order(letters::created_at)
        .select(letters::code)
        .load(&mut conn)
        .await
        .unwrap()
}

/// The state of the case's latest clock of `kind`, if it has one.
async fn clock_state(env: &TestEnv, case_id: Uuid, kind: &str) -> Option<String> {
    let mut conn = env.conn().await;
    timers::table
        .filter(timers::case_id.eq(case_id))
        .filter(timers::clock.eq(kind))
        .order(timers::id.desc())
        .select(timers::state)
        .first(&mut conn)
        .await
        .optional()
        .unwrap()
}

async fn wait_for_clock(env: &TestEnv, case_id: Uuid, kind: &str, state: &str) {
    wait_for(&format!("clock {kind} {state}"), || async {
        (clock_state(env, case_id, kind).await.as_deref() == Some(state)).then_some(())
    })
    .await
}

/// Waits until the case's timeline has an entry starting with `entry`.
async fn wait_for_entry(env: &TestEnv, case_id: Uuid, entry: &str) {
    wait_for(&format!("timeline entry {entry:?}"), || async {
        let mut conn = env.conn().await;
        let found: i64 = case_timeline::table
            .filter(case_timeline::case_id.eq(case_id))
            .filter(case_timeline::entry.like(format!("{entry}%")))
            .count()
            .get_result(&mut conn)
            .await
            .unwrap();
        (found > 0).then_some(())
    })
    .await
}

/// A tier 0 case taken to the G7's authorisation and escalated to Resolution.
async fn escalate(env: &TestEnv, customer: &str, told_by_phone: bool) -> (CaseRecord, CaseRecord) {
    let dis = open(env, customer, |_| {}).await;
    let res = escalate_to_resolution(env, &dis, "cw1", told_by_phone).await;
    (dis, res)
}

/// A tier 1 case whose 40-hour acknowledgement clock marks when the scheduler has passed a time.
async fn marker(env: &TestEnv, customer: &str) -> CaseRecord {
    let mut event = complaint(customer);
    event["data"]["raised_by"] = json!("mp");
    event["data"]["received_at"] = json!(Utc::now());
    env.publish(&event).await;
    let case = case_opened_by(env, event["id"].as_str().unwrap()).await;
    wait_for_clock(env, case.id, "acknowledgement", "pending").await;
    case
}

/// Point 1 and 2: the customer not told by phone gets one CMSL5842, from the new Resolution
/// case and under its reference, worded as seed 004 has it (no Review signpost); no second one
/// comes from the Resolution case's 48-hour clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_to_resolution_sends_one_cmsl5842_quoting_the_new_case() {
    let env = TestEnv::start_simulated(ALL).await;
    let smtp = SmtpServer::start(env.app.config.email.port);
    let (dis, res) = escalate(&env, "CUST-ESC-LETTER", false).await;

    let sent = wait_for_emails(&env, &smtp, res.id, 1).await;
    assert_eq!(sent[0].0, "CMSL5842");
    let text = &sent[0].1;
    assert!(
        text.contains(&format!("Our reference: {}", res.reference)),
        "{text}"
    );
    assert!(
        !text.contains(&dis.reference),
        "not the closed case's reference"
    );
    assert!(text.contains("Dear Ms Example"), "{text}");
    assert!(text.contains("will contact you within 5 days"), "{text}");
    for absent in ["review", "6 months"] {
        assert!(
            !text.contains(absent),
            "no Review signpost before an outcome: {text}"
        );
    }
    wait_for_entry(&env, res.id, "Acknowledged by CMSL5842").await;
    assert_eq!(clock_state(&env, res.id, "acknowledgement").await, None);

    // Two days later (past the 48 hours), still one letter in all.
    let later = marker(&env, "CUST-ESC-MARKER").await;
    env.advance("2d");
    wait_for_emails(&env, &smtp, later.id, 1).await;
    assert_eq!(letter_codes(&env, res.id).await, ["CMSL5842"]);
    assert!(letter_codes(&env, dis.id).await.is_empty());
    env.stop().await;
}

/// Point 1: told of the escalation by phone, the customer gets CMSL5842 only if the Resolution
/// team has not made contact within 48 hours: one letter, under the new reference.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn told_by_phone_the_customer_gets_cmsl5842_once_if_no_one_calls_within_48_hours() {
    let env = TestEnv::start_simulated(ALL).await;
    let smtp = SmtpServer::start(env.app.config.email.port);
    let (dis, res) = escalate(&env, "CUST-ESC-PHONE", true).await;
    wait_for_clock(&env, res.id, "acknowledgement", "pending").await;
    let later = marker(&env, "CUST-ESC-PHONE-MARKER").await;
    env.advance("3d");
    let sent = wait_for_emails(&env, &smtp, res.id, 1).await;
    assert_eq!(sent[0].0, "CMSL5842");
    assert!(sent[0].1.contains(&res.reference));
    wait_for_emails(&env, &smtp, later.id, 1).await;
    wait_for_clock(&env, res.id, "acknowledgement", "fired").await;
    assert_eq!(letter_codes(&env, res.id).await, ["CMSL5842"]);
    assert!(letter_codes(&env, dis.id).await.is_empty());
    env.stop().await;
}

/// Point 2 and 5: a staff complaint is never phoned. At tier 0 it is acknowledged at once with
/// CMSL5700 saying only that an investigation will take place (its reply window runs), a phone
/// contact on it is refused, and on escalation its CMSL5842 promises a letter, not a call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_complaint_is_acknowledged_by_letter_at_tier_0_and_never_phoned() {
    let mut env = TestEnv::start_simulated(ALL).await;
    let smtp = SmtpServer::start(env.app.config.email.port);
    let mut refused = env.observe(&["command.rejected"]).await;
    let dis = open(&env, "CUST-STAFF-ACK", |data| {
        data["about"] = json!("staff");
        // Only an allegation an apology answers stays at tier 0 (seed 000).
        data["apology_suffices"] = json!(true);
        data["staff_member"] = json!({ "reference": "LM-REF-7", "name": "Pat Officer" });
    })
    .await;
    assert_eq!(
        (dis.tier.number(), dis.handling_team.as_str()),
        (0, "team_leaders")
    );
    let sent = wait_for_emails(&env, &smtp, dis.id, 1).await;
    assert_eq!(sent[0].0, "CMSL5700");
    let text = &sent[0].1;
    assert!(text.contains("An investigation will take place."), "{text}");
    for call in ["call", "tried to"] {
        assert!(!text.contains(call), "{text}");
    }
    wait_for_clock(&env, dis.id, "dissatisfaction_reply_window", "pending").await;

    env.publish(&decision(
        &dis.reference,
        "contact.attempted",
        json!({ "method": "phone", "successful": true, "by": "tl1" }),
    ))
    .await;
    let rejection = refused.next().await;
    assert!(
        rejection.data["reason"]
            .as_str()
            .unwrap()
            .contains("never by phone"),
        "{rejection:?}"
    );

    let res = escalate_to_resolution(&env, &dis, "tl1", false).await;
    let sent = wait_for_emails(&env, &smtp, res.id, 1).await;
    assert_eq!(sent[0].0, "CMSL5842");
    assert!(
        sent[0].1.contains("will write to you within 5 days"),
        "{}",
        sent[0].1
    );
    assert!(!sent[0].1.contains("call"), "{}", sent[0].1);
    let later = marker(&env, "CUST-STAFF-MARKER").await;
    env.advance("2d");
    wait_for_emails(&env, &smtp, later.id, 1).await;
    assert_eq!(letter_codes(&env, res.id).await, ["CMSL5842"]);
    assert_eq!(letter_codes(&env, dis.id).await, ["CMSL5700"]);
    env.stop().await;
}

/// A Review case for `customer`: their Resolution case closed a month ago.
async fn review_case(env: &TestEnv, customer: &str, adjust: impl Fn(&mut Value)) -> CaseRecord {
    let mut earlier = complaint(customer);
    earlier["data"]["raised_by"] = json!("mp");
    earlier["data"]["received_at"] = json!(Utc::now());
    adjust(&mut earlier["data"]);
    env.publish(&earlier).await;
    let resolution = case_opened_by(env, earlier["id"].as_str().unwrap()).await;
    close_case_at(env, resolution.id, Utc::now() - Duration::days(30)).await;
    let mut review = complaint(customer);
    review["data"]["received_at"] = json!(Utc::now());
    review["data"]["earlier_case"] = json!(resolution.reference);
    adjust(&mut review["data"]);
    env.publish(&review).await;
    let case = case_opened_by(env, review["id"].as_str().unwrap()).await;
    assert_eq!(case.tier.number(), 2);
    wait_for_clock(env, case.id, "review_acknowledgement", "pending").await;
    case
}

/// Point 3 and 8: an outcome overtakes the acknowledgement. A Review that got CMSL5800 gets no
/// CMSL5829 after it; a tier 1 case with its outcome decided gets no CMSL5842. The Review's
/// customer lives in Northern Ireland, so CMSL5800 is NICMS's and names the NI Ombudsman.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outcome_stops_the_acknowledgement_clock() {
    let env = TestEnv::start_simulated(ALL).await;
    let smtp = SmtpServer::start(env.app.config.email.port);
    let rev = review_case(&env, "CUST-NI-REVIEW", |data| {
        data["customer"]["region"] = json!("northern_ireland");
        data["customer"]["address"]["postcode"] = json!("BT7 1NN");
    })
    .await;
    let r = rev.reference.as_str();
    allocate(&env, r, "rv1", "tl2").await;
    decide(
        &env,
        r,
        "outcome.decided",
        json!({ "outcome": "not_upheld", "reasons": "Paid on time", "by": "rv1",
                "letter_fields": { "update": "We found the payments were made on time." } }),
        |c| c.outcome.is_some(),
    )
    .await;
    let sent = wait_for_emails(&env, &smtp, rev.id, 1).await;
    assert_eq!(sent[0].0, "CMSL5800");
    let text = &sent[0].1;
    assert!(
        text.contains("Northern Ireland Public Services Ombudsman"),
        "{text}"
    );
    assert!(!text.contains("Parliamentary and Health Service"), "{text}");
    assert!(
        text.contains("Northern Ireland Child Maintenance Service"),
        "{text}"
    );
    wait_for_clock(&env, rev.id, "review_acknowledgement", "cancelled").await;

    let mut event = complaint("CUST-T1-OUTCOME");
    event["data"]["raised_by"] = json!("mp");
    event["data"]["received_at"] = json!(Utc::now());
    env.publish(&event).await;
    let res = case_opened_by(&env, event["id"].as_str().unwrap()).await;
    wait_for_clock(&env, res.id, "acknowledgement", "pending").await;
    let r1 = res.reference.as_str();
    allocate(&env, r1, "mp1", "tl1").await;
    decide(
        &env,
        r1,
        "outcome.decided",
        json!({ "outcome": "upheld", "reasons": "Late payments", "by": "mp1" }),
        |c| c.outcome.is_some(),
    )
    .await;
    wait_for_clock(&env, res.id, "acknowledgement", "cancelled").await;

    // A week on, the Review closes after its 7-day wait: still only the outcome letters.
    env.advance("8d");
    wait_for("the review to close", || async {
        (case(&env, r).await.status == "Closed").then_some(())
    })
    .await;
    assert_eq!(letter_codes(&env, rev.id).await, ["CMSL5800"]);
    assert!(letter_codes(&env, res.id).await.is_empty());
    env.stop().await;
}

fn plan_proposed(customer_reached: bool) -> Value {
    json!({ "customer_reached": customer_reached, "by": "rv1", "letter_fields": {
        "complaint_details": "Late payments.", "why_mistake": "A fault.",
        "corrective_action": "An apology.", "days_until_due": "5" } })
}

/// A Review taken to an approved plan, then put to the customer.
async fn review_plan_put(env: &TestEnv, customer: &str, customer_reached: bool) -> CaseRecord {
    let rev = review_case(env, customer, |_| {}).await;
    let r = rev.reference.as_str();
    let steps: [(&str, Value); 4] = [
        ("case.allocated", json!({ "to": "rv1", "by": "tl2" })),
        (
            "outcome.decided",
            json!({ "outcome": "upheld", "reasons": "All late", "by": "rv1" }),
        ),
        (
            "resolution_plan.drafted",
            json!({ "grounds": ["Late payments"], "by": "rv1", "actions": [
                { "id": "A1", "kind": "apology", "description": "Apologise", "due_on": "2026-12-10" }] }),
        ),
        ("resolution_plan.proposed", plan_proposed(customer_reached)),
    ];
    for (event_type, data) in steps {
        decide(env, r, event_type, data, |_| true).await;
    }
    rev
}

/// Point 4: the 7-day wait after CMSL5801 runs only when the customer was not reached by phone
/// (LM_00009), and the customer agreeing the plan meets it: no chase task after 7 days.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wait_after_cmsl5801_runs_only_for_a_customer_not_reached_and_ends_when_they_agree() {
    let env = TestEnv::start_simulated(ALL).await;
    let smtp = SmtpServer::start(env.app.config.email.port);

    let reached = review_plan_put(&env, "CUST-5801-PHONE", true).await;
    let sent = wait_for_emails(&env, &smtp, reached.id, 1).await;
    assert_eq!(sent[0].0, "CMSL5801");
    assert!(
        sent[0].1.contains("As we discussed"),
        "LM_00008: {}",
        sent[0].1
    );
    // The deadlines worker has taken the letter in (it answers the complaint).
    wait_for_entry(&env, reached.id, "Clock response_target met: CMSL5801").await;

    let not_reached = review_plan_put(&env, "CUST-5801-LETTER", false).await;
    let sent = wait_for_emails(&env, &smtp, not_reached.id, 1).await;
    assert!(
        sent[0].1.contains("could not reach you"),
        "LM_00009: {}",
        sent[0].1
    );
    wait_for_clock(&env, not_reached.id, "wait_after_cmsl5801", "pending").await;
    assert_eq!(
        clock_state(&env, reached.id, "wait_after_cmsl5801").await,
        None,
        "reached by phone: nothing to wait for"
    );

    let due_on = (Utc::now() + Duration::days(3)).date_naive().to_string();
    decide(
        &env,
        &not_reached.reference,
        "resolution_plan.agreed",
        json!({ "actions": [{ "id": "A1", "description": "Apologise", "due_on": due_on }] }),
        |c| c.resolution_plan.as_ref().unwrap()["agreed"] == json!(true),
    )
    .await;
    wait_for_clock(&env, not_reached.id, "wait_after_cmsl5801", "cancelled").await;

    // Eight days on: the action's reminder comes, but nobody is told to chase a reply.
    env.advance("8d");
    wait_for_clock(&env, not_reached.id, "action_due", "fired").await;
    let mut conn = env.conn().await;
    let chases: i64 = case_timeline::table
        .filter(case_timeline::entry.like("%No reply within 7 days of CMSL5801%"))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(chases, 0);
    env.stop().await;
}

/// Point 7: a letter by post is a PDF with its font embedded, greeting the customer by title
/// and surname, with an eight-line address folded into Notify's seven lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_posted_letter_embeds_its_font_and_keeps_the_address_in_the_window() {
    let env = TestEnv::start_simulated(ALL).await;
    let mut event = complaint("CUST-POST");
    event["data"]["raised_by"] = json!("mp");
    event["data"]["customer"]["contact_restriction"] = json!("written_only");
    event["data"]["customer"]["address"]["lines"] = json!([
        "Flat 3",
        "Upper Floor",
        "14 Station Road",
        "Little Hadham",
        "Near Bishop's Stortford",
        "Ware"
    ]);
    env.publish(&event).await;
    let res = case_opened_by(&env, event["id"].as_str().unwrap()).await;
    let (text, pdf_path, recipient): (String, String, String) =
        wait_for("the posted letter", || async {
            let mut conn = env.conn().await;
            letters::table
                .filter(letters::case_id.eq(res.id))
                .filter(letters::channel.eq("post"))
                // Printed once the printer has written its PDF (claimed, written, marked).
                .filter(letters::pdf_path.is_not_null())
                .select((
                    letters::body_text,
                    letters::pdf_path.assume_not_null(),
                    letters::recipient,
                ))
                .first(&mut conn)
                .await
                .optional()
                .unwrap()
        })
        .await;
    assert!(text.contains("Dear Ms Example"), "{text}");
    assert!(text.contains("will write to you"), "written-only: {text}");
    assert_eq!(
        recipient,
        "Ms Jane Example, Flat 3, Upper Floor, 14 Station Road, Little Hadham, Near Bishop's Stortford, Ware, SG11 2AA"
    );
    let bytes = std::fs::read(&pdf_path).expect("the PDF is in the dispatch directory");
    let doc = lopdf::Document::load_mem(&bytes).expect("a valid PDF");
    let first = *doc.get_pages().get(&1).unwrap();
    for (name, font) in doc.get_page_fonts(first).unwrap() {
        let descriptor = doc
            .get_object(font.get(b"FontDescriptor").unwrap().as_reference().unwrap())
            .unwrap()
            .as_dict()
            .unwrap();
        assert!(
            descriptor.get(b"FontFile2").is_ok(),
            "font {name:?} is embedded"
        );
    }
    let content = lopdf::content::Content::decode(&doc.get_page_content(first).unwrap()).unwrap();
    let shown: Vec<String> = content
        .operations
        .iter()
        .filter(|op| op.operator == "Tj")
        .map(|op| String::from_utf8_lossy(op.operands[0].as_str().unwrap()).into_owned())
        .collect();
    let name_at = shown.iter().position(|l| l == "Ms Jane Example").unwrap();
    assert_eq!(
        shown[name_at..name_at + 7],
        [
            "Ms Jane Example",
            "Flat 3",
            "Upper Floor",
            "14 Station Road",
            "Little Hadham",
            "Near Bishop's Stortford, Ware",
            "SG11 2AA"
        ]
    );
    env.stop().await;
}
