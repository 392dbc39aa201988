//! `complaints migrate`: apply pending migrations and say which.

use clap::Args;

use crate::config::Config;
use crate::db;

/// Arguments of `complaints migrate`.
#[derive(Debug, Args)]
#[command(
    after_help = "Migrations are compiled into the binary from migrations/; applying them \
twice is harmless, and two processes migrating at once take turns."
)]
pub struct MigrateArgs {}

/// Applies the migrations.
pub async fn migrate(config: &Config, _args: MigrateArgs) -> anyhow::Result<()> {
    if db::ensure_database(&config.database_url()).await? {
        println!("created the database");
    }
    let applied = db::migrate(&config.database_url()).await?;
    if applied.is_empty() {
        println!("database is up to date");
    }
    for name in applied {
        println!("applied {name}");
    }
    Ok(())
}
