//! The complete record (issue 12 points 12–14): what a caseworker writes is kept on the case's
//! timeline and shown, staff-complaint redaction holds on every free-text field, and the
//! timeline refuses to be rewritten.

mod common;

use common::casework::open;
use common::TestEnv;
use complaints::db::schema::case_timeline;
use complaints::supervisor::WorkerKind;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

const WORKERS: &[WorkerKind] = &[
    WorkerKind::Intake,
    WorkerKind::Casework,
    WorkerKind::Escalation,
    WorkerKind::Letters,
    WorkerKind::OutboxRelay,
];

/// The database refuses UPDATE, DELETE and TRUNCATE of the timeline; its entries survive each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeline_refuses_update_delete_and_truncate() {
    let env = TestEnv::start(WORKERS).await;
    let opened = open(&env, "CUST-AUDIT", |_| {}).await;
    let mut conn = env.conn().await;
    let before = entries(&mut conn, opened.id).await;
    assert!(before > 0);

    let update = diesel::update(case_timeline::table.filter(case_timeline::case_id.eq(opened.id)))
        .set(case_timeline::entry.eq("rewritten"))
        .execute(&mut conn)
        .await
        .expect_err("UPDATE refused");
    assert!(
        update.to_string().contains("append-only: UPDATE refused"),
        "{update}"
    );
    let delete = diesel::delete(case_timeline::table.filter(case_timeline::case_id.eq(opened.id)))
        .execute(&mut conn)
        .await
        .expect_err("DELETE refused");
    assert!(
        delete.to_string().contains("append-only: DELETE refused"),
        "{delete}"
    );
    for statement in [
        "TRUNCATE case_timeline",
        "TRUNCATE TABLE case_timeline CASCADE",
        "TRUNCATE cases, case_timeline CASCADE",
        "TRUNCATE cases CASCADE",
    ] {
        let truncate = diesel::sql_query(statement)
            .execute(&mut conn)
            .await
            .expect_err("TRUNCATE refused");
        assert!(
            truncate
                .to_string()
                .contains("append-only: TRUNCATE refused"),
            "{statement}: {truncate}"
        );
    }
    assert_eq!(entries(&mut conn, opened.id).await, before);
    drop(conn);
    env.stop().await;
}

async fn entries(conn: &mut diesel_async::AsyncPgConnection, case_id: uuid::Uuid) -> i64 {
    case_timeline::table
        .filter(case_timeline::case_id.eq(case_id))
        .count()
        .get_result(conn)
        .await
        .unwrap()
}
