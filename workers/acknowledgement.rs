//! The acknowledgement worker: every complaint is acknowledged in time, once (process.md §4,
//! §5).
//!
//! - Tier 1: initial contact within 48 hours of receipt. The clock starts when the case opens
//!   and is met by a successful contact; if it runs out, the worker requests the
//!   acknowledgement letter itself (CMSL5842), early enough to be out by the deadline. Staff
//!   complaints and written-only customers get the letter at once: never a phone call. A case
//!   escalated from tier 0 whose customer was not told by phone already has its CMSL5842 (the
//!   escalation worker requested it): no clock, no second letter.
//! - Tier 2: CMSL5829 within 2 working days of the referral when no phone contact is made.
//! - Tier 0: a failed phone contact sends CMSL5700; once it is sent the customer has 14 days to
//!   reply, after which the caseworker decides on escalation. Staff complaints and written-only
//!   customers are never phoned, so they get CMSL5700 as the case opens.
//! - It reads only what the system emitted: a contact attempt, a reply or an outcome reaches it
//!   once the casework worker accepted it (a phone call to a customer who may only be written
//!   to is refused there, and so meets no clock here).
//! - Whatever meets or overtakes the acknowledgement stops its clock: a successful contact,
//!   any letter sent on the case (an outcome letter says more than an acknowledgement), an
//!   outcome decided or a substantive holding reply. A clock that fires after it was overtaken
//!   sends nothing.

use chrono::{DateTime, Duration, Utc};
use diesel_async::AsyncPgConnection;
use serde_json::json;

use super::effects::{with_cases, Effects};
use super::Worker;
use crate::app::App;
use crate::db::cases::{self, CaseFacts};
use crate::db::timers;
use crate::events::{
    timer_fired, CaseOpened, ClientReplied, CloudEvent, ContactAttempted, HoldingReplySent,
    LetterSent, OutcomeDecided, TimerFired,
};
use crate::failure::contradicts_database;
use crate::process::clocks::{self, written_contact_only, MET_BY_CONTACT};
use crate::process::working_days::WorkingDays;
use crate::vocabulary::{Assignee, CaseKind, ClockKind, ContactMethod, LetterCode, Tier};

crate::event_set! {
    /// What the acknowledgement worker reads.
    pub enum AcknowledgementEvent {
        /// A case opened: start its acknowledgement clock.
        CaseOpened(CaseOpened) = case_opened,
        /// Contact made (meets the clock) or failed (tier 0: CMSL5700).
        ContactAttempted(ContactAttempted) = contact_attempted,
        /// A letter went out (CMSL5700 starts the reply window).
        LetterSent(LetterSent) = letter_sent,
        /// The customer replied (meets the reply window).
        ClientReplied(ClientReplied) = client_replied,
        /// An outcome was decided: the acknowledgement is overtaken.
        OutcomeDecided(OutcomeDecided) = outcome_decided,
        /// A substantive holding reply went out: the acknowledgement is overtaken.
        HoldingReplySent(HoldingReplySent) = holding_reply_sent,
        /// A clock ran out.
        TimerFired(TimerFired) = timer_fired,
    }
}

/// The acknowledgement worker.
pub struct Acknowledgement {
    calendar: std::sync::Arc<WorkingDays>,
    lead: Duration,
}

impl Worker for Acknowledgement {
    const NAME: &'static str = "acknowledgement";
    const LOCKS_CASES: bool = true;
    type Event = AcknowledgementEvent;

    /// With the app's calendar and letter lead time.
    fn build(app: &App) -> anyhow::Result<Self> {
        Ok(Self {
            calendar: app.calendar.clone(),
            lead: Duration::hours(i64::from(app.config.clock.letter_lead_hours)),
        })
    }

