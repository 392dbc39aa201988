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

/// Gathers the planner's statistics on every table, as autovacuum does within a minute of a
/// table's growth; the statements the workers keep prepared are planned again with them. A
/// benchmark that starts from empty tables runs it after its warm-up, so that it times the
/// plans of a running system, not those of an empty one.
pub async fn analyze(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    diesel::sql_query("ANALYZE").execute(conn).await.map(drop)
}

/// Notes a change on each of the `days` UK days before the one `before` falls on, as a case
/// written on each would (`report_changes`): the report reads those days from `cases` again
/// until the report-days worker keeps them.
pub async fn change_days_before(
    conn: &mut AsyncPgConnection,
    before: DateTime<Utc>,
    days: i32,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO report_changes (day) \
         SELECT report_day($1) - g FROM generate_series(1, $2) g",
    )
    .bind::<Timestamptz, _>(before)
    .bind::<diesel::sql_types::Integer, _>(days)
    .execute(conn)
    .await
    .map(drop)
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
         parliamentary_contact, pos, cause, opened_at) \
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

/// How many events of `event_type` the worker `worker` has applied (its inbox rows for
/// events the system itself emitted, through the outbox).
pub async fn count_applied(
    conn: &mut AsyncPgConnection,
    worker: &str,
    event_type: &str,
) -> QueryResult<i64> {
    use super::schema::inbox;
    inbox::table
        .inner_join(outbox::table.on(outbox::event_id.eq(inbox::event_id)))
        .filter(inbox::worker.eq(worker))
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
        .filter(cases::cause.eq_any(event_ids))
        .select(cases::cause)
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
/// once, with no clock), and how many of them have been emailed: one pass, for a benchmark
/// that asks while the workers write.
pub async fn count_letters_of_clock(
    conn: &mut AsyncPgConnection,
    code: LetterCode,
    clock: ClockKind,
) -> QueryResult<(i64, i64)> {
    use super::schema::letters;
    let emailed = format!(
        "count(*) FILTER (WHERE status = '{}' AND channel = '{}')",
        super::letters::SENT,
        DispatchChannel::Email.as_str()
    );
    let of_clock = timers::table
        .filter(timers::clock.eq(clock.as_str()))
        .select(timers::case_id);
    letters::table
        .filter(letters::code.eq(code.as_str()))
        .filter(letters::case_id.eq_any(of_clock))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::sql::<BigInt>(&emailed),
        ))
        .get_result(conn)
        .await
}

/// The volume `complaints bench data` and the large-data test seed: `cases` cases received
/// evenly over `days` days from `from`, each with `timeline_per_case` timeline entries, their
/// response-target and acknowledgement timers, a task (cases at tier 1 and 2 that are closed or
/// in progress) and a letter (complaints).
#[derive(Debug, Clone, Copy)]
pub struct Volume {
    /// Cases to open.
    pub cases: i64,
    /// Timeline entries per case.
    pub timeline_per_case: i64,
    /// When the first case was received.
    pub from: DateTime<Utc>,
    /// Over how many days the cases were received; the data set stands as on the last.
    pub days: i64,
}

/// Cases seeded in one statement (and one progress line).
const SEED_CHUNK: i64 = 100_000;

/// Synthetic cases `$4..=$5` of [`Volume`] (`$1` from, `$2` cases, `$3` days): a tenth each of
/// the tier 0, 1 and 2 mix in turn (six, three and one), every tier 1 case linked to a tier 0 one
/// and every tier 2 case to a tier 1 one of the same customer; a dispute and a correspondence
/// case in each hundred; categories from twenty, a few dominant; nearly every case received
/// more than 65 days before the end closed, a third of the later ones; open cases past their
/// response target breached.
const SEED_CASES: &str = "
INSERT INTO cases (id, reference, tier, stage, status, sub_status, resolution_code, party_id,
  linked_case_id, handling_team, received_at, channel, raised_by, about, addressee, categories,
  summary, high_profile, parliamentary_contact, pos, cause, opened_at, closed_at,
  target_breached_at, outcome, allocated_to, resolution_plan, ice_stage, phso_stage, ice_upheld,
  kind, correspondence, staff_reference)
