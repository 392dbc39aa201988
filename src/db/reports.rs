//! The figures of process.md §7, read from the cases received in a period as they stand now, in
//! one read-only snapshot. The cases' figures come as [`Tallies`]: for each day whose figures
//! are kept in `report_days` and unchanged since, from there; for the rest of the period, from
//! `cases` — one pass over the cases ([`case_groups`]), the categories, the response targets
//! and the agreed remedies one statement each. The few figures of other tables are read whole.
//! Every state, code or kind a query compares with comes from the vocabulary and is bound as a
//! parameter ([`Figure`]), never written into the SQL.
//!
//! [`keep_changed_days`] keeps the days: the report-days worker's round. Triggers (migration
//! 000320) note in `report_changes` the day of every case or response target written, so a day
//! is read from `report_days` only while nothing of it has changed since it was kept.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Date, Json, Nullable, SmallInt, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};

use super::timers;
use crate::reports::{
    BeyondComplaints, Escalation, Findings, PaymentsMade, Received, Report, ResponseTarget,
    SystemicEntry,
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

    /// Whether the case `c` is one the report counts: a complaint — disputes are not complaints
    /// and are not reported, nor is a Resolution case opened for a consolatory-payment referral
    /// (seed 004: "non complaint").
    fn counted(&mut self) -> String {
        format!(
            "(c.kind = {} AND NOT (c.tier = {} AND c.consolatory_payment_pence IS NOT NULL))",
            self.value(CaseKind::Complaint.as_str()),
            self.tier(Tier::Resolution),
        )
    }

    /// The condition on `c` for the cases the report counts ([`counted`](Self::counted)) and
    /// received in the period.
    fn counted_cases(&mut self) -> String {
        format!("{} AND {RECEIVED_IN_PERIOD}", self.counted())
    }

    /// Runs `sql` with the period and the values bound, and reads its rows.
    async fn load<T>(
        self,
        conn: &mut AsyncPgConnection,
        sql: &str,
        period: Period,
    ) -> QueryResult<Vec<T>>
    where
        T: QueryableByName<Pg> + Send + 'static,
    {
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
        query.load(conn).await
    }

    /// Runs `SELECT key, n …` with the period and the values bound.
    async fn counts(
        self,
        conn: &mut AsyncPgConnection,
        sql: &str,
        period: Period,
    ) -> QueryResult<BTreeMap<String, i64>> {
        let rows: Vec<Count> = self.load(conn, sql, period).await?;
        Ok(rows.into_iter().map(|c| (c.key, c.n)).collect())
    }
}

/// The condition on `c` that it was received in the period (`$1`, `$2`).
const RECEIVED_IN_PERIOD: &str = "c.received_at >= $1 AND c.received_at < $2";

