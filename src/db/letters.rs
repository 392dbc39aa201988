//! Letters as sent: every letter produced is kept with its case, exactly as rendered, with the
//! template version it came from and how it went out.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;

use super::parties::Party;
use super::schema::{cases, letters, parties};
use crate::vocabulary::DispatchChannel;

/// Waiting for the email worker.
pub const AWAITING_EMAIL: &str = "awaiting_email";
/// Emailed: the SMTP server accepted it.
pub const SENT: &str = "sent";
/// Kept, its PDF still to be written for the print vendor.
pub const AWAITING_PRINT: &str = "awaiting_print";
/// A PDF is in the dispatch directory.
pub const READY_FOR_POST: &str = "ready_for_post";

/// The channel senders LISTEN on: notified when a letter or notification awaits sending or
/// printing.
pub const CHANNEL: &str = "dispatch";

/// A letter to keep.
#[derive(Debug, Insertable)]
#[diesel(table_name = letters)]
pub struct NewLetter {
    /// Its id (also in its Message-ID and PDF file name).
    pub id: Uuid,
    /// The row id of the case the letter is for.
    pub case_id: Uuid,
    /// The letter's code in the catalogue (`CMSL5800`).
    pub code: String,
    /// The `letter.requested` event.
    pub cause: Uuid,
    /// The version of the template it was rendered from, so it can be read as sent.
    pub template_version: String,
    /// Subject / title.
    pub subject: String,
    /// The plain-text body (the email's text part).
    pub body_text: String,
    /// HTML form.
    pub body_html: String,
    /// The text as printed.
    pub body_print: String,
    /// `email` or `post`.
    pub channel: String,
    /// Email address or postal address.
    pub recipient: String,
    /// Where it starts: [`AWAITING_EMAIL`] or [`AWAITING_PRINT`].
    pub status: String,
    /// The PDF, for post.
    pub pdf_path: Option<String>,
    /// When it was produced.
    pub created_at: DateTime<Utc>,
    /// When it went out (post: handed to the print vendor).
    pub sent_at: Option<DateTime<Utc>>,
}

/// Keeps a letter unless its request already made one; returns whether it was new. Senders
/// are woken when the transaction commits.
pub async fn insert(conn: &mut AsyncPgConnection, letter: &NewLetter) -> QueryResult<bool> {
    let inserted = diesel::insert_into(letters::table)
        .values(letter)
        .on_conflict(letters::cause)
        .do_nothing()
        .execute(conn)
        .await?;
    if inserted == 1 {
        wake_senders(conn).await?;
    }
    Ok(inserted == 1)
}

/// Tells listening senders (at commit) that something awaits sending or printing.
pub async fn wake_senders(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    diesel::sql_query(format!("NOTIFY {CHANNEL}"))
        .execute(conn)
        .await?;
    Ok(())
}

/// A row claimed for an irreversible effect.
#[derive(Debug)]
pub struct Claimed<T> {
    /// The row as claimed.
    pub row: T,
    /// Whether an earlier claim was still standing: its sender died after acting, perhaps, and
    /// before recording it, so acting now may repeat the effect.
    pub taken_over: bool,
}

/// Claims up to `limit` letters in `status` (oldest first) for sending or printing: each gets
/// one more attempt and a claim stamped with the database's time. Letters another sender holds
/// (locked, or claimed less than `lease` ago) are skipped. Commit before acting.
///
/// The lease is measured on the database's clock, not the [`crate::clock::Clock`]: it bounds
/// how long a dead sender's claim blocks the others (an infrastructure timeout, like the SMTP
/// timeout), and the simulated clock jumps by days.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    status: &'static str,
    limit: i64,
    lease: std::time::Duration,
) -> QueryResult<Vec<Claimed<LetterRecord>>> {
    if limit <= 0 {
        return Ok(Vec::new());
    }
    let lapsed = (letters::claimed_at + interval(lease)).lt(db_now());
    let rows: Vec<(LetterRecord, Option<DateTime<Utc>>)> = letters::table
        .filter(super::equals_constant("letters.status", status))
        .filter(letters::claimed_at.is_null().or(lapsed))
        .order(letters::created_at)
        .limit(limit)
        .for_update()
        .skip_locked()
        .select((LetterRecord::as_select(), letters::claimed_at))
        .load(conn)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|(l, _)| l.id).collect();
    diesel::update(letters::table.filter(letters::id.eq_any(&ids)))
        .set((
            letters::attempts.eq(letters::attempts + 1),
            letters::claimed_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(row, claimed_at)| Claimed {
            row,
            taken_over: claimed_at.is_some(),
        })
        .collect())
}

/// The database's `now()` as a nullable timestamp, to compare with claim stamps.
pub(crate) fn db_now(
) -> diesel::dsl::Nullable<diesel::dsl::AsExprOf<diesel::dsl::now, diesel::sql_types::Timestamptz>>
{
    use diesel::IntoSql;
    diesel::dsl::now
        .into_sql::<diesel::sql_types::Timestamptz>()
        .nullable()
}

