//! The simulated clock's offset from real time, in one row shared by every process. Changing it
//! sends `NOTIFY clock`, so every process's clock moves at once.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::schema::simulated_clock;

/// The channel simulated clocks LISTEN on.
pub const CHANNEL: &str = "clock";

/// The offset, in milliseconds.
pub async fn offset_ms(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    simulated_clock::table
        .select(simulated_clock::offset_ms)
        .first(conn)
        .await
}

/// Sets the offset and tells every process.
pub async fn set_offset_ms(conn: &mut AsyncPgConnection, offset_ms: i64) -> QueryResult<()> {
    diesel::update(simulated_clock::table)
        .set(simulated_clock::offset_ms.eq(offset_ms))
        .execute(conn)
        .await?;
    diesel::sql_query(format!("NOTIFY {CHANNEL}"))
        .execute(conn)
        .await?;
    Ok(())
}
