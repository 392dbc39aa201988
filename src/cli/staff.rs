//! `complaints staff`: the staff directory every decision is checked against (README
//! "Security"). `import` reads a whole CSV file (`staff_id,team,roles,grade,active`) and stores
//! it in one transaction, or nothing if any row is malformed (naming its line); importing the
//! same file again changes nothing. Someone who leaves is kept with `active` false, so the
//! decisions they made still name a known person.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::app::App;
use crate::db::staff;
use crate::staff::parse_csv;

/// Arguments of `complaints staff`.
#[derive(Debug, Args)]
#[command(after_help = "Example file:\n  \
staff_id,team,roles,grade,active\n  \
s-0042,Complaint Resolution Team,team_leader,HEO,true\n  \
s-0193,Complaint Resolution Team,case_manager;mp_specialist,HEO,true\n\n\
Roles: caseworker, team_leader, g7_manager, case_manager, reviewer, special_payment_team,\n\
mp_specialist (several separated by ;). Grades: AO, EO, HEO, SEO, G7, G6, SCS.")]
pub struct StaffArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: StaffAction,
}

/// The staff directory actions.
#[derive(Debug, Subcommand)]
pub enum StaffAction {
    /// Load a CSV file into the directory (all of it, or nothing if a row is malformed).
    Import {
        /// The CSV file to load the staff directory from.
        file: PathBuf,
    },
    /// Print the directory.
    List,
}

/// Imports or lists the directory.
pub async fn staff(app: App, args: StaffArgs) -> anyhow::Result<()> {
    crate::db::migrate(&app.config.database_url()).await?;
    let mut conn = app.pool.get().await?;
    match args.action {
        StaffAction::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let members = parse_csv(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}; nothing was imported", file.display()))?;
            let written = staff::import(&mut conn, &members, app.clock.now()).await?;
            println!("{written} members of staff imported");
        }
        StaffAction::List => {
            println!(
                "{:<20} {:<32} {:<6} {:<8} roles",
                "staff id", "team", "grade", "active"
            );
            for m in staff::list(&mut conn).await? {
                println!(
                    "{:<20} {:<32} {:<6} {:<8} {}",
                    m.staff_id,
                    m.team,
                    m.grade,
                    if m.active { "yes" } else { "no" },
                    m.roles.join(";")
                );
            }
        }
    }
    Ok(())
}
