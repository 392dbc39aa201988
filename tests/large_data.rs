//! Large data (issue 14.6): `complaints show` and GET /v1/cases/{ref} (one function serves
//! both), the database part of `complaints status` and `complaints report` find their rows
//! through indexes, never by reading the cases, the timeline or the timers whole. A scratch
//! database is seeded with the generator `complaints bench data` uses (20,000 cases received over
//! four years, 200,000 timeline entries), analysed, and every statement the library runs for
//! each operation is planned by PostgreSQL itself (`auto_explain`, as the benchmark's
//! `--explain` prints it). The indexes of migration 000216 are named: without them the
//! waiting cases and the nearest response targets are read from every case and pending timer,
//! and a year's report from every case; once the report-days worker has kept every day, the
//! report reads them from `report_days` and no case. The senders' and the scheduler's claims
//! read their partial indexes under a generic plan too.

use std::collections::BTreeSet;

use chrono::{NaiveDate, TimeZone, Utc};
use complaints::cli::status::case_status;
use complaints::db::bench::{sample_references, seed_volume, Explaining, Plan, Volume};
use complaints::db::scratch::ScratchDatabase;
use complaints::db::{cases, reports};
use diesel_async::{AsyncConnection, AsyncPgConnection};

/// The tables that grow with the cases: none may be read whole.
const LARGE_TABLES: [&str; 3] = ["cases", "case_timeline", "timers"];

/// Cases seeded.
const CASES: i64 = 20_000;

#[tokio::test]
async fn show_status_and_a_years_report_read_through_indexes() {
    let scratch = ScratchDatabase::from_template(
        "postgres://postgres@127.0.0.1:5432/postgres",
        "complaints_test",
    )
    .await
    .expect("a scratch database");
    let mut conn = AsyncPgConnection::establish(&scratch.url)
        .await
        .expect("connect");
    let from = Utc.with_ymd_and_hms(2022, 12, 1, 0, 0, 0).unwrap();
    let volume = Volume {
        cases: CASES,
        timeline_per_case: 10,
        from,
        days: 4 * 365,
    };
    seed_volume(&mut conn, volume, |_, _, _| {})
        .await
        .expect("seed");
    let mut explaining = Explaining::connect(&scratch.url, false)
        .await
        .expect("a connection with auto_explain");

    let reference = sample_references(&mut conn, CASES, 1)
        .await
        .expect("a reference")
        .remove(0);
    let case = cases::find_by_reference(&mut explaining.conn, &reference)
        .await
        .expect("show")
        .expect("the case");
    assert_eq!(case.timeline.len(), 10, "every entry of the case");
    assert!(!case.clocks.is_empty() && !case.letters.is_empty());
    through_indexes(
        "show",
        &explaining.plans(),
        &["cases_reference_key", "case_timeline_case_idx"],
    );

    let status = case_status(&mut explaining.conn).await.expect("status");
    assert!(!status.waiting.is_empty(), "some cases wait: {status:?}");
    assert_eq!(status.nearest.len(), 10, "ten targets pending: {status:?}");
    through_indexes(
        "status",
        &explaining.plans(),
        &["cases_waiting", "timers_pending_targets"],
    );

    // The last of the four years, as `complaints report --from 2025-12-01 --to 2026-11-30`.
    let (start, end) = complaints::reports::period(
        NaiveDate::from_ymd_opt(2025, 12, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
    )
    .unwrap();
    let report = reports::report(&mut explaining.conn, start, end)
        .await
        .expect("report");
    assert!(
        (4_500..5_500).contains(&report.received.total),
        "a quarter of the cases, less the disputes: {}",
        report.received.total
    );
    through_indexes(
        "report",
        &explaining.plans(),
        &[
            "cases_received_at",
            "timers_response_targets",
            "cases_linked_idx",
        ],
    );

    // Every day's figures kept: the year's report reads them from report_days, and from the
    // cases only the last day, which has no case received to keep.
    let now = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
    reports::keep_every_changed_day(&mut conn, 366, now, |_| {})
        .await
        .expect("days kept");
    let kept = reports::report(&mut explaining.conn, start, end)
        .await
        .expect("report");
    assert_eq!(
        serde_json::to_value(&kept).unwrap(),
        serde_json::to_value(&report).unwrap()
    );
    let plans = explaining.plans();
    // (Planned, not run: the rows each read of the cases by when they were received expects.)
    let cases_read: f64 = plans
        .iter()
        .flat_map(Plan::nodes)
        .filter(|node| node["Index Name"] == "cases_received_at")
        .map(|node| node["Plan Rows"].as_f64().unwrap())
        .sum();
    let indexes: BTreeSet<String> = plans.iter().flat_map(Plan::indexes).collect();
    assert!(
        indexes.contains("report_days_pkey") && cases_read < 100.0,
        "the report reads its days from report_days ({indexes:?}) and {cases_read} cases"
    );

    claims_read_their_partial_indexes(&mut explaining).await;

    drop(explaining);
    drop(conn);
    scratch.drop_database().await.expect("drop");
}

/// The email sender's and the printer's claims and the scheduler's read the partial indexes of
/// what awaits them, even planned once for any value (a generic plan, which PostgreSQL may keep
/// for a statement the workers hold prepared): with the status bound as a parameter such a plan
/// read every letter and every timer on every round.
async fn claims_read_their_partial_indexes(explaining: &mut Explaining) {
    use complaints::db::{letters, timers};
    use diesel::result::Error;
    use diesel_async::RunQueryDsl;
    diesel::sql_query("SET plan_cache_mode = force_generic_plan")
        .execute(&mut explaining.conn)
        .await
        .expect("generic plans");
    let lease = std::time::Duration::from_secs(60);
    // Claimed and given back: the seeded rows stay as they were.
    let _ = explaining
        .conn
        .transaction::<(), Error, _>(async |conn| {
            letters::claim(conn, letters::AWAITING_EMAIL, 16, lease).await?;
            letters::claim(conn, letters::AWAITING_PRINT, 1, lease).await?;
            timers::claim_due(conn, Utc::now(), 16).await?;
            Err(Error::RollbackTransaction)
        })
        .await;
    let plans: Vec<Plan> = explaining
        .plans()
        .into_iter()
        .filter(|p| p.query.contains("FOR UPDATE"))
        .collect();
    assert_eq!(plans.len(), 3, "three claims planned");
    for plan in &plans {
        assert!(
            plan.seq_scans().is_empty(),
            "`{}` reads a table whole:\n{:#}",
            plan.query,
            plan.root
        );
    }
    let used: BTreeSet<String> = plans.iter().flat_map(Plan::indexes).collect();
    for index in ["letters_to_dispatch_idx", "timers_pending_due_idx"] {
        assert!(used.contains(index), "no claim uses {index}: {used:?}");
    }
}

/// Asserts that no plan of `operation` reads a large table whole, and that together they use
/// every index of `expected`.
fn through_indexes(operation: &str, plans: &[Plan], expected: &[&str]) {
    assert!(!plans.is_empty(), "{operation}: no statement was recorded");
    for plan in plans {
        let whole: Vec<String> = plan
            .seq_scans()
            .into_iter()
            .filter(|table| LARGE_TABLES.contains(&table.as_str()))
            .collect();
        assert!(
            whole.is_empty(),
            "{operation}: `{}` reads {whole:?} whole:\n{:#}",
            plan.query,
            plan.root
        );
    }
    let used: BTreeSet<String> = plans.iter().flat_map(Plan::indexes).collect();
    for index in expected {
        assert!(
            used.contains(*index),
            "{operation} does not use {index}; it uses {used:?}"
        );
    }
}
