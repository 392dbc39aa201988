//! What the /ops page reads besides queue statistics: work handled per worker over the last
//! hour (from the inbox), each worker's last handled event, and the refusals of the last day.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;

use super::schema::{outbox, rejected_complaints};
use crate::events::command_rejected;

/// Events a worker applied in one bucket of time.
#[derive(Debug, Clone, QueryableByName)]
pub struct HandledBucket {
    /// The worker (inbox consumer).
    #[diesel(sql_type = Text)]
    pub consumer: String,
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
        "SELECT consumer, floor(extract(epoch FROM (processed_at - $1)) / $2)::int AS bucket, \
         count(*) AS handled FROM inbox WHERE processed_at >= $1 GROUP BY 1, 2",
    )
    .bind::<Timestamptz, _>(since)
    .bind::<Integer, _>(bucket_secs)
    .load(conn)
    .await
}

/// A worker's latest applied event.
#[derive(Debug, Clone, QueryableByName)]
pub struct LastHandled {
    /// The worker (inbox consumer).
    #[diesel(sql_type = Text)]
    pub consumer: String,
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
        "SELECT consumer, max(processed_at) AS at FROM inbox WHERE processed_at >= $1 GROUP BY 1",
    )
    .bind::<Timestamptz, _>(since)
    .load(conn)
    .await
}

/// A refused command or complaint.
#[derive(Debug, Clone, Serialize)]
pub struct Refused {
    /// When.
    pub at: DateTime<Utc>,
    /// `command.rejected` or `complaint.rejected`.
    pub refusal: String,
    /// The refused event's type.
    pub event_type: String,
    /// The case it named, if any.
    pub case: Option<String>,
    /// Why.
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
