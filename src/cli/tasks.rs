//! `complaints tasks [--team T] [--state open|done|cancelled] [--json]`: the tasks waiting
//! with a team (or every team), oldest first, as `GET /v1/tasks` lists them.

use clap::Args;

use crate::app::App;
use crate::db::tasks;

/// Arguments of `complaints tasks`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  complaints tasks --team complaint_resolution_team\n  complaints tasks --team special_payment_team --json\n  complaints tasks --state done"
)]
pub struct TasksArgs {
    /// Only this team's tasks: a handling team (e.g. operational_caseworkers,
    /// complaint_resolution_team) or a central one (special_payment_team).
    #[arg(long)]
    pub team: Option<String>,
    /// Which tasks: open (the default), done or cancelled.
    #[arg(long, default_value = tasks::OPEN, value_parser = clap::builder::PossibleValuesParser::new(tasks::STATES))]
    pub state: String,
    /// At most this many.
    #[arg(long, default_value_t = 200)]
    pub limit: i64,
    /// Print them as JSON (the same list as GET /v1/tasks).
    #[arg(long)]
    pub json: bool,
}

/// Prints the tasks matching the filters, oldest first.
pub async fn tasks(app: App, args: TasksArgs) -> anyhow::Result<()> {
    let mut conn = app.db().await?;
    let listed = tasks::list(&mut conn, args.team.as_deref(), &args.state, args.limit).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&listed)?);
        return Ok(());
    }
    if listed.is_empty() {
        println!("no {} tasks", args.state);
        return Ok(());
    }
    let now = app.clock.now();
    for task in &listed {
        let due = if task.state == tasks::OPEN && task.due_at <= now {
            format!("due {} (overdue)", task.due_at.format("%Y-%m-%d %H:%M"))
        } else {
            format!("due {}", task.due_at.format("%Y-%m-%d %H:%M"))
        };
        println!(
            "{}  {:<17} {:<27} {:<20} {due}\n    {}",
            task.created_at.format("%Y-%m-%d %H:%M"),
            task.case_reference,
            task.team,
            task.assignee,
            task.task
        );
    }
    Ok(())
}
