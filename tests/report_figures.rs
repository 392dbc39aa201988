//! The report's figures read in one pass over the period's cases (issue 14.6) are the figures
//! the report gave when it read each with its own statement: the statements it ran before are
//! kept here as the reference and run against a varied data set — the large-data generator's
//! cases over two years (every tier, channel and category mix, escalations, ICE and PHSO stages
//! and findings, MPs, ombudsmen, mixed complaints, disputes, correspondence, agreed plans), with
//! what it does not make added: consolatory-payment referrals, cases escalated twice, several
//! response targets on one case, plans not agreed or without payments, the PHSO's findings,
//! every kind of correspondence. Two periods are compared: a year (cases on both sides of it
//! left out) and every day of the data.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use complaints::db::bench::{seed_volume, Volume};
use complaints::db::scratch::ScratchDatabase;
use complaints::reports::{Escalation, Findings, ResponseTarget};
use diesel::sql_types::{BigInt, Text, Timestamptz};
use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{json, Value};

/// Cases seeded, over two years.
const CASES: i64 = 6_000;

/// What the generator does not make, added to its cases.
const VARIETY: [&str; 9] = [
    // Resolution cases opened for a consolatory-payment referral: not complaints.
    "UPDATE cases SET consolatory_payment_pence = 2500 WHERE tier = 1 AND reference LIKE '%3_'",
    // A consolatory payment on other tiers changes nothing.
    "UPDATE cases SET consolatory_payment_pence = 1000 WHERE tier = 0 AND reference LIKE '%44'",
    // Closed tier 0 cases escalated twice (a second tier 1 case linked to them).
    "INSERT INTO cases (id, reference, tier, stage, status, party_id, linked_case_id,
       handling_team, received_at, channel, raised_by, about, addressee, categories, summary,
       high_profile, parliamentary_contact, pos, cause, opened_at, kind)
     SELECT gen_random_uuid(), 'RES-AGAIN-' || c.reference, 1, 'Investigation', 'In Progress',
       c.party_id, c.id, 'complaint_resolution_team', c.received_at + interval '40 days',
       'phone', 'customer', 'service', 'organisation', ARRAY['delay', 'delay'], 'Again',
       false, false, false, gen_random_uuid(), c.received_at + interval '40 days', 'complaint'
     FROM cases c WHERE c.tier = 0 AND c.closed_at IS NOT NULL AND c.reference LIKE '%7_'",
    // A second response target on some cases: one met, one still running.
    "INSERT INTO timers (case_id, clock, key, due_at, deadline, state, set_at)
     SELECT c.id, 'response_target', 'again', c.received_at + interval '30 days',
       c.received_at + interval '30 days',
       CASE WHEN c.reference LIKE '%1' THEN 'cancelled' ELSE 'pending' END, c.received_at
     FROM cases c WHERE c.reference LIKE '%1' OR c.reference LIKE '%52'",
    // Plans not agreed, and agreed plans without payments or with other payments.
    "UPDATE cases SET resolution_plan = jsonb_set(resolution_plan, '{agreed}', 'false')
     WHERE resolution_plan IS NOT NULL AND reference LIKE '%2_'",
    "UPDATE cases SET resolution_plan = '{\"agreed\": true, \"actions\": [
       {\"id\": \"A1\", \"kind\": \"apology\"}, {\"id\": \"A2\", \"kind\": \"explanation\"},
       {\"id\": \"A3\", \"kind\": \"financial_redress\",
        \"payment\": {\"kind\": \"compensatory\", \"amount_pence\": 12345}}]}'::jsonb
     WHERE tier > 0 AND closed_at IS NOT NULL AND reference LIKE '%6_'",
    // The PHSO's findings, and ICE's on Resolution cases.
    "UPDATE cases SET phso_stage = 'final_report', phso_upheld = reference LIKE '%3_'
     WHERE tier = 2 AND closed_at IS NOT NULL AND reference LIKE '%_9'",
    "UPDATE cases SET ice_stage = 'investigation', ice_upheld = NULL
     WHERE tier = 1 AND reference LIKE '%88'",
    // Every kind of correspondence, some answered, some breached (the hundreds of the
    // generator's number choose: its correspondence is every hundredth case).
    "UPDATE cases SET correspondence = (ARRAY['pos', 'mp_to_dg', 'treat_official'])
       [1 + substr(reference, length(reference) - 2, 1)::int % 3],
       target_breached_at = CASE WHEN substr(reference, length(reference) - 2, 1) IN ('0', '1')
         THEN received_at + interval '20 days' END
     WHERE kind = 'correspondence'",
];

#[tokio::test]
async fn one_pass_gives_the_figures_of_a_statement_each() {
    let (scratch, mut conn) = varied_data().await;
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    for (first, last) in [
        (day(2025, 12, 1), day(2026, 11, 30)),
        (day(2024, 12, 1), day(2026, 11, 30)),
    ] {
        let new = same_as_statement_each(&mut conn, first, last).await;
        let beyond = &new["beyond_complaints"];
        assert!(
            beyond["correspondence_by_kind"].as_object().unwrap().len() == 3
                && beyond["raised_by_ombudsman"].as_object().unwrap().len() == 2
                && new["phso_findings"]["upheld"].as_i64().unwrap() > 0
                && new["special_payments_pence"]["compensatory"]
                    .as_i64()
                    .unwrap()
                    > 0,
            "the data set has the variety it was given: {new:#}"
        );
    }

    drop(conn);
    scratch.drop_database().await.expect("drop");
}

/// Changes to the kept days' cases after they were kept, each moving a figure of the year:
/// cases closed, response targets met, closed cases escalated (a new case, and the earlier
/// case gone on to the next tier).
const CHANGES: [&str; 3] = [
    "UPDATE cases SET closed_at = received_at + interval '9 days',
       resolution_code = 'Answered Enquiry', status = 'Closed'
     WHERE closed_at IS NULL AND tier = 0 AND kind = 'complaint'
       AND received_at >= '2026-10-01' AND received_at < '2026-10-08'",
    "UPDATE timers SET state = 'cancelled' FROM cases c
     WHERE c.id = timers.case_id AND timers.clock = 'response_target'
       AND timers.state = 'pending' AND c.target_breached_at IS NULL
       AND c.received_at >= '2026-11-16' AND c.received_at < '2026-11-30'",
    "INSERT INTO cases (id, reference, tier, stage, status, party_id, linked_case_id,
       handling_team, received_at, channel, raised_by, about, addressee, categories, summary,
       high_profile, parliamentary_contact, pos, cause, opened_at, kind)
     SELECT gen_random_uuid(), 'RES-LATE-' || c.reference, 1, 'Investigation', 'In Progress',
       c.party_id, c.id, 'complaint_resolution_team', '2026-11-20', 'phone', 'customer',
       'service', 'organisation', ARRAY['delay'], 'Late', false, false, false,
       gen_random_uuid(), '2026-11-20', 'complaint'
     FROM cases c WHERE c.tier = 0 AND c.closed_at IS NOT NULL AND c.kind = 'complaint'
       AND NOT EXISTS (SELECT FROM cases h WHERE h.linked_case_id = c.id)
       AND c.received_at >= '2026-09-01' AND c.received_at < '2026-09-08'",
];

