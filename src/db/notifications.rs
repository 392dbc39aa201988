//! Team notifications by email (tasks, breached targets, high-profile cases): written in the
//! transaction of the event that causes them, one per event, then sent by the email worker's
//! sender with the same claim / send / mark steps as letters ([`super::letters::claim`]).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::letters::{db_now, interval, wake_senders, Claimed};
use super::schema::notifications;

/// Waiting to be sent.
pub const PENDING: &str = "pending";
/// Accepted by the SMTP server.
pub const SENT: &str = "sent";
/// Refused for good by the SMTP server.
pub const REFUSED: &str = "refused";

/// A notification to send.
#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = notifications, check_for_backend(diesel::pg::Pg))]
pub struct Notification {
    /// The causing event's id (also in the Message-ID).
    pub id: Uuid,
    /// The case it is about.
    pub case_id: Uuid,
    /// The team's address.
    pub recipient: String,
    /// The email's subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

/// Keeps notifications not kept before (by id) and wakes the senders at commit.
pub async fn insert(conn: &mut AsyncPgConnection, rows: &[Notification]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    diesel::insert_into(notifications::table)
        .values(rows)
        .on_conflict(notifications::id)
        .do_nothing()
        .execute(conn)
        .await?;
    wake_senders(conn).await
}

/// Claims up to `limit` pending notifications, as [`super::letters::claim`] claims letters.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    limit: i64,
    lease: std::time::Duration,
) -> QueryResult<Vec<Claimed<Notification>>> {
    if limit <= 0 {
        return Ok(Vec::new());
    }
    let rows: Vec<(Notification, Option<DateTime<Utc>>)> = notifications::table
        .filter(super::equals_constant("notifications.status", PENDING))
        .filter(
            notifications::claimed_at
                .is_null()
                .or((notifications::claimed_at + interval(lease)).lt(db_now())),
        )
        .order(notifications::created_at)
        .limit(limit)
        .for_update()
        .skip_locked()
        .select((Notification::as_select(), notifications::claimed_at))
        .load(conn)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|(n, _)| n.id).collect();
    diesel::update(notifications::table.filter(notifications::id.eq_any(&ids)))
        .set((
            notifications::attempts.eq(notifications::attempts + 1),
            notifications::claimed_at.eq(diesel::dsl::now),
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

/// Records how a claimed notification's send ended (`SENT` or `REFUSED`), unless it was
/// already recorded; returns whether this call did.
pub async fn finish(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    status: &str,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let done = diesel::update(
        notifications::table
            .find(id)
            .filter(notifications::status.eq(PENDING)),
    )
    .set((
        notifications::status.eq(status),
        notifications::last_error.eq(error),
        notifications::sent_at.eq(now),
        notifications::claimed_at.eq(None::<DateTime<Utc>>),
    ))
    .execute(conn)
    .await?;
    Ok(done == 1)
}

/// Gives a claimed notification back after an attempt that failed with `error`, as
/// [`super::letters::release`] does a letter.
pub async fn release(conn: &mut AsyncPgConnection, id: Uuid, error: &str) -> QueryResult<()> {
    diesel::update(notifications::table.find(id))
        .set((
            notifications::claimed_at.eq(None::<DateTime<Utc>>),
            notifications::last_error.eq(error),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// How many notifications still wait to be sent.
pub async fn count_pending(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    notifications::table
        .filter(notifications::status.eq(PENDING))
        .count()
        .get_result(conn)
        .await
}
