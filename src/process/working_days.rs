//! Working days per region (process.md §5): Monday to Friday, less the bank holidays of the
//! customer's region (England and Wales, Scotland and Northern Ireland each have their own).
//!
//! The bank holidays are the official GOV.UK list as the `govuk-bank-holidays` crate ships it
//! offline; a newer list, in the same JSON format as <https://www.gov.uk/bank-holidays.json>,
//! can be loaded from a file (`calendar.bank_holidays_file`) without rebuilding.
//!
//! Deadlines fall at the end of a working day in UK time: "15 working days from receipt" ends
//! at midnight (Europe/London) after the 15th working day following the day of receipt.

use std::path::Path;

use chrono::{DateTime, Days, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::London;
use futures_util::FutureExt;
use govuk_bank_holidays::data_source::{DataSource, LoadDataSource};
use govuk_bank_holidays::{BankHolidayCalendar, Division, MonToFriWorkDays};

use crate::vocabulary::Region;

/// The working-day calendar of every region.
pub struct WorkingDays {
    calendar: BankHolidayCalendar<NaiveDate, MonToFriWorkDays>,
    last_known: NaiveDate,
}

impl std::fmt::Debug for WorkingDays {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkingDays")
            .field("last_known", &self.last_known)
            .finish()
    }
}

/// A bank-holiday file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// The file could not be read.
    #[error("reading the bank holiday list {path}: {source}")]
    Read {
        /// The bank-holiday file that could not be read.
        path: String,
        /// The error reading it.
        source: std::io::Error,
    },
    /// The file is not in GOV.UK's format.
    #[error("the bank holiday list {path} is not in GOV.UK's JSON format: {source}")]
    Parse {
        /// The bank-holiday file that does not parse.
        path: String,
        /// The parse error.
        source: govuk_bank_holidays::Error,
    },
}

/// A date computation that left the calendar. Only a date far outside any plausible range can
/// cause it (validation refuses those), so it is a reason to refuse the event, never a panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{what} falls outside the calendar")]
pub struct OutOfCalendar {
    /// What was being computed.
    pub what: &'static str,
}

/// A GOV.UK-format list already read into memory.
struct InMemory(Vec<u8>);

impl LoadDataSource<NaiveDate> for InMemory {
    async fn load_data_source(&self) -> Result<DataSource<NaiveDate>, govuk_bank_holidays::Error> {
        let mut source = DataSource::try_from_json(&self.0)?;
        source.sort();
        source.add_missing_divisions();
        Ok(source)
    }
}

impl WorkingDays {
    /// The official list shipped with the binary.
    pub fn official() -> Self {
        Self::new(BankHolidayCalendar::cached())
    }

