//! The figures of process.md §7, read from the cases received in a period as they stand now:
//! one aggregate query per figure, each over the same period. Every state, code or kind a query
//! compares with comes from the vocabulary and is bound as a parameter ([`Figure`]), never
//! written into the SQL.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, SmallInt, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::timers;
use crate::reports::{
    BeyondComplaints, Escalation, Findings, Received, Report, ResponseTarget, SystemicEntry,
};
use crate::vocabulary::{
    About, CaseKind, ClockKind, RaisedBy, RejectionReason, ResolutionCode, Tier,
};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The instants a report covers, [from, to): `$1` and `$2` of every figure's query.
#[derive(Debug, Clone, Copy)]
struct Period {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

/// A value a figure's query compares with.
enum Bind {
    Text(&'static str),
    Texts(Vec<&'static str>),
    SmallInt(i16),
}

/// One figure's query under construction: each value from the vocabulary it compares with is
/// bound as the next parameter after the period's bounds, and its placeholder written in the
/// SQL instead of the value.
#[derive(Default)]
struct Figure {
    binds: Vec<Bind>,
}

impl Figure {
    /// The placeholder of the next parameter, bound to `bind`.
    fn bind(&mut self, bind: Bind) -> String {
        self.binds.push(bind);
        format!("${}", self.binds.len() + 2)
    }

    /// A value's placeholder.
    fn value(&mut self, value: &'static str) -> String {
        self.bind(Bind::Text(value))
    }

    /// `ANY(…)` of these values.
    fn any(&mut self, values: &[&'static str]) -> String {
        format!("ANY({})", self.bind(Bind::Texts(values.to_vec())))
    }

    /// A tier's placeholder (stored as its number).
    fn tier(&mut self, tier: Tier) -> String {
        self.bind(Bind::SmallInt(tier.number()))
    }

    /// The condition on `c` for the cases the report counts: received in the period, and
    /// complaints — disputes are not complaints and are not reported, nor is a Resolution case
    /// opened for a consolatory-payment referral (seed 004: "non complaint").
    fn counted_cases(&mut self) -> String {
        format!(
            "c.kind = {} AND NOT (c.tier = {} AND c.consolatory_payment_pence IS NOT NULL) \
             AND c.received_at >= $1 AND c.received_at < $2",
            self.value(CaseKind::Complaint.as_str()),
            self.tier(Tier::Resolution),
        )
    }

    /// Runs `SELECT key, n …` with the period and the values bound.
    async fn counts(
        self,
        conn: &mut AsyncPgConnection,
        sql: &str,
        period: Period,
    ) -> QueryResult<BTreeMap<String, i64>> {
        let mut query = diesel::sql_query(sql)
            .into_boxed::<Pg>()
            .bind::<Timestamptz, _>(period.from)
            .bind::<Timestamptz, _>(period.to);
        for bind in self.binds {
            query = match bind {
                Bind::Text(value) => query.bind::<Text, _>(value),
                Bind::Texts(values) => query.bind::<Array<Text>, _>(values),
                Bind::SmallInt(value) => query.bind::<SmallInt, _>(value),
            };
        }
        let rows: Vec<Count> = query.load(conn).await?;
        Ok(rows.into_iter().map(|c| (c.key, c.n)).collect())
    }
}

/// The report for the cases received in [from, to).
pub async fn report(
    conn: &mut AsyncPgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Report> {
    let period = Period { from, to };
    let (remedies, special_payments_pence) = agreed_remedies(conn, period).await?;
    let flags = flags(conn, period).await?;
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
        received: received(conn, period).await?,
        response_target: response_target(conn, period).await?,
        outcomes: by_tier_and(conn, period, "c.outcome").await?,
        resolution_codes: by_tier_and(conn, period, "c.resolution_code").await?,
        remedies,
        special_payments_total_pence: special_payments_pence.values().sum(),
        special_payments_pence,
        escalation_tier_0_to_1: escalation(conn, period, Tier::Dissatisfaction).await?,
        escalation_tier_1_to_2: escalation(conn, period, Tier::Resolution).await?,
        resolved_at_first_point_of_contact: flag("resolved at first point of contact"),
        parliamentary_contact: flag("parliamentary contact"),
        ice_stages: stages("ice "),
        phso_stages: stages("phso "),
        ice_findings: Findings::new(flag("finding ice upheld"), flag("finding ice not upheld")),
        phso_findings: Findings::new(flag("finding phso upheld"), flag("finding phso not upheld")),
        systemic_issues: systemic(conn, period).await?,
        beyond_complaints: beyond_complaints(conn, period).await?,
    })
}

/// The cases received, by tier, category and channel.
async fn received(conn: &mut AsyncPgConnection, period: Period) -> QueryResult<Received> {
    let by = |column: &str| {
        let mut figure = Figure::default();
        let sql = format!(
            "SELECT {column} AS key, count(*) AS n FROM cases c WHERE {} GROUP BY 1",
            figure.counted_cases()
        );
        (figure, sql)
    };
    let (figure, sql) = by("c.tier::text");
    let by_tier = figure.counts(conn, &sql, period).await?;
    let (figure, sql) = by("unnest(c.categories)");
    let by_category = figure.counts(conn, &sql, period).await?;
    let (figure, sql) = by("c.channel");
    let by_channel = figure.counts(conn, &sql, period).await?;
    Ok(Received {
        total: by_tier.values().sum(),
        by_tier,
        by_category,
        by_channel,
    })
}

/// The cases with a response target: met (its clock cancelled by the reply), breached, or
/// still running.
async fn response_target(
    conn: &mut AsyncPgConnection,
    period: Period,
) -> QueryResult<ResponseTarget> {
    let mut figure = Figure::default();
    let sql = format!(
        "SELECT CASE WHEN c.target_breached_at IS NOT NULL THEN 'breached' \
                     WHEN t.state = {} THEN 'met' ELSE 'pending' END AS key, \
                count(*) AS n \
         FROM cases c JOIN timers t ON t.case_id = c.id AND t.clock = {} \
         WHERE {} GROUP BY 1",
        figure.value(timers::CANCELLED),
        figure.value(ClockKind::ResponseTarget.as_str()),
        figure.counted_cases(),
    );
    let target = figure.counts(conn, &sql, period).await?;
    let get = |key: &str| target.get(key).copied().unwrap_or(0);
    Ok(ResponseTarget::new(
        get("met"),
        get("breached"),
        get("pending"),
    ))
}

/// The cases with `column` set, as `tier N value`.
async fn by_tier_and(
    conn: &mut AsyncPgConnection,
    period: Period,
    column: &str,
) -> QueryResult<BTreeMap<String, i64>> {
    let mut figure = Figure::default();
    let sql = format!(
        "SELECT 'tier ' || c.tier || ' ' || {column} AS key, count(*) AS n FROM cases c \
         WHERE {} AND {column} IS NOT NULL GROUP BY 1",
        figure.counted_cases()
    );
    figure.counts(conn, &sql, period).await
}

/// The actions of agreed resolution plans by kind, and their special payments by kind (pence).
async fn agreed_remedies(
    conn: &mut AsyncPgConnection,
    period: Period,
) -> QueryResult<(BTreeMap<String, i64>, BTreeMap<String, i64>)> {
    let agreed_actions = |figure: &mut Figure| {
        format!(
            "FROM cases c, jsonb_array_elements(c.resolution_plan -> 'actions') a \
             WHERE {} AND (c.resolution_plan ->> 'agreed')::boolean",
            figure.counted_cases()
        )
    };
    let mut figure = Figure::default();
    let sql = format!(
        "SELECT a ->> 'kind' AS key, count(*) AS n {} GROUP BY 1",
        agreed_actions(&mut figure)
    );
    let remedies = figure.counts(conn, &sql, period).await?;
    let mut figure = Figure::default();
    let sql = format!(
        "SELECT a -> 'payment' ->> 'kind' AS key, \
                sum((a -> 'payment' ->> 'amount_pence')::bigint)::bigint AS n \
         {} AND a ? 'payment' GROUP BY 1",
        agreed_actions(&mut figure)
    );
    let payments = figure.counts(conn, &sql, period).await?;
    Ok((remedies, payments))
}

/// The closed cases at `tier`, and how many of them went on to the next tier (the cases linked
/// to another are looked up in their partial index, `cases_linked_idx`, hence the `IS NOT NULL`
/// the planner needs to use it).
async fn escalation(
    conn: &mut AsyncPgConnection,
    period: Period,
    tier: Tier,
) -> QueryResult<Escalation> {
    let mut figure = Figure::default();
    let sql = format!(
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM cases h WHERE h.linked_case_id = c.id \
                                  AND h.linked_case_id IS NOT NULL AND h.tier = c.tier + 1) \
                THEN 'escalated' ELSE 'not escalated' END AS key, count(*) AS n \
         FROM cases c WHERE {} AND c.closed_at IS NOT NULL AND c.tier = {} GROUP BY 1",
        figure.counted_cases(),
        figure.tier(tier),
    );
    let counts = figure.counts(conn, &sql, period).await?;
    let get = |key: &str| counts.get(key).copied().unwrap_or(0);
    Ok(Escalation::new(
        get("escalated") + get("not escalated"),
        get("escalated"),
    ))
}

/// Counts of what a case may be flagged with: parliamentary contact, resolved at the first
/// point of contact, its ICE and PHSO stages (`ice …`, `phso …`) and findings (`finding ice
/// upheld`, …).
async fn flags(conn: &mut AsyncPgConnection, period: Period) -> QueryResult<BTreeMap<String, i64>> {
    let mut figure = Figure::default();
    let sql = format!(
        "SELECT key, count(*) AS n FROM cases c, LATERAL (VALUES \
             (CASE WHEN c.parliamentary_contact THEN 'parliamentary contact' END), \
             (CASE WHEN c.tier = {} AND c.resolution_code = {} \
                   THEN 'resolved at first point of contact' END), \
             ('ice ' || c.ice_stage), ('phso ' || c.phso_stage), \
             ('finding ice ' || CASE WHEN c.ice_upheld THEN 'upheld' WHEN NOT c.ice_upheld THEN 'not upheld' END), \
             ('finding phso ' || CASE WHEN c.phso_upheld THEN 'upheld' WHEN NOT c.phso_upheld THEN 'not upheld' END)) v(key) \
         WHERE {} AND key IS NOT NULL GROUP BY 1",
        figure.tier(Tier::Dissatisfaction),
        figure.any(&[
            ResolutionCode::ActionsCompleteClientOk.as_str(),
            ResolutionCode::AnsweredEnquiry.as_str(),
        ]),
        figure.counted_cases(),
    );
    figure.counts(conn, &sql, period).await
}

/// The figures of the intake routes beside the complaint tiers: feedback, official
/// correspondence, provider complaints, MP involvement, complaints ICE or the PHSO raised.
async fn beyond_complaints(
    conn: &mut AsyncPgConnection,
    period: Period,
) -> QueryResult<BeyondComplaints> {
    let feedback = "FROM feedback f WHERE f.received_at >= $1 AND f.received_at < $2";
    let feedback_by_kind = Figure::default()
        .counts(
            conn,
            &format!("SELECT f.kind AS key, count(*) AS n {feedback} GROUP BY 1"),
            period,
        )
        .await?;
    let feedback_by_team = Figure::default()
        .counts(
            conn,
            &format!("SELECT f.team || ': ' || f.kind AS key, count(*) AS n {feedback} GROUP BY 1"),
            period,
        )
        .await?;
    let correspondence = |figure: &mut Figure| {
        format!(
            "FROM cases c WHERE c.kind = {} AND c.received_at >= $1 AND c.received_at < $2",
            figure.value(CaseKind::Correspondence.as_str())
        )
    };
    let mut figure = Figure::default();
    let sql = format!(
        "SELECT c.correspondence AS key, count(*) AS n {} GROUP BY 1",
        correspondence(&mut figure)
    );
    let correspondence_by_kind = figure.counts(conn, &sql, period).await?;
    let mut figure = Figure::default();
    let sql = format!(
        "SELECT CASE WHEN c.target_breached_at IS NOT NULL THEN 'breached' ELSE 'in time' END \
                AS key, count(*) AS n {} \
         AND (c.closed_at IS NOT NULL OR c.target_breached_at IS NOT NULL) GROUP BY 1",
        correspondence(&mut figure)
    );
    let correspondence_answers = figure.counts(conn, &sql, period).await?;
    let mut figure = Figure::default();
    let sql = format!(
        "SELECT key, count(*) AS n FROM cases c, LATERAL (VALUES \
             (CASE WHEN c.about = {} THEN 'mixed' END), \
             (CASE WHEN c.parliamentary_contact AND c.raised_by = {} THEN 'mp involved' END), \
             (CASE WHEN c.raised_by = {} THEN 'raised by ' || c.raised_by END)) v(key) \
         WHERE {} AND key IS NOT NULL GROUP BY 1",
        figure.value(About::Mixed.as_str()),
        figure.any(&[
            RaisedBy::Customer.as_str(),
            RaisedBy::Representative.as_str()
        ]),
        figure.any(&[RaisedBy::Ice.as_str(), RaisedBy::Phso.as_str()]),
        figure.counted_cases(),
    );
    let others = figure.counts(conn, &sql, period).await?;
    let mut figure = Figure::default();
    let sql = format!(
        "SELECT reason AS key, count(*) AS n FROM rejected_complaints \
         WHERE reason = {} AND rejected_at >= $1 AND rejected_at < $2 GROUP BY 1",
        figure.value(RejectionReason::ProviderComplaint.as_str())
    );
    let referred = figure.counts(conn, &sql, period).await?;
    let get = |map: &BTreeMap<String, i64>, key: &str| map.get(key).copied().unwrap_or(0);
    Ok(BeyondComplaints {
        feedback_by_kind,
        feedback_by_team,
        correspondence_answered_in_time: get(&correspondence_answers, "in time"),
        correspondence_breached: get(&correspondence_answers, "breached"),
        correspondence_by_kind,
        provider_complaints_referred: get(&referred, RejectionReason::ProviderComplaint.as_str()),
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
async fn systemic(conn: &mut AsyncPgConnection, period: Period) -> QueryResult<Vec<SystemicEntry>> {
    let rows: Vec<SystemicRow> = diesel::sql_query(
        "SELECT s.id, s.tier, s.category, \
                ARRAY(SELECT c.reference FROM unnest(s.case_ids) WITH ORDINALITY u(id, i) \
                      JOIN cases c ON c.id = u.id ORDER BY u.i) AS cases, \
                s.recorded_at, s.action_taken \
         FROM systemic_issues s WHERE s.recorded_at >= $1 AND s.recorded_at < $2 \
         ORDER BY s.recorded_at, s.id",
    )
    .bind::<Timestamptz, _>(period.from)
    .bind::<Timestamptz, _>(period.to)
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
