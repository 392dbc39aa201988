//! The `complaints` binary: parses the command line, loads the configuration, and hands over
//! to the subcommand.

use std::process::ExitCode;

use clap::Parser;

use complaints::app::App;
use complaints::cli::{self, Cli, Command};
use complaints::config::Config;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    complaints::telemetry::init_logging(&config.log);
    match dispatch(cli.command, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(command: Command, config: Config) -> anyhow::Result<()> {
    let app = || App::new(config.clone());
    match command {
        Command::Migrate(args) => cli::migrate::migrate(&config, args).await,
        Command::Schema(args) => cli::schema::schema(args),
        Command::Run(args) => cli::run::run(app()?, args).await,
        Command::Publish(args) => cli::publish::publish(app()?, args).await,
        Command::Show(args) => cli::show::show(app()?, args).await,
        Command::Status(args) => cli::status::status(app()?, args).await,
        Command::Report(args) => cli::report::report(app()?, args).await,
        Command::Clock(args) => cli::clock::clock(app()?, args).await,
        Command::Letters(args) => cli::letters::letters(app()?, args).await,
        Command::Bench(args) => cli::bench::bench(config.clone(), args).await,
        Command::Clients(args) => cli::clients::clients(app()?, args).await,
        Command::Staff(args) => cli::staff::staff(app()?, args).await,
    }
}