/// The report for the cases received in [from, to), read in one read-only snapshot so that
/// its figures agree with each other. JIT compilation is off for it: each statement reads the
/// period's rows once, and compiling its expressions cost more than it saved (about 0.2 s a
/// statement at a million cases). `conn` must not be in a transaction already.
pub async fn report(
    conn: &mut AsyncPgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Report> {
    let period = Period { from, to };
    conn.build_transaction()
        .read_only()
        .repeatable_read()
        .run(async |conn| {
            jit_off(conn).await?;
            read(conn, period).await
        })
        .await
}

/// Turns PostgreSQL's JIT compilation off for the rest of the transaction.
async fn jit_off(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    diesel::sql_query("SET LOCAL jit = off")
        .execute(conn)
        .await
        .map(drop)
}

/// Reads every figure of the report.
async fn read(conn: &mut AsyncPgConnection, period: Period) -> QueryResult<Report> {
    let tallies = Tallies::of_period(conn, period).await?;
    let response_target = tallies.response_target();
    let (remedies, special_payments_pence) = tallies.remedies();
    let cases = CaseFigures::from_groups(tallies.groups);
    let escalation = |tier| cases.escalation(tier);
    let (escalation_tier_0_to_1, escalation_tier_1_to_2, escalation_tier_2_to_ice) = (
        escalation(Tier::Dissatisfaction),
        escalation(Tier::Resolution),
        escalation(Tier::Review),
    );
    Ok(Report {
        from: period.from,
        to: period.to,
        received: Received {
            total: cases.by_tier.values().sum(),
            by_tier: cases.by_tier,
            by_category: tallies.categories,
            by_channel: cases.by_channel,
        },
        response_target,
        outcomes: cases.outcomes,
        resolution_codes: cases.resolution_codes,
        remedies,
        special_payments_total_pence: special_payments_pence.values().sum(),
        special_payments_pence,
        special_payments_made: payments_made(conn, period).await?,
        escalation_tier_0_to_1,
        escalation_tier_1_to_2,
        escalation_tier_2_to_ice,
        resolved_at_first_point_of_contact: cases.resolved_at_first_point_of_contact,
        parliamentary_contact: cases.parliamentary_contact,
        ice_stages: cases.ice_stages,
        phso_stages: cases.phso_stages,
        ice_findings: Findings::new(cases.ice_findings.0, cases.ice_findings.1),
        phso_findings: Findings::new(cases.phso_findings.0, cases.phso_findings.1),
        systemic_issues: systemic(conn, period).await?,
        beyond_complaints: beyond_complaints(conn, period, cases.beyond).await?,
    })
}

/// The figures of the cases received in a stretch of time as the statements over `cases` give
/// them: the groups of [`case_groups`], the counts by category and by response target, the
/// agreed plans' actions. Those of two stretches added are those of both: a day's are kept in
/// `report_days` as they are, and the report adds the kept days' to those it reads.
#[derive(Default, Serialize, Deserialize)]
struct Tallies {
    groups: Vec<CaseGroup>,
    categories: BTreeMap<String, i64>,
    /// Cases by their response targets: `met`, `breached`, `pending`.
    targets: BTreeMap<String, i64>,
    actions: Vec<AgreedActions>,
}

/// The shape of [`Tallies`] as `report_days` keeps them, and what each of its statements
/// counts. Raise it with any change to either: a day kept in another shape is read from
/// `cases` until the report-days worker has kept it again.
const TALLIES_VERSION: i16 = 1;

impl Tallies {
    /// The tallies of the period's cases: those of each day kept in `report_days` and unchanged
    /// since, and those of the stretches between read from `cases`.
    async fn of_period(conn: &mut AsyncPgConnection, period: Period) -> QueryResult<Self> {
        let mut tallies = Tallies::default();
        let mut read_to = period.from;
        for day in kept_days(conn, period).await? {
            if read_to < day.starts {
                let between = Period {
                    from: read_to,
                    to: day.starts,
                };
                tallies.add(Tallies::read(conn, between).await?);
            }
            tallies.add(
                serde_json::from_str(&day.figures)
                    .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?,
            );
            read_to = day.ends;
        }
        if read_to < period.to {
            let rest = Period {
                from: read_to,
                to: period.to,
            };
            tallies.add(Tallies::read(conn, rest).await?);
        }
        Ok(tallies)
    }

    /// Reads the tallies of the cases received in `period` from `cases`.
    async fn read(conn: &mut AsyncPgConnection, period: Period) -> QueryResult<Self> {
        Ok(Tallies {
            groups: case_groups(conn, period).await?,
            categories: by_category(conn, period).await?,
            targets: response_targets(conn, period).await?,
            actions: agreed_actions(conn, period).await?,
        })
    }

    /// Adds another stretch's tallies to these.
    fn add(&mut self, other: Tallies) {
        let sum = |into: &mut BTreeMap<String, i64>, from: BTreeMap<String, i64>| {
            for (key, n) in from {
                *into.entry(key).or_default() += n;
            }
        };
        self.groups.extend(other.groups);
        sum(&mut self.categories, other.categories);
        sum(&mut self.targets, other.targets);
        self.actions.extend(other.actions);
    }

    /// The cases with a response target: met (its clock cancelled by the reply), breached, or
    /// still running.
    fn response_target(&self) -> ResponseTarget {
        let get = |key: &str| self.targets.get(key).copied().unwrap_or(0);
        ResponseTarget::new(get("met"), get("breached"), get("pending"))
    }

    /// The actions of agreed resolution plans by kind, and their special payments by kind
    /// (pence).
    fn remedies(&self) -> (BTreeMap<String, i64>, BTreeMap<String, i64>) {
        let (mut remedies, mut payments) = (BTreeMap::new(), BTreeMap::new());
        for action in &self.actions {
            if let Some(kind) = &action.kind {
                *remedies.entry(kind.clone()).or_default() += action.n;
            }
            if let (Some(kind), Some(pence)) = (&action.payment, action.pence) {
                *payments.entry(kind.clone()).or_default() += pence;
            }
        }
        (remedies, payments)
    }
}

/// A day kept in `report_days`: when it starts and ends (UK time), and its [`Tallies`].
#[derive(QueryableByName)]
struct KeptDay {
    #[diesel(sql_type = Timestamptz)]
    starts: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    ends: DateTime<Utc>,
    /// The tallies as JSON text, parsed straight into [`Tallies`].
    #[diesel(sql_type = Text)]
    figures: String,
}

/// The days wholly in the period kept in `report_days`, in this shape, with no change waiting
/// since they were kept, in order.
async fn kept_days(conn: &mut AsyncPgConnection, period: Period) -> QueryResult<Vec<KeptDay>> {
    diesel::sql_query(
        "SELECT report_day_starts(r.day) AS starts, report_day_starts(r.day + 1) AS ends, \
                r.figures::text AS figures \
         FROM report_days r \
         WHERE r.day >= report_day($1) AND r.day <= report_day($2) AND r.version = $3 \
           AND report_day_starts(r.day) >= $1 AND report_day_starts(r.day + 1) <= $2 \
           AND NOT EXISTS (SELECT FROM report_changes c WHERE c.day = r.day) \
         ORDER BY r.day",
    )
    .bind::<Timestamptz, _>(period.from)
    .bind::<Timestamptz, _>(period.to)
    .bind::<SmallInt, _>(TALLIES_VERSION)
    .load(conn)
    .await
}

/// The PostgreSQL channel of the report-days worker. Nothing notifies it: the worker keeps the
/// changed days every `reports.keep_every_ms` (a `NOTIFY` from every writer of a case would
/// queue their commits behind one lock).
pub const CHANNEL: &str = "report_days";

/// The advisory lock a round of [`keep_changed_days`] holds, so that the report-days workers
/// of several processes take turns rather than keep the same days at once.
const KEEPING_LOCK: i64 = 0x7265_706f_7274;

/// A day to keep: its date and when it starts and ends (UK time).
#[derive(QueryableByName)]
struct ChangedDay {
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = Timestamptz)]
    starts: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    ends: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

