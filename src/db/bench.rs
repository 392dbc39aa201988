//! The statements only the benchmarks (and the scheduler tests, which reuse the timer seeding)
//! run: set-based seeding of synthetic rows, and the counts a benchmark polls to know when the
//! work it timed is done.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::schema::{cases, outbox, timers};
use super::timers::FIRED;
use crate::vocabulary::{ClockKind, DispatchChannel, LetterCode};

/// The clock of the timers [`seed_lag_timers`] sets, so their firing lag is measured apart from
/// the seeded ones.
const LAG_CLOCK: ClockKind = ClockKind::RemedialAction;

/// Cases committed so far.
pub async fn count_cases(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    cases::table.count().get_result(conn).await
}

/// Cases closed so far.
pub async fn count_closed_cases(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    cases::table
        .filter(cases::closed_at.is_not_null())
        .count()
        .get_result(conn)
        .await
}

/// Every case's reference.
pub async fn case_references(conn: &mut AsyncPgConnection) -> QueryResult<Vec<String>> {
    cases::table.select(cases::reference).load(conn).await
}

/// Outbox events of `event_type` (e.g. how many commands were refused).
pub async fn count_events(conn: &mut AsyncPgConnection, event_type: &str) -> QueryResult<i64> {
    outbox::table
        .filter(outbox::event_type.eq(event_type))
        .count()
        .get_result(conn)
        .await
}

