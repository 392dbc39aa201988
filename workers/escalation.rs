//! The escalation worker: a case that closed to go up a tier (`case.escalated`, from the
//! casework worker) gets its linked case at the next tier (process.md §4): tier 0 to the
//! Complaint Resolution Team (its MP specialists when an MP is involved), tier 1 to the Review
//! team. The new case opens with the lower case's customer, details and categories, received
//! now, and the receiving team is told; the lower case's timeline names the new one. The
//! `case.escalated` event's id opens at most one case, however often it is delivered. When the
//! customer was not told of an escalation to Resolution by phone, the new case's CMSL5842 is
//! requested here, with the case, so the letter quotes the new reference and goes out once.

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use super::effects::{with_cases, Effects};
use super::opening::{open_case, CaseDraft};
use super::Worker;
use crate::app::App;
use crate::db::cases::{self, CaseFacts, CaseRecord, ComplaintDetails, NewCase};
use crate::events::case_escalated::ConsolatoryReferral;
use crate::events::{CaseEscalated, CloudEvent};
use crate::process::casework::resolution_plan::pounds;
use crate::process::routing::{self, Opening};
use crate::vocabulary::{About, Assignee, LetterCode, Team, Tier};

crate::event_set! {
    /// What the escalation worker reads.
    pub enum EscalationEvent {
        /// A case closed to go up a tier.
        CaseEscalated(CaseEscalated) = case_escalated,
    }
}

/// The escalation worker: opens the next tier's linked case for each `case.escalated`.
#[derive(Debug, Default)]
pub struct Escalation;

impl Worker for Escalation {
    const NAME: &'static str = "escalation";
    const LOCKS_CASES: bool = true;
    type Event = EscalationEvent;

    fn build(_app: &App) -> anyhow::Result<Self> {
        Ok(Escalation)
    }

    /// Opens the next tier's case of each closed case escalated to it; refuses the others.
    async fn apply(
        &self,
        conn: &mut AsyncPgConnection,
        events: &[&CloudEvent<EscalationEvent>],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut effects = Effects::new(Self::NAME, now);
        let found = with_cases(conn, events, &mut effects).await?;
        let ids: Vec<_> = found.iter().map(|(_, case)| case.id).collect();
        let records = cases::records_with_customer(conn, &ids).await?;
        let numbers = cases::next_numbers(conn, found.len()).await?;
        let mut new_cases = Vec::new();
        for ((event, lower), number) in found.iter().zip(numbers) {
            let EscalationEvent::CaseEscalated(escalated) = &event.data;
            let Some((record, party_id, customer)) =
                records.iter().find(|(r, _, _)| r.id == lower.id)
            else {
                continue;
            };
            let escalating = Escalating {
                cause: event.id,
                escalated,
                lower,
                record,
            };
            match escalating.opening() {
                Some(opening) => new_cases.push(escalating.open(
                    &mut effects,
                    &opening,
                    (*party_id, customer),
                    number,
                )?),
                None => effects.reject(event, escalating.refusal()),
            }
        }
        cases::insert_all(conn, &new_cases).await?;
        Ok(effects.write(conn).await?)
    }
}

/// One `case.escalated` about one lower case.
struct Escalating<'a> {
    cause: Uuid,
    escalated: &'a CaseEscalated,
    lower: &'a CaseFacts,
    record: &'a CaseRecord,
}

