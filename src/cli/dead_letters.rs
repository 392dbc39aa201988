//! `complaints dead-letters`: list, show, replay and discard the messages in the dead-letter
//! queues. Every replay and discard is recorded in `dead_letter_actions` (who, when, what).

use std::io::IsTerminal;

use clap::{ArgGroup, Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::app::App;
use crate::broker::dead_letters::{self, masked_body, Action, DeadLetter, Selection};
use crate::workers::QUEUES;

/// Arguments of `complaints dead-letters`.
#[derive(Debug, Args)]
#[command(
    after_help = "A dead letter's id is its event id (or, for a body that is not a CloudEvent, \
a digest of it). Fix the cause first (read the reason with `show`), then `replay`: the message \
goes back to complaints.events under its event type; if it fails again it returns here with the \
new reason."
)]
pub struct DeadLettersArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: DeadLettersCommand,
}

/// The dead-letter subcommands.
#[derive(Debug, Subcommand)]
pub enum DeadLettersCommand {
    /// The dead letters: id, worker, type, reason, when, attempts.
    List {
        /// Only this worker's queue (intake, casework, …).
        #[arg(long, value_parser = worker_name)]
        queue: Option<String>,
        /// Only this kind of reason (not_json, schema_violation, delivery_limit, …).
        #[arg(long)]
        reason_kind: Option<String>,
        /// JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// One dead letter's headers and body, personal data masked.
    Show {
        /// The dead letter's id.
        id: String,
        /// Show the body as it is, personal data included.
        #[arg(long)]
        unmasked: bool,
    },
    /// Publish dead letters again to complaints.events, then remove them.
    Replay(ActArgs),
    /// Remove dead letters for good.
    Discard(ActArgs),
}

/// Which dead letters to replay or discard, and who does it.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").required(true).args(["id", "reason_kind", "all"])))]
pub struct ActArgs {
    /// One dead letter, by id.
    pub id: Option<String>,
    /// Every dead letter with this kind of reason.
    #[arg(long)]
    pub reason_kind: Option<String>,
    /// Every dead letter.
    #[arg(long)]
    pub all: bool,
    /// Only this worker's queue.
    #[arg(long, value_parser = worker_name)]
    pub queue: Option<String>,
    /// Who is doing it, for the record.
    #[arg(long, env = "USER", default_value = "unknown")]
    pub by: String,
}

/// A worker kind's name, checked against the queues.
fn worker_name(text: &str) -> Result<String, String> {
    let name = text
        .trim()
        .trim_start_matches("complaints.")
        .trim_end_matches(".dead-letter");
    if QUEUES.iter().any(|q| q.worker == name) {
        Ok(name.to_owned())
    } else {
        let known: Vec<_> = QUEUES.iter().map(|q| q.worker).collect();
        Err(format!("no queue `{text}`; one of: {}", known.join(", ")))
    }
}

/// Runs a dead-letters subcommand.
pub async fn dead_letters(app: App, args: DeadLettersArgs) -> anyhow::Result<()> {
    let url = app.config.amqp_urls();
    match args.command {
        DeadLettersCommand::List {
            queue,
            reason_kind,
            json,
        } => {
            let selection = Selection {
                worker: queue,
                reason_kind,
                ..Selection::default()
            };
            let letters = dead_letters::list(&url, &app.topology, QUEUES, &selection).await?;
            if json {
                for letter in &letters {
                    println!("{}", serde_json::to_string(&summary(letter))?);
                }
            } else if letters.is_empty() {
                println!("no dead letters");
            } else {
                print_table(&letters);
            }
        }
        DeadLettersCommand::Show { id, unmasked } => {
            let selection = Selection {
                id: Some(id.clone()),
                ..Default::default()
            };
            let letters = dead_letters::list(&url, &app.topology, QUEUES, &selection).await?;
            if letters.is_empty() {
                anyhow::bail!("no dead letter `{id}` (see `complaints dead-letters list`)");
            }
            for letter in letters {
                println!("id:       {}", letter.id);
                println!(
                    "queue:    {}",
                    app.topology.dead_letter_queue(&letter.worker)
                );
                println!("type:     {}", letter.event_type.as_deref().unwrap_or("-"));
                println!("reason:   {} ({})", letter.reason, letter.reason_kind);
                println!("when:     {}", when(&letter));
                println!("attempts: {}", letter.attempts);
                println!("headers:");
                for (key, value) in &letter.headers {
                    println!("  {key}: {value}");
                }
                println!("body:");
                if unmasked {
                    println!("{}", String::from_utf8_lossy(&letter.body));
                } else {
                    println!("{}", masked_body(&letter.body));
                }
            }
        }
        DeadLettersCommand::Replay(act) => run_action(&app, act, Action::Replay).await?,
        DeadLettersCommand::Discard(act) => run_action(&app, act, Action::Discard).await?,
    }
    Ok(())
}

/// Replays or discards, with a progress bar on a terminal and a plain line per message
/// otherwise.
async fn run_action(app: &App, args: ActArgs, action: Action) -> anyhow::Result<()> {
    let selection = Selection {
        worker: args.queue,
        id: args.id,
        reason_kind: args.reason_kind,
        limit: None,
    };
    let terminal = std::io::stderr().is_terminal();
    let bar = ProgressBar::hidden();
    if terminal {
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta} left)")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        bar.set_message(action.past_tense());
    }
    let done =
        dead_letters::act_and_record(app, &selection, action, &args.by, |n, total, letter| {
            if terminal {
                bar.set_length(total as u64);
                bar.set_position(n as u64);
            } else {
                println!(
                    "{} {n}/{total}: {} ({}, {})",
                    action.past_tense(),
                    letter.id,
                    letter.event_type.as_deref().unwrap_or("no type"),
                    letter.worker
                );
            }
        })
        .await?;
    bar.finish_and_clear();
    if done.is_empty() {
        anyhow::bail!("no dead letter matched (see `complaints dead-letters list`)");
    }
    println!("{} {} dead letter(s)", action.past_tense(), done.len());
    Ok(())
}

fn when(letter: &DeadLetter) -> String {
    letter.dead_lettered_at.map_or_else(
        || "-".into(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

fn summary(letter: &DeadLetter) -> serde_json::Value {
    serde_json::json!({
        "id": letter.id,
        "queue": letter.worker,
        "type": letter.event_type,
        "reason": letter.reason,
        "reason_kind": letter.reason_kind,
        "when": letter.dead_lettered_at,
        "attempts": letter.attempts,
    })
}

fn print_table(letters: &[DeadLetter]) {
    println!(
        "{:<36}  {:<15}  {:<26}  {:<23}  {:>8}  reason",
        "id", "queue", "type", "when", "attempts"
    );
    for letter in letters {
        println!(
            "{:<36}  {:<15}  {:<26}  {:<23}  {:>8}  {}: {}",
            letter.id,
            letter.worker,
            letter.event_type.as_deref().unwrap_or("-"),
            when(letter),
            letter.attempts,
            letter.reason_kind,
            letter.reason
        );
    }
}
