//! `complaints publish FILE|-`: validate one CloudEvent and publish it with a confirm, as the
//! HTTP intake does. Useful for replaying a dead letter after fixing it.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::app::App;
use crate::broker::publisher::Outgoing;
use crate::events::incoming::check_accepted;

/// Arguments of `complaints publish`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  complaints publish schema/examples/complaint.received.json\n  \
cat event.json | complaints publish -\n\n\
The event is refused, with the reasons, if it is not a CloudEvent of an accepted type whose \
data meets its schema in schema/. It is published only when the broker confirms it; the \
event id is printed."
)]
pub struct PublishArgs {
    /// A file holding one CloudEvent as JSON, or - to read standard input.
    pub file: PathBuf,
}

/// Validates and publishes.
pub async fn publish(app: App, args: PublishArgs) -> anyhow::Result<()> {
    let body = if args.file.as_os_str() == "-" {
        let mut body = Vec::new();
        std::io::stdin()
            .read_to_end(&mut body)
            .context("reading standard input")?;
        body
    } else {
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?
    };
    let envelope = check_accepted(&body, &app.checks())
        .map_err(|refusal| anyhow::anyhow!("refused: {}", refusal.reason()))?;
    app.declare_topology()
        .await
        .context("declaring the broker topology")?;
    app.publisher
        .publish_confirmed(&[Outgoing {
            routing_key: &envelope.event_type,
            body: &body,
            message_id: envelope.id,
        }])
        .await?;
    println!("{}", envelope.id);
    Ok(())
}
