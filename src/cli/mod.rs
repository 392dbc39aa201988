//! The `complaints` command line: one subcommand per file.

pub mod bench;
pub mod clients;
pub mod clock;
pub mod dead_letters;
pub mod events;
pub mod letters;
pub mod migrate;
pub mod publish;
pub mod report;
pub mod run;
pub mod schema;
pub mod show;
pub mod staff;
pub mod status;
pub mod tasks;

use clap::{Parser, Subcommand};

/// RabbitMQ-driven workers that run a UK public-sector complaint process end to end.
///
/// Configuration comes from config/default.toml (compiled in), the file config/$COMPLAINTS_ENV.toml
/// if COMPLAINTS_ENV is set, and COMPLAINTS__SECTION__KEY environment variables
/// (e.g. COMPLAINTS__AMQP__URL). Passwords come only from the environment
/// (COMPLAINTS__DATABASE__PASSWORD, COMPLAINTS__AMQP__PASSWORD).
#[derive(Debug, Parser)]
#[command(name = "complaints", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `complaints`, one module of `src/cli/` each.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply the database migrations in migrations/ (also done by `run` on start).
    Migrate(migrate::MigrateArgs),
    /// Run workers and the HTTP server (all of them unless --workers says otherwise).
    Run(run::RunArgs),
    /// Publish one event (a CloudEvent JSON file, or - for stdin) after validating it.
    Publish(publish::PublishArgs),
    /// Show a case: its state, customer and timeline.
    Show(show::ShowArgs),
    /// Queue depths, dead letters and the outbox backlog at a glance.
    Status(status::StatusArgs),
    /// The figures of process.md §7 for a period: received, targets, outcomes, remedies,
    /// payments, escalations, the Systemic Log.
    Report(report::ReportArgs),
    /// Write or check the JSON Schemas in schema/ (generated from the event types).
    Schema(schema::SchemaArgs),
    /// Preview a letter rendered for a case.
    Letters(letters::LettersArgs),
    /// Show or move the simulated clock (clock.simulated = true only).
    Clock(clock::ClockArgs),
    /// What happened to an event: pending, applied, refused or dead-lettered.
    Events(events::EventsArgs),
    /// List, show, replay or discard dead letters.
    DeadLetters(dead_letters::DeadLettersArgs),
    /// Measure throughput against the real broker and database.
    Bench(bench::BenchArgs),
    /// Add, list or revoke the API clients that may call the HTTP API.
    Clients(clients::ClientsArgs),
    /// Import or list the staff directory every decision is checked against.
    Staff(staff::StaffArgs),
    /// The tasks waiting with a team (or every team), oldest first.
    Tasks(tasks::TasksArgs),
}
