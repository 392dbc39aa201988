//! Complaints refused at intake, kept whole with the reason, so that nothing a customer sent
//! is lost although no case opens.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

use super::schema::rejected_complaints;

/// A refused complaint to record.
#[derive(Insertable)]
#[diesel(table_name = rejected_complaints)]
pub struct NewRejection {
    /// The `complaint.received` event id.
    pub event_id: Uuid,
    /// The refusal's reason as a code (a `RejectionReason`).
    pub reason: String,
    /// The reason in words.
    pub detail: String,
    /// The complaint as received.
    pub complaint: Value,
    /// When it was refused.
    pub rejected_at: DateTime<Utc>,
}

/// Records the refusals of one batch in one statement.
pub async fn insert_all(conn: &mut AsyncPgConnection, rows: &[NewRejection]) -> QueryResult<()> {
    if !rows.is_empty() {
        diesel::insert_into(rejected_complaints::table)
            .values(rows)
            .execute(conn)
            .await?;
    }
    Ok(())
}
