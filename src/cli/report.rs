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
    #[arg(long, value_parser = day)]
    pub from: NaiveDate,
    /// The last day of the period, included (YYYY-MM-DD).
    #[arg(long, value_parser = day)]
    pub to: NaiveDate,
    /// Print JSON.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV (section,item,value).
    #[arg(long)]
    pub csv: bool,
}

/// A day as YYYY-MM-DD, with the expected format in the error.
fn day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|e| format!("`{text}` is not a day as YYYY-MM-DD, e.g. 2026-11-27 ({e})"))
}

/// Prints the report of process.md §7 for the period: as text, or as JSON or CSV when asked.
pub async fn report(app: App, args: ReportArgs) -> anyhow::Result<()> {
    let (from, to) = period(args.from, args.to).map_err(anyhow::Error::msg)?;
    let mut conn = app.db().await?;
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
