//! The clocks of process.md §5 as pure functions: when each one runs out, and when the
//! scheduler must fire it so that what it triggers (a letter) is done by then.
//!
//! "Days" and "hours" are calendar time; "working days" skip weekends and the customer's
//! region's bank holidays. A clock that drives a letter fires `lead` before its deadline.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{json, Value};

use super::working_days::{end_of_day, OutOfCalendar, WorkingDays};
use crate::vocabulary::{
    About, ClockKind, Complexity, ContactRestriction, LetterCode, Region, Tier,
};

/// Tier 1: initial contact within 48 hours of receipt.
pub const ACKNOWLEDGEMENT_HOURS: i64 = 48;
/// Tier 2: CMSL5829 within 2 working days of the referral.
pub const REVIEW_ACKNOWLEDGEMENT_WORKING_DAYS: u32 = 2;
/// Tier 0: 14 days for the customer to answer CMSL5700.
pub const REPLY_WINDOW_DAYS: i64 = 14;
/// The response target: 15 working days from receipt…
pub const RESPONSE_TARGET_WORKING_DAYS: u32 = 15;
/// …or 20 for Private Office (POS) cases.
pub const POS_RESPONSE_TARGET_WORKING_DAYS: u32 = 20;
/// A remedial action, once its deadline or due date has passed, is escalated this many
/// working days later (design).
pub const OVERDUE_ESCALATION_WORKING_DAYS: u32 = 2;
/// ICE redress is paid within 4 weeks of the final report.
pub const ICE_REDRESS_DAYS: i64 = 28;

/// A clock to set on a case.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockSetting {
    /// Which clock.
    pub clock: ClockKind,
    /// Which one of its kind (an action id), or empty.
    pub key: String,
    /// When it runs out.
    pub deadline: DateTime<Utc>,
    /// When the scheduler fires it.
    pub due_at: DateTime<Utc>,
    /// What the firing worker needs to know.
    pub detail: Value,
}

/// `start + length`, or the reason it cannot be computed.
fn after(
    start: DateTime<Utc>,
    length: Duration,
    what: &'static str,
) -> Result<DateTime<Utc>, OutOfCalendar> {
    start
        .checked_add_signed(length)
        .ok_or(OutOfCalendar { what })
}

impl ClockSetting {
    fn at(clock: ClockKind, deadline: DateTime<Utc>) -> Self {
        Self {
            clock,
            key: String::new(),
            deadline,
            due_at: deadline,
            detail: json!({}),
        }
    }

    fn fired_early(mut self, lead: Duration) -> Result<Self, OutOfCalendar> {
        self.due_at = after(self.deadline, -lead, "the time to fire a clock")?;
        Ok(self)
    }

    fn keyed(mut self, key: &str) -> Self {
        self.key = key.to_owned();
        self
    }

    fn with_detail(mut self, detail: Value) -> Self {
        self.detail = detail;
        self
    }
}

/// Whether the customer may be contacted only in writing: staff-behaviour complaints are
/// acknowledged by letter, never by phone, and so are UPCC and vexatious customers.
pub fn written_contact_only(about: About, restriction: ContactRestriction) -> bool {
    about == About::Staff || restriction == ContactRestriction::WrittenOnly
}

/// Tier 1: 48 hours from receipt, fired `lead` early so the acknowledgement letter is out in time.
pub fn acknowledgement(
    received_at: DateTime<Utc>,
    lead: Duration,
) -> Result<ClockSetting, OutOfCalendar> {
    let deadline = after(
        received_at,
        Duration::hours(ACKNOWLEDGEMENT_HOURS),
        "the acknowledgement deadline",
    )?;
    ClockSetting::at(ClockKind::Acknowledgement, deadline).fired_early(lead)
}

/// Tier 2: 2 working days from the referral, fired `lead` early so CMSL5829 is out in time.
pub fn review_acknowledgement(
    calendar: &WorkingDays,
    region: Region,
    referred_at: DateTime<Utc>,
    lead: Duration,
) -> Result<ClockSetting, OutOfCalendar> {
    ClockSetting::at(
        ClockKind::ReviewAcknowledgement,
        calendar.deadline(region, referred_at, REVIEW_ACKNOWLEDGEMENT_WORKING_DAYS)?,
    )
    .fired_early(lead)
}

/// The response target of a tier 1 or tier 2 case: 15 working days from receipt, 20 for POS.
pub fn response_target(
    calendar: &WorkingDays,
    region: Region,
    received_at: DateTime<Utc>,
    pos: bool,
) -> Result<ClockSetting, OutOfCalendar> {
    let days = if pos {
        POS_RESPONSE_TARGET_WORKING_DAYS
    } else {
        RESPONSE_TARGET_WORKING_DAYS
    };
    Ok(ClockSetting::at(
        ClockKind::ResponseTarget,
        calendar.deadline(region, received_at, days)?,
    )
    .with_detail(json!({ "working_days": days })))
}

