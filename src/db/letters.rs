//! Letters as sent: every letter produced is kept with its case, exactly as rendered, with the
//! template version it came from and how it went out.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;

use super::parties::Party;
use super::schema::{cases, letters, parties};

/// Waiting for the email worker.
pub const AWAITING_EMAIL: &str = "awaiting_email";
/// Emailed.
pub const SENT: &str = "sent";
/// A PDF is in the dispatch directory.
pub const READY_FOR_POST: &str = "ready_for_post";

/// A letter to keep.
#[derive(Debug, Insertable)]
#[diesel(table_name = letters)]
pub struct NewLetter {
    /// Its id (also in its Message-ID and PDF file name).
    pub id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// The letter code.
    pub code: String,
    /// The `letter.requested` event.
    pub requested_by_event: Uuid,
    /// The template version.
    pub template_version: String,
    /// Subject / title.
    pub subject: String,
    /// Text form.
    pub body_text: String,
    /// HTML form.
    pub body_html: String,
    /// The text as printed.
    pub body_print: String,
    /// `email` or `post`.
    pub channel: String,
    /// Email address or postal address.
    pub recipient: String,
    /// Status.
    pub status: String,
    /// The PDF, for post.
    pub pdf_path: Option<String>,
    /// When it was produced.
    pub created_at: DateTime<Utc>,
    /// When it went out (post: handed to the print vendor).
    pub sent_at: Option<DateTime<Utc>>,
}

/// Keeps a letter unless its request already made one; returns whether it was new.
pub async fn insert(conn: &mut AsyncPgConnection, letter: &NewLetter) -> QueryResult<bool> {
    let inserted = diesel::insert_into(letters::table)
        .values(letter)
        .on_conflict(letters::requested_by_event)
        .do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

/// A letter as kept.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = letters, check_for_backend(diesel::pg::Pg))]
pub struct LetterRecord {
    /// Its id.
    pub id: Uuid,
    /// The case.
    #[serde(skip)]
    pub case_id: Uuid,
    /// Letter code.
    pub code: String,
    /// Template version.
    pub template_version: String,
    /// Subject.
    pub subject: String,
    /// Text form.
    pub body_text: String,
    /// HTML form.
    pub body_html: String,
    /// As printed.
    #[serde(skip)]
    pub body_print: String,
    /// email or post.
    pub channel: String,
    /// To whom.
    pub recipient: String,
    /// Status.
    pub status: String,
    /// The PDF, for post.
    pub pdf_path: Option<String>,
    /// Why email failed, if it did.
    pub last_error: Option<String>,
    /// When produced.
    pub created_at: DateTime<Utc>,
    /// When sent.
    pub sent_at: Option<DateTime<Utc>>,
}

/// A letter by id, locked for the caller's transaction (one sender at a time).
pub async fn lock(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<LetterRecord>> {
    letters::table
        .find(id)
        .for_update()
        .select(LetterRecord::as_select())
        .first(conn)
        .await
        .optional()
}

/// A case's letter by id, for `GET /v1/cases/{ref}/letters/{id}`.
pub async fn of_case(
    conn: &mut AsyncPgConnection,
    reference: &str,
    id: Uuid,
) -> QueryResult<Option<LetterRecord>> {
    letters::table
        .inner_join(cases::table)
        .filter(cases::reference.eq(reference))
        .filter(letters::id.eq(id))
        .select(LetterRecord::as_select())
        .first(conn)
        .await
        .optional()
}

/// A case's letters, oldest first.
pub async fn for_case(
    conn: &mut AsyncPgConnection,
    case_id: Uuid,
) -> QueryResult<Vec<LetterRecord>> {
    letters::table
        .filter(letters::case_id.eq(case_id))
        .order(letters::created_at)
        .select(LetterRecord::as_select())
        .load(conn)
        .await
}

/// Marks a letter emailed.
pub async fn mark_sent(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(letters::table.find(id))
        .set((letters::status.eq(SENT), letters::sent_at.eq(now)))
        .execute(conn)
        .await?;
    Ok(())
}

/// Records that a letter's email failed for good and it goes by post instead.
pub async fn switch_to_post(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    pdf_path: &str,
    recipient: &str,
    error: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(letters::table.find(id))
        .set((
            letters::channel.eq("post"),
            letters::status.eq(READY_FOR_POST),
            letters::pdf_path.eq(pdf_path),
            letters::recipient.eq(recipient),
            letters::last_error.eq(error),
            letters::sent_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The customers of these cases, by case id.
pub async fn addressees(
    conn: &mut AsyncPgConnection,
    case_ids: &[Uuid],
) -> QueryResult<HashMap<Uuid, Party>> {
    let rows: Vec<(Uuid, Party)> = cases::table
        .inner_join(parties::table)
        .filter(cases::id.eq_any(case_ids))
        .select((cases::id, Party::as_select()))
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
}