    async fn apply(
        &self,
        conn: &mut AsyncPgConnection,
        events: &[&CloudEvent<AcknowledgementEvent>],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut effects = Effects::new(Acknowledgement::NAME, now);
        for (event, case) in &with_cases(conn, events, &mut effects).await? {
            // A dispute is acknowledged by its own plan letters (the disputes worker); official
            // correspondence is answered, not acknowledged as a complaint.
            if case.closed || case.kind != CaseKind::Complaint {
                continue;
            }
            match &event.data {
                AcknowledgementEvent::CaseOpened(opened) => {
                    self.opened(conn, case, opened, event.id, &mut effects)
                        .await?
                }
                AcknowledgementEvent::ContactAttempted(contact) => {
                    contacted(conn, case, contact, event.id, &mut effects).await?
                }
                AcknowledgementEvent::LetterSent(letter) => {
                    letter_sent(conn, case, letter, event.id, now, &mut effects).await?
                }
                AcknowledgementEvent::ClientReplied(_) => {
                    let met = effects
                        .stop_clocks(
                            conn,
                            case,
                            &[ClockKind::DissatisfactionReplyWindow],
                            None,
                            "the customer replied",
                        )
                        .await?;
                    if !met.is_empty() {
                        effects.note(
                            case,
                            "Customer replied within the CMSL5700 reply window".into(),
                            json!({}),
                            event.id,
                        );
                    }
                }
                AcknowledgementEvent::OutcomeDecided(_) => {
                    overtaken(conn, case, "an outcome was decided", event.id, &mut effects).await?
                }
                AcknowledgementEvent::HoldingReplySent(_) => {
                    overtaken(
                        conn,
                        case,
                        "a substantive holding reply was sent",
                        event.id,
                        &mut effects,
                    )
                    .await?
                }
                AcknowledgementEvent::TimerFired(timer) => {
                    if !timers::has_fired(conn, case.id, timer.clock, &timer.key).await? {
                        let why = "that clock has not fired";
                        return Err(contradicts_database(timer_fired::TYPE, why).into());
                    }
                    ran_out(conn, case, timer, event.id, &mut effects).await?
                }
            }
        }
        Ok(effects.write(conn).await?)
    }
}

impl Acknowledgement {
    /// Starts the tier's acknowledgement clock, or writes at once when the customer may only be
    /// written to.
    async fn opened(
        &self,
        conn: &mut AsyncPgConnection,
        case: &CaseFacts,
        opened: &CaseOpened,
        cause: uuid::Uuid,
        effects: &mut Effects,
    ) -> anyhow::Result<()> {
        // Only a case opened on escalation (linked to the lower case) can have its CMSL5842
        // already: the one look-up is saved for every other.
        let escalated = opened.linked_case_reference.is_some();
        let written_only = written_contact_only(case.about, case.contact_restriction);
        let (letter, setting) = match case.tier {
            // Tier 0 writes only when a call fails, or at once when no call may be made.
            Tier::Dissatisfaction if written_only => {
                effects.request_letter(case, LetterCode::Cmsl5700, written_why(case), cause);
                return Ok(());
            }
            Tier::Dissatisfaction => return Ok(()),
            // Seed 004: a "non complaint consolatory payment referral only" is not acknowledged
            // as a complaint.
            Tier::Resolution if case.consolatory_referral => {
                effects.note(
                    case,
                    "Not acknowledged as a complaint: a consolatory-payment referral".into(),
                    json!({}),
                    cause,
                );
                return Ok(());
            }
            Tier::Resolution
                if escalated
                    && effects
                        .letter_requested(conn, case, Some(LetterCode::Cmsl5842))
                        .await? =>
            {
                effects.note(
                    case,
                    "Acknowledged by CMSL5842, requested as the case opened on escalation".into(),
                    json!({}),
                    cause,
                );
                return Ok(());
            }
            Tier::Resolution => (
                LetterCode::Cmsl5842,
                clocks::acknowledgement(case.received_at, self.lead)?,
            ),
            Tier::Review => (
                LetterCode::Cmsl5829,
                clocks::review_acknowledgement(
                    &self.calendar,
                    case.region,
                    case.received_at,
                    self.lead,
                )?,
            ),
        };
        if written_only {
            effects.request_letter(case, letter, written_why(case), cause);
            return Ok(());
        }
        effects.start_clocks(case, &[setting], cause);
        Ok(())
    }
}

/// Why a case is acknowledged by letter at once.
fn written_why(case: &CaseFacts) -> &'static str {
    if case.about == crate::vocabulary::About::Staff {
        "a staff complaint is acknowledged by letter, never by phone"
    } else {
        "the customer is written to only"
    }
}

