//! Compliments, suggestions and enquiries (process.md §1): recorded outside any case, each
//! credited to the team it names, and counted by the report.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::feedback;

/// A piece of feedback to record.
#[derive(Insertable)]
#[diesel(table_name = feedback)]
pub struct NewFeedback {
    /// The feedback's row id.
    pub id: Uuid,
    /// The `feedback.received` event id (one row per event).
    pub event_id: Uuid,
    /// `compliment`, `suggestion` or `enquiry`.
    pub kind: String,
    /// When the organisation received it.
    pub received_at: DateTime<Utc>,
    /// How it arrived.
    pub channel: String,
    /// The team it credits or concerns.
    pub team: String,
    /// The member of staff a compliment praises (an opaque staff id).
    pub staff_reference: Option<String>,
    /// The customer, if known.
    pub customer_reference: Option<String>,
    /// What the feedback is about, as the sender categorised it.
    pub categories: Vec<String>,
    /// What the customer said.
    pub summary: String,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

/// Records feedback; an event already recorded is left as it is.
pub async fn insert_all(conn: &mut AsyncPgConnection, rows: &[NewFeedback]) -> QueryResult<()> {
    if !rows.is_empty() {
        diesel::insert_into(feedback::table)
            .values(rows)
            .on_conflict(feedback::event_id)
            .do_nothing()
            .execute(conn)
            .await?;
    }
    Ok(())
}
