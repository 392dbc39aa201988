//! The inbox: which event ids each worker has applied. Claiming an id inside the handler's
//! transaction makes a redelivered or republished event a no-op.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::inbox;

#[derive(Insertable)]
#[diesel(table_name = inbox)]
struct NewInboxRow<'a> {
    worker: &'a str,
    event_id: Uuid,
    processed_at: DateTime<Utc>,
}

/// Records `event_ids` as applied by `worker` and returns those that were not already: the
/// only ones the caller may apply. A concurrent claim of the same id waits for the other
/// transaction and then finds it taken.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    worker: &str,
    event_ids: &[Uuid],
    now: DateTime<Utc>,
) -> QueryResult<HashSet<Uuid>> {
    let rows: Vec<_> = event_ids
        .iter()
        .map(|&event_id| NewInboxRow {
            worker,
            event_id,
            processed_at: now,
        })
        .collect();
    let claimed: Vec<Uuid> = diesel::insert_into(inbox::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .returning(inbox::event_id)
        .get_results(conn)
        .await?;
    Ok(claimed.into_iter().collect())
}