/// The wait a letter starts when it is sent, if it starts one.
pub fn wait_after(
    code: LetterCode,
    sent_at: DateTime<Utc>,
) -> Result<Option<ClockSetting>, OutOfCalendar> {
    let (clock, days) = match code {
        LetterCode::Cmsl5700 => (ClockKind::DissatisfactionReplyWindow, REPLY_WINDOW_DAYS),
        LetterCode::Cmsl5800 => (ClockKind::WaitAfterCmsl5800, 7),
        LetterCode::Cmsl5801 => (ClockKind::WaitAfterCmsl5801, 7),
        LetterCode::Cmsl5805 => (ClockKind::WaitAfterCmsl5805, 14),
        _ => return Ok(None),
    };
    let deadline = after(sent_at, Duration::days(days), "the end of a wait")?;
    Ok(Some(ClockSetting::at(clock, deadline)))
}

/// The clocks whose running out ends the case: a decision of the state machine (the casework
/// worker's [`Decision::ClockRanOut`](crate::process::casework::Decision::ClockRanOut)), never
/// of the worker that started them.
pub const END_THE_CASE: &[ClockKind] =
    &[ClockKind::WaitAfterCmsl5800, ClockKind::WaitAfterCmsl5805];

/// The clocks a successful contact meets.
pub const MET_BY_CONTACT: &[ClockKind] =
    &[ClockKind::Acknowledgement, ClockKind::ReviewAcknowledgement];

/// The clocks that follow an action (its due date, a remedial deadline) until it is done.
pub const MET_BY_ACTION: &[ClockKind] = &[
    ClockKind::ActionDue,
    ClockKind::ActionOverdue,
    ClockKind::RemedialAction,
    ClockKind::RemedialActionOverdue,
];

/// Whether sending `code` answers the complaint, meeting its response target (design: the
/// outcome and resolution letters of each tier).
pub fn answers_the_complaint(code: LetterCode) -> bool {
    matches!(
        code,
        LetterCode::Cmsl5701
            | LetterCode::Cmsl5800
            | LetterCode::Cmsl5801
            | LetterCode::Cmsl5805
            | LetterCode::Cmsl5806
            | LetterCode::Cmsl5807
    )
}

/// A resolution action's agreed due date: a reminder at the end of that day.
pub fn action_due(action_id: &str, due_on: NaiveDate) -> Result<ClockSetting, OutOfCalendar> {
    Ok(ClockSetting::at(ClockKind::ActionDue, end_of_day(due_on)?).keyed(action_id))
}

/// A remedial action asked of another team: 1 week if simple, 2 weeks if complex.
pub fn remedial_action(
    action_id: &str,
    complexity: Complexity,
    requested_at: DateTime<Utc>,
) -> Result<ClockSetting, OutOfCalendar> {
    let weeks = match complexity {
        Complexity::Simple => 1,
        Complexity::Complex => 2,
    };
    let deadline = after(
        requested_at,
        Duration::weeks(weeks),
        "a remedial action's deadline",
    )?;
    Ok(ClockSetting::at(ClockKind::RemedialAction, deadline).keyed(action_id))
}

/// The wait for evidence the customer was invited to send before a special payment is decided
/// (seed 001): `days` calendar days from the request.
pub fn evidence_wait(
    requested_at: DateTime<Utc>,
    days: u32,
) -> Result<ClockSetting, OutOfCalendar> {
    let deadline = after(
        requested_at,
        Duration::days(i64::from(days)),
        "the end of the wait for evidence",
    )?;
    Ok(ClockSetting::at(ClockKind::EvidenceWait, deadline))
}

/// The escalation that follows a reminder nobody acted on.
pub fn overdue(
    calendar: &WorkingDays,
    region: Region,
    reminder: ClockKind,
    key: &str,
    reminded_at: DateTime<Utc>,
) -> Result<Option<ClockSetting>, OutOfCalendar> {
    let clock = match reminder {
        ClockKind::ActionDue => ClockKind::ActionOverdue,
        ClockKind::RemedialAction => ClockKind::RemedialActionOverdue,
        _ => return Ok(None),
    };
    let deadline = calendar.deadline(region, reminded_at, OVERDUE_ESCALATION_WORKING_DAYS)?;
    Ok(Some(ClockSetting::at(clock, deadline).keyed(key)))
}