    /// The list in `path` (GOV.UK's JSON format) instead of the shipped one.
    pub fn from_file(path: &Path) -> Result<Self, CalendarError> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| CalendarError::Read {
            path: name.clone(),
            source,
        })?;
        // The loader has the bytes already, so its future is ready at once.
        let calendar = BankHolidayCalendar::custom(InMemory(bytes))
            .now_or_never()
            .expect("an in-memory list loads without waiting")
            .map_err(|source| CalendarError::Parse { path: name, source })?;
        Ok(Self::new(calendar))
    }

    fn new(calendar: BankHolidayCalendar<NaiveDate, MonToFriWorkDays>) -> Self {
        let last_known = Division::all()
            .into_iter()
            .filter_map(|d| calendar.holidays(Some(d)).last().map(|h| *h.date()))
            .min()
            .unwrap_or(NaiveDate::MIN);
        Self {
            calendar,
            last_known,
        }
    }

    /// The last date for which every region's list is known; later dates count only weekends.
    pub fn known_until(&self) -> NaiveDate {
        self.last_known
    }

    /// Whether the bank-holiday list runs out within [`WARN_BEFORE_END`] of `today`: after its
    /// end only weekends count, so a deadline could fall on a bank holiday without anyone
    /// noticing. A running process warns at start when it does (update the dependency, or point
    /// `calendar.bank_holidays_file` at a newer list).
    pub fn ends_soon(&self, today: NaiveDate) -> bool {
        today
            .checked_add_months(WARN_BEFORE_END)
            .is_none_or(|horizon| self.last_known < horizon)
    }

    /// Whether `date` is a working day in `region`.
    pub fn is_working_day(&self, region: Region, date: NaiveDate) -> bool {
        self.calendar.is_work_day(&date, Some(division(region)))
    }

    /// The `n`-th working day after `date` in `region` (`date` itself does not count).
    pub fn add(&self, region: Region, date: NaiveDate, n: u32) -> Result<NaiveDate, OutOfCalendar> {
        let mut day = date;
        let mut counted = 0;
        while counted < n {
            day = day.checked_add_days(Days::new(1)).ok_or(OutOfCalendar {
                what: "a working day",
            })?;
            if self.is_working_day(region, day) {
                counted += 1;
            }
        }
        Ok(day)
    }

    /// The instant a clock of `n` working days from `start` runs out: midnight, UK time, at
    /// the end of the `n`-th working day after the day (UK time) of `start`.
    pub fn deadline(
        &self,
        region: Region,
        start: DateTime<Utc>,
        n: u32,
    ) -> Result<DateTime<Utc>, OutOfCalendar> {
        let start_day = start.with_timezone(&London).date_naive();
        let last_day = self.add(region, start_day, n)?;
        end_of_day(last_day)
    }
}

/// Midnight (Europe/London) at the end of `day`, in UTC.
pub fn end_of_day(day: NaiveDate) -> Result<DateTime<Utc>, OutOfCalendar> {
    let out = OutOfCalendar {
        what: "the end of a day",
    };
    let next = day
        .checked_add_days(Days::new(1))
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .ok_or(out)?;
    // UK clocks change at 01:00 or 02:00, so midnight is never skipped; `earliest` would only be
    // empty outside the time zone's range.
    Ok(London
        .from_local_datetime(&next)
        .earliest()
        .ok_or(out)?
        .with_timezone(&Utc))
}

fn division(region: Region) -> Division {
    match region {
        Region::EnglandAndWales => Division::EnglandAndWales,
        Region::Scotland => Division::Scotland,
        Region::NorthernIreland => Division::NorthernIreland,
    }
}

