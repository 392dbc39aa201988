//! The case timeline: an append-only audit of who did what and when (the database refuses
//! updates and deletes of its rows).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::schema::case_timeline;
use crate::vocabulary::Written;

/// An entry to append.
#[derive(Insertable)]
#[diesel(table_name = case_timeline)]
pub struct NewEntry {
    /// The row id of the case the entry is on.
    pub case_id: Uuid,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it (a worker's name, or a member of staff's id).
    pub actor: String,
    /// What happened, in a sentence.
    pub entry: String,
    /// What the entry is about, as JSON (the event's fields, an outcome's reasons).
    pub detail: Value,
    /// The event that caused it.
    pub cause: Option<Uuid>,
}

/// An entry as read back.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = case_timeline, check_for_backend(diesel::pg::Pg))]
pub struct Entry {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it.
    pub actor: String,
    /// What happened, in a sentence.
    pub entry: String,
    /// What the entry is about, as JSON (the event's fields, an outcome's reasons).
    pub detail: Value,
    /// The event that caused it (`event_id` in v1 of the case view, `GET /v1/cases/{ref}`).
    #[serde(rename = "event_id")]
    pub cause: Option<Uuid>,
}

/// The sentence and detail of an entry keeping what someone wrote: `"<label><qualifier>:
/// <text>"`, with the kind under `written` in `detail` (an object) beside what it holds.
pub fn written(kind: Written, qualifier: &str, text: &str, mut detail: Value) -> (String, Value) {
    detail["written"] = Value::String(kind.as_str().to_owned());
    (format!("{}{qualifier}: {text}", kind.label()), detail)
}

impl Entry {
    /// What someone wrote here, when the entry keeps it.
    pub fn written(&self) -> Option<Written> {
        self.detail["written"].as_str()?.parse().ok()
    }

    /// The entry with what was written replaced by a note that it is withheld: how a reader
    /// not allowed a staff complaint's case notes sees it. Other entries are unchanged.
    pub fn withheld(mut self) -> Self {
        if let Some(kind) = self.written() {
            self.entry = format!("{}: (withheld)", kind.label());
        }
        self
    }
}

/// Whether a case's timeline records a request for `letter` (entries written with a
/// `letter_requested` detail).
pub async fn letter_requested(
    conn: &mut AsyncPgConnection,
    case_id: Uuid,
    letter: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        case_timeline::table
            .filter(case_timeline::case_id.eq(case_id))
            .filter(
                case_timeline::detail.contains(serde_json::json!({ "letter_requested": letter })),
            ),
    ))
    .get_result(conn)
    .await
}

/// Whether a case's timeline records a request for any letter at all.
pub async fn any_letter_requested(
    conn: &mut AsyncPgConnection,
    case_id: Uuid,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        case_timeline::table
            .filter(case_timeline::case_id.eq(case_id))
            .filter(case_timeline::detail.has_key("letter_requested")),
    ))
    .get_result(conn)
    .await
}

/// Appends the entries in one statement.
pub async fn append(conn: &mut AsyncPgConnection, entries: &[NewEntry]) -> QueryResult<()> {
    if !entries.is_empty() {
        diesel::insert_into(case_timeline::table)
            .values(entries)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// A case's entries, oldest first.
pub async fn for_case(conn: &mut AsyncPgConnection, case_id: Uuid) -> QueryResult<Vec<Entry>> {
    case_timeline::table
        .filter(case_timeline::case_id.eq(case_id))
        .order(case_timeline::id)
        .select(Entry::as_select())
        .load(conn)
        .await
}
