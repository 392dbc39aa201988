//! A stored value this version does not know (a corrupt row, or one written by a newer version)
//! has one policy wherever it is read: an error naming the column and the value, never a value
//! silently dropped or replaced by a default. Before typed columns, a corrupt "written only"
//! restriction read by the letters worker became "no restriction", and the letter went by
//! email to a customer who may only be written to.

mod common;

use common::{case_opened_by, complaint, dead_letters_of, TestEnv};
use complaints::db::schema::{cases, letters, parties};
use complaints::db::{cases as case_store, casework};
use complaints::supervisor::WorkerKind;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use uuid::Uuid;

/// The full text of an error and its causes.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text += &format!(": {cause}");
        source = cause.source();
    }
    text
}

/// A corrupt restriction and a corrupt stage make every read of the case an error that names
/// the column and the value: the clock workers' facts, the state machine's state, the case view.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_row_is_an_error_naming_the_column_and_value() {
    let env = TestEnv::start(&[WorkerKind::Intake]).await;
    let event = complaint("CUST-CORRUPT-1");
    env.publish(&event).await;
    let case = case_opened_by(&env, event["id"].as_str().unwrap()).await;
    let mut conn = env.conn().await;

    diesel::update(parties::table.filter(parties::reference.eq("CUST-CORRUPT-1")))
        .set(parties::contact_restriction.eq("written only"))
        .execute(&mut conn)
        .await
        .unwrap();
    let facts = case_store::facts(&mut conn, std::slice::from_ref(&case.reference))
        .await
        .expect_err("a restriction this version does not know is an error");
    let text = chain(&facts);
    assert!(
        text.contains("'contact_restriction'") && text.contains("`written only`"),
        "{text}"
    );
    let state = casework::load(&mut conn, std::slice::from_ref(&case.reference))
        .await
        .expect_err("the state machine refuses it too");
    assert!(format!("{state:#}").contains("`written only`"), "{state:#}");

    diesel::update(parties::table.filter(parties::reference.eq("CUST-CORRUPT-1")))
        .set(parties::contact_restriction.eq("written_only"))
        .execute(&mut conn)
        .await
        .unwrap();
    // A stage is read as text by the case view (a row may be a dispute, with a dispute's
    // stages); the state machine, which acts on it, refuses one it does not know.
    diesel::update(cases::table.find(case.id))
        .set(cases::stage.eq("Acknowledge Issues"))
        .execute(&mut conn)
        .await
        .unwrap();
    let state = casework::load(&mut conn, std::slice::from_ref(&case.reference))
        .await
        .expect_err("a stage this version does not know is an error");
    assert!(
        format!("{state:#}").contains("Acknowledge Issues"),
        "{state:#}"
    );

    diesel::update(cases::table.find(case.id))
        .set((
            cases::stage.eq("Acknowledge Issue"),
            cases::status.eq("In Progres"),
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    let view = case_store::find_by_reference(&mut conn, &case.reference)
        .await
        .expect_err("a status this version does not know is an error");
    let text = chain(&view);
    assert!(
        text.contains("'status'") && text.contains("`In Progres`"),
        "{text}"
    );
    drop(conn);
    env.stop().await;
}

/// The letters worker meets a corrupt restriction: no letter is produced (so nothing is
/// emailed to a customer who may be written-only), and the request is dead-lettered at once
/// with a reason naming the column and the value, to be replayed once the row is put right.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_letter_for_a_corrupt_customer_is_dead_lettered_not_emailed() {
    let env = TestEnv::start(&[WorkerKind::Intake, WorkerKind::Letters]).await;
    let event = complaint("CUST-CORRUPT-2");
    env.publish(&event).await;
    let case = case_opened_by(&env, event["id"].as_str().unwrap()).await;
    let mut conn = env.conn().await;
    diesel::update(parties::table.filter(parties::reference.eq("CUST-CORRUPT-2")))
        .set(parties::contact_restriction.eq("Written-Only"))
        .execute(&mut conn)
        .await
        .unwrap();

    env.publish(&json!({
        "specversion": "1.0",
        "id": Uuid::now_v7(),
        "type": "letter.requested",
        "source": "urn:test:process",
        "time": chrono::Utc::now(),
        "subject": case.reference,
        "data": { "case_reference": case.reference, "code": "CMSL5842", "reason": "test", "automatic": true },
    }))
    .await;

    let dead = dead_letters_of(&env, "letters", 1).await;
    assert_eq!(dead[0].reason_kind.as_deref(), Some("unreadable_value"));
    let reason = dead[0].reason.as_deref().unwrap_or_default();
    assert!(
        reason.contains("'contact_restriction'") && reason.contains("`Written-Only`"),
        "{reason}"
    );
    let produced: i64 = letters::table
        .filter(letters::case_id.eq(case.id))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        produced, 0,
        "no letter for a customer whose restriction is unknown"
    );
    drop(conn);
    env.stop().await;
}
