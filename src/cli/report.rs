//! `complaints report`: the figures of process.md §7 for a period, as text, JSON or CSV.

use chrono::NaiveDate;
use clap::Args;

use crate::app::App;
use crate::db::reports;
use crate::reports::period;

/// Arguments of `complaints report`.
#[derive(Debug, Args)]
#[command(
    after_help = "Every figure concerns the cases received in the period, as they \
stand now (outcomes, codes, escalations and payments included); Systemic Log entries are \
those recorded in it. Days are UK days.\n\nExample: complaints report --from 2026-10-01 --to \
2026-12-31 --csv > q3.csv\nThe same report over HTTP: GET \
/v1/reports/complaints?from=2026-10-01&to=2026-12-31&format=csv"
)]
pub struct ReportArgs {
    /// The first day of the period (YYYY-MM-DD).
    #[arg(long)]
    pub from: NaiveDate,
    /// The last day of the period, included (YYYY-MM-DD).
    #[arg(long)]
    pub to: NaiveDate,
    /// Print JSON.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV (section,item,value).
    #[arg(long)]
    pub csv: bool,
}

/// Prints the report.
pub async fn report(app: App, args: ReportArgs) -> anyhow::Result<()> {
    let (from, to) = period(args.from, args.to).map_err(anyhow::Error::msg)?;
    let mut conn = app.pool.get().await?;
    let report = reports::report(&mut conn, from, to).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if args.csv {
        print!("{}", report.to_csv());
    } else {
        print!("{}", report.to_text());
    }
    Ok(())
}
