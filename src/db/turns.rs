//! Turns: the order in which one consumer's overlapping batches commit. Each batch that a later
//! one may overlap holds a transaction-level advisory lock on a key of its own from its first
//! statement; the later batch takes the same lock just before it commits, and so waits for the
//! earlier transaction to end. The wait is PostgreSQL's, so should the earlier batch ever wait
//! for a row the later one holds, the deadlock detector ends one of them instead of both
//! waiting for ever (the runner, `workers/runner.rs`, then applies them again in order).

use diesel::sql_types::BigInt;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// Holds the turn `key` for the rest of the caller's transaction, waiting while another
/// transaction holds it.
pub async fn take(conn: &mut AsyncPgConnection, key: i64) -> diesel::QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<BigInt, _>(key)
        .execute(conn)
        .await?;
    Ok(())
}
