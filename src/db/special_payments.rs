//! The special payments made (`special_payment.made`, process.md §7): one row per paid
//! financial-redress action of an agreed plan, which the report sums beside the payments
//! agreed.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::special_payments;

/// A special payment made, as the casework worker records it.
#[derive(Debug, Insertable)]
#[diesel(table_name = special_payments)]
pub struct NewPayment<'a> {
    /// The case whose plan agreed it.
    pub case_id: Uuid,
    /// The plan's action it settles.
    pub action_id: &'a str,
    /// The payment's kind, as the plan gives it (`actual_financial_loss`, `consolatory`).
    pub kind: &'a str,
    /// The amount paid, in pence.
    pub amount_pence: i64,
    /// Who paid (an opaque staff id).
    pub paid_by: &'a str,
    /// When it was recorded.
    pub paid_at: DateTime<Utc>,
    /// The `special_payment.made` event that recorded it.
    pub cause: Uuid,
}

/// Records a payment: `false`, and nothing written, when the action already has one.
pub async fn record(conn: &mut AsyncPgConnection, payment: &NewPayment<'_>) -> QueryResult<bool> {
    let inserted = diesel::insert_into(special_payments::table)
        .values(payment)
        .on_conflict((special_payments::case_id, special_payments::action_id))
        .do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}