/// The days the report-days worker keeps give the figures the cases give: once kept, after
/// the cases changed (the changed days read from the cases again), once kept again, and when
/// the kept days are of another shape.
#[tokio::test]
async fn kept_days_give_the_figures_of_the_cases() {
    let (scratch, mut conn) = varied_data().await;
    let (first, last) = (
        NaiveDate::from_ymd_opt(2025, 12, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
    );
    let before = same_as_statement_each(&mut conn, first, last).await;
    let kept = keep_every_changed_day(&mut conn).await;
    assert!(kept >= 2 * 365, "every day of cases kept: {kept}");
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM report_changes").await,
        0
    );
    assert_eq!(same_as_statement_each(&mut conn, first, last).await, before);

    for statement in CHANGES {
        let changed = diesel::sql_query(statement)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{e}: {statement}"));
        assert!(changed > 0, "nothing changed: {statement}");
    }
    let changed = same_as_statement_each(&mut conn, first, last).await;
    for figure in [
        "resolution_codes",
        "response_target",
        "escalation_tier_0_to_1",
    ] {
        assert_ne!(changed[figure], before[figure], "{figure} moved");
    }
    assert!(keep_every_changed_day(&mut conn).await >= 3);
    assert_eq!(
        same_as_statement_each(&mut conn, first, last).await,
        changed
    );

    diesel::sql_query("UPDATE report_days SET version = 0, figures = '{}'")
        .execute(&mut conn)
        .await
        .expect("an older shape");
    assert_eq!(
        same_as_statement_each(&mut conn, first, last).await,
        changed
    );
    assert!(keep_every_changed_day(&mut conn).await >= 2 * 365);
    assert_eq!(
        same_as_statement_each(&mut conn, first, last).await,
        changed
    );

    drop(conn);
    scratch.drop_database().await.expect("drop");
}

/// A scratch database with the large-data generator's cases over two years and [`VARIETY`].
async fn varied_data() -> (ScratchDatabase, AsyncPgConnection) {
    let scratch = ScratchDatabase::from_template(
        "postgres://postgres@127.0.0.1:5432/postgres",
        "complaints_test",
    )
    .await
    .expect("a scratch database");
    let mut conn = AsyncPgConnection::establish(&scratch.url)
        .await
        .expect("connect");
    let volume = Volume {
        cases: CASES,
        timeline_per_case: 1,
        from: Utc.with_ymd_and_hms(2024, 12, 1, 0, 0, 0).unwrap(),
        days: 2 * 365,
    };
    seed_volume(&mut conn, volume, |_, _, _| {})
        .await
        .expect("seed");
    for statement in VARIETY {
        let changed = diesel::sql_query(statement)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{e}: {statement}"));
        assert!(changed > 0, "nothing changed: {statement}");
    }
    (scratch, conn)
}

