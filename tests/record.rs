//! The complete record (issue 12 points 12–14): what a caseworker writes is kept on the case's
//! timeline and shown, on a staff complaint only to readers allowed it, and the timeline
//! refuses to be rewritten.

mod common;

use common::auth::authorised;
use common::casework::{allocate, decide, mp, open};
use common::TestEnv;
use complaints::db::schema::case_timeline;
use complaints::supervisor::WorkerKind;
use complaints::vocabulary::Scope;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};

const WORKERS: &[WorkerKind] = &[
    WorkerKind::Intake,
    WorkerKind::Casework,
    WorkerKind::Escalation,
    WorkerKind::Letters,
    WorkerKind::OutboxRelay,
];

/// The timeline entries that keep what someone wrote, as `GET /v1/cases/{ref}` gives them to
/// `client`.
async fn written(env: &TestEnv, client: &reqwest::Client, reference: &str) -> Vec<String> {
    let view: Value = client
        .get(env.url(&format!("/v1/cases/{reference}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    view["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["detail"]["written"].is_string())
        .map(|e| e["entry"].as_str().unwrap().to_owned())
        .collect()
}

/// Outcome reasons and the notes of ICE and the PHSO are kept and shown; on a complaint about
/// a member of staff they are shown only to a client holding `staff_complaints:read` and by
/// `complaints show --unmasked`, others seeing each entry's label alone (the member of staff
/// may be named in what a caseworker writes, and intake's redaction cannot know every form).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_staff_write_is_kept_and_a_staff_complaints_only_for_readers_allowed_it() {
    let mut workers = WORKERS.to_vec();
    workers.push(WorkerKind::Http);
    let env = TestEnv::start(&workers).await;
    let reader = authorised(&env.client_token("reader", &[Scope::CasesRead]).await);
    let allowed = authorised(
        &env.client_token("hr-reader", &[Scope::CasesRead, Scope::StaffComplaintsRead])
            .await,
    );
    let record = |reference: String, handler: &'static str| {
        let env = &env;
        async move {
            decide(
                env,
                &reference,
                "outcome.decided",
                json!({ "outcome": "upheld", "reasons": "The officer was curt on the phone",
                        "hr_guidance_followed": true, "by": handler }),
                |c| c.outcome.is_some(),
            )
            .await;
            decide(
                env,
                &reference,
                "external_stage.recorded",
                json!({ "body": "phso", "stage": "contacted", "note": "Asked for the call notes",
                        "by": "pu1" }),
                |c| c.phso_stage.is_some(),
            )
            .await;
        }
    };
    let kept = [
        "Reasons for the outcome: The officer was curt on the phone",
        "The PHSO's note: Asked for the call notes",
    ];

    let plain = open(&env, "CUST-RECORD", mp).await;
    allocate(&env, &plain.reference, "mp1", "tl1").await;
    record(plain.reference.clone(), "mp1").await;
    assert_eq!(written(&env, &reader, &plain.reference).await, kept);

    let staff = open(&env, "CUST-RECORD-STAFF", |data| {
        data["about"] = json!("staff");
        data["categories"] = json!(["staff_conduct"]);
        data["staff_member"] = json!({ "reference": "LM-REF-7", "name": "Pat Officer" });
    })
    .await;
    assert_eq!(staff.tier, complaints::vocabulary::Tier::Resolution);
    allocate(&env, &staff.reference, "cm1", "tl1").await;
    record(staff.reference.clone(), "cm1").await;
    assert_eq!(written(&env, &allowed, &staff.reference).await, kept);
    let withheld = [
        "Reasons for the outcome: (withheld)",
        "The PHSO's note: (withheld)",
    ];
    assert_eq!(written(&env, &reader, &staff.reference).await, withheld);

    let shown = env.cli_ok(&["show", &staff.reference]);
    assert!(
        shown.contains(withheld[0]) && !shown.contains("curt"),
        "{shown}"
    );
    let unmasked = env.cli_ok(&["show", &staff.reference, "--unmasked"]);
    assert!(
        unmasked.contains(kept[0]) && unmasked.contains(kept[1]),
        "{unmasked}"
    );
    env.stop().await;
}

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
