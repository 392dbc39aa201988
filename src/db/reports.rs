//! The figures of process.md §7, read from the cases received in a period as they stand now:
//! one aggregate query per figure, each over the same period.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, SmallInt, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::reports::{
    BeyondComplaints, Escalation, Findings, Received, Report, ResponseTarget, SystemicEntry,
};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// `SELECT key, n` over the cases received in [from, to): `$1` and `$2` are the bounds.
async fn counts(
    conn: &mut AsyncPgConnection,
    sql: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<BTreeMap<String, i64>> {
    let rows: Vec<Count> = diesel::sql_query(sql)
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|c| (c.key, c.n)).collect())
}

/// The cases received in the period; disputes are not complaints and are not reported, nor
/// is a Resolution case opened for a consolatory-payment referral (seed 004: "non complaint").
const PERIOD: &str =
    "c.kind = 'complaint' AND NOT (c.tier = 1 AND c.consolatory_payment_pence IS NOT NULL) \
                      AND c.received_at >= $1 AND c.received_at < $2";

/// The report for the cases received in [from, to).
pub async fn report(
    conn: &mut AsyncPgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Report> {
    let by = |column: &str| {
        format!("SELECT {column} AS key, count(*) AS n FROM cases c WHERE {PERIOD} GROUP BY 1")
    };
    let by_tier = counts(conn, &by("c.tier::text"), from, to).await?;
    let by_category = counts(conn, &by("unnest(c.categories)"), from, to).await?;
    let by_channel = counts(conn, &by("c.channel"), from, to).await?;
    let target = counts(
        conn,
        &format!(
            "SELECT CASE WHEN c.target_breached_at IS NOT NULL THEN 'breached' \
                         WHEN t.state = 'cancelled' THEN 'met' ELSE 'pending' END AS key, \
                    count(*) AS n \
             FROM cases c JOIN timers t ON t.case_id = c.id AND t.clock = 'response_target' \
             WHERE {PERIOD} GROUP BY 1"
        ),
        from,
        to,
    )
    .await?;
    let by_tier_and = |column: &str| {
        format!(
            "SELECT 'tier ' || c.tier || ' ' || {column} AS key, count(*) AS n FROM cases c \
             WHERE {PERIOD} AND {column} IS NOT NULL GROUP BY 1"
        )
    };
    let outcomes = counts(conn, &by_tier_and("c.outcome"), from, to).await?;
    let resolution_codes = counts(conn, &by_tier_and("c.resolution_code"), from, to).await?;
    let agreed_actions = format!(
        "FROM cases c, jsonb_array_elements(c.resolution_plan -> 'actions') a \
         WHERE {PERIOD} AND (c.resolution_plan ->> 'agreed')::boolean"
    );
    let remedies = counts(
        conn,
        &format!("SELECT a ->> 'kind' AS key, count(*) AS n {agreed_actions} GROUP BY 1"),
        from,
        to,
    )
    .await?;
    let special_payments_pence = counts(
        conn,
        &format!(
            "SELECT a -> 'payment' ->> 'kind' AS key, \
                    sum((a -> 'payment' ->> 'amount_pence')::bigint)::bigint AS n \
             {agreed_actions} AND a ? 'payment' GROUP BY 1"
        ),
        from,
        to,
    )
    .await?;
    let escalations = counts(
        conn,
        &format!(
            "SELECT c.tier || CASE WHEN EXISTS (SELECT 1 FROM cases h WHERE h.linked_case_id = c.id \
                                                 AND h.tier = c.tier + 1) \
                              THEN ' escalated' ELSE ' not escalated' END AS key, count(*) AS n \
             FROM cases c WHERE {PERIOD} AND c.closed_at IS NOT NULL AND c.tier < 2 GROUP BY 1"
        ),
        from,
        to,
    )
    .await?;
    let flags = counts(
        conn,
        &format!(
            "SELECT key, count(*) AS n FROM cases c, LATERAL (VALUES \
                 (CASE WHEN c.parliamentary_contact THEN 'parliamentary contact' END), \
                 (CASE WHEN c.tier = 0 AND c.resolution_code IN ('Actions Complete – Client OK', 'Answered Enquiry') \
                       THEN 'resolved at first point of contact' END), \
                 ('ice ' || c.ice_stage), ('phso ' || c.phso_stage), \
                 ('finding ice ' || CASE WHEN c.ice_upheld THEN 'upheld' WHEN NOT c.ice_upheld THEN 'not upheld' END), \
                 ('finding phso ' || CASE WHEN c.phso_upheld THEN 'upheld' WHEN NOT c.phso_upheld THEN 'not upheld' END)) v(key) \
             WHERE {PERIOD} AND key IS NOT NULL GROUP BY 1"
        ),
        from,
        to,
    )
    .await?;
    let systemic_issues = systemic(conn, from, to).await?;
    let beyond_complaints = beyond_complaints(conn, from, to).await?;

    let escalation = |tier: i16| {
        let escalated = escalations
            .get(&format!("{tier} escalated"))
            .copied()
            .unwrap_or(0);
        let closed = escalated
            + escalations
                .get(&format!("{tier} not escalated"))
                .copied()
                .unwrap_or(0);
        Escalation::new(closed, escalated)
    };
    let flag = |key: &str| flags.get(key).copied().unwrap_or(0);
    let stages = |body: &str| {
        flags
            .iter()
            .filter_map(|(k, n)| k.strip_prefix(body).map(|s| (s.to_owned(), *n)))
            .collect()
    };
    Ok(Report {
        from,
        to,
        received: Received {
            total: by_tier.values().sum(),
            by_tier,
            by_category,
            by_channel,
        },
        response_target: ResponseTarget::new(
            target.get("met").copied().unwrap_or(0),
            target.get("breached").copied().unwrap_or(0),
            target.get("pending").copied().unwrap_or(0),
        ),
        outcomes,
        resolution_codes,
        remedies,
        special_payments_total_pence: special_payments_pence.values().sum(),
        special_payments_pence,
        escalation_tier_0_to_1: escalation(0),
        escalation_tier_1_to_2: escalation(1),
        resolved_at_first_point_of_contact: flag("resolved at first point of contact"),
        parliamentary_contact: flag("parliamentary contact"),
        ice_stages: stages("ice "),
        phso_stages: stages("phso "),
        ice_findings: Findings::new(flag("finding ice upheld"), flag("finding ice not upheld")),
        phso_findings: Findings::new(flag("finding phso upheld"), flag("finding phso not upheld")),
        systemic_issues,
        beyond_complaints,
    })
}

/// The figures of the intake routes beside the complaint tiers: feedback, official
/// correspondence, provider complaints, MP involvement, complaints ICE or the PHSO raised.
async fn beyond_complaints(
    conn: &mut AsyncPgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<BeyondComplaints> {
    let feedback = "FROM feedback f WHERE f.received_at >= $1 AND f.received_at < $2";
    let feedback_by_kind = counts(
        conn,
        &format!("SELECT f.kind AS key, count(*) AS n {feedback} GROUP BY 1"),
        from,
        to,
    )
    .await?;
    let feedback_by_team = counts(
        conn,
        &format!("SELECT f.team || ': ' || f.kind AS key, count(*) AS n {feedback} GROUP BY 1"),
        from,
        to,
    )
    .await?;
    let correspondence = "FROM cases c WHERE c.kind = 'correspondence' \
                          AND c.received_at >= $1 AND c.received_at < $2";
    let correspondence_by_kind = counts(
        conn,
        &format!("SELECT c.correspondence AS key, count(*) AS n {correspondence} GROUP BY 1"),
        from,
        to,
    )
    .await?;
    let correspondence_answers = counts(
        conn,
        &format!(
            "SELECT CASE WHEN c.target_breached_at IS NOT NULL THEN 'breached' ELSE 'in time' END \
                    AS key, count(*) AS n {correspondence} \
             AND (c.closed_at IS NOT NULL OR c.target_breached_at IS NOT NULL) GROUP BY 1"
        ),
        from,
        to,
    )
    .await?;
    let others = counts(
        conn,
        &format!(
            "SELECT key, count(*) AS n FROM cases c, LATERAL (VALUES \
                 (CASE WHEN c.about = 'mixed' THEN 'mixed' END), \
                 (CASE WHEN c.parliamentary_contact AND c.raised_by IN ('customer', 'representative') \
                       THEN 'mp involved' END), \
                 (CASE WHEN c.raised_by IN ('ice', 'phso') THEN 'raised by ' || c.raised_by END)) v(key) \
             WHERE {PERIOD} AND key IS NOT NULL GROUP BY 1"
        ),
        from,
        to,
    )
    .await?;
    let referred = counts(
        conn,
        "SELECT reason AS key, count(*) AS n FROM rejected_complaints \
         WHERE reason = 'provider_complaint' AND rejected_at >= $1 AND rejected_at < $2 GROUP BY 1",
        from,
        to,
    )
    .await?;
    let get = |map: &BTreeMap<String, i64>, key: &str| map.get(key).copied().unwrap_or(0);
    Ok(BeyondComplaints {
        feedback_by_kind,
        feedback_by_team,
        correspondence_answered_in_time: get(&correspondence_answers, "in time"),
        correspondence_breached: get(&correspondence_answers, "breached"),
        correspondence_by_kind,
        provider_complaints_referred: get(&referred, "provider_complaint"),
        mixed_complaints: get(&others, "mixed"),
        mp_involvement: get(&others, "mp involved"),
        raised_by_ombudsman: others
            .iter()
            .filter_map(|(k, n)| Some((k.strip_prefix("raised by ")?.to_owned(), *n)))
            .collect(),
    })
}

#[derive(QueryableByName)]
struct SystemicRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = SmallInt)]
    tier: i16,
    #[diesel(sql_type = Text)]
    category: String,
    #[diesel(sql_type = Array<Text>)]
    cases: Vec<String>,
    #[diesel(sql_type = Timestamptz)]
    recorded_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    action_taken: Option<String>,
}

/// The Systemic Log entries recorded in [from, to).
async fn systemic(
    conn: &mut AsyncPgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<SystemicEntry>> {
    let rows: Vec<SystemicRow> = diesel::sql_query(
        "SELECT s.id, s.tier, s.category, \
                ARRAY(SELECT c.reference FROM unnest(s.case_ids) WITH ORDINALITY u(id, i) \
                      JOIN cases c ON c.id = u.id ORDER BY u.i) AS cases, \
                s.recorded_at, s.action_taken \
         FROM systemic_issues s WHERE s.recorded_at >= $1 AND s.recorded_at < $2 \
         ORDER BY s.recorded_at, s.id",
    )
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SystemicEntry {
            id: r.id,
            tier: r.tier,
            category: r.category,
            cases: r.cases,
            recorded_at: r.recorded_at,
            action_taken: r.action_taken,
        })
        .collect())
}