/// ICE redress: 4 weeks from the final report.
pub fn ice_redress(reported_at: DateTime<Utc>) -> Result<ClockSetting, OutOfCalendar> {
    let deadline = after(
        reported_at,
        Duration::days(ICE_REDRESS_DAYS),
        "the ICE redress deadline",
    )?;
    Ok(ClockSetting::at(ClockKind::IceRedress, deadline))
}

/// Whether a tier's cases run the response target (tiers 1 and 2; tier 0 is resolved at the
/// first point of contact).
pub fn has_response_target(tier: Tier) -> bool {
    tier != Tier::Dissatisfaction
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_acknowledgement_fires_early_enough_to_send_the_letter() {
        let c = acknowledgement(at("2026-11-24T10:00:00Z"), Duration::hours(8)).unwrap();
        assert_eq!(c.deadline, at("2026-11-26T10:00:00Z"));
        assert_eq!(c.due_at, at("2026-11-26T02:00:00Z"));
    }

    #[test]
    fn pos_cases_have_twenty_working_days() {
        let wd = WorkingDays::official();
        let received = at("2026-11-24T10:00:00Z");
        let normal = response_target(&wd, Region::EnglandAndWales, received, false).unwrap();
        let pos = response_target(&wd, Region::EnglandAndWales, received, true).unwrap();
        assert_eq!(normal.deadline, at("2026-12-16T00:00:00Z"));
        assert_eq!(pos.deadline, at("2026-12-23T00:00:00Z"));
        assert_eq!(
            normal.due_at, normal.deadline,
            "a target fires at its deadline"
        );
    }

    #[test]
    fn the_review_acknowledgement_counts_working_days_in_the_customers_region() {
        let wd = WorkingDays::official();
        // Referred on Wednesday 30 December 2026: 31 December, then 4 January in England
        // (1 January is a holiday) but 5 January in Scotland (4 January is its substitute).
        let referred = at("2026-12-30T15:00:00Z");
        let england =
            review_acknowledgement(&wd, Region::EnglandAndWales, referred, Duration::hours(8))
                .unwrap();
        let scotland =
            review_acknowledgement(&wd, Region::Scotland, referred, Duration::hours(8)).unwrap();
        assert_eq!(england.deadline, at("2027-01-05T00:00:00Z"));
        assert_eq!(scotland.deadline, at("2027-01-06T00:00:00Z"));
    }

    #[test]
    fn letters_start_their_waits() {
        let sent = at("2026-11-24T10:00:00Z");
        let days = |code| {
            let c = wait_after(code, sent).unwrap().unwrap();
            (c.clock, (c.deadline - sent).num_days())
        };
        assert_eq!(
            days(LetterCode::Cmsl5700),
            (ClockKind::DissatisfactionReplyWindow, 14)
        );
        assert_eq!(
            days(LetterCode::Cmsl5800),
            (ClockKind::WaitAfterCmsl5800, 7)
        );
        assert_eq!(
            days(LetterCode::Cmsl5801),
            (ClockKind::WaitAfterCmsl5801, 7)
        );
        assert_eq!(
            days(LetterCode::Cmsl5805),
            (ClockKind::WaitAfterCmsl5805, 14)
        );
        assert!(wait_after(LetterCode::Cmsl5806, sent).unwrap().is_none());
    }

    #[test]
    fn remedial_actions_get_one_or_two_weeks() {
        let asked = at("2026-11-24T10:00:00Z");
        assert_eq!(
            remedial_action("R1", Complexity::Simple, asked)
                .unwrap()
                .deadline,
            at("2026-12-01T10:00:00Z")
        );
        assert_eq!(
            remedial_action("R1", Complexity::Complex, asked)
                .unwrap()
                .deadline,
            at("2026-12-08T10:00:00Z")
        );
    }

    #[test]
    fn dates_beyond_the_calendar_are_refused_not_panicked_on() {
        let wd = WorkingDays::official();
        let end = DateTime::<Utc>::MAX_UTC;
        assert!(acknowledgement(end, Duration::hours(8)).is_err());
        assert!(response_target(&wd, Region::Scotland, end, false).is_err());
        assert!(review_acknowledgement(&wd, Region::Scotland, end, Duration::hours(8)).is_err());
        assert!(wait_after(LetterCode::Cmsl5800, end).is_err());
        assert!(remedial_action("R1", Complexity::Complex, end).is_err());
        assert!(ice_redress(end).is_err());
        assert!(action_due("A1", NaiveDate::MAX).is_err());
    }

    #[test]
    fn staff_complaints_and_written_only_customers_are_written_to() {
        assert!(written_contact_only(About::Staff, ContactRestriction::None));
        assert!(written_contact_only(
            About::Service,
            ContactRestriction::WrittenOnly
        ));
        assert!(!written_contact_only(
            About::Service,
            ContactRestriction::None
        ));
    }
}
