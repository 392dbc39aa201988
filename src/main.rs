//! The `complaints` binary: parses the command line, loads the configuration, and hands over
//! to the subcommand.

use std::process::ExitCode;

use clap::Parser;

use complaints::app::App;
use complaints::cli::{self, Cli, Command};
use complaints::config::Config;

#[tokio::main]
async fn main() -> ExitCode {
    quiet_on_closed_pipe();
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
        Command::Events(args) => cli::events::events(app()?, args).await,
        Command::DeadLetters(args) => cli::dead_letters::dead_letters(app()?, args).await,
        Command::Bench(args) => cli::bench::bench(config.clone(), args).await,
        Command::Clients(args) => cli::clients::clients(app()?, args).await,
        Command::Staff(args) => cli::staff::staff(app()?, args).await,
        Command::Tasks(args) => cli::tasks::tasks(app()?, args).await,
    }
}

/// `complaints status | head -5` closes stdout early: end quietly, as the Unix tools do
/// (status 141, "killed by SIGPIPE"), instead of a panic and a backtrace. Every other panic
/// keeps the default report.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}