/// Keeps in `report_days` the tallies of up to `limit` days with changes waiting (or kept in
/// another shape), earliest first, in one snapshot: each day's tallies read from `cases`, then
/// the changes seen deleted. A change committed meanwhile is not in the snapshot, so it is not
/// deleted and its day is kept again next round. Returns how many days it kept: none while
/// another process's round holds the lock.
pub async fn keep_changed_days(
    conn: &mut AsyncPgConnection,
    limit: i64,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    conn.build_transaction()
        .repeatable_read()
        .run(async |conn| {
            let lock: Locked = diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS locked")
                .bind::<BigInt, _>(KEEPING_LOCK)
                .get_result(conn)
                .await?;
            if !lock.locked {
                return Ok(0);
            }
            jit_off(conn).await?;
            let days: Vec<ChangedDay> = diesel::sql_query(
                "SELECT d.day, report_day_starts(d.day) AS starts, \
                        report_day_starts(d.day + 1) AS ends \
                 FROM (SELECT day FROM report_changes \
                       UNION SELECT day FROM report_days WHERE version <> $1) d \
                 ORDER BY d.day LIMIT $2",
            )
            .bind::<SmallInt, _>(TALLIES_VERSION)
            .bind::<BigInt, _>(limit)
            .load(conn)
            .await?;
            for day in &days {
                let period = Period {
                    from: day.starts,
                    to: day.ends,
                };
                let tallies = Tallies::read(conn, period).await?;
                keep_day(conn, day.day, &tallies, now).await?;
            }
            let kept: Vec<NaiveDate> = days.iter().map(|d| d.day).collect();
            diesel::sql_query("DELETE FROM report_changes WHERE day = ANY($1)")
                .bind::<Array<Date>, _>(&kept)
                .execute(conn)
                .await?;
            Ok(days.len())
        })
        .await
}

