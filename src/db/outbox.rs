//! The outbox: events a state change causes, written in the same transaction, published later
//! by the relay with publisher confirms. A `NOTIFY outbox` in the writing transaction wakes
//! relays on every host the moment it commits.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::schema::outbox;
use crate::events::CloudEvent;

/// The channel relays LISTEN on.
pub const CHANNEL: &str = "outbox";

/// A serialised event ready for [`append`].
#[derive(Insertable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    event_id: Uuid,
    event_type: String,
    payload: Value,
    created_at: DateTime<Utc>,
}

/// An event waiting to be published.
#[derive(Debug, Queryable)]
pub struct Pending {
    /// Row id (publishing order).
    pub id: i64,
    /// The event's id.
    pub event_id: Uuid,
    /// Its type, the routing key.
    pub event_type: String,
    /// The whole CloudEvent.
    pub payload: Value,
}

/// Serialises an event for the outbox.
pub fn row<T: Serialize>(event: &CloudEvent<T>, now: DateTime<Utc>) -> OutboxRow {
    OutboxRow {
        event_id: event.id,
        event_type: event.event_type.clone(),
        payload: serde_json::to_value(event).expect("events always serialise"),
        created_at: now,
    }
}

/// Appends events and tells listening relays (the notification is sent at commit).
pub async fn append(conn: &mut AsyncPgConnection, rows: &[OutboxRow]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    diesel::insert_into(outbox::table)
        .values(rows)
        .execute(conn)
        .await?;
    diesel::sql_query(format!("NOTIFY {CHANNEL}"))
        .execute(conn)
        .await?;
    Ok(())
}

/// Locks up to `limit` unsent events, oldest first, skipping those another relay holds.
pub async fn claim_unsent(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<Pending>> {
    outbox::table
        .filter(outbox::sent_at.is_null())
        .order(outbox::id)
        .limit(limit)
        .for_update()
        .skip_locked()
        .select((
            outbox::id,
            outbox::event_id,
            outbox::event_type,
            outbox::payload,
        ))
        .load(conn)
        .await
}

/// Marks events as confirmed by the broker.
pub async fn mark_sent(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
        .set(outbox::sent_at.eq(now))
        .execute(conn)
        .await?;
    Ok(())
}

/// How many events wait to be published.
pub async fn count_unsent(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    outbox::table
        .filter(outbox::sent_at.is_null())
        .count()
        .get_result(conn)
        .await
}
