//! Letters from request to the customer through the real broker, database and SMTP server
//! (aiosmtpd on loopback): every letter emailed and read back, one email for a request
//! delivered twice, post for enclosures and written-only customers, a bounce switched to post,
//! an SMTP server that is down at first and comes back, a letter refused for a missing field,
//! many letters sent at once over pooled connections, each arriving once.

mod common;

use std::collections::BTreeMap;

use chrono::Utc;
use common::{case_opened_by, complaint, wait_for, SmtpServer, TestEnv};
use complaints::db::schema::letters;
use complaints::letters::catalogue::{example_fields, spec};
use complaints::supervisor::WorkerKind;
use complaints::vocabulary::LetterCode;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};
use uuid::Uuid;

const ALL: &[WorkerKind] = &[
    WorkerKind::Intake,
    WorkerKind::Acknowledgement,
    WorkerKind::Deadlines,
    WorkerKind::Letters,
    WorkerKind::Email,
    WorkerKind::OutboxRelay,
    WorkerKind::Http,
];

/// A `letter.requested` for a case, as the process engine would publish it.
fn request(case: &str, code: LetterCode, fields: BTreeMap<String, Value>) -> Value {
    json!({
        "specversion": "1.0",
        "id": Uuid::now_v7(),
        "type": "letter.requested",
        "source": "urn:test:process",
        "time": Utc::now(),
        "subject": case,
        "data": { "case_reference": case, "code": code, "reason": "test", "automatic": false, "fields": fields },
    })
}

/// Opens a case for a customer whose contact details `adjust` sets.
async fn case_for(
    env: &TestEnv,
    customer: &str,
    adjust: impl FnOnce(&mut Value),
) -> complaints::db::cases::CaseRecord {
    let mut event = complaint(customer);
    adjust(&mut event["data"]["customer"]);
    env.publish(&event).await;
    case_opened_by(env, event["id"].as_str().unwrap()).await
}