/// Keeps changed days round after round, `limit` a round, until none is left (the
/// report-days worker's catch-up, as after the migration that began keeping days); `kept` is
/// told the days kept so far after each round. Returns how many it kept.
pub async fn keep_every_changed_day(
    conn: &mut AsyncPgConnection,
    limit: i64,
    now: DateTime<Utc>,
    mut kept: impl FnMut(usize),
) -> QueryResult<usize> {
    let mut total = 0;
    loop {
        let round = keep_changed_days(conn, limit, now).await?;
        if round == 0 {
            return Ok(total);
        }
        total += round;
        kept(total);
    }
}

/// What waits for the report-days worker: the days with a change noted since they were kept
/// (each one a report reads from `cases`), and the changes noted. Changes that only grow mean
/// no process runs the worker.
#[derive(Debug, QueryableByName)]
pub struct ChangesWaiting {
    /// Days with a change waiting.
    #[diesel(sql_type = BigInt)]
    pub days: i64,
    /// Changes waiting (a row for each statement that wrote a case or a response target).
    #[diesel(sql_type = BigInt)]
    pub changes: i64,
}

/// Counts the days and changes waiting for the report-days worker.
pub async fn changes_waiting(conn: &mut AsyncPgConnection) -> QueryResult<ChangesWaiting> {
    diesel::sql_query("SELECT count(DISTINCT day) AS days, count(*) AS changes FROM report_changes")
        .get_result(conn)
        .await
}

/// Writes one day's tallies to `report_days`.
async fn keep_day(
    conn: &mut AsyncPgConnection,
    day: NaiveDate,
    tallies: &Tallies,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let figures = serde_json::to_value(tallies)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::sql_query(
        "INSERT INTO report_days (day, version, figures, kept_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (day) DO UPDATE SET version = excluded.version, \
           figures = excluded.figures, kept_at = excluded.kept_at",
    )
    .bind::<Date, _>(day)
    .bind::<SmallInt, _>(TALLIES_VERSION)
    .bind::<Json, _>(figures)
    .bind::<Timestamptz, _>(now)
    .execute(conn)
    .await
    .map(drop)
}

/// The period's complaints and official correspondence that share the keys the figures break
/// down by, with how many of them there are and how many carry each flag the figures count.
/// Kept in `report_days` without its zeros and absent keys, which most groups have most of.
#[derive(QueryableByName, Serialize, Deserialize)]
struct CaseGroup {
    /// `complaint` or `correspondence`.
    #[diesel(sql_type = Text)]
    kind: String,
    /// Whether the report counts them as complaints ([`Figure::counted`]).
    #[diesel(sql_type = Bool)]
    counted: bool,
    /// The kind of official correspondence (`pos`, `mp_to_dg`, `treat_official`).
    #[diesel(sql_type = Nullable<Text>)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    correspondence: Option<String>,
    #[diesel(sql_type = SmallInt)]
    tier: i16,
    #[diesel(sql_type = Text)]
    channel: String,
    #[diesel(sql_type = Nullable<Text>)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outcome: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resolution_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ice_stage: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phso_stage: Option<String>,
    /// How many cases.
    #[diesel(sql_type = BigInt)]
    n: i64,
    /// Of those, closed.
    #[diesel(sql_type = BigInt)]
    #[serde(default, skip_serializing_if = "is_zero")]
    closed: i64,
    /// Closed and gone on: to a linked case at the next tier, or from Review to ICE.
    #[diesel(sql_type = BigInt)]
    #[serde(default, skip_serializing_if = "is_zero")]
    went_on: i64,
    #[diesel(sql_type = BigInt)]
    #[serde(default, skip_serializing_if = "is_zero")]
    parliamentary_contact: i64,
    #[diesel(sql_type = BigInt)]
    #[serde(default, skip_serializing_if = "is_zero")]
    ice_upheld: i64,
    #[diesel(sql_type = BigInt)]
    #[serde(default, skip_serializing_if = "is_zero")]
    ice_not_upheld: i64,
    #[diesel(sql_type = BigInt)]
    #[serde(default, skip_serializing_if = "is_zero")]
    phso_upheld: i64,
    #[diesel(sql_type = BigInt)]
    #[serde(default, skip_serializing_if = "is_zero")]
    phso_not_upheld: i64,
    /// About the department and a provider both.
    #[diesel(sql_type = BigInt)]
    #[serde(default, skip_serializing_if = "is_zero")]
    mixed: i64,
    /// Raised by a customer or representative, with parliamentary contact.
    #[diesel(sql_type = BigInt)]
    #[serde(default, skip_serializing_if = "is_zero")]
    mp_involved: i64,
    #[diesel(sql_type = BigInt)]
    #[serde(default, skip_serializing_if = "is_zero")]
    raised_by_ice: i64,
    #[diesel(sql_type = BigInt)]
    #[serde(default, skip_serializing_if = "is_zero")]
    raised_by_phso: i64,
    /// Their response target breached.
    #[diesel(sql_type = BigInt)]
    #[serde(default, skip_serializing_if = "is_zero")]
    breached: i64,
    /// Closed without the target breached.
    #[diesel(sql_type = BigInt)]
    #[serde(default, skip_serializing_if = "is_zero")]
    answered_in_time: i64,
}

