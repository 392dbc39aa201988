//! `complaints events show ID`: what happened to an event, as `GET /v1/events/{id}` answers.

use clap::{Args, Subcommand};
use uuid::Uuid;

use crate::app::App;
use crate::event_status::{event_status, Status};

/// Arguments of `complaints events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: EventsCommand,
}

/// The events subcommands.
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Pending, applied (with the case), refused (with the reason) or dead-lettered (with the
    /// reason).
    Show {
        /// The event's id (a UUID).
        id: Uuid,
        /// The same JSON document as GET /v1/events/{id}.
        #[arg(long)]
        json: bool,
    },
}

/// Runs an events subcommand.
pub async fn events(app: App, args: EventsArgs) -> anyhow::Result<()> {
    let EventsCommand::Show { id, json } = args.command;
    let status = event_status(&app, id).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&status)?);
        return Ok(());
    }
    let word = match status.status {
        Status::Pending => "pending (no worker has handled it yet, or it was never received)",
        Status::Applied => "applied",
        Status::Refused => "refused",
        Status::DeadLettered => "dead-lettered",
    };
    println!("event {id}: {word}");
    if let Some(case) = &status.opened_case {
        println!("  opened case {case}");
    }
    for case in &status.changed_cases {
        println!("  changed case {case}");
    }
    if !status.applied_by.is_empty() {
        println!("  applied by: {}", status.applied_by.join(", "));
    }
    for refusal in &status.refusals {
        println!("  {}: {}", refusal.event_type, refusal.reason);
    }
    for dead in &status.dead_letters {
        println!(
            "  dead-lettered by {} ({}): {}",
            dead.queue, dead.reason_kind, dead.reason
        );
    }
    Ok(())
}
