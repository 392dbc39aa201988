//! Bad input never crashes a worker or blocks a queue: each kind of unreadable message is
//! dead-lettered with a header saying why and counted in the metrics, and the messages behind
//! it are handled. A message that keeps failing in the database is dead-lettered by the quorum
//! queue's delivery limit.

mod common;

use common::{case_count, case_opened_by, complaint, dead_letters, wait_for, TestEnv};
use complaints::supervisor::WorkerKind;
use diesel_async::RunQueryDsl;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_of_unreadable_message_is_dead_lettered_with_its_reason() {
    let env = TestEnv::start(&[WorkerKind::Intake]).await;
    let not_json = b"this is not JSON {".to_vec();
    let not_cloudevent = serde_json::to_vec(&json!({ "complaint": "late payment" })).unwrap();
    let mut unknown = complaint("CUST-UNKNOWN");
    unknown["type"] = json!("complaint.misfiled");
    let mut bad_postcode = complaint("CUST-POSTCODE");
    bad_postcode["data"]["customer"]["address"]["postcode"] = json!("NOT A POSTCODE");
    let mut unknown_field = complaint("CUST-EXTRA");
    unknown_field["data"]["shoe_size"] = json!(9);

    env.publish_raw("complaint.received", &not_json).await;
    env.publish_raw("complaint.received", &not_cloudevent).await;
    env.publish_raw("complaint.received", &serde_json::to_vec(&unknown).unwrap())
        .await;
    env.publish_raw(
        "complaint.received",
        &serde_json::to_vec(&bad_postcode).unwrap(),
    )
    .await;
    env.publish_raw(
        "complaint.received",
        &serde_json::to_vec(&unknown_field).unwrap(),
    )
    .await;
    let good = complaint("CUST-GOOD");
    env.publish(&good).await;

    case_opened_by(&env, good["id"].as_str().unwrap()).await;
    let letters = dead_letters(&env, 5).await;
    let kinds: Vec<_> = letters
        .iter()
        .map(|d| d.reason_kind.clone().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "not_json",
            "not_cloudevent",
            "unknown_type",
            "schema_violation",
            "schema_violation"
        ]
    );
    assert_eq!(letters[0].body, not_json, "the body is kept unchanged");
    assert!(letters[2]
        .reason
        .as_deref()
        .unwrap()
        .contains("complaint.misfiled"));
    let postcode = letters[3].reason.as_deref().unwrap();
    assert!(
        postcode.contains("data.customer.address.postcode"),
        "{postcode}"
    );
    let extra = letters[4].reason.as_deref().unwrap();
    assert!(extra.contains("shoe_size"), "{extra}");
    assert_eq!(
        case_count(&env).await,
        1,
        "only the good complaint opened a case"
    );

    let metrics = complaints::telemetry::metrics().render();
    for kind in [
        "not_json",
        "not_cloudevent",
        "unknown_type",
        "schema_violation",
    ] {
        assert!(
            metrics
                .lines()
                .any(|l| l.starts_with("complaints_messages_dead_lettered_total")
                    && l.contains(&format!("reason=\"{kind}\""))),
            "{kind} counted in:\n{metrics}"
        );
    }
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_keeps_failing_is_dead_lettered_with_its_last_error() {
    let env = TestEnv::start(&[WorkerKind::Intake]).await;
    // A database that refuses one particular complaint, as a bug or a bad row would.
    let mut conn = env.conn().await;
    diesel::sql_query(
        "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF NEW.summary LIKE 'POISON%' THEN RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; END $$",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    diesel::sql_query(
        "CREATE TRIGGER refuse_poison BEFORE INSERT ON cases FOR EACH ROW EXECUTE FUNCTION refuse_poison()",
    )
    .execute(&mut conn)
    .await
    .unwrap();

    let mut poison = complaint("CUST-POISON");
    poison["data"]["summary"] = json!("POISON: this one always fails");
    let good = complaint("CUST-NEIGHBOUR");
    env.publish(&poison).await;
    env.publish(&good).await;

    case_opened_by(&env, good["id"].as_str().unwrap()).await;
    // Retried up to the delivery limit, then dead-lettered by the worker with the last error,
    // before the broker would have done it without one.
    let letters = dead_letters(&env, 1).await;
    assert_eq!(letters[0].reason_kind.as_deref(), Some("retries_exhausted"));
    let reason = letters[0].reason.as_deref().unwrap();
    assert!(
        reason.starts_with("failed 3 times") && reason.contains("poisoned"),
        "{reason}"
    );
    assert_eq!(letters[0].death_reason, None);
    let body: serde_json::Value = serde_json::from_slice(&letters[0].body).unwrap();
    assert_eq!(body["id"], poison["id"]);
    wait_for("only the good case", || async {
        (case_count(&env).await == 1).then_some(())
    })
    .await;
    let metrics = complaints::telemetry::metrics().render();
    assert!(
        metrics.contains("complaints_messages_failed_total"),
        "{metrics}"
    );
    env.stop().await;
}