/// A contact attempt: success meets the acknowledgement clocks; a failed phone call at tier 0
/// sends CMSL5700 (once).
async fn contacted(
    conn: &mut AsyncPgConnection,
    case: &CaseFacts,
    contact: &ContactAttempted,
    cause: uuid::Uuid,
    effects: &mut Effects,
) -> anyhow::Result<()> {
    if contact.successful {
        let met = effects
            .stop_clocks(conn, case, MET_BY_CONTACT, None, "contact made")
            .await?;
        let note = if met.is_empty() {
            format!("Contact made by {}", contact.method)
        } else {
            format!(
                "Contact made by {}: the acknowledgement clock is met",
                contact.method
            )
        };
        effects.note(case, note, json!({ "by": contact.by }), cause);
        return Ok(());
    }
    effects.note(
        case,
        format!("Contact attempt by {} failed", contact.method),
        json!({ "by": contact.by }),
        cause,
    );
    let failed_call_at_tier_0 =
        case.tier == Tier::Dissatisfaction && contact.method == ContactMethod::Phone;
    if failed_call_at_tier_0
        && !effects
            .letter_requested(conn, case, Some(LetterCode::Cmsl5700))
            .await?
    {
        effects.request_letter(
            case,
            LetterCode::Cmsl5700,
            "phone contact was unsuccessful",
            cause,
        );
    }
    Ok(())
}

/// A letter went out: CMSL5700 opens the reply window; any letter to the customer meets or
/// overtakes the acknowledgement, so it stops the acknowledgement clocks.
async fn letter_sent(
    conn: &mut AsyncPgConnection,
    case: &CaseFacts,
    letter: &LetterSent,
    cause: uuid::Uuid,
    now: DateTime<Utc>,
    effects: &mut Effects,
) -> anyhow::Result<()> {
    overtaken(
        conn,
        case,
        &format!("letter {} was sent", letter.code),
        cause,
        effects,
    )
    .await?;
    if letter.code == LetterCode::Cmsl5700 {
        let window = clocks::wait_after(letter.code, now)?;
        effects.start_clocks(case, window.as_slice(), cause);
    }
    Ok(())
}

/// Stops the acknowledgement clocks, noting it when one was running.
async fn overtaken(
    conn: &mut AsyncPgConnection,
    case: &CaseFacts,
    because: &str,
    cause: uuid::Uuid,
    effects: &mut Effects,
) -> anyhow::Result<()> {
    let met = effects
        .stop_clocks(conn, case, MET_BY_CONTACT, None, because)
        .await?;
    for clock in met {
        effects.note(
            case,
            format!("Clock {} met: {because}", clock.clock),
            json!({}),
            cause,
        );
    }
    Ok(())
}

/// One of this worker's clocks ran out. An acknowledgement clock that fires after a letter was
/// requested or an outcome decided (the event that stopped it was still on its way) sends
/// nothing: the customer already has more than an acknowledgement.
async fn ran_out(
    conn: &mut AsyncPgConnection,
    case: &CaseFacts,
    timer: &TimerFired,
    cause: uuid::Uuid,
    effects: &mut Effects,
) -> anyhow::Result<()> {
    let acknowledgement = match timer.clock {
        ClockKind::Acknowledgement => Some((
            LetterCode::Cmsl5842,
            "no successful contact within 48 hours of receipt",
        )),
        ClockKind::ReviewAcknowledgement => Some((
            LetterCode::Cmsl5829,
            "no phone contact within 2 working days of the referral",
        )),
        _ => None,
    };
    if let Some((letter, why)) = acknowledgement {
        if effects.letter_requested(conn, case, None).await?
            || cases::has_outcome(conn, case.id).await?
        {
            effects.note(
                case,
                format!("{letter} not sent: the customer has already been written to or given the outcome"),
                json!({ "clock": timer.clock }),
                cause,
            );
        } else {
            effects.request_letter(case, letter, why, cause);
        }
        return Ok(());
    }
    if timer.clock == ClockKind::DissatisfactionReplyWindow {
        effects.task(
            case,
            Assignee::Caseworker,
            "14 days have passed since CMSL5700 with no reply: decide whether to escalate".into(),
            Some(timer.clock),
            cause,
        );
    }
    Ok(())
}
