//! Irreversible effects under a sender that died between acting and recording it: the email
//! sender and the printer claim a letter (committed), act, then mark it (committed). A claim
//! left standing past its lease is taken over: the email goes again with the same Message-ID,
//! the PDF is written again over the same file, each counted once in
//! `complaints_effects_repeated_total`; what the letter causes (`letter.sent`,
//! `letter.ready_for_post`) is recorded once.
//!
//! One test per binary-wide counter label, so the counts read here are this test's own.

mod common;

use common::casework::open;
use common::{wait_for, SmtpServer, TestEnv};
use complaints::db::letters::{self, NewLetter};
use complaints::db::schema::{letters as letters_table, outbox};
use complaints::supervisor::{self, WorkerKind};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// The counter's value in this process's Prometheus rendering.
fn repeated(effect: &str) -> u64 {
    let rendered = complaints::telemetry::metrics().render();
    let wanted = format!("complaints_effects_repeated_total{{effect=\"{effect}\"}} ");
    rendered
        .lines()
        .find_map(|l| l.strip_prefix(&wanted))
        .map_or(0, |v| v.trim().parse().expect("a count"))
}

/// A letter of `case_id` as the letters worker keeps it.
fn letter(case_id: Uuid, status: &str, channel: &str, recipient: &str) -> NewLetter {
    let now = chrono::Utc::now();
    NewLetter {
        id: Uuid::now_v7(),
        case_id,
        code: "CMSL5842".into(),
        cause: Uuid::now_v7(),
        template_version: "test".into(),
        subject: "Your complaint".into(),
        body_text: "We have your complaint.".into(),
        body_html: "<p>We have your complaint.</p>".into(),
        body_print: "We have your complaint.".into(),
        channel: channel.into(),
        recipient: recipient.into(),
        status: status.into(),
        pdf_path: None,
        created_at: now,
        sent_at: None,
    }
}

/// Leaves `id` as a sender that died after acting would: claimed once, long ago.
async fn claimed_by_a_dead_sender(env: &TestEnv, id: Uuid) {
    let mut conn = env.conn().await;
    diesel::update(letters_table::table.find(id))
        .set((
            letters_table::attempts.eq(1),
            letters_table::claimed_at.eq(chrono::Utc::now() - chrono::Duration::hours(1)),
        ))
        .execute(&mut conn)
        .await
        .unwrap();
}

async fn status_of(env: &TestEnv, id: Uuid) -> String {
    let mut conn = env.conn().await;
    letters_table::table
        .find(id)
        .select(letters_table::status)
        .first(&mut conn)
        .await
        .unwrap()
}

/// How many `letter.sent` events the outbox holds about case `reference`.
async fn letters_sent_on(env: &TestEnv, reference: &str) -> i64 {
    let mut conn = env.conn().await;
    outbox::table
        .filter(outbox::event_type.eq("letter.sent"))
        .filter(outbox::payload.retrieve_as_text("subject").eq(reference))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap()
}

/// How many events of `event_type` the outbox holds about letter `id`.
async fn events_about(env: &TestEnv, event_type: &str, id: Uuid) -> usize {
    let mut conn = env.conn().await;
    let payloads: Vec<serde_json::Value> = outbox::table
        .filter(outbox::event_type.eq(event_type))
        .select(outbox::payload)
        .load(&mut conn)
        .await
        .unwrap();
    payloads
        .iter()
        .filter(|p| p["data"]["letter_id"] == id.to_string())
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_whose_sender_died_goes_again_once_with_its_message_id() {
    let env = TestEnv::start(&[WorkerKind::Intake]).await;
    let smtp = SmtpServer::start(env.app.config.email.port);
    let case = open(&env, "CUST-EFFECTS-EMAIL", |_| {}).await;
    let mut conn = env.conn().await;
    let orphan = letter(
        case.id,
        letters::AWAITING_EMAIL,
        "email",
        "orphan@example.org",
    );
    let fresh = letter(
        case.id,
        letters::AWAITING_EMAIL,
        "email",
        "fresh@example.org",
    );
    assert!(letters::insert(&mut conn, &orphan).await.unwrap());
    assert!(letters::insert(&mut conn, &fresh).await.unwrap());
    drop(conn);
    claimed_by_a_dead_sender(&env, orphan.id).await;
    let before = repeated("email");

    let shutdown = CancellationToken::new();
    let mut sender = supervisor::start(&env.app, &[WorkerKind::Email], None, &shutdown).unwrap();
    let messages = smtp.wait_for_messages(2).await;
    wait_for("both letters recorded sent", || async {
        (status_of(&env, orphan.id).await == letters::SENT
            && status_of(&env, fresh.id).await == letters::SENT)
            .then_some(())
    })
    .await;
    shutdown.cancel();
    while sender.join_next().await.is_some() {}

    let domain = &env.app.config.email.message_id_domain;
    for id in [orphan.id, fresh.id] {
        let with_id = messages
            .iter()
            .filter(|m| m.contains(&format!("<{id}@{domain}>")))
            .count();
        assert_eq!(with_id, 1, "letter {id} emailed once by this sender");
    }
    assert_eq!(
        repeated("email") - before,
        1,
        "only the taken-over claim counts as a repeat"
    );
    assert_eq!(
        letters_sent_on(&env, &case.reference).await,
        2,
        "letter.sent once per letter"
    );
    let mut conn = env.conn().await;
    let attempts: i32 = letters_table::table
        .find(orphan.id)
        .select(letters_table::attempts)
        .first(&mut conn)
        .await
        .unwrap();
    assert_eq!(attempts, 2);
    drop(conn);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pdf_whose_printer_died_is_written_over_the_same_file_and_posted_once() {
    let mut env = TestEnv::start(&[WorkerKind::Intake, WorkerKind::OutboxRelay]).await;
    let mut ready = env.observe(&["letter.ready_for_post"]).await;
    let case = open(&env, "CUST-EFFECTS-PRINT", |_| {}).await;
    let orphan = letter(
        case.id,
        letters::AWAITING_PRINT,
        "post",
        "A Customer, 1 Road, AB1 2CD",
    );
    let mut conn = env.conn().await;
    assert!(letters::insert(&mut conn, &orphan).await.unwrap());
    drop(conn);
    claimed_by_a_dead_sender(&env, orphan.id).await;
    // What the dead printer left: a file under the letter's name, not yet recorded.
    let dir = std::path::PathBuf::from(&env.app.config.letters.dispatch_dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{}.pdf", orphan.id)), b"%PDF-half").unwrap();
    let before = repeated("print");

    let shutdown = CancellationToken::new();
    let mut printer = supervisor::start(&env.app, &[WorkerKind::Letters], None, &shutdown).unwrap();
    let announced = ready.next().await;
    assert_eq!(announced.data["letter_id"], orphan.id.to_string());
    assert_eq!(status_of(&env, orphan.id).await, letters::READY_FOR_POST);
    shutdown.cancel();
    while printer.join_next().await.is_some() {}

    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        files,
        [format!("{}.pdf", orphan.id)],
        "one file, no partial one"
    );
    let pdf = std::fs::read(dir.join(&files[0])).unwrap();
    assert!(
        pdf.len() > 1000 && pdf.starts_with(b"%PDF"),
        "the whole PDF replaced the half one"
    );
    assert_eq!(repeated("print") - before, 1);
    assert_eq!(
        events_about(&env, "letter.ready_for_post", orphan.id).await,
        1
    );
    env.stop().await;
}
