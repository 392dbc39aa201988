//! The first hour, tried as a new user would: errors that say which service and address
//! failed and what to do, `status` before any `run`, a closed pipe, dates in the wrong format,
//! a report for people, and logs without colour codes when they go to a file.

mod common;

use std::process::{Command, Stdio};

use common::TestEnv;

/// The binary with the test's database and namespace, and whatever else `env` sets.
fn complaints(test: &TestEnv, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_complaints"));
    command
        .args(args)
        .env("COMPLAINTS__DATABASE__URL", &test.app.config.database.url)
        .env(
            "COMPLAINTS__AMQP__NAMESPACE",
            &test.app.config.amqp.namespace,
        )
        .env("COMPLAINTS__LOG__LEVEL", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("the binary runs")
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_say_which_service_failed_and_what_to_do() {
    let env = TestEnv::start(&[]).await;

    let fresh = format!("never-run-{}", uuid::Uuid::new_v4().simple());
    let before_run = complaints(
        &env,
        &["status"],
        &[("COMPLAINTS__AMQP__NAMESPACE", &fresh)],
    );
    assert!(!before_run.status.success());
    let said = stderr(&before_run);
    assert!(
        said.contains("is not declared yet: start `complaints run` first"),
        "{said}"
    );
    assert!(!said.contains("NOT_FOUND"), "{said}");

    let no_database = complaints(
        &env,
        &["show", "RES-2026-000001"],
        &[(
            "COMPLAINTS__DATABASE__URL",
            "postgres://postgres@127.0.0.1:5432/complaints_no_such_database",
        )],
    );
    let said = stderr(&no_database);
    assert!(
        said.contains("PostgreSQL at 127.0.0.1:5432/complaints_no_such_database")
            && said.contains("complaints migrate"),
        "{said}"
    );

    let no_broker = complaints(
        &env,
        &["status"],
        &[(
            "COMPLAINTS__AMQP__URL",
            "amqp://guest:secret@127.0.0.1:1/%2f",
        )],
    );
    let said = stderr(&no_broker);
    assert!(said.contains("RabbitMQ at 127.0.0.1:1/%2f"), "{said}");
    assert!(!said.contains("secret"), "{said}");

    let bad_day = complaints(
        &env,
        &["report", "--from", "27/11/2026", "--to", "2026-11-27"],
        &[],
    );
    let said = stderr(&bad_day);
    assert!(said.contains("YYYY-MM-DD, e.g. 2026-11-27"), "{said}");

    let report = complaints(
        &env,
        &["report", "--from", "2026-11-01", "--to", "2026-11-27"],
        &[],
    );
    let text = String::from_utf8_lossy(&report.stdout);
    assert!(report.status.success(), "{}", stderr(&report));
    assert!(
        text.contains(&format!("  {:<48} 2026-11-27", "to")),
        "{text}"
    );
    assert!(
        text.contains("special payments\n") && text.contains("£0.00"),
        "{text}"
    );
    assert!(!text.contains("pence"), "{text}");

    // Logs to a file or a pipe carry no colour codes.
    let logged = complaints(&env, &["status"], &[("RUST_LOG", "debug")]);
    let said = stderr(&logged);
    assert!(!said.is_empty());
    assert!(!said.contains('\u{1b}'), "{said}");

    // `complaints status | head -0`: the reader goes away; the command ends quietly.
    let mut child = Command::new(env!("CARGO_BIN_EXE_complaints"))
        .arg("status")
        .env("COMPLAINTS__DATABASE__URL", &env.app.config.database.url)
        .env(
            "COMPLAINTS__AMQP__NAMESPACE",
            &env.app.config.amqp.namespace,
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    drop(child.stdout.take());
    let closed = child.wait_with_output().expect("it ends");
    let said = stderr(&closed);
    assert_eq!(closed.status.code(), Some(141), "{said}");
    assert!(!said.contains("panicked"), "{said}");
    env.stop().await;
}