/// How long before the bank-holiday list ends a process starts warning about it.
pub const WARN_BEFORE_END: Months = Months::new(6);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warns_six_months_before_the_holiday_list_ends() {
        let wd = WorkingDays::official();
        let end = wd.known_until();
        assert!(
            end > d("2026-12-31"),
            "the bundled list reaches past this year"
        );
        let seven_months_before = end.checked_sub_months(Months::new(7)).unwrap();
        let five_months_before = end.checked_sub_months(Months::new(5)).unwrap();
        assert!(!wd.ends_soon(seven_months_before));
        assert!(wd.ends_soon(five_months_before));
        assert!(wd.ends_soon(end + Days::new(1)));
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn christmas_and_new_year_everywhere() {
        let wd = WorkingDays::official();
        for region in Region::ALL.iter().copied() {
            for holiday in ["2026-12-25", "2026-12-28", "2027-01-01"] {
                assert!(!wd.is_working_day(region, d(holiday)), "{region} {holiday}");
            }
            assert!(wd.is_working_day(region, d("2026-12-24")), "{region}");
        }
    }

    #[test]
    fn scotland_keeps_the_second_of_january() {
        let wd = WorkingDays::official();
        // 2 January 2026 is a Friday.
        assert!(!wd.is_working_day(Region::Scotland, d("2026-01-02")));
        assert!(wd.is_working_day(Region::EnglandAndWales, d("2026-01-02")));
        assert!(wd.is_working_day(Region::NorthernIreland, d("2026-01-02")));
    }

    #[test]
    fn northern_ireland_keeps_st_patricks_day_and_the_boyne() {
        let wd = WorkingDays::official();
        assert!(!wd.is_working_day(Region::NorthernIreland, d("2026-03-17")));
        assert!(wd.is_working_day(Region::EnglandAndWales, d("2026-03-17")));
        assert!(
            !wd.is_working_day(Region::NorthernIreland, d("2026-07-13")),
            "the substitute for 12 July, a Sunday"
        );
        assert!(wd.is_working_day(Region::Scotland, d("2026-07-13")));
    }

    #[test]
    fn easter_monday_is_not_a_holiday_in_scotland() {
        let wd = WorkingDays::official();
        assert!(
            !wd.is_working_day(Region::EnglandAndWales, d("2026-04-03")),
            "Good Friday"
        );
        assert!(
            !wd.is_working_day(Region::Scotland, d("2026-04-03")),
            "Good Friday"
        );
        assert!(
            !wd.is_working_day(Region::EnglandAndWales, d("2026-04-06")),
            "Easter Monday"
        );
        assert!(wd.is_working_day(Region::Scotland, d("2026-04-06")));
    }

    #[test]
    fn substitute_days_count_as_holidays() {
        let wd = WorkingDays::official();
        // Boxing Day 2026 is a Saturday; Monday 28 December is the substitute.
        assert!(!wd.is_working_day(Region::EnglandAndWales, d("2026-12-28")));
        assert!(wd.is_working_day(Region::EnglandAndWales, d("2026-12-29")));
    }

    #[test]
    fn fifteen_working_days_across_christmas() {
        let wd = WorkingDays::official();
        // Received Monday 14 December 2026. England and Wales lose 25 and 28 December and
        // 1 January; Scotland also loses Monday 4 January, the substitute for 2 January.
        assert_eq!(
            wd.add(Region::EnglandAndWales, d("2026-12-14"), 15)
                .unwrap(),
            d("2027-01-07")
        );
        assert_eq!(
            wd.add(Region::Scotland, d("2026-12-14"), 15).unwrap(),
            d("2027-01-08")
        );
        assert_eq!(
            wd.add(Region::EnglandAndWales, d("2026-11-24"), 15)
                .unwrap(),
            d("2026-12-15")
        );
    }

    #[test]
    fn a_deadline_ends_at_uk_midnight() {
        let wd = WorkingDays::official();
        let received: DateTime<Utc> = "2026-11-24T10:00:00Z".parse().unwrap();
        assert_eq!(
            wd.deadline(Region::EnglandAndWales, received, 15).unwrap(),
            "2026-12-16T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        // In summer time, UK midnight is 23:00 UTC.
        let summer: DateTime<Utc> = "2026-07-01T10:00:00Z".parse().unwrap();
        assert_eq!(
            wd.deadline(Region::EnglandAndWales, summer, 2).unwrap(),
            "2026-07-03T23:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    #[test]
    fn a_newer_list_loads_from_a_file() {
        let path = std::env::temp_dir().join(format!("holidays-{}.json", uuid::Uuid::new_v4()));
        let list = r#"{
            "england-and-wales": {"division": "england-and-wales", "events": [{"title": "Extra day", "date": "2029-06-01", "notes": "", "bunting": true}]},
            "scotland": {"division": "scotland", "events": []},
            "northern-ireland": {"division": "northern-ireland", "events": []}
        }"#;
        std::fs::write(&path, list).unwrap();
        let wd = WorkingDays::from_file(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(!wd.is_working_day(Region::EnglandAndWales, d("2029-06-01")));
        assert!(wd.is_working_day(Region::Scotland, d("2029-06-01")));
        let bad = WorkingDays::from_file(Path::new("/nonexistent/holidays.json"));
        assert!(bad
            .unwrap_err()
            .to_string()
            .contains("/nonexistent/holidays.json"));
    }
}
