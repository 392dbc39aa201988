//! Timers: the durable clocks. Set and cancelled inside the transactions of the workers that
//! own them; claimed by schedulers with `FOR UPDATE SKIP LOCKED`, so any number of schedulers
//! share the due ones without firing one twice. Every query a scheduler makes reads the partial
//! index on pending `due_at`: none scans the table.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::schema::{cases, timers};
use crate::process::clocks::ClockSetting;
use crate::vocabulary::ClockKind;

/// The channel schedulers LISTEN on: a timer was set that may be due before they wake.
pub const CHANNEL: &str = "timers";

/// A timer's `state` while its clock runs.
pub(crate) const PENDING: &str = "pending";
/// A timer's `state` once its clock ran out and the scheduler fired it.
pub(crate) const FIRED: &str = "fired";
/// A timer's `state` once the event that meets its clock stopped it.
pub(crate) const CANCELLED: &str = "cancelled";

#[derive(Insertable)]
#[diesel(table_name = timers)]
struct NewTimer {
    case_id: Uuid,
    clock: String,
    key: String,
    due_at: DateTime<Utc>,
    deadline: DateTime<Utc>,
    detail: Value,
    set_at: DateTime<Utc>,
}

/// Sets clocks, each on its case, in one statement; a clock of the same kind and key already
/// running on the case (or set earlier in the same list) is left as it is. Returns the clocks
/// set, as (case, clock, key). The scheduler learns of them from [`notify`], sent once per
/// transaction by whoever set clocks in it.
pub async fn set(
    conn: &mut AsyncPgConnection,
    settings: &[(Uuid, &ClockSetting)],
    now: DateTime<Utc>,
) -> QueryResult<Vec<(Uuid, String, String)>> {
    if settings.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<NewTimer> = settings
        .iter()
        .map(|(case_id, s)| NewTimer {
            case_id: *case_id,
            clock: s.clock.as_str().into(),
            key: s.key.clone(),
            due_at: s.due_at,
            deadline: s.deadline,
            detail: s.detail.clone(),
            set_at: now,
        })
        .collect();
    diesel::insert_into(timers::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .returning((timers::case_id, timers::clock, timers::key))
        .get_results(conn)
        .await
}

/// Tells the schedulers, at commit, that clocks were set (one may be due before the one they
/// sleep until).
pub async fn notify(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    diesel::sql_query(format!("NOTIFY {CHANNEL}"))
        .execute(conn)
        .await?;
    Ok(())
}

/// A clock stopped before it ran out.
#[derive(Debug, Clone, Queryable)]
pub struct Cancelled {
    /// The clock's kind (`response_target`, `holding_reply`, …).
    pub clock: String,
    /// Which one of its kind.
    pub key: String,
}

/// Stops the pending clocks of `kinds` on a case (only those with `key`, when given), saying
/// why. Returns what was stopped.
pub async fn cancel(
    conn: &mut AsyncPgConnection,
    case_id: Uuid,
    kinds: &[ClockKind],
    key: Option<&str>,
    because: &str,
    now: DateTime<Utc>,
) -> QueryResult<Vec<Cancelled>> {
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    let mut query = diesel::update(timers::table)
        .filter(timers::case_id.eq(case_id))
        .filter(timers::state.eq(PENDING))
        .filter(timers::clock.eq_any(kinds))
        .into_boxed();
    if let Some(key) = key {
        query = query.filter(timers::key.eq(key.to_owned()));
    }
    query
        .set((
            timers::state.eq(CANCELLED),
            timers::cancelled_at.eq(now),
            timers::cancelled_because.eq(because),
        ))
        .returning((timers::clock, timers::key))
        .get_results(conn)
        .await
}

/// Whether the clock `kind` (with `key`) of the case has fired: what a worker checks before
/// acting on a `timer.fired` event, so that one not sent by a scheduler changes nothing.
pub async fn has_fired(
    conn: &mut AsyncPgConnection,
    case_id: Uuid,
    kind: ClockKind,
    key: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        timers::table
            .filter(timers::case_id.eq(case_id))
            .filter(timers::clock.eq(kind.as_str()))
            .filter(timers::key.eq(key))
            .filter(timers::state.eq(FIRED)),
    ))
    .get_result(conn)
    .await
}

/// A due timer a scheduler holds.
#[derive(Debug, Clone, Queryable)]
pub struct Due {
    /// The timer's row id.
    pub id: i64,
    /// The row id of its case.
    pub case_id: Uuid,
    /// The clock's kind (`response_target`, `holding_reply`, …).
    pub clock: String,
    /// Which one of its kind.
    pub key: String,
    /// When it was due to fire.
    pub due_at: DateTime<Utc>,
    /// When the clock runs out.
    pub deadline: DateTime<Utc>,
}

