//! `complaints status`: queue depths, consumers, dead letters, the outbox backlog, the cases
//! waiting for a decision or an allocation, and those nearest their response target.

use clap::Args;

use crate::app::App;
use crate::broker::stats::queue_stats;
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
    println!(
        "\noutbox events not yet published: {}",
        outbox::count_unsent(&mut conn).await?
    );
    let waiting = casework::waiting(&mut conn).await?;
    if !waiting.is_empty() {
        println!("\nopen cases waiting for a decision or an allocation:");
        for (what, n) in waiting {
            println!("  {what:<40} {n:>6}");
        }
    }
    let nearest = timers::nearest_targets(&mut conn, 10).await?;
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
