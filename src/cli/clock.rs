//! `complaints clock`: show or move the simulated clock. Refused unless `clock.simulated =
//! true`: production time is never moved. The offset lives in the database, so every process
//! (every worker on every host) moves together.

use chrono::{DateTime, Duration, Utc};
use clap::{Args, Subcommand};

use crate::app::App;
use crate::clock::{Clock, SystemClock};
use crate::db::simulated_clock;

/// Arguments of `complaints clock`.
#[derive(Debug, Args)]
#[command(after_help = "Examples (with COMPLAINTS__CLOCK__SIMULATED=true):\n  \
complaints clock show\n  complaints clock advance 8d      # a 7-day wait runs out now\n  \
complaints clock advance 36h\n  complaints clock set 2027-01-04T09:00:00Z\n  complaints clock reset")]
pub struct ClockArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: ClockAction,
}

/// What `complaints clock` does to the simulated clock.
#[derive(Debug, Subcommand)]
pub enum ClockAction {
    /// Print the simulated time and its offset from real time.
    Show,
    /// Move the simulated clock forward by a duration such as 8d, 36h, 90m or 1w.
    Advance {
        /// How far: a number and a unit (s, m, h, d, w), e.g. 8d.
        duration: humantime::Duration,
    },
    /// Put the simulated clock at an instant (RFC 3339, e.g. 2027-01-04T09:00:00Z); it runs on from there.
    Set {
        /// The instant to set the clock to (RFC 3339).
        at: DateTime<Utc>,
    },
    /// Put the simulated clock back to real time.
    Reset,
}

/// Shows or moves the clock.
pub async fn clock(app: App, args: ClockArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        app.config.clock.simulated,
        "the clock is real: `complaints clock` works only with clock.simulated = true \
         (COMPLAINTS__CLOCK__SIMULATED=true), for tests and demonstrations"
    );
    crate::db::migrate(&app.config.database_url()).await?;
    let mut conn = app.pool.get().await?;
    let offset = simulated_clock::offset_ms(&mut conn).await?;
    // This command relates simulated time to real time, so it reads the real clock.
    let real_now = SystemClock.now();
    let new_offset = match args.action {
        ClockAction::Show => offset,
        ClockAction::Advance { duration } => {
            let step = Duration::from_std(*duration)
                .map_err(|_| anyhow::anyhow!("that duration is too long"))?;
            offset + step.num_milliseconds()
        }
        ClockAction::Set { at } => (at - real_now).num_milliseconds(),
        ClockAction::Reset => 0,
    };
    if new_offset != offset {
        simulated_clock::set_offset_ms(&mut conn, new_offset).await?;
    }
    let now = real_now + Duration::milliseconds(new_offset);
    println!(
        "simulated time: {}",
        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let sign = if new_offset < 0 { "-" } else { "+" };
    let magnitude = std::time::Duration::from_millis(new_offset.unsigned_abs());
    println!(
        "offset from real time: {sign}{}",
        humantime::format_duration(magnitude)
    );
    Ok(())
}