/// The report from `first` to `last`, checked figure by figure against the statements it ran
/// before.
async fn same_as_statement_each(
    conn: &mut AsyncPgConnection,
    first: NaiveDate,
    last: NaiveDate,
) -> Value {
    let (from, to) = complaints::reports::period(first, last).unwrap();
    let report = complaints::db::reports::report(conn, from, to)
        .await
        .expect("report");
    let new = serde_json::to_value(&report).unwrap();
    let old = statement_each(conn, from, to).await;
    assert!(
        old["received"]["total"].as_i64().unwrap() > 1_000,
        "the period holds cases: {old}"
    );
    for (figure, value) in old.as_object().unwrap() {
        assert_eq!(&new[figure], value, "{figure} from {first} to {last}");
    }
    new
}

/// Runs the report-days worker's rounds until none is left; returns the days kept.
async fn keep_every_changed_day(conn: &mut AsyncPgConnection) -> usize {
    let now = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
    complaints::db::reports::keep_every_changed_day(conn, 31, now, |_| {})
        .await
        .expect("days kept")
}

async fn count(conn: &mut AsyncPgConnection, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let row: N = diesel::sql_query(sql).get_result(conn).await.expect(sql);
    row.n
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The counted cases of the period (`$1`, `$2`), as the report chose them.
const COUNTED: &str = "c.kind = 'complaint' AND NOT (c.tier = 1 AND \
     c.consolatory_payment_pence IS NOT NULL) AND c.received_at >= $1 AND c.received_at < $2";

/// The figures of the period's cases as the report read them before, one statement each.
async fn statement_each(
    conn: &mut AsyncPgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Value {
    let mut counts = async |sql: String| -> BTreeMap<String, i64> {
        let rows: Vec<Count> = diesel::sql_query(&sql)
            .bind::<Timestamptz, _>(from)
            .bind::<Timestamptz, _>(to)
            .load(conn)
            .await
            .unwrap_or_else(|e| panic!("{e}: {sql}"));
        rows.into_iter().map(|c| (c.key, c.n)).collect()
    };
    let by = |column: &str| {
        format!("SELECT {column} AS key, count(*) AS n FROM cases c WHERE {COUNTED} GROUP BY 1")
    };
    let by_tier = counts(by("c.tier::text")).await;
    let by_category = counts(by("unnest(c.categories)")).await;
    let by_channel = counts(by("c.channel")).await;
    let target = counts(format!(
        "SELECT CASE WHEN c.target_breached_at IS NOT NULL THEN 'breached' \
                     WHEN t.state = 'cancelled' THEN 'met' ELSE 'pending' END AS key, count(*) AS n \
         FROM cases c JOIN timers t ON t.case_id = c.id AND t.clock = 'response_target' \
         WHERE {COUNTED} GROUP BY 1"
    ))
    .await;
    let tier_and = |column: &str| {
        format!(
            "SELECT 'tier ' || c.tier || ' ' || {column} AS key, count(*) AS n FROM cases c \
             WHERE {COUNTED} AND {column} IS NOT NULL GROUP BY 1"
        )
    };
    let outcomes = counts(tier_and("c.outcome")).await;
    let resolution_codes = counts(tier_and("c.resolution_code")).await;
    let agreed = format!(
        "FROM cases c, jsonb_array_elements(c.resolution_plan -> 'actions') a \
         WHERE {COUNTED} AND (c.resolution_plan ->> 'agreed')::boolean"
    );
    let remedies = counts(format!(
        "SELECT a ->> 'kind' AS key, count(*) AS n {agreed} GROUP BY 1"
    ))
    .await;
    let payments = counts(format!(
        "SELECT a -> 'payment' ->> 'kind' AS key, \
                sum((a -> 'payment' ->> 'amount_pence')::bigint)::bigint AS n \
         {agreed} AND a ? 'payment' GROUP BY 1"
    ))
    .await;
    let mut escalation = async |tier: i16| {
        let went_on = if tier == 2 {
            "c.ice_stage IS NOT NULL"
        } else {
            "EXISTS (SELECT 1 FROM cases h WHERE h.linked_case_id = c.id \
             AND h.linked_case_id IS NOT NULL AND h.tier = c.tier + 1)"
        };
        let n = counts(format!(
            "SELECT CASE WHEN {went_on} THEN 'escalated' ELSE 'not escalated' END AS key, \
                    count(*) AS n \
             FROM cases c WHERE {COUNTED} AND c.closed_at IS NOT NULL AND c.tier = {tier} GROUP BY 1"
        ))
        .await;
        let get = |key: &str| n.get(key).copied().unwrap_or(0);
        Escalation::new(get("escalated") + get("not escalated"), get("escalated"))
    };
    let escalations = [
        escalation(0).await,
        escalation(1).await,
        escalation(2).await,
    ];
    let flags = counts(format!(
        "SELECT key, count(*) AS n FROM cases c, LATERAL (VALUES \
             (CASE WHEN c.parliamentary_contact THEN 'parliamentary contact' END), \
             (CASE WHEN c.tier = 0 AND c.resolution_code = ANY('{{Actions Complete – Client OK,Answered Enquiry}}') \
                   THEN 'resolved at first point of contact' END), \
             ('ice ' || c.ice_stage), ('phso ' || c.phso_stage), \
             ('finding ice ' || CASE WHEN c.ice_upheld THEN 'upheld' WHEN NOT c.ice_upheld THEN 'not upheld' END), \
             ('finding phso ' || CASE WHEN c.phso_upheld THEN 'upheld' WHEN NOT c.phso_upheld THEN 'not upheld' END)) v(key) \
         WHERE {COUNTED} AND key IS NOT NULL GROUP BY 1"
    ))
    .await;
    let correspondence = "FROM cases c WHERE c.kind = 'correspondence' \
                          AND c.received_at >= $1 AND c.received_at < $2";
    let correspondence_by_kind = counts(format!(
        "SELECT c.correspondence AS key, count(*) AS n {correspondence} GROUP BY 1"
    ))
    .await;
    let answers = counts(format!(
        "SELECT CASE WHEN c.target_breached_at IS NOT NULL THEN 'breached' ELSE 'in time' END \
                AS key, count(*) AS n {correspondence} \
         AND (c.closed_at IS NOT NULL OR c.target_breached_at IS NOT NULL) GROUP BY 1"
    ))
    .await;
    let others = counts(format!(
        "SELECT key, count(*) AS n FROM cases c, LATERAL (VALUES \
             (CASE WHEN c.about = 'mixed' THEN 'mixed' END), \
             (CASE WHEN c.parliamentary_contact AND c.raised_by = ANY('{{customer,representative}}') \
                   THEN 'mp involved' END), \
             (CASE WHEN c.raised_by = ANY('{{ice,phso}}') THEN 'raised by ' || c.raised_by END)) v(key) \
         WHERE {COUNTED} AND key IS NOT NULL GROUP BY 1"
    ))
    .await;

    let get = |map: &BTreeMap<String, i64>, key: &str| map.get(key).copied().unwrap_or(0);
    let prefixed = |prefix: &str| -> BTreeMap<String, i64> {
        flags
            .iter()
            .filter_map(|(k, n)| Some((k.strip_prefix(prefix)?.to_owned(), *n)))
            .collect()
    };
    let findings = |body: &str| {
        Findings::new(
            get(&flags, &format!("finding {body} upheld")),
            get(&flags, &format!("finding {body} not upheld")),
        )
    };
    json!({
        "received": {
            "total": by_tier.values().sum::<i64>(),
            "by_tier": by_tier,
            "by_category": by_category,
            "by_channel": by_channel,
        },
        "response_target": ResponseTarget::new(
            get(&target, "met"),
            get(&target, "breached"),
            get(&target, "pending"),
        ),
        "outcomes": outcomes,
        "resolution_codes": resolution_codes,
        "remedies": remedies,
        "special_payments_total_pence": payments.values().sum::<i64>(),
        "special_payments_pence": payments,
        "escalation_tier_0_to_1": escalations[0],
        "escalation_tier_1_to_2": escalations[1],
        "escalation_tier_2_to_ice": escalations[2],
        "resolved_at_first_point_of_contact": get(&flags, "resolved at first point of contact"),
        "parliamentary_contact": get(&flags, "parliamentary contact"),
        "ice_stages": prefixed("ice "),
        "phso_stages": prefixed("phso "),
        "ice_findings": findings("ice"),
        "phso_findings": findings("phso"),
        "beyond_complaints": {
            "feedback_by_kind": {},
            "feedback_by_team": {},
            "correspondence_by_kind": correspondence_by_kind,
            "correspondence_answered_in_time": get(&answers, "in time"),
            "correspondence_breached": get(&answers, "breached"),
            "provider_complaints_referred": 0,
            "mixed_complaints": get(&others, "mixed"),
            "mp_involvement": get(&others, "mp involved"),
            "raised_by_ombudsman": others
                .iter()
                .filter_map(|(k, n)| Some((k.strip_prefix("raised by ")?.to_owned(), *n)))
                .collect::<BTreeMap<_, _>>(),
        },
    })
}
