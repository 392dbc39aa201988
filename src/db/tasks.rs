//! Tasks as records: what a person or team must do on a case, with its team, due time and
//! state (open, done, cancelled). A task opens in the transaction of the event that causes it
//! (with its `task.created` event, which the email worker turns into the team's email), is
//! closed `done` by the decision that does the work, and `cancelled` when its case closes with
//! it still open. Listed by `GET /v1/tasks` and `complaints tasks`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;

use super::schema::{cases, tasks, timers};
use crate::vocabulary::{Assignee, ClockKind};

/// Waiting for someone.
pub const OPEN: &str = "open";
/// Done: closed by the event that did the work.
pub const DONE: &str = "done";
/// No longer needed: its case closed first.
pub const CANCELLED: &str = "cancelled";
/// Every state, for checking a query's `state`.
pub const STATES: &[&str] = &[OPEN, DONE, CANCELLED];

/// A task to open.
#[derive(Debug, Clone)]
pub struct NewTask {
    /// Its id: the id of its `task.created` event.
    pub id: Uuid,
    /// The row id of the case the task is on.
    pub case_id: Uuid,
    /// Who must do it.
    pub assignee: Assignee,
    /// What it is about within the case (an action id), or empty.
    pub key: String,
    /// What, in a sentence.
    pub task: String,
    /// The clock that raised it.
    pub clock: Option<ClockKind>,
    /// When it was raised.
    pub created_at: DateTime<Utc>,
    /// The event that raised it.
    pub opened_by_event: Uuid,
}

#[derive(Insertable)]
#[diesel(table_name = tasks)]
struct TaskRow<'a> {
    id: Uuid,
    case_id: Uuid,
    team: &'a str,
    assignee: &'static str,
    key: &'a str,
    task: &'a str,
    clock: Option<&'static str>,
    created_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    opened_by_event: Uuid,
}

/// The team a task for `assignee` waits with: a central team by its own name, anyone else
/// with the case's handling team.
pub fn team_of(assignee: Assignee, handling_team: &str) -> &str {
    match assignee {
        Assignee::Caseworker | Assignee::TeamLeader | Assignee::Manager => handling_team,
        central => central.as_str(),
    }
}