impl Escalating<'_> {
    /// Where the case goes, if it may go where the event says: it is closed and the next tier
    /// up is the one named.
    fn opening(&self) -> Option<Opening> {
        routing::escalation(
            &self.record.reference,
            self.lower.tier,
            self.record.parliamentary_contact,
            self.record.high_profile,
        )
        .filter(|o| o.tier == self.escalated.to_tier && self.lower.closed)
    }

    /// Why it may not.
    fn refusal(&self) -> String {
        format!(
            "case {} (tier {}, {}) cannot be escalated to tier {}",
            self.record.reference,
            self.lower.tier.number(),
            if self.lower.closed { "closed" } else { "open" },
            self.escalated.to_tier.number()
        )
    }

    /// Opens the higher case (with the lower one's customer and details, received now), notes
    /// it on the lower one, and tells the receiving team; returns its row.
    fn open(
        &self,
        effects: &mut Effects,
        opening: &Opening,
        (party_id, customer): (Uuid, &str),
        number: i64,
    ) -> anyhow::Result<NewCase> {
        let (record, lower, escalated) = (self.record, self.lower, self.escalated);
        let draft = CaseDraft {
            cause: self.cause,
            customer_reference: customer,
            region: lower.region,
            complaint: ComplaintDetails {
                received_at: effects.now(),
                ..record.complaint.clone()
            },
        };
        let first = (
            format!(
                "Escalated from {} (tier {}, closed {})",
                record.reference,
                lower.tier.number(),
                escalated.resolution_code
            ),
            json!({ "escalated_from": record.reference, "reason": escalated.reason }),
        );
        let mut higher = open_case(
            effects,
            &draft,
            first,
            opening,
            Some(lower.id),
            party_id,
            number,
        );
        effects.note(
            lower,
            format!(
                "Escalated: case {} opened at tier {}",
                higher.reference,
                opening.tier.number()
            ),
            json!({ "escalated_to": higher.reference }),
            self.cause,
        );
        if let Some(payment) = escalated.consolatory_payment {
            // Seed 004: "non complaint consolatory payment referral only", with CMSF5551
            // where the referring team leader's grade is below the payment's.
            higher.consolatory_payment_pence = Some(payment.amount_pence);
            higher.cmsf5551 = payment.cmsf5551;
            effects.note(
                &higher,
                referral_entry(payment),
                json!({ "consolatory_payment_pence": payment.amount_pence, "cmsf5551": payment.cmsf5551 }),
                self.cause,
            );
        }
        self.tell_receiving_team(effects, &higher, opening);
        Ok(higher)
    }

    /// The receiving team's task to allocate the new case and, when the customer was not told
    /// of an escalation to Resolution by phone, its CMSL5842 — once, under the new reference
    /// (the acknowledgement worker finds it requested and starts no 48-hour clock).
    fn tell_receiving_team(&self, effects: &mut Effects, higher: &NewCase, opening: &Opening) {
        let (lower_reference, new) = (&self.record.reference, &higher.reference);
        let staff = if self.lower.about == About::Staff {
            " A staff-behaviour complaint: a team leader takes ownership."
        } else {
            ""
        };
        let task = match self.escalated.consolatory_payment {
            Some(payment) => format!(
                "{new} from {lower_reference}: {}; allocate it to decide the payment",
                referral_entry(payment)
            ),
            None => format!(
                "New {} case {new} escalated from {lower_reference}: allocate it.{staff}",
                opening.tier
            ),
        };
        let team = receiving_team(opening.team);
        effects.task(higher, team, task, None, self.cause);
        if self.escalated.acknowledge_by_letter && opening.tier == Tier::Resolution {
            effects.request_letter(
                higher,
                LetterCode::Cmsl5842,
                &format!("escalated from {lower_reference}: the customer was not told by phone"),
                self.cause,
            );
        }
    }
}

/// How a consolatory-payment referral reads on its case and in its team's task.
fn referral_entry(payment: ConsolatoryReferral) -> String {
    format!(
        "Non complaint consolatory payment referral only: a consolatory payment of {}{}",
        pounds(payment.amount_pence),
        if payment.cmsf5551 {
            ", with form CMSF5551 for a manager of the grade it needs"
        } else {
            ""
        }
    )
}

/// Who is told of a new case escalated to `team`.
fn receiving_team(team: Team) -> Assignee {
    match team {
        Team::MpSpecialists => Assignee::MpSpecialists,
        Team::ComplaintReviewTeam => Assignee::ComplaintReviewTeam,
        _ => Assignee::ComplaintResolutionTeam,
    }
}