/// Seeds `total` pending timers (`due` of them due at `now`, the rest weeks away) on synthetic
/// cases, a thousand timers a case, in a few set-based statements. Also used by the scheduler
/// tests.
pub async fn seed_timers(
    conn: &mut AsyncPgConnection,
    total: usize,
    due: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let cases = total.div_ceil(1000).max(1) as i64;
    diesel::sql_query(
        "INSERT INTO parties (id, reference, name, address_lines, postcode, region, \
         contact_restriction, vulnerable, created_at, updated_at) \
         VALUES (gen_random_uuid(), 'SYNTHETIC', 'Synthetic Customer', '{1 Test Street}', \
         'SW1A 1AA', 'england_and_wales', 'none', false, $1, $1) ON CONFLICT DO NOTHING",
    )
    .bind::<Timestamptz, _>(now)
    .execute(conn)
    .await?;
    diesel::sql_query(
        "INSERT INTO cases (id, reference, tier, stage, status, party_id, handling_team, \
         received_at, channel, raised_by, about, addressee, categories, summary, high_profile, \
         parliamentary_contact, pos, source_event_id, opened_at) \
         SELECT gen_random_uuid(), 'SYN-' || g, 1, 'Acknowledge Complaint', 'Pending Assignment', \
         (SELECT id FROM parties WHERE reference = 'SYNTHETIC'), 'complaint_resolution_team', $1, \
         'web_form', 'customer', 'service', 'business_in_general', '{synthetic}', 'synthetic', \
         false, false, false, gen_random_uuid(), $1 FROM generate_series(1, $2) g",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<BigInt, _>(cases)
    .execute(conn)
    .await?;
    diesel::sql_query(
        "WITH ids AS (SELECT array_agg(id) AS ids FROM cases WHERE reference LIKE 'SYN-%') \
         INSERT INTO timers (case_id, clock, key, due_at, deadline, set_at) \
         SELECT ids[1 + (g % array_length(ids, 1))], 'action_due', g::text, \
         CASE WHEN g <= $2 THEN $1 - interval '1 second' \
              ELSE $1 + interval '30 days' + g * interval '1 second' END, \
         CASE WHEN g <= $2 THEN $1 - interval '1 second' \
              ELSE $1 + interval '30 days' + g * interval '1 second' END, \
         $1 FROM ids, generate_series(1, $3) g",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<BigInt, _>(due as i64)
    .bind::<BigInt, _>(total as i64)
    .execute(conn)
    .await?;
    diesel::sql_query("ANALYZE timers").execute(conn).await?;
    Ok(())
}

/// Sets `count` timers on the first synthetic case of [`seed_timers`], falling due evenly over
/// the 5 seconds after `start`, and wakes the scheduler.
pub async fn seed_lag_timers(
    conn: &mut AsyncPgConnection,
    start: DateTime<Utc>,
    count: usize,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO timers (case_id, clock, key, due_at, deadline, set_at) \
         SELECT (SELECT id FROM cases WHERE reference = 'SYN-1'), $3, 'lag-' || g, \
         $1 + (g * interval '5 seconds') / $2, $1 + (g * interval '5 seconds') / $2, $1 \
         FROM generate_series(1, $2) g",
    )
    .bind::<Timestamptz, _>(start)
    .bind::<BigInt, _>(count as i64)
    .bind::<diesel::sql_types::Text, _>(LAG_CLOCK.as_str())
    .execute(conn)
    .await?;
    diesel::sql_query(format!("NOTIFY {}", super::timers::CHANNEL))
        .execute(conn)
        .await?;
    Ok(())
}

/// How many of the [`seed_lag_timers`] timers have fired.
pub async fn count_lag_timers_fired(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    timers::table
        .filter(timers::clock.eq(LAG_CLOCK.as_str()))
        .filter(timers::state.eq(FIRED))
        .count()
        .get_result(conn)
        .await
}

/// Seconds from due to fired over the [`seed_lag_timers`] timers.
#[derive(Debug, QueryableByName)]
pub struct Lag {
    /// The median lag.
    #[diesel(sql_type = diesel::sql_types::Double)]
    pub p50: f64,
    /// The 99th percentile.
    #[diesel(sql_type = diesel::sql_types::Double)]
    pub p99: f64,
    /// The longest lag of any timer.
    #[diesel(sql_type = diesel::sql_types::Double)]
    pub max: f64,
}

/// The firing lag of the [`seed_lag_timers`] timers that have fired.
pub async fn lag_timers_lag(conn: &mut AsyncPgConnection) -> QueryResult<Lag> {
    diesel::sql_query(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS p50, \
                percentile_cont(0.99) WITHIN GROUP (ORDER BY s) AS p99, max(s) AS max \
         FROM (SELECT extract(epoch FROM fired_at - due_at)::float8 AS s FROM timers \
               WHERE clock = $1 AND state = $2) lags",
    )
    .bind::<diesel::sql_types::Text, _>(LAG_CLOCK.as_str())
    .bind::<diesel::sql_types::Text, _>(FIRED)
    .get_result(conn)
    .await
}

/// How many events of `event_type` the worker `consumer` has applied (its inbox rows for
/// events the system itself emitted, through the outbox).
pub async fn count_applied(
    conn: &mut AsyncPgConnection,
    consumer: &str,
    event_type: &str,
) -> QueryResult<i64> {
    use super::schema::inbox;
    inbox::table
        .inner_join(outbox::table.on(outbox::event_id.eq(inbox::event_id)))
        .filter(inbox::consumer.eq(consumer))
        .filter(outbox::event_type.eq(event_type))
        .count()
        .get_result(conn)
        .await
}

/// Which of the `complaint.received` events `event_ids` have opened a case so far.
pub async fn opened_by(
    conn: &mut AsyncPgConnection,
    event_ids: &[uuid::Uuid],
) -> QueryResult<Vec<uuid::Uuid>> {
    cases::table
        .filter(cases::source_event_id.eq_any(event_ids))
        .select(cases::source_event_id)
        .load(conn)
        .await
}

/// Pending timers of `clock`.
pub async fn count_pending_timers(
    conn: &mut AsyncPgConnection,
    clock: ClockKind,
) -> QueryResult<i64> {
    timers::table
        .filter(timers::clock.eq(clock.as_str()))
        .filter(timers::state.eq(super::timers::PENDING))
        .count()
        .get_result(conn)
        .await
}

/// Letters of `code` rendered so far on cases that ran a `clock` (so not those written at
/// once, with no clock), and how many of them have been emailed.
pub async fn count_letters_of_clock(
    conn: &mut AsyncPgConnection,
    code: LetterCode,
    clock: ClockKind,
) -> QueryResult<(i64, i64)> {
    use super::schema::letters;
    let of_clock = || {
        letters::table
            .filter(letters::code.eq(code.as_str()))
            .filter(
                letters::case_id.eq_any(
                    timers::table
                        .filter(timers::clock.eq(clock.as_str()))
                        .select(timers::case_id),
                ),
            )
    };
    let rendered = of_clock().count().get_result(conn).await?;
    let emailed = of_clock()
        .filter(letters::status.eq(super::letters::SENT))
        .filter(letters::channel.eq(DispatchChannel::Email.as_str()))
        .count()
        .get_result(conn)
        .await?;
    Ok((rendered, emailed))
}
