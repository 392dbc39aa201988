//! Tasks as records: what a person or team must do on a case, with its team, due time and
//! state (open, done, cancelled). A task opens in the transaction of the event that causes it
//! (with its `task.created` event, which the email worker turns into the team's email), is
//! closed `done` by the decision that does the work, and `cancelled` when its case closes with
//! it still open. Listed by `GET /v1/tasks` and `complaints tasks`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
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
    /// The case.
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

/// Makes the case's open tasks that no clock raised and that are due at once (raised before the
/// case's response target was set) due by the response target `deadline`.
pub async fn due_by_target(
    conn: &mut AsyncPgConnection,
    case_id: Uuid,
    deadline: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        tasks::table
            .filter(tasks::case_id.eq(case_id))
            .filter(tasks::state.eq(OPEN))
            .filter(tasks::clock.is_null())
            .filter(tasks::due_at.eq(tasks::created_at)),
    )
    .set(tasks::due_at.eq(deadline))
    .execute(conn)
    .await
}

/// Closes as done a case's open tasks for any of `assignees` about `key` (empty: the tasks
/// about the case as a whole), by the event `by` at `now`. Returns how many closed.
pub async fn done(
    conn: &mut AsyncPgConnection,
    case_id: Uuid,
    assignees: &[Assignee],
    key: &str,
    by: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let assignees: Vec<&str> = assignees.iter().map(|a| a.as_str()).collect();
    diesel::update(
        tasks::table
            .filter(tasks::case_id.eq(case_id))
            .filter(tasks::state.eq(OPEN))
            .filter(tasks::assignee.eq_any(assignees))
            .filter(tasks::key.eq(key)),
    )
    .set((
        tasks::state.eq(DONE),
        tasks::closed_at.eq(now),
        tasks::closed_by_event.eq(by),
    ))
    .execute(conn)
    .await
}

/// Closes one open task as done by its id (a member of staff marking it done), by the event
/// `by`; whether it was open on that case.
pub async fn done_by_id(
    conn: &mut AsyncPgConnection,
    case_id: Uuid,
    id: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let closed = diesel::update(
        tasks::table
            .filter(tasks::id.eq(id))
            .filter(tasks::case_id.eq(case_id))
            .filter(tasks::state.eq(OPEN)),
    )
    .set((
        tasks::state.eq(DONE),
        tasks::closed_at.eq(now),
        tasks::closed_by_event.eq(by),
    ))
    .execute(conn)
    .await?;
    Ok(closed > 0)
}

/// Cancels every task still open on a case (it closed), by the event `by` at `now`.
pub async fn cancel_open(
    conn: &mut AsyncPgConnection,
    case_id: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        tasks::table
            .filter(tasks::case_id.eq(case_id))
            .filter(tasks::state.eq(OPEN)),
    )
    .set((
        tasks::state.eq(CANCELLED),
        tasks::closed_at.eq(now),
        tasks::closed_by_event.eq(by),
    ))
    .execute(conn)
    .await
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