/// Whether a count is zero: left out of a kept day's figures.
fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// The period's complaints and official correspondence in one pass over them: grouped by
/// what the figures break down by (tier, channel, outcome, resolution code, ICE and PHSO
/// stage, correspondence kind), each flag counted within the group. Whether a closed case at
/// tier 0 or 1 went on comes from `cases_linked_idx` ([`went_on`]).
async fn case_groups(conn: &mut AsyncPgConnection, period: Period) -> QueryResult<Vec<CaseGroup>> {
    let mut figure = Figure::default();
    let sql = format!(
        "SELECT c.kind, {counted} AS counted, c.correspondence, c.tier, c.channel, c.outcome, \
                c.resolution_code, c.ice_stage, c.phso_stage, count(*) AS n, \
                count(*) FILTER (WHERE c.closed_at IS NOT NULL) AS closed, \
                count(*) FILTER (WHERE c.closed_at IS NOT NULL AND CASE WHEN c.tier = {review} \
                    THEN c.ice_stage IS NOT NULL ELSE next.tier IS NOT NULL END) AS went_on, \
                count(*) FILTER (WHERE c.parliamentary_contact) AS parliamentary_contact, \
                count(*) FILTER (WHERE c.ice_upheld) AS ice_upheld, \
                count(*) FILTER (WHERE NOT c.ice_upheld) AS ice_not_upheld, \
                count(*) FILTER (WHERE c.phso_upheld) AS phso_upheld, \
                count(*) FILTER (WHERE NOT c.phso_upheld) AS phso_not_upheld, \
                count(*) FILTER (WHERE c.about = {mixed}) AS mixed, \
                count(*) FILTER (WHERE c.parliamentary_contact AND c.raised_by = {customers}) \
                    AS mp_involved, \
                count(*) FILTER (WHERE c.raised_by = {ice}) AS raised_by_ice, \
                count(*) FILTER (WHERE c.raised_by = {phso}) AS raised_by_phso, \
                count(*) FILTER (WHERE c.target_breached_at IS NOT NULL) AS breached, \
                count(*) FILTER (WHERE c.target_breached_at IS NULL AND c.closed_at IS NOT NULL) \
                    AS answered_in_time \
         FROM cases c \
         {next} \
         WHERE c.kind = {kinds} AND {RECEIVED_IN_PERIOD} \
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9",
        counted = figure.counted(),
        next = went_on(period),
        review = figure.tier(Tier::Review),
        mixed = figure.value(About::Mixed.as_str()),
        customers = figure.any(&[
            RaisedBy::Customer.as_str(),
            RaisedBy::Representative.as_str()
        ]),
        ice = figure.value(RaisedBy::Ice.as_str()),
        phso = figure.value(RaisedBy::Phso.as_str()),
        kinds = figure.any(&[
            CaseKind::Complaint.as_str(),
            CaseKind::Correspondence.as_str()
        ]),
    );
    figure.load(conn, &sql, period).await
}

/// The join that gives [`case_groups`] `next`, the tier of a case the case went on to (or
/// null). For a stretch of under a month (the days a report reads because they changed since
/// they were kept, a day the report-days worker keeps) one look-up per case; for a longer one
/// (a report before the worker has caught up) one join with every case linked to another,
/// which at a million cases costs about a month of look-ups (0.15 s) and a year's a third of
/// that (1.2 s against 3.2 s).
fn went_on(period: Period) -> &'static str {
    if period.to - period.from < chrono::Duration::days(30) {
        "LEFT JOIN LATERAL (SELECT h.tier FROM cases h \
                            WHERE h.linked_case_id = c.id AND h.tier = c.tier + 1 LIMIT 1) next \
           ON true"
    } else {
        "LEFT JOIN (SELECT DISTINCT h.linked_case_id, h.tier FROM cases h \
                    WHERE h.linked_case_id IS NOT NULL) next \
           ON next.linked_case_id = c.id AND next.tier = c.tier + 1"
    }
}