SELECT ('c' || lpad(to_hex(g), 31, '0'))::uuid,
  CASE kind WHEN 'dispute' THEN 'DSP' WHEN 'correspondence' THEN 'COR'
       ELSE (ARRAY['DIS', 'RES', 'REV'])[tier + 1] END || '-2026-' || lpad(g::text, 8, '0'),
  tier,
  CASE WHEN kind = 'dispute' THEN 'Dispute Received' WHEN closed THEN 'Resolution Action'
       WHEN open_state = 'Pending Assignment' AND tier = 0 THEN 'Acknowledge Issue'
       WHEN open_state = 'Pending Assignment' THEN 'Acknowledge Complaint'
       ELSE 'Investigation' END,
  CASE WHEN closed THEN 'Closed' ELSE open_state END,
  CASE WHEN closed THEN 'Complete' WHEN open_state = 'Pending Approval' THEN 'Pending Approval – TL'
       WHEN open_state = 'In Progress' THEN 'In Progress' END,
  CASE WHEN NOT closed THEN NULL
       WHEN tier = 0 THEN (ARRAY['Actions Complete – Client OK', 'Actions Complete – Client OK',
         'Actions Complete – Client OK', 'Answered Enquiry', 'Unresolved'])[1 + (g / 10) % 5]
       ELSE (ARRAY['Actions Complete – Client OK', 'No Action Taken',
         'Actions Complete – Client Not OK', 'Rejected'])[1 + (g / 10) % 4] END,
  ('a' || lpad(to_hex((g / 10) * 6 + CASE WHEN g % 10 < 6 THEN g % 10 WHEN g % 10 < 9
       THEN g % 10 - 6 ELSE 2 END), 31, '0'))::uuid,
  CASE WHEN kind <> 'complaint' THEN NULL
       WHEN g % 10 BETWEEN 6 AND 8 AND g > 6 THEN ('c' || lpad(to_hex(g - 6), 31, '0'))::uuid
       WHEN g % 10 = 9 THEN ('c' || lpad(to_hex(g - 1), 31, '0'))::uuid END,
  CASE WHEN kind = 'dispute' THEN 'dispute_resolution'
       ELSE (ARRAY['operational_caseworkers', 'complaint_resolution_team',
         'complaint_review_team'])[tier + 1] END,
  received,
  (ARRAY['web_form', 'web_form', 'email', 'phone', 'letter', 'in_person'])[1 + g % 6],
  CASE WHEN g % 97 = 0 THEN 'mp' WHEN g % 41 = 0 THEN 'representative' WHEN g % 401 = 0 THEN 'ice'
       WHEN g % 503 = 0 THEN 'phso' ELSE 'customer' END,
  CASE WHEN g % 37 = 0 THEN 'staff' WHEN g % 43 = 0 THEN 'mixed' ELSE 'service' END,
  'organisation',
  CASE WHEN g % 5 = 0 THEN ARRAY[categories[1 + floor(20 * r1 ^ 3)::int],
                                 categories[1 + floor(20 * r2)::int]]
       ELSE ARRAY[categories[1 + floor(20 * r1 ^ 3)::int]] END,
  'The customer says a payment arrived weeks late, that nobody answered their calls, and that '
    || 'they had to borrow money to pay the rent in the meantime.',
  g % 499 = 0, g % 97 = 0 OR g % 89 = 0, g % 101 = 0,
  ('e' || lpad(to_hex(g), 31, '0'))::uuid,
  received,
  CASE WHEN closed THEN received + (2 + r2 * 30) * interval '1 day' END,
  CASE WHEN kind <> 'dispute' AND (r3 < 0.03 OR (NOT closed AND received + target < ends))
       THEN received + target END,
  CASE WHEN closed AND tier > 0 AND kind = 'complaint'
       THEN (ARRAY['upheld', 'part_upheld', 'not_upheld'])[1 + g % 3] END,
  CASE WHEN closed OR open_state <> 'Pending Assignment' THEN 'staff-' || g % 500 END,
  CASE WHEN closed AND tier = 0 AND kind = 'complaint' AND (g / 10) % 5 < 3 THEN
    '{\"agreed\": true, \"approval\": \"team_leader\", \"completed\": [\"A1\", \"A2\"], \"actions\": [
      {\"id\": \"A1\", \"kind\": \"apology\", \"description\": \"Apologise\", \"due_on\": \"2026-01-10\"},
      {\"id\": \"A2\", \"kind\": \"financial_redress\", \"description\": \"Pay\", \"due_on\": \"2026-01-10\",
       \"payment\": {\"kind\": \"consolatory\", \"amount_pence\": 5000}}]}'::jsonb END,
  CASE WHEN closed AND tier = 2 AND g % 7 = 0 THEN 'final_report' END,
  CASE WHEN closed AND tier = 2 AND g % 23 = 0 THEN 'investigation_report' END,
  CASE WHEN closed AND tier = 2 AND g % 7 = 0 THEN g % 3 = 0 END,
  kind,
  CASE WHEN kind = 'correspondence' THEN 'pos' END,
  CASE WHEN g % 37 = 0 THEN 'LM-' || g % 300 END
FROM (
  SELECT g,
    CASE WHEN g % 10 < 6 THEN 0 WHEN g % 10 < 9 THEN 1 ELSE 2 END::smallint AS tier,
    CASE WHEN g % 100 = 3 THEN 'dispute' WHEN g % 100 = 47 THEN 'correspondence'
         ELSE 'complaint' END AS kind,
    $1 + (g - 1)::float8 * ($3::float8 * interval '1 day' / $2::float8) AS received,
    CASE WHEN g % 10 < 6 THEN interval '10 days' ELSE interval '20 days' END AS target,
    $1 + $3 * interval '1 day' AS ends,
    random() < CASE WHEN g::float8 < $2::float8 * ($3 - 65) / $3 THEN 0.95 ELSE 0.35 END AS closed,
    (ARRAY['Pending Assignment', 'Pending Assignment', 'Pending Assignment', 'Pending Approval',
      'Pending Approval', 'In Progress', 'In Progress', 'In Progress', 'In Progress',
      'In Progress'])[1 + (g / 10) % 10] AS open_state,
    random() AS r1, random() AS r2, random() AS r3,
    ARRAY['payments', 'delay', 'communication', 'calculation', 'wrong_information', 'lost_post',
      'staff_conduct', 'enforcement', 'accessibility', 'data_protection', 'provider', 'other',
      'benefit_overpayment', 'appointments', 'phone_waiting_times', 'website',
      'fraud_investigation', 'medical_assessment', 'home_visits', 'interpreters'] AS categories
  FROM generate_series($4::bigint, $5::bigint) g
) s";

/// The customers of cases up to `$2` (a tier 0 case's own, shared by the cases linked to it).
const SEED_PARTIES: &str = "
INSERT INTO parties (id, reference, name, address_lines, postcode, email, region,
  contact_restriction, vulnerable, created_at, updated_at)
SELECT ('a' || lpad(to_hex(p), 31, '0'))::uuid, 'BENCH-' || lpad(p::text, 9, '0'), 'Customer ' || p,
  ARRAY['1 Test Street', 'Leeds'], 'LS1 1AA', 'customer' || p || '@example.org',
  CASE WHEN p % 10 = 0 THEN 'scotland' WHEN p % 33 = 0 THEN 'northern_ireland'
       ELSE 'england_and_wales' END,
  CASE WHEN p % 31 = 0 THEN 'written_only' ELSE 'none' END, p % 19 = 0, $1, $1
FROM generate_series(0, ($2 / 10 + 1) * 6) p";

/// The timers, tasks and letters of the synthetic cases `$1..=$2`: every case but a dispute has
/// a response target (fired when breached, met when closed, else pending) and every case at
/// tier 1 or 2 a met acknowledgement clock; tier 1 and 2 cases closed or in progress have a
/// task; complaints have a letter.
const SEED_CASE_ROWS: [&str; 3] = [
    "INSERT INTO timers (case_id, clock, key, due_at, deadline, state, set_at, fired_at,
       cancelled_at, cancelled_because)
     SELECT c.id, 'response_target', '', d, d,
       CASE WHEN c.target_breached_at IS NOT NULL THEN 'fired'
            WHEN c.closed_at IS NOT NULL THEN 'cancelled' ELSE 'pending' END,
       c.received_at, CASE WHEN c.target_breached_at IS NOT NULL THEN d END,
       CASE WHEN c.target_breached_at IS NULL AND c.closed_at IS NOT NULL THEN c.closed_at END,
       CASE WHEN c.target_breached_at IS NULL AND c.closed_at IS NOT NULL THEN 'case closed' END
     FROM cases c, LATERAL (SELECT c.received_at + CASE WHEN c.tier = 0 THEN interval '10 days'
                                   ELSE interval '20 days' END AS d) target
     WHERE c.id BETWEEN $1 AND $2 AND c.kind <> 'dispute'
     UNION ALL
     SELECT c.id, 'acknowledgement', '', c.received_at + interval '41 hours',
       c.received_at + interval '2 days', 'cancelled', c.received_at, NULL,
       c.received_at + interval '1 day', 'letter sent'
     FROM cases c WHERE c.id BETWEEN $1 AND $2 AND c.tier > 0",
    "INSERT INTO tasks (id, case_id, team, assignee, key, task, state, created_at, due_at,
       opened_by_event, closed_at, closed_by_event)
     SELECT ('d' || substr(replace(c.id::text, '-', ''), 2))::uuid, c.id, c.handling_team,
       'caseworker', '', 'Investigate and draft the response',
       CASE WHEN c.closed_at IS NULL THEN 'open' ELSE 'done' END,
       c.received_at + interval '1 day', c.received_at + interval '10 days',
       ('7' || substr(replace(c.id::text, '-', ''), 2))::uuid, c.closed_at,
       CASE WHEN c.closed_at IS NOT NULL THEN ('8' || substr(replace(c.id::text, '-', ''), 2))::uuid END
     FROM cases c
     WHERE c.id BETWEEN $1 AND $2 AND c.tier > 0 AND (c.closed_at IS NOT NULL OR c.status = 'In Progress')",
    "INSERT INTO letters (id, case_id, code, cause, template_version, subject,
       body_text, body_html, body_print, channel, recipient, status, created_at, sent_at)
     SELECT ('b' || substr(replace(c.id::text, '-', ''), 2))::uuid, c.id,
       CASE WHEN c.tier = 0 THEN 'CMSL5700' ELSE 'CMSL5842' END,
       ('9' || substr(replace(c.id::text, '-', ''), 2))::uuid, 'v1', 'Your complaint ' || c.reference,
       repeat('We have received your complaint and a caseworker is looking into it. ', 6),
       '<p>' || repeat('We have received your complaint and a caseworker is looking into it. ', 6) || '</p>',
       repeat('We have received your complaint and a caseworker is looking into it. ', 6),
       CASE WHEN p.contact_restriction = 'written_only' THEN 'post' ELSE 'email' END, p.email,
       CASE WHEN p.contact_restriction = 'written_only' THEN 'ready_for_post' ELSE 'sent' END,
       c.received_at + interval '1 hour', c.received_at + interval '1 hour'
     FROM cases c JOIN parties p ON p.id = c.party_id
     WHERE c.id BETWEEN $1 AND $2 AND c.kind = 'complaint'",
];

