//! The intake worker: consumes `complaint.received`, routes each complaint by process.md §3,
//! and either opens its case (customer, case, timeline, `case.opened` and the events the
//! routing causes) or records the refusal (`complaint.rejected`), all in the consumer loop's
//! one transaction per batch.

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use super::Worker;
use crate::db::cases::{self, NewCase};
use crate::db::outbox::{self, OutboxRow};
use crate::db::parties::{self, NewParty};
use crate::db::rejected_complaints::{self, NewRejection};
use crate::db::timeline::{self, NewEntry};
use crate::events::{
    case_closed, case_flagged_high_profile, case_opened, complaint_rejected, CaseClosed,
    CaseFlaggedHighProfile, CaseOpened, CloudEvent, ComplaintReceived, ComplaintRejected,
};
use crate::process::case_reference::case_reference;
use crate::process::routing::{self, opening_stage_and_status, Opening, Routing};
use crate::process::staff_complaints::redact;
use crate::vocabulary::RejectionReason;

/// The timeline's name for this worker.
const ACTOR: &str = "intake";

/// The intake worker.
#[derive(Debug, Default)]
pub struct Intake;

crate::event_set! {
    /// What intake reads.
    pub enum IntakeEvent {
        /// A complaint from an intake channel.
        ComplaintReceived(ComplaintReceived) = complaint_received,
    }
}

impl Worker for Intake {
    const NAME: &'static str = "intake";
    type Event = IntakeEvent;

    async fn apply(
        &self,
        conn: &mut AsyncPgConnection,
        events: &[&CloudEvent<IntakeEvent>],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        // Before anything else: no staff member's name goes further than this.
        let redacted: Vec<(uuid::Uuid, ComplaintReceived, Option<String>)> = events
            .iter()
            .map(|e| {
                let IntakeEvent::ComplaintReceived(complaint) = &e.data;
                let (complaint, staff_reference) = redact(complaint);
                (e.id, complaint, staff_reference)
            })
            .collect();
        let complaints: Vec<Received<'_>> = redacted
            .iter()
            .map(|(event_id, complaint, staff_reference)| Received {
                event_id: *event_id,
                complaint,
                staff_reference: staff_reference.as_deref(),
            })
            .collect();
        let mut named: Vec<String> = complaints
            .iter()
            .filter_map(|r| r.complaint.earlier_case.clone())
            .collect();
        named.sort();
        named.dedup();
        let earlier = cases::find_earlier(conn, &named).await?;

        let mut outbox_rows = Vec::new();
        let mut rejections = Vec::new();
        let mut openings = Vec::new();
        for &event in &complaints {
            let named = event
                .complaint
                .earlier_case
                .as_ref()
                .and_then(|r| earlier.get(r));
            match routing::route(event.complaint, named.map(|(_, case)| case)) {
                Routing::Reject { reason, detail } => {
                    outbox_rows.push(outbox::row(
                        &rejected_event(event, reason, &detail, now),
                        now,
                    ));
                    rejections.push(NewRejection {
                        event_id: event.event_id,
                        reason: reason.as_str().into(),
                        detail,
                        complaint: serde_json::to_value(event.complaint)
                            .expect("complaints serialise"),
                        rejected_at: now,
                    });
                }
                Routing::Open(opening) => openings.push((event, opening, named.map(|(id, _)| *id))),
            }
        }
        rejected_complaints::insert_all(conn, &rejections).await?;

        if !openings.is_empty() {
            let customers = openings
                .iter()
                .map(|(event, _, _)| NewParty::from_customer(&event.complaint.customer, now))
                .collect();
            let party_ids = parties::upsert(conn, customers).await?;
            let numbers = cases::next_numbers(conn, openings.len()).await?;
            let mut new_cases = Vec::with_capacity(openings.len());
            let mut entries = Vec::with_capacity(openings.len() * 2);
            for ((event, opening, linked_id), number) in openings.into_iter().zip(numbers) {
                let party_id = party_ids[&event.complaint.customer.reference];
                let opened = open_case(event, &opening, linked_id, party_id, number, now);
                new_cases.push(opened.case);
                entries.extend(opened.timeline);
                outbox_rows.extend(opened.events);
            }
            cases::insert_all(conn, &new_cases).await?;
            timeline::append(conn, &entries).await?;
        }
        Ok(outbox::append(conn, &outbox_rows).await?)
    }
}

/// A complaint with the id of the event that brought it.
#[derive(Clone, Copy)]
struct Received<'a> {
    event_id: Uuid,
    /// Already redacted.
    complaint: &'a ComplaintReceived,
    /// The opaque reference of the member of staff complained about.
    staff_reference: Option<&'a str>,
}

/// The rows and events of one case opening.
struct OpenedCase {
    case: NewCase,
    timeline: Vec<NewEntry>,
    events: Vec<OutboxRow>,
}