/// The figures [`case_groups`] gives, summed over its groups.
#[derive(Default)]
struct CaseFigures {
    by_tier: BTreeMap<String, i64>,
    by_channel: BTreeMap<String, i64>,
    outcomes: BTreeMap<String, i64>,
    resolution_codes: BTreeMap<String, i64>,
    /// Closed cases and those that went on, by tier number.
    closed_and_went_on: BTreeMap<i16, (i64, i64)>,
    resolved_at_first_point_of_contact: i64,
    parliamentary_contact: i64,
    ice_stages: BTreeMap<String, i64>,
    phso_stages: BTreeMap<String, i64>,
    /// ICE's final reports upheld and not upheld.
    ice_findings: (i64, i64),
    /// The PHSO's.
    phso_findings: (i64, i64),
    /// Official correspondence, mixed complaints, MP involvement, complaints raised by ICE or
    /// the PHSO.
    beyond: BeyondComplaints,
}

impl CaseFigures {
    /// Sums the groups: the counted complaints' figures, and the official correspondence's.
    /// A key is present only where a case has it, as in a `GROUP BY`.
    fn from_groups(groups: Vec<CaseGroup>) -> Self {
        let mut figures = CaseFigures::default();
        let add = |map: &mut BTreeMap<String, i64>, key: String, n: i64| {
            if n > 0 {
                *map.entry(key).or_default() += n;
            }
        };
        let first_point_of_contact = [
            ResolutionCode::ActionsCompleteClientOk.as_str(),
            ResolutionCode::AnsweredEnquiry.as_str(),
        ];
        for g in groups {
            if g.kind == CaseKind::Correspondence.as_str() {
                let beyond = &mut figures.beyond;
                if let Some(kind) = g.correspondence {
                    add(&mut beyond.correspondence_by_kind, kind, g.n);
                }
                beyond.correspondence_breached += g.breached;
                beyond.correspondence_answered_in_time += g.answered_in_time;
                continue;
            }
            if !g.counted {
                continue;
            }
            let tier = g.tier.to_string();
            add(&mut figures.by_tier, tier.clone(), g.n);
            add(&mut figures.by_channel, g.channel, g.n);
            if let Some(outcome) = g.outcome {
                add(&mut figures.outcomes, format!("tier {tier} {outcome}"), g.n);
            }
            if let Some(code) = &g.resolution_code {
                add(
                    &mut figures.resolution_codes,
                    format!("tier {tier} {code}"),
                    g.n,
                );
                if g.tier == Tier::Dissatisfaction.number()
                    && first_point_of_contact.contains(&code.as_str())
                {
                    figures.resolved_at_first_point_of_contact += g.n;
                }
            }
            if let Some(stage) = g.ice_stage {
                add(&mut figures.ice_stages, stage, g.n);
            }
            if let Some(stage) = g.phso_stage {
                add(&mut figures.phso_stages, stage, g.n);
            }
            let (closed, went_on) = figures.closed_and_went_on.entry(g.tier).or_default();
            *closed += g.closed;
            *went_on += g.went_on;
            figures.parliamentary_contact += g.parliamentary_contact;
            let (ice, phso) = (&mut figures.ice_findings, &mut figures.phso_findings);
            (ice.0, ice.1) = (ice.0 + g.ice_upheld, ice.1 + g.ice_not_upheld);
            (phso.0, phso.1) = (phso.0 + g.phso_upheld, phso.1 + g.phso_not_upheld);
            let beyond = &mut figures.beyond;
            beyond.mixed_complaints += g.mixed;
            beyond.mp_involvement += g.mp_involved;
            let raised = &mut beyond.raised_by_ombudsman;
            add(raised, RaisedBy::Ice.as_str().to_owned(), g.raised_by_ice);
            add(raised, RaisedBy::Phso.as_str().to_owned(), g.raised_by_phso);
        }
        figures
    }

    /// The closed cases at `tier` and how many went on (to the next tier; from Review, to ICE).
    fn escalation(&self, tier: Tier) -> Escalation {
        let (closed, went_on) = self
            .closed_and_went_on
            .get(&tier.number())
            .copied()
            .unwrap_or_default();
        Escalation::new(closed, went_on)
    }
}