/// A lease as an SQL interval, to compare claims with `now() - lease`.
pub(crate) fn interval(lease: std::time::Duration) -> diesel::pg::data_types::PgInterval {
    let micros = i64::try_from(lease.as_micros()).unwrap_or(i64::MAX);
    diesel::pg::data_types::PgInterval::from_microseconds(micros)
}

/// Gives a claimed letter back after an attempt that failed with `error` (nothing was sent or
/// written), so the next claim is not counted as a repeat.
pub async fn release(conn: &mut AsyncPgConnection, id: Uuid, error: &str) -> QueryResult<()> {
    diesel::update(letters::table.find(id))
        .set((
            letters::claimed_at.eq(None::<DateTime<Utc>>),
            letters::last_error.eq(error),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// A letter as kept.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = letters, check_for_backend(diesel::pg::Pg))]
pub struct LetterRecord {
    /// The letter's id (also in its Message-ID and PDF file name).
    pub id: Uuid,
    /// The row id of its case (not shown: the route already names the case).
    #[serde(skip)]
    pub case_id: Uuid,
    /// The letter's code in the catalogue (`CMSL5800`).
    pub code: String,
    /// The version of the template it was rendered from.
    pub template_version: String,
    /// The subject line (email) or title (post).
    pub subject: String,
    /// The plain-text body (the email's text part).
    pub body_text: String,
    /// HTML form.
    pub body_html: String,
    /// The text as printed on the PDF (not shown: the PDF is the printed form).
    #[serde(skip)]
    pub body_print: String,
    /// email or post.
    pub channel: String,
    /// Where it went: an email address, or the postal address on one line.
    pub recipient: String,
    /// Where it is in sending (`awaiting_email`, `sent`, `awaiting_print`, `ready_for_post`).
    pub status: String,
    /// The PDF, for post.
    pub pdf_path: Option<String>,
    /// Why email failed, if it did.
    pub last_error: Option<String>,
    /// When it was rendered and kept.
    pub created_at: DateTime<Utc>,
    /// When it went out (post: when its PDF was handed to the print vendor).
    pub sent_at: Option<DateTime<Utc>>,
    /// How many times it was claimed for sending or printing.
    pub attempts: i32,
    /// The `letter.requested` event it answers (the cause its dispatch is noted under).
    #[serde(skip)]
    pub cause: Uuid,
}

/// Which of these letters are kept.
pub async fn existing(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<HashSet<Uuid>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(letters::table
        .filter(letters::id.eq_any(ids))
        .select(letters::id)
        .load::<Uuid>(conn)
        .await?
        .into_iter()
        .collect())
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

/// Marks letters emailed at `now`, those of them still awaiting email; returns the ones this
/// call marked (so each letter's `letter.sent` is published once).
pub async fn mark_sent(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> QueryResult<Vec<Uuid>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(
        letters::table
            .filter(letters::id.eq_any(ids))
            .filter(letters::status.eq(AWAITING_EMAIL)),
    )
    .set((
        letters::status.eq(SENT),
        letters::sent_at.eq(now),
        letters::claimed_at.eq(None::<DateTime<Utc>>),
    ))
    .returning(letters::id)
    .get_results(conn)
    .await
}

/// Records that a letter's email was refused for good and it goes by post instead (its PDF
/// still to be written); returns whether this call did.
pub async fn switch_to_post(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    recipient: &str,
    error: &str,
) -> QueryResult<bool> {
    let switched = diesel::update(
        letters::table
            .find(id)
            .filter(letters::status.eq(AWAITING_EMAIL)),
    )
    .set((
        letters::channel.eq(DispatchChannel::Post.as_str()),
        letters::status.eq(AWAITING_PRINT),
        letters::recipient.eq(recipient),
        letters::last_error.eq(error),
        letters::claimed_at.eq(None::<DateTime<Utc>>),
    ))
    .execute(conn)
    .await?;
    if switched == 1 {
        wake_senders(conn).await?;
    }
    Ok(switched == 1)
}

/// Marks a letter's PDF written and handed to the print vendor, unless it already was;
/// returns whether this call did (so `letter.ready_for_post` is published once per letter).
pub async fn mark_posted(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    pdf_path: &str,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let marked = diesel::update(
        letters::table
            .find(id)
            .filter(letters::status.eq(AWAITING_PRINT)),
    )
    .set((
        letters::status.eq(READY_FOR_POST),
        letters::pdf_path.eq(pdf_path),
        letters::sent_at.eq(now),
        letters::claimed_at.eq(None::<DateTime<Utc>>),
    ))
    .execute(conn)
    .await?;
    Ok(marked == 1)
}

/// How many letters still wait to be emailed or printed.
pub async fn count_unsent(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    letters::table
        .filter(letters::status.eq_any([AWAITING_EMAIL, AWAITING_PRINT]))
        .count()
        .get_result(conn)
        .await
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
