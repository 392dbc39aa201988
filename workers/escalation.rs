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

use super::effects::{with_cases, Effects};
use super::opening::{open_case, CaseDraft};
use super::Worker;
use crate::app::App;
use crate::db::{cases, outbox, timeline};
use crate::events::case_escalated::ConsolatoryReferral;
use crate::events::{CaseEscalated, CloudEvent};
use crate::process::casework::plan::pounds;
use crate::process::routing;
use crate::vocabulary::{About, Addressee, Assignee, Channel, LetterCode, RaisedBy, Team, Tier};

crate::event_set! {
    /// What the escalation worker reads.
    pub enum EscalationEvent {
        /// A case closed to go up a tier.
        CaseEscalated(CaseEscalated) = case_escalated,
    }
}

const NAME: &str = "escalation";

/// The escalation worker.
#[derive(Debug, Default)]
pub struct Escalation;

impl Worker for Escalation {
    const NAME: &'static str = NAME;
    type Event = EscalationEvent;

    fn build(_app: &App) -> anyhow::Result<Self> {
        Ok(Escalation)
    }

    async fn apply(
        &self,
        conn: &mut AsyncPgConnection,
        events: &[&CloudEvent<EscalationEvent>],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut effects = Effects::new(NAME, now);
        let found = with_cases(conn, events, &mut effects).await?;
        let ids: Vec<_> = found.iter().map(|(_, case)| case.id).collect();
        let records = cases::records_with_customer(conn, &ids).await?;
        let numbers = cases::next_numbers(conn, found.len()).await?;
        let mut new_cases = Vec::new();
        let mut entries = Vec::new();
        let mut rows = Vec::new();
        for ((event, lower), number) in found.iter().zip(numbers) {
            let EscalationEvent::CaseEscalated(escalated) = &event.data;
            let Some((record, party_id, customer)) =
                records.iter().find(|(r, _, _)| r.id == lower.id)
            else {
                continue;
            };
            let opening = routing::escalation(
                &record.reference,
                lower.tier,
                record.parliamentary_contact,
                record.high_profile,
            )
            .filter(|o| o.tier == escalated.to_tier && lower.closed);
            let Some(opening) = opening else {
                effects.reject(
                    event,
                    format!(
                        "case {} (tier {}, {}) cannot be escalated to tier {}",
                        record.reference,
                        lower.tier.number(),
                        if lower.closed { "closed" } else { "open" },
                        escalated.to_tier.number()
                    ),
                );
                continue;
            };
            let draft = CaseDraft {
                cause: event.id,
                customer_reference: customer,
                region: lower.region,
                received_at: now,
                channel: parse::<Channel>(&record.channel)?,
                raised_by: parse::<RaisedBy>(&record.raised_by)?,
                about: lower.about,
                addressee: parse::<Addressee>(&record.addressee)?,
                categories: &record.categories,
                summary: &record.summary,
                pos: record.pos,
                staff_reference: record.staff_reference.as_deref(),
                provider: record.provider.as_deref(),
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
            let opened = open_case(
                NAME,
                &draft,
                first,
                &opening,
                Some(lower.id),
                *party_id,
                number,
                now,
            );
            let higher = opened.case.reference.clone();
            effects.note(
                lower,
                format!(
                    "Escalated: case {higher} opened at tier {}",
                    opening.tier.number()
                ),
                json!({ "escalated_to": higher }),
                event.id,
            );
            let mut opened = opened;
            if let Some(payment) = escalated.consolatory_payment {
                // Seed 004: "non complaint consolatory payment referral only", with CMSF5551
                // where the referring team leader's grade is below the payment's.
                opened.case.consolatory_payment_pence = Some(payment.amount_pence);
                opened.case.cmsf5551 = payment.cmsf5551;
                opened.timeline.push(timeline::NewEntry {
                    case_id: opened.case.id,
                    at: now,
                    actor: NAME.into(),
                    entry: referral_entry(payment),
                    detail: json!({ "consolatory_payment_pence": payment.amount_pence, "cmsf5551": payment.cmsf5551 }),
                    event_id: Some(event.id),
                });
            }
            let team = receiving_team(opening.team);
            let staff = if lower.about == About::Staff {
                " A staff-behaviour complaint: a team leader takes ownership."
            } else {
                ""
            };
            let task = match escalated.consolatory_payment {
                Some(payment) => format!(
                    "{higher} from {}: {}; allocate it to decide the payment",
                    record.reference,
                    referral_entry(payment)
                ),
                None => format!(
                    "New {} case {higher} escalated from {}: allocate it.{staff}",
                    opening.tier, record.reference
                ),
            };
            // The task is about the new case: announce it under the new case's reference.
            let announced = cases::CaseFacts {
                id: opened.case.id,
                reference: higher.clone(),
                tier: opening.tier,
                received_at: now,
                closed: false,
                ..lower.clone()
            };
            effects.task(&announced, team, task, None, event.id);
            if escalated.acknowledge_by_letter && opening.tier == Tier::Resolution {
                // The customer was not told by phone: CMSL5842, once, under the new reference.
                // The acknowledgement worker finds it requested and starts no 48-hour clock.
                effects.request_letter(
                    &announced,
                    LetterCode::Cmsl5842,
                    &format!(
                        "escalated from {}: the customer was not told by phone",
                        record.reference
                    ),
                    event.id,
                );
            }
            new_cases.push(opened.case);
            entries.extend(opened.timeline);
            rows.extend(opened.events);
        }
        cases::insert_all(conn, &new_cases).await?;
        timeline::append(conn, &entries).await?;
        outbox::append(conn, &rows).await?;
        Ok(effects.write(conn).await?)
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

/// A stored value read back.
fn parse<T: std::str::FromStr<Err = String>>(value: &str) -> anyhow::Result<T> {
    value.parse().map_err(anyhow::Error::msg)
}