/// The counted cases by category (a case with two categories counts in both).
async fn by_category(
    conn: &mut AsyncPgConnection,
    period: Period,
) -> QueryResult<BTreeMap<String, i64>> {
    let mut figure = Figure::default();
    let sql = format!(
        "SELECT unnest(c.categories) AS key, count(*) AS n FROM cases c WHERE {} GROUP BY 1",
        figure.counted_cases()
    );
    figure.counts(conn, &sql, period).await
}

/// The counted cases by their response targets (a case with two counts twice): `met` (its
/// clock cancelled by the reply), `breached`, or `pending`.
async fn response_targets(
    conn: &mut AsyncPgConnection,
    period: Period,
) -> QueryResult<BTreeMap<String, i64>> {
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
    figure.counts(conn, &sql, period).await
}

/// Actions of agreed resolution plans of one kind and with one kind of special payment.
#[derive(QueryableByName, Serialize, Deserialize)]
struct AgreedActions {
    #[diesel(sql_type = Nullable<Text>)]
    kind: Option<String>,
    /// The kind of its special payment, if it has one.
    #[diesel(sql_type = Nullable<Text>)]
    payment: Option<String>,
    /// How many such actions.
    #[diesel(sql_type = BigInt)]
    n: i64,
    /// Their payments' total, in pence.
    #[diesel(sql_type = Nullable<BigInt>)]
    pence: Option<i64>,
}

/// The actions of the counted cases' agreed resolution plans by kind and kind of payment, from
/// one pass over the agreed plans' actions.
async fn agreed_actions(
    conn: &mut AsyncPgConnection,
    period: Period,
) -> QueryResult<Vec<AgreedActions>> {
    let mut figure = Figure::default();
    let sql = format!(
        "SELECT a ->> 'kind' AS kind, CASE WHEN a ? 'payment' THEN a -> 'payment' ->> 'kind' END \
                AS payment, count(*) AS n, \
                sum((a -> 'payment' ->> 'amount_pence')::bigint) FILTER (WHERE a ? 'payment') \
                    ::bigint AS pence \
         FROM cases c, jsonb_array_elements(c.resolution_plan -> 'actions') a \
         WHERE {} AND (c.resolution_plan ->> 'agreed')::boolean GROUP BY 1, 2",
        figure.counted_cases()
    );
    figure.load(conn, &sql, period).await
}

/// The special payments recorded as made (`special_payment.made`) in the period, whenever
/// their cases were received: how many, and their total in pence.
async fn payments_made(conn: &mut AsyncPgConnection, period: Period) -> QueryResult<PaymentsMade> {
    let made = "FROM special_payments p WHERE p.paid_at >= $1 AND p.paid_at < $2";
    let sql = format!(
        "SELECT 'count' AS key, count(*) AS n {made} \
         UNION ALL SELECT 'pence' AS key, coalesce(sum(p.amount_pence), 0)::bigint AS n {made}"
    );
    let figures = Figure::default().counts(conn, &sql, period).await?;
    let get = |key: &str| figures.get(key).copied().unwrap_or(0);
    Ok(PaymentsMade {
        count: get("count"),
        total_pence: get("pence"),
    })
}

/// The figures of the intake routes beside the complaint tiers: those of the cases
/// (`from_cases`: official correspondence, mixed complaints, MP involvement, complaints ICE or
/// the PHSO raised) with those of other tables, feedback and provider complaints referred.
async fn beyond_complaints(
    conn: &mut AsyncPgConnection,
    period: Period,
    from_cases: BeyondComplaints,
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
    let mut figure = Figure::default();
    let sql = format!(
        "SELECT reason AS key, count(*) AS n FROM rejected_complaints \
         WHERE reason = {} AND rejected_at >= $1 AND rejected_at < $2 GROUP BY 1",
        figure.value(RejectionReason::ProviderComplaint.as_str())
    );
    let referred = figure.counts(conn, &sql, period).await?;
    Ok(BeyondComplaints {
        feedback_by_kind,
        feedback_by_team,
        provider_complaints_referred: referred
            .get(RejectionReason::ProviderComplaint.as_str())
            .copied()
            .unwrap_or(0),
        ..from_cases
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