/// Locks up to `limit` timers due at `now`, earliest first, skipping those another scheduler
/// holds.
pub async fn claim_due(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Due>> {
    timers::table
        .filter(super::equals_constant("timers.state", PENDING))
        .filter(timers::due_at.le(now))
        .order(timers::due_at)
        .limit(limit)
        .for_update()
        .skip_locked()
        .select((
            timers::id,
            timers::case_id,
            timers::clock,
            timers::key,
            timers::due_at,
            timers::deadline,
        ))
        .load(conn)
        .await
}

/// Marks claimed timers fired.
pub async fn mark_fired(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(timers::table.filter(timers::id.eq_any(ids)))
        .set((timers::state.eq(FIRED), timers::fired_at.eq(now)))
        .execute(conn)
        .await?;
    Ok(())
}

/// When the earliest pending timer is due, if any is pending.
pub async fn next_due(conn: &mut AsyncPgConnection) -> QueryResult<Option<DateTime<Utc>>> {
    timers::table
        .filter(timers::state.eq(PENDING))
        .select(diesel::dsl::min(timers::due_at))
        .get_result(conn)
        .await
}

/// A clock as `show` lists it.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct ClockView {
    /// The clock's kind (`response_target`, `holding_reply`, …).
    pub clock: String,
    /// Which one of its kind.
    pub key: String,
    /// pending, fired or cancelled.
    pub state: String,
    /// When it runs out.
    pub deadline: DateTime<Utc>,
    /// When the scheduler fires it.
    pub due_at: DateTime<Utc>,
    /// When it fired.
    pub fired_at: Option<DateTime<Utc>>,
    /// When it was stopped.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Why it was stopped.
    pub cancelled_because: Option<String>,
}

/// A case's clocks, earliest deadline first.
pub async fn for_case(conn: &mut AsyncPgConnection, case_id: Uuid) -> QueryResult<Vec<ClockView>> {
    timers::table
        .filter(timers::case_id.eq(case_id))
        .order((timers::deadline, timers::id))
        .select((
            timers::clock,
            timers::key,
            timers::state,
            timers::deadline,
            timers::due_at,
            timers::fired_at,
            timers::cancelled_at,
            timers::cancelled_because,
        ))
        .load(conn)
        .await
}

/// Pending timers by how due they are, for `/metrics`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    /// Pending and not yet due.
    pub pending: i64,
    /// Due now (a scheduler should be firing them).
    pub due: i64,
    /// Due for longer than the grace period and still not fired.
    pub overdue: i64,
}

/// Counts pending timers against `now`; `overdue_since` is `now` less the grace period.
pub async fn counts(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    overdue_since: DateTime<Utc>,
) -> QueryResult<Counts> {
    let pending = || timers::table.filter(timers::state.eq(PENDING));
    let not_due: i64 = pending()
        .filter(timers::due_at.gt(now))
        .count()
        .get_result(conn)
        .await?;
    let due: i64 = pending()
        .filter(timers::due_at.le(now))
        .count()
        .get_result(conn)
        .await?;
    let overdue: i64 = pending()
        .filter(timers::due_at.le(overdue_since))
        .count()
        .get_result(conn)
        .await?;
    Ok(Counts {
        pending: not_due,
        due,
        overdue,
    })
}

/// An open case's response target, for `status`.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct Target {
    /// The case's reference.
    pub reference: String,
    /// The team the case is with.
    pub handling_team: String,
    /// When its response target runs out.
    pub deadline: DateTime<Utc>,
}

/// The open cases nearest to breaching their response target.
pub async fn nearest_targets(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<Target>> {
    timers::table
        .inner_join(cases::table)
        .filter(timers::state.eq(PENDING))
        .filter(timers::clock.eq(ClockKind::ResponseTarget.as_str()))
        .order(timers::deadline)
        .limit(limit)
        .select((cases::reference, cases::handling_team, timers::deadline))
        .load(conn)
        .await
}

/// Open cases per tier and team whose response target runs out before `horizon` (pending
/// targets, not yet breached) and those whose target is already breached: the
/// `complaints_cases_near_breach` and `complaints_cases_breached` gauges and the ops page.
#[derive(Debug, Clone, Serialize)]
pub struct BreachCounts {
    /// The tier's number.
    pub tier: i16,
    /// The team the cases are with.
    pub team: String,
    /// Targets running out before the horizon.
    pub near: i64,
    /// Targets already breached.
    pub breached: i64,
}

/// Counts near and breached response targets by tier and team.
pub async fn breach_counts(
    conn: &mut AsyncPgConnection,
    horizon: DateTime<Utc>,
) -> QueryResult<Vec<BreachCounts>> {
    let near: Vec<(i16, String, i64)> = timers::table
        .inner_join(cases::table)
        .filter(timers::state.eq(PENDING))
        .filter(timers::clock.eq(ClockKind::ResponseTarget.as_str()))
        .filter(timers::deadline.lt(horizon))
        .filter(cases::closed_at.is_null())
        .group_by((cases::tier, cases::handling_team))
        .select((cases::tier, cases::handling_team, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    let breached: Vec<(i16, String, i64)> = cases::table
        .filter(cases::closed_at.is_null())
        .filter(cases::target_breached_at.is_not_null())
        .group_by((cases::tier, cases::handling_team))
        .select((cases::tier, cases::handling_team, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    let mut counts: Vec<BreachCounts> = Vec::new();
    for (tier, team, n) in near {
        counts.push(BreachCounts {
            tier,
            team,
            near: n,
            breached: 0,
        });
    }
    for (tier, team, n) in breached {
        match counts.iter_mut().find(|c| c.tier == tier && c.team == team) {
            Some(c) => c.breached = n,
            None => counts.push(BreachCounts {
                tier,
                team,
                near: 0,
                breached: n,
            }),
        }
    }
    counts.sort_by(|a, b| (a.tier, &a.team).cmp(&(b.tier, &b.team)));
    Ok(counts)
}
