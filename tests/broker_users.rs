//! Broker users per channel (README "Security"): a user made by `scripts/broker-user` may
//! publish its own event types to `complaints.events` and nothing else; the broker itself
//! refuses a decision from an intake channel's user, while the workers' user does its work.

mod common;

use common::{case_opened_by, complaint, TestEnv};
use complaints::supervisor::WorkerKind;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::BasicProperties;
use uuid::Uuid;

/// A RabbitMQ user of the shared broker, deleted when dropped (also when the test fails).
struct BrokerUser {
    name: String,
    password: String,
}

impl BrokerUser {
    fn create(namespace: &str, types: &str) -> Self {
        let name = format!("test-channel-{}", Uuid::new_v4().simple());
        let password = Uuid::new_v4().simple().to_string();
        let output =
            std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/broker-user"))
                .args([&name, "--types", types, "--namespace", namespace])
                .env("COMPLAINTS_BROKER_PASSWORD", &password)
                .output()
                .expect("scripts/broker-user runs");
        assert!(
            output.status.success(),
            "scripts/broker-user: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Self { name, password }
    }

    fn url(&self) -> String {
        format!("amqp://{}:{}@127.0.0.1:5672/%2f", self.name, self.password)
    }
}

impl Drop for BrokerUser {
    fn drop(&mut self) {
        let _ =
            std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/broker-user"))
                .args([&self.name, "--delete"])
                .output();
    }
}

/// Publishes `body` as `user` with `routing_key` to `exchange` and waits for the confirm;
/// the broker's refusal as an error.
async fn publish_as(
    user: &BrokerUser,
    exchange: &str,
    routing_key: &str,
    body: &[u8],
) -> Result<(), String> {
    let connection = complaints::broker::connect(&[user.url()], "test-channel-user")
        .await
        .map_err(|e| e.to_string())?;
    let channel = connection
        .create_channel()
        .await
        .map_err(|e| e.to_string())?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    let confirmed = async {
        channel
            .basic_publish(
                exchange.into(),
                routing_key.into(),
                BasicPublishOptions::default(),
                body,
                BasicProperties::default().with_delivery_mode(2),
            )
            .await?
            .await
    }
    .await;
    let _ = connection.close(200, "done".into()).await;
    match confirmed {
        Ok(confirmation) if confirmation.is_ack() => Ok(()),
        Ok(other) => Err(format!("not confirmed: {other:?}")),
        Err(e) => Err(e.to_string()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_user_may_publish_its_own_types_only() {
    let env = TestEnv::start(&[WorkerKind::Intake, WorkerKind::OutboxRelay]).await;
    let web_form = BrokerUser::create(&env.app.config.amqp.namespace, "complaint.received");
    let exchange = env.app.topology.events_exchange();

    let event = complaint("CUST-BROKER-USER");
    let body = serde_json::to_vec(&event).unwrap();
    publish_as(&web_form, &exchange, "complaint.received", &body)
        .await
        .expect("its own type is accepted");
    // The workers, under their own user, open the case.
    case_opened_by(&env, event["id"].as_str().unwrap()).await;

    let approval = common::casework::decision(
        "RES-2026-000001",
        "resolution_plan.approved",
        serde_json::json!({ "approver": "special_payment_team", "amount_pence": 500000, "by": "spt1" }),
    );
    let refused = publish_as(
        &web_form,
        &exchange,
        "resolution_plan.approved",
        &serde_json::to_vec(&approval).unwrap(),
    )
    .await
    .expect_err("a decision from an intake channel is refused by the broker");
    assert!(refused.contains("ACCESS_REFUSED"), "{refused}");

    let elsewhere = publish_as(
        &web_form,
        &env.app.topology.dead_letter_exchange(),
        "complaint.received",
        &body,
    )
    .await
    .expect_err("no other exchange");
    assert!(elsewhere.contains("ACCESS_REFUSED"), "{elsewhere}");
    env.stop().await;
}
