//! A broker restart in the middle of intake loses nothing and duplicates nothing: every
//! complaint published (by a publisher that retries until the broker confirms, as intake
//! channels do) opens exactly one case, and every `case.opened` is published once the broker is
//! back.
//!
//! This test restarts its broker (`stop_app` / `start_app`), so it never runs against the
//! machine's RabbitMQ: it is ignored by `cargo test` and run by `scripts/chaos`, which starts a
//! RabbitMQ node of its own, points `COMPLAINTS__AMQP__URL` at it and gives the commands that
//! stop and start that node's application in `CHAOS_RABBIT_STOP_APP` / `CHAOS_RABBIT_START_APP`.

mod common;

use std::collections::HashSet;
use std::process::Command;
use std::time::Duration;

use common::{case_count, complaint, wait_for_within, TestEnv};
use complaints::broker::publisher::Outgoing;
use complaints::db::schema::{cases, outbox};
use complaints::supervisor::WorkerKind;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

const COMPLAINTS: usize = 1000;
/// A steady trickle, as intake channels send them, so that the restart falls mid-stream.
const PACE: Duration = Duration::from_millis(5);
const RECOVERY: Duration = Duration::from_secs(120);

/// Starts the broker's application again even when the test fails half-way.
struct BrokerComesBack;

impl Drop for BrokerComesBack {
    fn drop(&mut self) {
        chaos_command("CHAOS_RABBIT_START_APP");
    }
}

/// Runs the command that `scripts/chaos` put in the environment variable `name`.
fn chaos_command(name: &str) {
    let command = std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is set by scripts/chaos, which runs this test"));
    let status = Command::new("bash")
        .args(["-c", &command])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("bash runs");
    assert!(status.success(), "{command} failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "restarts its broker: run by scripts/chaos on a RabbitMQ node of its own"]
async fn a_broker_restart_during_intake_loses_nothing() {
    assert!(
        std::env::var("CHAOS_RABBIT_STOP_APP").is_ok(),
        "run by scripts/chaos, never against the machine's broker"
    );
    let mut env = TestEnv::start(&[WorkerKind::Intake, WorkerKind::OutboxRelay]).await;
    let mut observer = env.observe(&["case.opened"]).await;
    let events: Vec<(Uuid, Vec<u8>)> = (0..COMPLAINTS)
        .map(|i| {
            let event = complaint(&format!("CUST-RESTART-{i:04}"));
            let id = event["id"].as_str().unwrap().parse().unwrap();
            (id, serde_json::to_vec(&event).unwrap())
        })
        .collect();

    let publisher = env.app.publisher.clone();
    let to_publish = events.clone();
    let publishing = tokio::spawn(async move {
        let mut retries = 0;
        let mut pace = tokio::time::interval(PACE);
        for (id, body) in &to_publish {
            pace.tick().await;
            let message = Outgoing {
                routing_key: "complaint.received",
                body,
                message_id: *id,
            };
            while publisher.publish_confirmed(&[message]).await.is_err() {
                retries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        retries
    });

    wait_for_within("the first cases", RECOVERY, || async {
        (case_count(&env).await >= 20).then_some(())
    })
    .await;
    let comes_back = BrokerComesBack;
    tokio::task::spawn_blocking(|| chaos_command("CHAOS_RABBIT_STOP_APP"))
        .await
        .unwrap();
    let cases_while_down = case_count(&env).await;
    tokio::task::spawn_blocking(move || drop(comes_back))
        .await
        .unwrap();

    let retries = publishing.await.unwrap();
    assert!(
        cases_while_down < COMPLAINTS as i64,
        "the restart happened during intake"
    );
    assert!(retries > 0, "the publisher saw the broker go away");

    wait_for_within("every complaint's case", RECOVERY, || async {
        (case_count(&env).await == COMPLAINTS as i64).then_some(())
    })
    .await;
    let mut conn = env.conn().await;
    let opened_by: HashSet<Uuid> = cases::table
        .select(cases::cause)
        .load(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let published: HashSet<Uuid> = events.iter().map(|(id, _)| *id).collect();
    assert_eq!(opened_by, published, "one case per complaint, none missing");

    wait_for_within("the outbox to drain", RECOVERY, || async {
        let mut conn = env.conn().await;
        let unsent: i64 = outbox::table
            .filter(outbox::sent_at.is_null())
            .count()
            .get_result(&mut conn)
            .await
            .unwrap();
        (unsent == 0).then_some(())
    })
    .await;
    let mut announced = HashSet::new();
    while announced.len() < COMPLAINTS {
        let event = observer.next().await;
        announced.insert(event.subject.expect("a case reference"));
    }
    env.stop().await;
}