/// Builds a case from a routed complaint: the case row, its first timeline entries, and the
/// events it causes (`case.opened`, and `case.flagged_high_profile` / `case.closed` where the
/// routing says so).
fn open_case(
    event: Received<'_>,
    opening: &Opening,
    linked_case_id: Option<Uuid>,
    party_id: Uuid,
    number: i64,
    now: DateTime<Utc>,
) -> OpenedCase {
    let complaint = event.complaint;
    let case_id = Uuid::now_v7();
    let reference = case_reference(opening.tier, now, number);
    let (stage, mut status) = opening_stage_and_status(opening.tier);
    let entry = |entry: String, detail: serde_json::Value| NewEntry {
        case_id,
        at: now,
        actor: ACTOR.into(),
        entry,
        detail,
        event_id: Some(event.event_id),
    };
    let mut timeline = vec![
        entry(
            format!(
                "Complaint received by {} from {}",
                complaint.channel, complaint.raised_by
            ),
            json!({ "about": complaint.about, "categories": complaint.categories, "addressee": complaint.addressee }),
        ),
        entry(
            format!(
                "Opened at tier {} ({}) for {} by routing rule {}",
                opening.tier.number(),
                opening.tier,
                opening.team,
                opening.rule
            ),
            json!({ "linked_case": opening.linked_case }),
        ),
    ];
    let subject = Some(reference.clone());
    let mut events = vec![outbox::row(
        &CloudEvent::new(
            case_opened::TYPE,
            now,
            subject.clone(),
            CaseOpened {
                case_reference: reference.clone(),
                tier: opening.tier,
                stage: stage.into(),
                status: status.into(),
                handling_team: opening.team,
                customer_reference: complaint.customer.reference.clone(),
                region: complaint.customer.region,
                received_at: complaint.received_at,
                channel: complaint.channel,
                raised_by: complaint.raised_by,
                linked_case_reference: opening.linked_case.clone(),
                high_profile: opening.high_profile,
                parliamentary_contact: opening.parliamentary_contact,
                routing_rule: opening.rule.into(),
                complaint_event_id: event.event_id,
            },
        ),
        now,
    )];
    if opening.high_profile {
        timeline.push(entry(
            "Flagged high profile: the Operations Director's office is notified".into(),
            json!({ "notify": case_flagged_high_profile::NOTIFY }),
        ));
        events.push(outbox::row(
            &CloudEvent::new(
                case_flagged_high_profile::TYPE,
                now,
                subject.clone(),
                CaseFlaggedHighProfile {
                    case_reference: reference.clone(),
                    notify: case_flagged_high_profile::NOTIFY.into(),
                    summary: complaint.summary.clone(),
                },
            ),
            now,
        ));
    }
    let mut sub_status = None;
    let mut resolution_code = None;
    let mut closed_at = None;
    if let Some(closed) = &opening.closed_at_once {
        status = "Closed";
        sub_status = Some("Complete".to_owned());
        resolution_code = Some(closed.resolution_code.as_str().to_owned());
        closed_at = Some(now);
        timeline.push(entry(
            format!(
                "Closed {}: {}; returned to {}",
                closed.resolution_code, closed.reason, closed.returned_to
            ),
            json!({ "resolution_code": closed.resolution_code, "returned_to": closed.returned_to }),
        ));
        events.push(outbox::row(
            &CloudEvent::new(
                case_closed::TYPE,
                now,
                subject,
                CaseClosed {
                    case_reference: reference.clone(),
                    resolution_code: closed.resolution_code,
                    reason: closed.reason.clone(),
                    returned_to: Some(closed.returned_to),
                },
            ),
            now,
        ));
    }
    let case = NewCase {
        id: case_id,
        reference,
        tier: opening.tier.number(),
        stage: stage.into(),
        status: status.into(),
        sub_status,
        resolution_code,
        party_id,
        linked_case_id,
        handling_team: opening.team.as_str().into(),
        received_at: complaint.received_at,
        channel: complaint.channel.as_str().into(),
        raised_by: complaint.raised_by.as_str().into(),
        about: complaint.about.as_str().into(),
        addressee: complaint.addressee.as_str().into(),
        categories: complaint.categories.clone(),
        summary: complaint.summary.clone(),
        high_profile: opening.high_profile,
        parliamentary_contact: opening.parliamentary_contact,
        pos: complaint.pos,
        source_event_id: event.event_id,
        opened_at: now,
        closed_at,
        staff_reference: event.staff_reference.map(str::to_owned),
    };
    OpenedCase {
        case,
        timeline,
        events,
    }
}

/// The `complaint.rejected` event for a refused complaint.
fn rejected_event(
    event: Received<'_>,
    reason: RejectionReason,
    detail: &str,
    now: DateTime<Utc>,
) -> CloudEvent<ComplaintRejected> {
    CloudEvent::new(
        complaint_rejected::TYPE,
        now,
        None,
        ComplaintRejected {
            complaint_event_id: event.event_id,
            customer_reference: event.complaint.customer.reference.clone(),
            reason,
            detail: detail.to_owned(),
        },
    )
}