/// Timeline entry `$6` of the synthetic cases `$4..=$5` ([`SEED_CASES`]' `$1` to `$3`): appended
/// one entry a case at a time over all the cases, so that a case's entries lie apart in the
/// table, as entries written weeks apart do.
const SEED_TIMELINE: &str = "
INSERT INTO case_timeline (case_id, at, actor, entry, detail, cause)
SELECT ('c' || lpad(to_hex(g), 31, '0'))::uuid,
  $1 + (g - 1)::float8 * ($3::float8 * interval '1 day' / $2::float8) + $6 * interval '9 hours',
  (ARRAY['intake', 'casework', 'deadlines', 'letters', 'staff-17', 'acknowledgement'])[1 + $6 % 6],
  (ARRAY['Case opened at tier 1 from a web_form complaint', 'Caseworker allocated',
    'Acknowledgement letter CMSL5842 requested', 'Letter emailed', 'Resolution plan drafted',
    'Plan approved by the team leader', 'Action A1 completed', 'Customer called back',
    'Outcome decided: part upheld', 'Case closed'])[1 + ($6 - 1) % 10],
  CASE WHEN $6 = 3 THEN '{\"letter_requested\": \"CMSL5842\"}'::jsonb
       WHEN $6 = 2 THEN '{\"authclient\": \"crm\"}'::jsonb ELSE '{}'::jsonb END,
  (lpad(to_hex($6), 8, '0') || lpad(to_hex(g), 24, '0'))::uuid
