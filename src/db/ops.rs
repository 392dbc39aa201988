//! What the /ops page reads besides queue statistics: work handled per worker over the last
//! hour (from the inbox), each worker's last handled event, and the refusals of the last day.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;

use super::schema::{outbox, queue_depths, rejected_complaints, timers};
use crate::events::command_rejected;

/// Events a worker applied in one bucket of time.
#[derive(Debug, Clone, QueryableByName)]
pub struct HandledBucket {
    /// The worker that applied them.
    #[diesel(sql_type = Text)]
    pub worker: String,
    /// The bucket's number from `since` (0 = the oldest).
    #[diesel(sql_type = Integer)]
    pub bucket: i32,
    /// Events applied in it.
    #[diesel(sql_type = BigInt)]
    pub handled: i64,
}

/// Events applied per worker per `bucket_secs` since `since`.
pub async fn handled_per_bucket(
    conn: &mut AsyncPgConnection,
    since: DateTime<Utc>,
    bucket_secs: i32,
) -> QueryResult<Vec<HandledBucket>> {
    diesel::sql_query(
        "SELECT worker, floor(extract(epoch FROM (processed_at - $1)) / $2)::int AS bucket, \
         count(*) AS handled FROM inbox WHERE processed_at >= $1 GROUP BY 1, 2",
    )
    .bind::<Timestamptz, _>(since)
    .bind::<Integer, _>(bucket_secs)
    .load(conn)
    .await
}

/// Records each queue's depth at `at` (a sample another process took at the same instant is
/// kept as it is).
pub async fn record_depths(
    conn: &mut AsyncPgConnection,
    at: DateTime<Utc>,
    depths: &[(String, i64)],
) -> QueryResult<()> {
    let rows: Vec<_> = depths
        .iter()
        .map(|(queue, messages)| {
            (
                queue_depths::queue.eq(queue),
                queue_depths::sampled_at.eq(at),
                queue_depths::messages.eq(messages),
            )
        })
        .collect();
    diesel::insert_into(queue_depths::table)
        .values(rows)
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets depth samples taken before `before`.
pub async fn prune_depths(
    conn: &mut AsyncPgConnection,
    before: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::delete(queue_depths::table.filter(queue_depths::sampled_at.lt(before)))
        .execute(conn)
        .await
}

/// Every depth sample since `since`, by queue, oldest first: `(queue, when, messages)`.
pub async fn depths_since(
    conn: &mut AsyncPgConnection,
    since: DateTime<Utc>,
) -> QueryResult<Vec<(String, DateTime<Utc>, i64)>> {
    queue_depths::table
        .filter(queue_depths::sampled_at.ge(since))
        .order((queue_depths::queue, queue_depths::sampled_at))
        .select((
            queue_depths::queue,
            queue_depths::sampled_at,
            queue_depths::messages,
        ))
        .load(conn)
        .await
}

/// When the scheduler last fired a timer and the outbox relay last published an event: the
/// signs of life of the two workers that consume no queue.
pub async fn last_fired_and_published(
    conn: &mut AsyncPgConnection,
) -> QueryResult<(Option<DateTime<Utc>>, Option<DateTime<Utc>>)> {
    let fired = timers::table
        .select(diesel::dsl::max(timers::fired_at))
        .first(conn)
        .await?;
    let published = outbox::table
        .select(diesel::dsl::max(outbox::sent_at))
        .first(conn)
        .await?;
    Ok((fired, published))
}

/// A worker's latest applied event.
#[derive(Debug, Clone, QueryableByName)]
pub struct LastHandled {
    /// The worker that applied them.
    #[diesel(sql_type = Text)]
    pub worker: String,
    /// When it last applied an event, within the window asked for.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub at: Option<DateTime<Utc>>,
}

/// Each worker's latest applied event since `since`.
pub async fn last_handled(
    conn: &mut AsyncPgConnection,
    since: DateTime<Utc>,
) -> QueryResult<Vec<LastHandled>> {
    diesel::sql_query(
        "SELECT worker, max(processed_at) AS at FROM inbox WHERE processed_at >= $1 GROUP BY 1",
    )
    .bind::<Timestamptz, _>(since)
    .load(conn)
    .await
}

/// A refused command or complaint.
#[derive(Debug, Clone, Serialize)]
pub struct Refused {
    /// When the event was refused.
    pub at: DateTime<Utc>,
    /// `command.rejected` or `complaint.rejected`.
    pub refusal: String,
    /// The refused event's type.
    pub event_type: String,
    /// The case it named, if any.
    pub case: Option<String>,
    /// Why it was refused, as the refusal said (never a value from the event).
    pub reason: String,
}

/// The refusals since `since`, newest first, at most `limit` of each kind.
pub async fn refused_since(
    conn: &mut AsyncPgConnection,
    since: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Refused>> {
    let commands: Vec<(DateTime<Utc>, serde_json::Value)> = outbox::table
        .filter(outbox::event_type.eq(command_rejected::TYPE))
        .filter(outbox::created_at.ge(since))
        .order(outbox::id.desc())
        .limit(limit)
        .select((outbox::created_at, outbox::payload))
        .load(conn)
        .await?;
    let complaints: Vec<(DateTime<Utc>, String)> = rejected_complaints::table
        .filter(rejected_complaints::rejected_at.ge(since))
        .order(rejected_complaints::rejected_at.desc())
        .limit(limit)
        .select((
            rejected_complaints::rejected_at,
            rejected_complaints::reason,
        ))
        .load(conn)
        .await?;
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    let mut refused: Vec<Refused> = commands
        .into_iter()
        .map(|(at, payload)| Refused {
            at,
            refusal: command_rejected::TYPE.to_owned(),
            event_type: text(&payload["data"]["event_type"]),
            case: payload["subject"].as_str().map(str::to_owned),
            reason: text(&payload["data"]["reason"]),
        })
        .chain(complaints.into_iter().map(|(at, reason)| Refused {
            at,
            refusal: crate::events::complaint_rejected::TYPE.to_owned(),
            event_type: crate::events::complaint_received::TYPE.to_owned(),
            case: None,
            reason,
        }))
        .collect();
    refused.sort_by_key(|r| std::cmp::Reverse(r.at));
    Ok(refused)
}
