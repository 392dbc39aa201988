//! Waking the processes that LISTEN (outbox relays on `outbox`, schedulers on `timers`, senders
//! on `dispatch`) once new work is committed.
//!
//! A `NOTIFY` inside a transaction that writes data is costly beyond its own work: PostgreSQL
//! holds one lock for the whole database from such a transaction's pre-commit until its commit
//! record is on disk, so every notifying commit waits for the disk flushes of the ones before
//! it, one at a time, instead of sharing one (group commit). Under load that queue of flushes
//! was the pipeline's limit (README, Performance). So the workers' and senders' loops gather
//! the wakes their work asks for ([`gathered`]) and send them after it commits ([`send`]), in a
//! transaction of their own that carries no data and so commits without waiting for the disk.
//! A wake lost that way (the process dies between the two) costs a listener its poll interval,
//! which every listener has for that reason.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::future::Future;

use diesel::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

tokio::task_local! {
    /// The channels the work in hand asked to wake, within [`gathered`].
    static ASKED: RefCell<BTreeSet<&'static str>>;
}

/// Asks for `channel`'s listeners to be woken once the work in hand commits. Within
/// [`gathered`] (the workers' and senders' loops) the wake is kept for [`send`] after the
/// commit; elsewhere (a command, a test) it is a `NOTIFY` in the current transaction, sent at
/// its commit.
pub async fn wake(conn: &mut AsyncPgConnection, channel: &'static str) -> QueryResult<()> {
    if ASKED
        .try_with(|asked| asked.borrow_mut().insert(channel))
        .is_ok()
    {
        return Ok(());
    }
    diesel::sql_query(format!("NOTIFY {channel}"))
        .execute(conn)
        .await?;
    Ok(())
}

/// Runs `work`, keeping the wakes it asks for ([`wake`]) instead of sending them; returns its
/// output and the channels to wake once what it wrote is committed.
pub async fn gathered<F: Future>(work: F) -> (F::Output, Vec<&'static str>) {
    ASKED
        .scope(RefCell::new(BTreeSet::new()), async {
            let output = work.await;
            let asked = ASKED.with(|asked| asked.take());
            (output, asked.into_iter().collect())
        })
        .await
}

/// Wakes `channels`' listeners, in a transaction of its own with no data, committed without
/// waiting for the disk (a lost notification costs only a listener's poll interval).
pub async fn send(conn: &mut AsyncPgConnection, channels: &[&'static str]) -> QueryResult<()> {
    if channels.is_empty() {
        return Ok(());
    }
    let notify: String = channels.iter().map(|c| format!("NOTIFY {c}; ")).collect();
    conn.batch_execute(&format!(
        "BEGIN; SET LOCAL synchronous_commit TO off; {notify}COMMIT;"
    ))
    .await
}