FROM generate_series($4::bigint, $5::bigint) g";

/// Seeds `volume` in set-based statements of [`SEED_CHUNK`] cases, calling `progress` with
/// what was seeded, how many rows of it so far and of how many, then vacuums and analyses the
/// tables (as autovacuum would have): the large-data benchmark and test read from the result.
/// Every index and trigger stays in place; the timeline's append-only triggers refuse only
/// updates and deletes.
pub async fn seed_volume(
    conn: &mut AsyncPgConnection,
    volume: Volume,
    mut progress: impl FnMut(&str, i64, i64),
) -> anyhow::Result<()> {
    use diesel::sql_types::{Integer, Uuid as SqlUuid};
    let Volume {
        cases: n,
        timeline_per_case,
        from,
        days,
    } = volume;
    anyhow::ensure!(
        n >= 1 && days >= 66,
        "seed at least one case over at least 66 days"
    );
    let days = i32::try_from(days)?;
    diesel::sql_query(SEED_PARTIES)
        .bind::<Timestamptz, _>(from)
        .bind::<BigInt, _>(n)
        .execute(conn)
        .await?;
    let case_id = |g: i64| -> anyhow::Result<uuid::Uuid> {
        Ok(uuid::Uuid::parse_str(&format!("c{g:031x}"))?)
    };
    let chunk_count = (n as u64).div_ceil(SEED_CHUNK as u64) as i64;
    let chunks: Vec<(i64, i64)> = (0..chunk_count)
        .map(|i| (i * SEED_CHUNK + 1, ((i + 1) * SEED_CHUNK).min(n)))
        .collect();
    for &(lo, hi) in &chunks {
        diesel::sql_query(SEED_CASES)
            .bind::<Timestamptz, _>(from)
            .bind::<BigInt, _>(n)
            .bind::<Integer, _>(days)
            .bind::<BigInt, _>(lo)
            .bind::<BigInt, _>(hi)
            .execute(conn)
            .await?;
        for statement in SEED_CASE_ROWS {
            diesel::sql_query(statement)
                .bind::<SqlUuid, _>(case_id(lo)?)
                .bind::<SqlUuid, _>(case_id(hi)?)
                .execute(conn)
                .await?;
        }
        progress("cases (with their timers, tasks and letters)", hi, n);
    }
    let entries = n * timeline_per_case;
    for entry in 1..=timeline_per_case {
        for &(lo, hi) in &chunks {
            diesel::sql_query(SEED_TIMELINE)
                .bind::<Timestamptz, _>(from)
                .bind::<BigInt, _>(n)
                .bind::<Integer, _>(days)
                .bind::<BigInt, _>(lo)
                .bind::<BigInt, _>(hi)
                .bind::<BigInt, _>(entry)
                .execute(conn)
                .await?;
            progress("timeline entries", (entry - 1) * n + hi, entries);
        }
    }
    diesel::sql_query("VACUUM (ANALYZE) parties, cases, case_timeline, timers, tasks, letters")
        .execute(conn)
        .await?;
    progress("vacuumed and analysed", 1, 1);
    Ok(())
}

