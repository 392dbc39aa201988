//! Queue depth and consumer count per queue, read with passive declares: what `/metrics` and
//! `complaints status` show.

use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use serde::Serialize;

use super::topology::{QueueSpec, Topology};

/// One queue's numbers.
#[derive(Debug, Clone, Serialize)]
pub struct QueueStats {
    /// The queue's name.
    pub queue: String,
    /// Messages ready for delivery.
    pub messages: u32,
    /// How many consumers are attached to the queue now (0: nobody is handling it).
    pub consumers: u32,
    /// Whether this is a dead-letter queue.
    pub dead_letter: bool,
}

/// Whether the broker answered NOT_FOUND (404): the queue or exchange was never declared.
pub fn is_not_found(error: &lapin::Error) -> bool {
    matches!(error.kind(), lapin::ErrorKind::ProtocolError(e) if e.get_id() == 404)
}

/// Reads every worker queue and its dead-letter queue. A queue not declared yet (no
/// `complaints run` or `migrate` has started against this broker) is an error saying so.
pub async fn queue_stats(
    urls: &[String],
    topology: &Topology,
    specs: &[QueueSpec],
) -> anyhow::Result<Vec<QueueStats>> {
    let connection = super::connect(urls, "complaints-stats")
        .await
        .map_err(|e| anyhow::anyhow!("RabbitMQ at {}: {e}", crate::app::addresses(urls)))?;
    let channel = connection.create_channel().await?;
    let mut stats = Vec::with_capacity(specs.len() * 2);
    for spec in specs {
        for (queue, dead_letter) in [
            (topology.queue(spec.worker), false),
            (topology.dead_letter_queue(spec.worker), true),
        ] {
            let declared = channel
                .queue_declare(
                    queue.as_str().into(),
                    QueueDeclareOptions {
                        passive: true,
                        ..Default::default()
                    },
                    FieldTable::default(),
                )
                .await
                .map_err(|e| {
                    if is_not_found(&e) {
                        anyhow::anyhow!(
                            "queue `{queue}` is not declared yet: start `complaints run` first"
                        )
                    } else {
                        e.into()
                    }
                })?;
            stats.push(QueueStats {
                queue,
                messages: declared.message_count(),
                consumers: declared.consumer_count(),
                dead_letter,
            });
        }
    }
    connection.close(200, "stats read".into()).await?;
    Ok(stats)
}
