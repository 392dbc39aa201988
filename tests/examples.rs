//! The example intake channels of `examples/` work first time against a real system: each is
//! run as its author would run it — Python with the official CloudEvents SDK over HTTP (binary
//! and structured mode) and over RabbitMQ with pika (binary and structured mode), and the shell
//! example with curl — with a client token of scope `complaints:write` only, and each prints the
//! reference of the case its complaint opened. The tools come from `scripts/contract-tools`
//! (a virtual environment under `target/tools`).

mod common;

use std::path::Path;

use common::TestEnv;
use complaints::supervisor::WorkerKind;
use complaints::vocabulary::Scope;
use serde_json::Value;

/// Runs one example and returns the case reference it printed.
async fn run_example(env: &TestEnv, token: &str, program: &Path, args: &[&str]) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ran = tokio::process::Command::new(program)
        .args(args)
        .current_dir(root.join("examples"))
        .env("COMPLAINTS_URL", env.url(""))
        .env("COMPLAINTS_TOKEN", token)
        .env("COMPLAINTS_AMQP_URL", &env.app.config.amqp_urls()[0])
        .env("COMPLAINTS_EXCHANGE", env.app.topology.events_exchange())
        .output()
        .await
        .unwrap_or_else(|e| panic!("{} runs: {e}", program.display()));
    let stdout = String::from_utf8_lossy(&ran.stdout);
    assert!(
        ran.status.success(),
        "{} {args:?} failed:\n{stdout}\n{}",
        program.display(),
        String::from_utf8_lossy(&ran.stderr)
    );
    stdout.trim().lines().last().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_client_opens_a_case_and_prints_its_reference() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tools = std::process::Command::new(root.join("scripts/contract-tools"))
        .status()
        .expect("scripts/contract-tools runs");
    assert!(tools.success(), "scripts/contract-tools installs the SDKs");
    let env = TestEnv::start(&[WorkerKind::Intake, WorkerKind::Http]).await;
    let token = env
        .client_token("example-channel", &[Scope::ComplaintsWrite])
        .await;
    let python = root.join("target/tools/python/bin/python");
    let runs: [(&Path, Vec<&str>); 5] = [
        (&python, vec!["python/intake_http.py", "binary"]),
        (&python, vec!["python/intake_http.py", "structured"]),
        (&python, vec!["python/intake_amqp.py", "binary"]),
        (&python, vec!["python/intake_amqp.py", "structured"]),
        (&root.join("examples/shell/intake.sh"), vec![]),
    ];
    let reader = common::auth::authorised(
        &env.client_token("example-reader", &[Scope::CasesRead])
            .await,
    );
    let mut seen = Vec::new();
    for (program, args) in runs {
        let reference = run_example(&env, &token, program, &args).await;
        assert!(
            reference.starts_with("RES-") || reference.starts_with("DIS-"),
            "{args:?} printed a case reference: {reference:?}"
        );
        let case: Value = reader
            .get(env.url(&format!("/v1/cases/{reference}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(case["reference"], reference.as_str(), "{args:?}");
        seen.push(reference);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5, "each example opened a case of its own");
    env.stop().await;
}
