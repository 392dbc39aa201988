//! `complaints status`: queue depths, consumers, dead letters, the outbox backlog, the cases
//! waiting for a decision or an allocation, and those nearest their response target.

use clap::Args;
use diesel_async::AsyncPgConnection;

use crate::app::App;
use crate::broker::stats::queue_stats;
use crate::db::timers::Target;
use crate::db::{casework, outbox, timers};
use crate::workers::QUEUES;

/// Arguments of `complaints status`.
#[derive(Debug, Args)]
#[command(
    after_help = "A queue whose depth grows while its consumers are 0 has no worker \
running; any message in a .dead-letter queue needs a person: read its x-complaints-reason \
header, fix it, and `complaints publish` it again."
)]
pub struct StatusArgs {}

/// Prints queue depths, dead letters, the outbox backlog, the cases waiting and the nearest
/// targets.
pub async fn status(app: App, _args: StatusArgs) -> anyhow::Result<()> {
    let stats = queue_stats(&app.config.amqp_urls(), &app.topology, QUEUES).await?;
    println!("{:<45} {:>9} {:>9}", "queue", "messages", "consumers");
    for s in &stats {
        let flag = if s.dead_letter && s.messages > 0 {
            "  <- needs attention"
        } else {
            ""
        };
        println!("{:<45} {:>9} {:>9}{flag}", s.queue, s.messages, s.consumers);
    }
    let mut conn = app.db().await?;
    let CaseStatus {
        unsent,
        waiting,
        nearest,
    } = case_status(&mut conn).await?;
    println!("\noutbox events not yet published: {unsent}");
    if !waiting.is_empty() {
        println!("\nopen cases waiting for a decision or an allocation:");
        for (what, n) in waiting {
            println!("  {what:<40} {n:>6}");
        }
    }
    if !nearest.is_empty() {
        let now = app.clock.now();
        println!("\nopen cases nearest to their response target:");
        for target in nearest {
            let left = target.deadline - now;
            let when = if left.num_seconds() < 0 {
                "due now".to_owned()
            } else {
                format!("{}d {}h left", left.num_days(), left.num_hours() % 24)
            };
            println!(
                "  {:<18} {:<28} {}  ({when})",
                target.reference,
                target.handling_team,
                target.deadline.format("%Y-%m-%d %H:%M UTC")
            );
        }
    }
    Ok(())
}

/// What `status` reads from the database (the rest is the broker's): the outbox backlog, the
/// open cases waiting for a decision or an allocation, and the ten open cases nearest their
/// response target.
#[derive(Debug)]
pub struct CaseStatus {
    /// Outbox events not yet published.
    pub unsent: i64,
    /// Open cases waiting, by what they wait for.
    pub waiting: Vec<(String, i64)>,
    /// The open cases nearest their response target, nearest first.
    pub nearest: Vec<Target>,
}

/// Reads the database's part of `status` (also what `complaints bench data` times).
pub async fn case_status(conn: &mut AsyncPgConnection) -> anyhow::Result<CaseStatus> {
    Ok(CaseStatus {
        unsent: outbox::count_unsent(conn).await?,
        waiting: casework::waiting(conn).await?,
        nearest: timers::nearest_targets(conn, 10).await?,
    })
}
