//! The record of every dead letter replayed or discarded: who, when, what.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;

use super::schema::dead_letter_actions;

/// One replay or discard.
#[derive(Debug, Clone, Insertable, Queryable, Selectable, Serialize)]
#[diesel(table_name = dead_letter_actions)]
pub struct DeadLetterAction {
    /// When the operator acted.
    pub at: DateTime<Utc>,
    /// Who (the operator's name or the ops page's user).
    pub actor: String,
    /// `replayed` or `discarded`.
    pub action: String,
    /// The worker kind whose dead-letter queue held it.
    pub worker: String,
    /// The dead letter's id (its event id when it had one).
    pub dead_letter_id: String,
    /// Its event type, when known.
    pub event_type: Option<String>,
    /// Why it had been dead-lettered.
    pub reason_kind: String,
}

/// Records one action.
pub async fn record(conn: &mut AsyncPgConnection, action: &DeadLetterAction) -> QueryResult<()> {
    diesel::insert_into(dead_letter_actions::table)
        .values(action)
        .execute(conn)
        .await?;
    Ok(())
}

/// The latest `limit` actions, newest first.
pub async fn latest(
    conn: &mut AsyncPgConnection,
    limit: i64,
) -> QueryResult<Vec<DeadLetterAction>> {
    dead_letter_actions::table
        .order(dead_letter_actions::id.desc())
        .limit(limit)
        .select(DeadLetterAction::as_select())
        .load(conn)
        .await
}

/// The actions taken on one dead letter (or event) id, oldest first.
pub async fn for_id(conn: &mut AsyncPgConnection, id: &str) -> QueryResult<Vec<DeadLetterAction>> {
    dead_letter_actions::table
        .filter(dead_letter_actions::dead_letter_id.eq(id))
        .order(dead_letter_actions::id.asc())
        .select(DeadLetterAction::as_select())
        .load(conn)
        .await
}