/// `count` references of the synthetic cases of [`seed_volume`], spread evenly over them.
pub async fn sample_references(
    conn: &mut AsyncPgConnection,
    cases: i64,
    count: i64,
) -> QueryResult<Vec<String>> {
    cases::table
        .filter(
            cases::id.eq_any(
                (0..count)
                    .map(|i| {
                        let g = 1 + i * cases / count.max(1) + 7;
                        uuid::Uuid::parse_str(&format!("c{:031x}", g.min(cases)))
                            .expect("a synthetic case id is a UUID")
                    })
                    .collect::<Vec<_>>(),
            ),
        )
        .select(cases::reference)
        .load(conn)
        .await
}

/// A connection whose statements' plans are recorded: PostgreSQL's `auto_explain` module logs
/// each statement's plan (as JSON, with actual times and buffers when `analyze`) as a notice to
/// this session, and the notices are collected here. Loading the module takes a superuser.
pub struct Explaining {
    /// The connection: run the code whose plans are wanted on it.
    pub conn: AsyncPgConnection,
    notices: tokio::sync::mpsc::UnboundedReceiver<String>,
}

/// A statement's plan as [`Explaining`] recorded it.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The statement, as sent.
    pub query: String,
    /// How long it ran, in milliseconds.
    pub duration_ms: f64,
    /// The plan's root node (`EXPLAIN (FORMAT JSON)`'s `Plan`).
    pub root: serde_json::Value,
}