async fn letter_statuses(env: &TestEnv, case_id: Uuid) -> Vec<(String, String, String)> {
    let mut conn = env.conn().await;
    letters::table
        .filter(letters::case_id.eq(case_id))
        .order(letters::created_at)
        .select((letters::code, letters::channel, letters::status))
        .load(&mut conn)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_emailable_letter_reaches_the_smtp_server_once() {
    let mut env = TestEnv::start(ALL).await;
    let smtp = SmtpServer::start(env.app.config.email.port);
    let mut sent = env.observe(&["letter.sent"]).await;
    let case = case_for(&env, "CUST-EMAIL", |_| {}).await;
    let emailable: Vec<LetterCode> = LetterCode::ALL
        .iter()
        .copied()
        .filter(|c| spec(*c).enclosures.is_empty())
        .collect();
    let first = request(&case.reference, emailable[0], example_fields(emailable[0]));
    env.publish(&first).await;
    env.publish(&first).await; // the same request delivered twice
    for code in &emailable[1..] {
        env.publish(&request(&case.reference, *code, example_fields(*code)))
            .await;
    }
    let messages = smtp.wait_for_messages(emailable.len()).await;
    for _ in 0..emailable.len() {
        assert_eq!(sent.next().await.data["channel"], "email");
    }
    assert_eq!(
        messages.len(),
        emailable.len(),
        "one email per request, none for the duplicate"
    );
    let statuses = letter_statuses(&env, case.id).await;
    assert_eq!(statuses.len(), emailable.len());
    assert!(statuses
        .iter()
        .all(|(_, channel, status)| channel == "email" && status == "sent"));

    // Read one back: addressed to the customer, text and HTML, the letter's own Message-ID.
    let mut conn = env.conn().await;
    let (id, subject): (Uuid, String) = letters::table
        .filter(letters::case_id.eq(case.id))
        .filter(letters::code.eq("CMSL5842"))
        .select((letters::id, letters::subject))
        .first(&mut conn)
        .await
        .unwrap();
    let email = messages
        .iter()
        .find(|m| {
            m.contains(&format!(
                "<{id}@{}>",
                env.app.config.email.message_id_domain
            ))
        })
        .expect("the letter's Message-ID");
    assert!(email.contains("To: jane.example@example.org"));
    assert!(email.contains(&format!("Subject: {subject}")));
    assert!(email.contains("multipart/alternative"));
    assert!(email.contains("text/plain") && email.contains("text/html"));
    assert!(email.contains(&case.reference));

    // As sent, over HTTP.
    let letter: Value = env
        .http_client()
        .await
        .get(env.url(&format!("/v1/cases/{}/letters/{id}", case.reference)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(letter["code"], "CMSL5842");
    assert_eq!(letter["status"], "sent");
    assert!(letter["body_text"]
        .as_str()
        .unwrap()
        .contains("within 5 days"));
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enclosures_and_written_only_customers_go_by_post() {
    let mut env = TestEnv::start(ALL).await;
    let mut posted = env.observe(&["letter.ready_for_post"]).await;
    let emailable = case_for(&env, "CUST-LEAFLET", |_| {}).await;
    let written = case_for(&env, "CUST-PAPER", |c| {
        c["contact_restriction"] = json!("written_only")
    })
    .await;
    env.publish(&request(
        &emailable.reference,
        LetterCode::Cmsl5807,
        example_fields(LetterCode::Cmsl5807),
    ))
    .await;
    env.publish(&request(
        &written.reference,
        LetterCode::Cmsl5800,
        example_fields(LetterCode::Cmsl5800),
    ))
    .await;
    for _ in 0..2 {
        let ready = posted.next().await;
        let file = std::path::Path::new(&env.app.config.letters.dispatch_dir)
            .join(ready.data["file"].as_str().unwrap());
        let pdf = std::fs::read(&file).expect("the PDF is in the dispatch directory");
        assert!(pdf.starts_with(b"%PDF"));
        if ready.subject.as_deref() == Some(emailable.reference.as_str()) {
            assert_eq!(
                ready.data["enclosures"],
                json!(["CMSB0011 Complaints information leaflet"])
            );
        }
    }
    for case in [&emailable, &written] {
        let statuses = letter_statuses(&env, case.id).await;
        assert_eq!(statuses[0].1, "post");
        assert_eq!(statuses[0].2, "ready_for_post");
    }
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounced_email_is_recorded_and_the_letter_posted() {
    let mut env = TestEnv::start(ALL).await;
    let smtp = SmtpServer::start(env.app.config.email.port);
    let mut posted = env.observe(&["letter.ready_for_post"]).await;
    let case = case_for(&env, "CUST-BOUNCE", |c| {
        c["email"] = json!("bounce@example.org")
    })
    .await;
    env.publish(&request(
        &case.reference,
        LetterCode::Cmsl5806,
        example_fields(LetterCode::Cmsl5806),
    ))
    .await;
    let ready = posted.next().await;
    assert_eq!(ready.subject.as_deref(), Some(case.reference.as_str()));
    let statuses = letter_statuses(&env, case.id).await;
    assert_eq!(
        statuses,
        [("CMSL5806".into(), "post".into(), "ready_for_post".into())]
    );
    let mut conn = env.conn().await;
    let view = complaints::db::cases::find_by_reference(&mut conn, &case.reference)
        .await
        .unwrap()
        .unwrap();
    assert!(
        view.timeline
            .iter()
            .any(|e| e.entry.contains("refused") && e.entry.contains("sending by post")),
        "the bounce is on the case"
    );
    assert!(smtp.messages().is_empty());
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_smtp_server_down_at_first_gets_the_letter_when_it_comes_back() {
    let env = TestEnv::start(ALL).await;
    let port = env.app.config.email.port;
    let case = case_for(&env, "CUST-PATIENT", |_| {}).await;
    env.publish(&request(
        &case.reference,
        LetterCode::Cmsl5800,
        example_fields(LetterCode::Cmsl5800),
    ))
    .await;
    let server = format!("server=\"127.0.0.1:{port}\"");
    wait_for("the email worker to find the server down", || async {
        let metrics = complaints::telemetry::metrics().render();
        metrics
            .lines()
            .any(|l| l.starts_with("complaints_email_retries_total") && l.contains(&server))
            .then_some(())
    })
    .await;
    let smtp = SmtpServer::start(port);
    let messages = smtp.wait_for_messages(1).await;
    assert!(messages[0].contains("Keeping you informed about your complaint"));
    wait_for("the letter marked sent", || async {
        let statuses = letter_statuses(&env, case.id).await;
        matches!(statuses.as_slice(), [(_, _, status), ..] if status == "sent").then_some(())
    })
    .await;
    assert_eq!(smtp.messages().len(), 1);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_letter_missing_its_caseworker_text_is_refused_not_sent_blank() {
    let mut env = TestEnv::start(ALL).await;
    let mut refusals = env.observe(&["command.rejected"]).await;
    let case = case_for(&env, "CUST-BLANK", |_| {}).await;
    let mut incomplete = example_fields(LetterCode::Cmsl5701);
    incomplete.remove("corrective_action");
    let asked = request(&case.reference, LetterCode::Cmsl5701, incomplete);
    env.publish(&asked).await;
    let refused = refusals.next().await;
    assert_eq!(refused.data["event_id"], asked["id"]);
    assert!(refused.data["reason"]
        .as_str()
        .unwrap()
        .contains("corrective_action"));
    assert!(letter_statuses(&env, case.id).await.is_empty());
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_high_profile_case_is_emailed_to_the_operations_directors_office() {
    let env = TestEnv::start(ALL).await;
    let smtp = SmtpServer::start(env.app.config.email.port);
    let mut event = complaint("CUST-PRESS");
    event["data"]["high_profile"] = json!(true);
    env.publish(&event).await;
    let case = case_opened_by(&env, event["id"].as_str().unwrap()).await;
    let messages = smtp.wait_for_messages(1).await;
    assert!(messages[0].contains("To: operations-director@example.org"));
    assert!(messages[0].contains(&format!("[{}] High-profile complaint", case.reference)));
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_contact_in_48_hours_ends_with_the_acknowledgement_in_the_customers_inbox() {
    let mut kinds = ALL.to_vec();
    kinds.push(WorkerKind::Scheduler);
    let env = TestEnv::start_simulated(&kinds).await;
    let smtp = SmtpServer::start(env.app.config.email.port);
    let mut event = complaint("CUST-WHOLE-CHAIN");
    event["data"]["raised_by"] = json!("mp");
    event["data"]["received_at"] = json!(Utc::now());
    env.publish(&event).await;
    let case = case_opened_by(&env, event["id"].as_str().unwrap()).await;
    wait_for("the acknowledgement clock", || async {
        let mut conn = env.conn().await;
        let pending: i64 = complaints::db::schema::timers::table
            .filter(complaints::db::schema::timers::case_id.eq(case.id))
            .count()
            .get_result(&mut conn)
            .await
            .unwrap();
        (pending > 0).then_some(())
    })
    .await;
    env.advance("41h");
    let messages = smtp.wait_for_messages(1).await;
    assert!(messages[0].contains("To: jane.example@example.org"));
    assert!(messages[0].contains("Keeping you informed about your complaint"));
    assert!(messages[0].contains(&case.reference));
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn letters_sent_concurrently_each_reach_the_smtp_server_once() {
    const LETTERS: usize = 24;
    const CONCURRENCY: usize = 6;
    let without_email: Vec<WorkerKind> = ALL
        .iter()
        .copied()
        .filter(|k| *k != WorkerKind::Email)
        .collect();
    let env = TestEnv::start_with(&without_email, |config| {
        config.email.concurrency = CONCURRENCY
    })
    .await;
    let smtp = SmtpServer::start(env.app.config.email.port);
    let case = case_for(&env, "CUST-MANY-LETTERS", |_| {}).await;
    for _ in 0..LETTERS {
        let code = LetterCode::Cmsl5800;
        env.publish(&request(&case.reference, code, example_fields(code)))
            .await;
    }
    // Every letter waits before the sender starts, so it has them all to send at once.
    let awaiting = |status: &'static str| {
        let env = &env;
        async move {
            letter_statuses(env, case.id)
                .await
                .iter()
                .filter(|(_, _, s)| s == status)
                .count()
        }
    };
    wait_for("every letter kept, awaiting email", || async {
        (awaiting("awaiting_email").await == LETTERS).then_some(())
    })
    .await;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let mut email =
        complaints::supervisor::start(&env.app, &[WorkerKind::Email], None, &shutdown).unwrap();
    wait_for("every letter recorded sent", || async {
        (awaiting("sent").await == LETTERS).then_some(())
    })
    .await;
    shutdown.cancel();
    while email.join_next().await.is_some() {}

    // Recorded sent only after the server accepted it: every email is in by now.
    let messages = smtp.messages();
    assert_eq!(messages.len(), LETTERS, "one email per letter, no more");
    let mut conn = env.conn().await;
    let ids: Vec<Uuid> = letters::table
        .filter(letters::case_id.eq(case.id))
        .select(letters::id)
        .load(&mut conn)
        .await
        .unwrap();
    let domain = &env.app.config.email.message_id_domain;
    for id in &ids {
        let copies = messages
            .iter()
            .filter(|m| m.contains(&format!("<{id}@{domain}>")))
            .count();
        assert_eq!(copies, 1, "letter {id} arrives exactly once");
    }
    let attempts: Vec<i32> = letters::table
        .filter(letters::case_id.eq(case.id))
        .select(letters::attempts)
        .load(&mut conn)
        .await
        .unwrap();
    assert!(attempts.iter().all(|a| *a == 1), "no letter sent twice");
    let connections: std::collections::HashSet<&str> = messages
        .iter()
        .filter_map(|m| m.lines().next()?.strip_prefix("X-Peer: "))
        .collect();
    assert!(
        (2..=CONCURRENCY).contains(&connections.len()),
        "sent over a pool of up to {CONCURRENCY} connections, more than one at once: {connections:?}"
    );
    drop(conn);
    env.stop().await;
}