/// Opens tasks (a task already open with that id is left as it is). Each waits with the team of
/// [`team_of`] and is due by its case's running response target, or at once when the case has
/// none running (a clock's task: the clock has already run out).
pub async fn open(conn: &mut AsyncPgConnection, new: &[NewTask]) -> QueryResult<()> {
    if new.is_empty() {
        return Ok(());
    }
    let case_ids: Vec<Uuid> = new.iter().map(|t| t.case_id).collect();
    let teams: HashMap<Uuid, String> = cases::table
        .filter(cases::id.eq_any(&case_ids))
        .select((cases::id, cases::handling_team))
        .load(conn)
        .await?
        .into_iter()
        .collect();
    let targets: HashMap<Uuid, DateTime<Utc>> = timers::table
        .filter(timers::case_id.eq_any(&case_ids))
        .filter(timers::clock.eq(ClockKind::ResponseTarget.as_str()))
        .filter(timers::state.eq(super::timers::PENDING))
        .select((timers::case_id, timers::deadline))
        .load(conn)
        .await?
        .into_iter()
        .collect();
    let rows: Vec<TaskRow> = new
        .iter()
        .map(|t| TaskRow {
            id: t.id,
            case_id: t.case_id,
            team: team_of(t.assignee, teams.get(&t.case_id).map_or("", String::as_str)),
            assignee: t.assignee.as_str(),
            key: &t.key,
            task: &t.task,
            clock: t.clock.map(ClockKind::as_str),
            created_at: t.created_at,
            due_at: match t.clock {
                Some(_) => t.created_at,
                None => targets.get(&t.case_id).copied().unwrap_or(t.created_at),
            },
            opened_by_event: t.opened_by_event,
        })
        .collect();
    diesel::insert_into(tasks::table)
        .values(&rows)
        .on_conflict(tasks::id)
        .do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// For each (case, deadline), makes the case's open tasks that no clock raised and that are due
/// at once (raised before the case's response target was set) due by the response target
/// `deadline`. One statement for them all.
pub async fn due_by_target(
    conn: &mut AsyncPgConnection,
    targets: &[(Uuid, DateTime<Utc>)],
) -> QueryResult<usize> {
    if targets.is_empty() {
        return Ok(0);
    }
    let case_ids: Vec<Uuid> = targets.iter().map(|t| t.0).collect();
    let deadlines: Vec<DateTime<Utc>> = targets.iter().map(|t| t.1).collect();
    diesel::sql_query(
        "UPDATE tasks SET due_at = v.deadline \
         FROM unnest($1::uuid[], $2::timestamptz[]) AS v(case_id, deadline) \
         WHERE tasks.case_id = v.case_id AND tasks.state = $3 \
         AND tasks.clock IS NULL AND tasks.due_at = tasks.created_at",
    )
    .bind::<Array<SqlUuid>, _>(case_ids)
    .bind::<Array<Timestamptz>, _>(deadlines)
    .bind::<Text, _>(OPEN)
    .execute(conn)
    .await
}

/// Tasks to close as done on one case: its open tasks for any of `assignees` about `key`
/// (empty: the tasks about the case as a whole), closed by the event `by`.
#[derive(Debug, Clone)]
pub struct DoneBy {
    /// The row id of the case.
    pub case_id: Uuid,
    /// Whose tasks the work was.
    pub assignees: Vec<Assignee>,
    /// What within the case the work was about (an action id), or empty.
    pub key: String,
    /// The event that did the work.
    pub by: Uuid,
}

/// Closes as done, at `now`, the open tasks each of `closing` names, in one statement. A task
/// is named by at most one of them (one per case: the effects context writes a case's task
/// changes in order, one at a time).
pub async fn done(
    conn: &mut AsyncPgConnection,
    closing: &[DoneBy],
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let rows = closing.iter().flat_map(|c| {
        let mut assignees = c.assignees.clone();
        assignees.sort_unstable_by_key(|a| a.as_str());
        assignees.dedup();
        assignees
            .into_iter()
            .map(move |a| (c.case_id, a.as_str(), c.key.as_str(), c.by))
    });
    let (mut case_ids, mut assignees, mut keys, mut bys) = (vec![], vec![], vec![], vec![]);
    for (case_id, assignee, key, by) in rows {
        case_ids.push(case_id);
        assignees.push(assignee);
        keys.push(key);
        bys.push(by);
    }
    if case_ids.is_empty() {
        return Ok(0);
    }
    diesel::sql_query(
        "UPDATE tasks SET state = $5, closed_at = $6, closed_by_event = v.by \
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[]) AS v(case_id, assignee, key, by) \
         WHERE tasks.case_id = v.case_id AND tasks.assignee = v.assignee AND tasks.key = v.key \
         AND tasks.state = $7",
    )
    .bind::<Array<SqlUuid>, _>(case_ids)
    .bind::<Array<Text>, _>(assignees)
    .bind::<Array<Text>, _>(keys)
    .bind::<Array<SqlUuid>, _>(bys)
    .bind::<Text, _>(DONE)
    .bind::<Timestamptz, _>(now)
    .bind::<Text, _>(OPEN)
    .execute(conn)
    .await
}

/// Closes open tasks as done by their ids (a member of staff marking each done), each
/// `(case_id, task id, by)`: only a task open on that case closes.
pub async fn done_by_id(
    conn: &mut AsyncPgConnection,
    closing: &[(Uuid, Uuid, Uuid)],
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    if closing.is_empty() {
        return Ok(0);
    }
    let case_ids: Vec<Uuid> = closing.iter().map(|c| c.0).collect();
    let ids: Vec<Uuid> = closing.iter().map(|c| c.1).collect();
    let bys: Vec<Uuid> = closing.iter().map(|c| c.2).collect();
    diesel::sql_query(
        "UPDATE tasks SET state = $4, closed_at = $5, closed_by_event = v.by \
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS v(case_id, id, by) \
         WHERE tasks.id = v.id AND tasks.case_id = v.case_id AND tasks.state = $6",
    )
    .bind::<Array<SqlUuid>, _>(case_ids)
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Array<SqlUuid>, _>(bys)
    .bind::<Text, _>(DONE)
    .bind::<Timestamptz, _>(now)
    .bind::<Text, _>(OPEN)
    .execute(conn)
    .await
}

/// Cancels every task still open on each case of `closed` (`(case_id, by)`: the case closed,
/// by the event `by`) at `now`.
pub async fn cancel_open(
    conn: &mut AsyncPgConnection,
    closed: &[(Uuid, Uuid)],
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    if closed.is_empty() {
        return Ok(0);
    }
    let case_ids: Vec<Uuid> = closed.iter().map(|c| c.0).collect();
    let bys: Vec<Uuid> = closed.iter().map(|c| c.1).collect();
    diesel::sql_query(
        "UPDATE tasks SET state = $3, closed_at = $4, closed_by_event = v.by \
         FROM unnest($1::uuid[], $2::uuid[]) AS v(case_id, by) \
         WHERE tasks.case_id = v.case_id AND tasks.state = $5",
    )
    .bind::<Array<SqlUuid>, _>(case_ids)
    .bind::<Array<SqlUuid>, _>(bys)
    .bind::<Text, _>(CANCELLED)
    .bind::<Timestamptz, _>(now)
    .bind::<Text, _>(OPEN)
    .execute(conn)
    .await
}

/// A task as `task.done` checks it: its case, state and what it asks.
#[derive(Debug, Clone, Queryable)]
pub struct TaskState {
    /// Its case's row id.
    pub case_id: Uuid,
    /// Open, done or cancelled.
    pub state: String,
    /// What it asks, in a sentence.
    pub task: String,
}

/// The tasks of these ids, by id (an unknown id is absent).
pub async fn states(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<HashMap<Uuid, TaskState>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, TaskState)> = tasks::table
        .filter(tasks::id.eq_any(ids))
        .select((tasks::id, (tasks::case_id, tasks::state, tasks::task)))
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// A task as listed (selected from `tasks` joined to its case).
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = tasks, check_for_backend(diesel::pg::Pg))]
pub struct TaskView {
    /// Its id (the id of its `task.created` event).
    pub id: Uuid,
    /// Its case's reference.
    #[diesel(select_expression = cases::reference)]
    pub case_reference: String,
    /// The team it waits with.
    pub team: String,
    /// Who in the team.
    pub assignee: String,
    /// What it is about within the case (an action id), or empty.
    pub key: String,
    /// What, in a sentence.
    pub task: String,
    /// The clock that raised it.
    pub clock: Option<String>,
    /// Open, done or cancelled.
    pub state: String,
    /// When it was raised.
    pub created_at: DateTime<Utc>,
    /// When it is due.
    pub due_at: DateTime<Utc>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
}

/// Tasks in `state`, of `team` when given, oldest first, at most `limit`.
pub async fn list(
    conn: &mut AsyncPgConnection,
    team: Option<&str>,
    state: &str,
    limit: i64,
) -> QueryResult<Vec<TaskView>> {
    let mut query = tasks::table
        .inner_join(cases::table)
        .filter(tasks::state.eq(state))
        .into_boxed();
    if let Some(team) = team {
        query = query.filter(tasks::team.eq(team));
    }
    query
        .order((tasks::created_at, tasks::id))
        .limit(limit)
        .select(TaskView::as_select())
        .load(conn)
        .await
}

/// A case's tasks, oldest first.
pub async fn for_case(conn: &mut AsyncPgConnection, case_id: Uuid) -> QueryResult<Vec<TaskView>> {
    tasks::table
        .inner_join(cases::table)
        .filter(tasks::case_id.eq(case_id))
        .order((tasks::created_at, tasks::id))
        .select(TaskView::as_select())
        .load(conn)
        .await
}