impl Plan {
    /// Every node of the plan, depth first.
    pub fn nodes(&self) -> Vec<&serde_json::Value> {
        fn walk<'a>(node: &'a serde_json::Value, out: &mut Vec<&'a serde_json::Value>) {
            out.push(node);
            for child in node["Plans"].as_array().into_iter().flatten() {
                walk(child, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }

    /// The tables read whole (`Seq Scan` nodes), by name.
    pub fn seq_scans(&self) -> Vec<String> {
        self.nodes()
            .into_iter()
            .filter(|n| n["Node Type"] == "Seq Scan")
            .filter_map(|n| n["Relation Name"].as_str().map(str::to_owned))
            .collect()
    }

    /// The indexes read, by name.
    pub fn indexes(&self) -> Vec<String> {
        self.nodes()
            .into_iter()
            .filter_map(|n| n["Index Name"].as_str().map(str::to_owned))
            .collect()
    }
}

impl Explaining {
    /// Connects to `url` and loads `auto_explain` for every statement of this session.
    pub async fn connect(url: &str, analyze: bool) -> anyhow::Result<Self> {
        use futures_util::StreamExt;
        let (client, mut connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
        let (sender, notices) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
            while let Some(Ok(message)) = messages.next().await {
                if let tokio_postgres::AsyncMessage::Notice(notice) = message {
                    // The receiver may be gone; the session then ends with the connection.
                    let _ = sender.send(notice.message().to_owned());
                }
            }
        });
        let mut conn = AsyncPgConnection::try_from(client).await?;
        let analyze = if analyze { "on" } else { "off" };
        for setting in [
            "LOAD 'auto_explain'".to_owned(),
            "SET auto_explain.log_min_duration = 0".to_owned(),
            "SET auto_explain.log_format = json".to_owned(),
            "SET auto_explain.log_level = notice".to_owned(),
            format!("SET auto_explain.log_analyze = {analyze}"),
            format!("SET auto_explain.log_buffers = {analyze}"),
            "SET auto_explain.log_timing = off".to_owned(),
        ] {
            diesel::sql_query(setting).execute(&mut conn).await?;
        }
        Ok(Self { conn, notices })
    }

    /// The plans of the statements run since the last call, in order.
    pub fn plans(&mut self) -> Vec<Plan> {
        let mut plans = Vec::new();
        while let Ok(notice) = self.notices.try_recv() {
            let Some((head, document)) = notice.split_once('{') else {
                continue;
            };
            let Ok(document) = serde_json::from_str::<serde_json::Value>(&format!("{{{document}"))
            else {
                continue;
            };
            let duration_ms = head
                .trim_start_matches("duration:")
                .split_whitespace()
                .next()
                .and_then(|ms| ms.parse().ok())
                .unwrap_or(0.0);
            plans.push(Plan {
                query: document["Query Text"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                duration_ms,
                root: document["Plan"].clone(),
            });
        }
        plans
    }
}

/// The rows [`seed_volume`] wrote beside the cases and the timeline.
#[derive(Debug, QueryableByName)]
pub struct SeededRows {
    /// Timers of every state.
    #[diesel(sql_type = BigInt)]
    pub timers: i64,
    /// Tasks, open and done.
    #[diesel(sql_type = BigInt)]
    pub tasks: i64,
    /// Letters kept with the cases, whatever their channel or state.
    #[diesel(sql_type = BigInt)]
    pub letters: i64,
}

/// Counts the timers, tasks and letters.
pub async fn seeded_rows(conn: &mut AsyncPgConnection) -> QueryResult<SeededRows> {
    diesel::sql_query(
        "SELECT (SELECT count(*) FROM timers) AS timers, (SELECT count(*) FROM tasks) AS tasks, \
         (SELECT count(*) FROM letters) AS letters",
    )
    .get_result(conn)
    .await
}
