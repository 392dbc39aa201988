//! A complaint about a member of staff is confidential: the name the customer gives appears in
//! no table, no event and no log line of the real system (workers run as a `complaints run`
//! process with debug logging), while the case keeps the opaque reference and a team leader or
//! the MP specialists own it.

mod common;

use std::process::{Command, Stdio};

use common::{case_opened_by, complaint, free_port, wait_for, SmtpServer, TestEnv};
use complaints::db::schema::letters;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::RunQueryDsl;
use serde_json::json;

const NAME: &str = "Zebedee Quigglesworth";

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    text: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_members_name_is_kept_nowhere() {
    let mut env = TestEnv::start(&[]).await;
    let smtp = SmtpServer::start(env.app.config.email.port);
    let mut everything = env.observe(&["#"]).await;
    let log = std::env::temp_dir().join(format!("complaints-staff-{}.log", uuid::Uuid::new_v4()));
    let config = &env.app.config;
    let mut workers = Command::new(env!("CARGO_BIN_EXE_complaints"))
        .arg("run")
        .env("COMPLAINTS__DATABASE__URL", &config.database.url)
        .env("COMPLAINTS__AMQP__NAMESPACE", &config.amqp.namespace)
        .env(
            "COMPLAINTS__AMQP__DELIVERY_LIMIT",
            config.amqp.delivery_limit.to_string(),
        )
        .env(
            "COMPLAINTS__HTTP__LISTEN",
            format!("127.0.0.1:{}", free_port()),
        )
        .env("COMPLAINTS__EMAIL__PORT", config.email.port.to_string())
        .env(
            "COMPLAINTS__LETTERS__TEMPLATES_DIR",
            &config.letters.templates_dir,
        )
        .env(
            "COMPLAINTS__LETTERS__DISPATCH_DIR",
            &config.letters.dispatch_dir,
        )
        .env("RUST_LOG", "debug")
        .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
        .stdout(Stdio::null())
        .spawn()
        .expect("complaints run starts");

    let mut event = complaint("CUST-STAFF");
    event["data"]["about"] = json!("staff");
    event["data"]["raised_by"] = json!("mp");
    event["data"]["high_profile"] = json!(true);
    event["data"]["summary"] = json!(format!(
        "{NAME} shouted at me on the phone. When I asked, quigglesworth refused to give a name."
    ));
    event["data"]["staff_member"] = json!({ "reference": "LM-REF-0042", "name": NAME });
    env.publish(&event).await;
    let case = case_opened_by(&env, event["id"].as_str().unwrap()).await;
    assert_eq!(
        case.complaint.staff_reference.as_deref(),
        Some("LM-REF-0042")
    );
    assert_eq!(
        case.complaint.summary,
        "[member of staff] shouted at me on the phone. When I asked, [member of staff] refused to give a name."
    );
    assert_eq!(case.handling_team, "mp_specialists");

    // The acknowledgement letter (by letter: a staff complaint) and the high-profile notice go out.
    wait_for("the acknowledgement letter", || async {
        let mut conn = env.conn().await;
        let sent: i64 = letters::table
            .filter(letters::case_id.eq(case.id))
            .count()
            .get_result(&mut conn)
            .await
            .unwrap();
        (sent > 0).then_some(())
    })
    .await;
    let emails = smtp.wait_for_messages(2).await;
    let mut events = Vec::new();
    for _ in 0..6 {
        events.push(everything.next().await);
    }

    // Only the complaint as sent carries the name; every event the system emitted must not.
    let emitted: Vec<_> = events
        .iter()
        .filter(|e| e.source == "urn:complaints")
        .map(|e| &e.data)
        .collect();
    assert_eq!(emitted.len(), 5, "case.opened, case.flagged_high_profile, letter.requested, letter.email_requested, letter.sent");

    stop(&mut workers);
    let logs = std::fs::read_to_string(&log).unwrap();
    std::fs::remove_file(&log).unwrap();
    assert!(logs.contains("consuming"), "the workers ran and logged");

    let mut conn = env.conn().await;
    let tables: Vec<Row> =
        diesel::sql_query("SELECT tablename AS text FROM pg_tables WHERE schemaname = 'public'")
            .load(&mut conn)
            .await
            .unwrap();
    let mut stored = String::new();
    for table in tables {
        let rows: Vec<Row> = diesel::sql_query(format!(
            "SELECT coalesce(string_agg(t::text, ' '), '') AS text FROM \"{}\" t",
            table.text
        ))
        .load(&mut conn)
        .await
        .unwrap();
        stored += &rows[0].text;
    }
    assert!(
        stored.contains("LM-REF-0042"),
        "the search does read the tables"
    );
    for (what, text) in [
        ("a table", stored),
        ("a log line", logs),
        ("an event", serde_json::to_string(&emitted).unwrap()),
        ("an email", emails.join("\n")),
    ] {
        let lower = text.to_lowercase();
        assert!(
            !lower.contains("quigglesworth") && !lower.contains("zebedee"),
            "the name is in {what}: {text}"
        );
    }
    env.stop().await;
}

/// Stops the workers' process (SIGTERM, then waits).
fn stop(child: &mut std::process::Child) {
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let _ = child.wait();
}
