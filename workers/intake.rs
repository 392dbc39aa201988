//! The intake worker: consumes `complaint.received`, routes each complaint by process.md §3,
//! and either opens its case (customer, case, timeline, `case.opened` and the events the
//! routing causes) or records the refusal (`complaint.rejected`), all in the consumer loop's
//! one transaction per batch.

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use super::opening::{open_case, CaseDraft};
use super::Worker;
use crate::db::cases;
use crate::db::disputes::{self, NewDispute};
use crate::db::outbox;
use crate::db::parties::{self, NewParty};
use crate::db::rejected_complaints::{self, NewRejection};
use crate::db::timeline;
use crate::events::{
    complaint_rejected, dispute_opened, CloudEvent, ComplaintReceived, ComplaintRejected,
    DisputeOpened,
};
use crate::process::case_reference::dispute_reference;
use crate::process::routing::{self, Routing};
use crate::process::staff_complaints::redact;
use crate::vocabulary::{CaseKind, Category, DisputeStage, RaisedBy, RejectionReason, Status};

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
        let mut disputes = Vec::new();
        for &event in &complaints {
            let named = event
                .complaint
                .earlier_case
                .as_ref()
                .and_then(|r| earlier.get(r));
            match routing::route(event.complaint, named.map(|(_, case)| case)) {
                Routing::Reject { reason, detail } => {
                    if reason == RejectionReason::AppealableDecision {
                        disputes.push(event);
                    }
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
        open_disputes(conn, &disputes, now, &mut outbox_rows).await?;

        if !openings.is_empty() {
            let customers = openings
                .iter()
                .map(|(event, _, _)| NewParty::from_customer(&event.complaint.customer, now))
                .collect();
            let party_ids = parties::upsert(conn, customers).await?;
            let numbers = cases::next_numbers(conn, openings.len()).await?;
            let mut new_cases = Vec::with_capacity(openings.len());
            let mut entries = Vec::with_capacity(openings.len() * 2);
            // The API client that posted each complaint over HTTP, for its first timeline entry.
            let authclients: std::collections::HashMap<uuid::Uuid, &str> = events
                .iter()
                .filter_map(|e| Some((e.id, e.authclient.as_deref()?)))
                .collect();
            for ((event, opening, linked_id), number) in openings.into_iter().zip(numbers) {
                let party_id = party_ids[&event.complaint.customer.reference];
                let complaint = event.complaint;
                let draft = CaseDraft {
                    cause: event.event_id,
                    customer_reference: &complaint.customer.reference,
                    region: complaint.customer.region,
                    received_at: complaint.received_at,
                    channel: complaint.channel,
                    raised_by: complaint.raised_by,
                    about: complaint.about,
                    addressee: complaint.addressee,
                    categories: &Category::normalise(&complaint.categories),
                    summary: &complaint.summary,
                    pos: complaint.pos,
                    staff_reference: event.staff_reference,
                };
                let received = (
                    format!(
                        "Complaint received by {} from {}",
                        complaint.channel, complaint.raised_by
                    ),
                    json!({
                        "about": complaint.about,
                        "categories": complaint.categories,
                        "addressee": complaint.addressee,
                        "authclient": authclients.get(&event.event_id),
                    }),
                );
                let opened = open_case(
                    ACTOR, &draft, received, &opening, linked_id, party_id, number, now,
                );
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

/// Opens a dispute for each complaint refused as a disagreement with an appealable decision
/// (process.md §3, rule 1): the refusal is not the end of it, the dispute process takes it on
/// (process.md §6, CMSL5811 / CMSL5812). Each gets its own `DSP-` reference, a timeline entry
/// and `dispute.opened`.
async fn open_disputes(
    conn: &mut AsyncPgConnection,
    refused: &[Received<'_>],
    now: DateTime<Utc>,
    outbox_rows: &mut Vec<outbox::OutboxRow>,
) -> anyhow::Result<()> {
    if refused.is_empty() {
        return Ok(());
    }
    let customers = refused
        .iter()
        .map(|r| NewParty::from_customer(&r.complaint.customer, now))
        .collect();
    let party_ids = parties::upsert(conn, customers).await?;
    let numbers = cases::next_numbers(conn, refused.len()).await?;
    let mut rows = Vec::with_capacity(refused.len());
    let mut entries = Vec::with_capacity(refused.len());
    for (event, number) in refused.iter().zip(numbers) {
        let complaint = event.complaint;
        let reference = dispute_reference(now, number);
        let id = Uuid::now_v7();
        rows.push(NewDispute {
            id,
            reference: reference.clone(),
            kind: CaseKind::Dispute.as_str().into(),
            tier: 0,
            stage: DisputeStage::Received.as_str().into(),
            status: Status::InProgress.as_str().into(),
            party_id: party_ids[&complaint.customer.reference],
            handling_team: disputes::HANDLING_TEAM.into(),
            received_at: complaint.received_at,
            channel: complaint.channel.as_str().into(),
            raised_by: complaint.raised_by.as_str().into(),
            about: complaint.about.as_str().into(),
            addressee: complaint.addressee.as_str().into(),
            categories: Category::normalise(&complaint.categories),
            summary: complaint.summary.clone(),
            high_profile: false,
            parliamentary_contact: complaint.raised_by == RaisedBy::Mp,
            pos: complaint.pos,
            source_event_id: event.event_id,
            opened_at: now,
        });
        entries.push(timeline::NewEntry {
            case_id: id,
            at: now,
            actor: ACTOR.into(),
            entry: format!(
                "Refused as a complaint (appealable decision) and opened as a dispute; received by {} from {}",
                complaint.channel, complaint.raised_by
            ),
            detail: json!({ "complaint_event_id": event.event_id }),
            event_id: Some(event.event_id),
        });
        outbox_rows.push(outbox::row(
            &CloudEvent::new(
                dispute_opened::TYPE,
                now,
                Some(reference.clone()),
                DisputeOpened {
                    dispute_reference: reference,
                    complaint_event_id: event.event_id,
                    customer_reference: complaint.customer.reference.clone(),
                    received_at: complaint.received_at,
                },
            ),
            now,
        ));
    }
    disputes::insert_all(conn, &rows).await?;
    timeline::append(conn, &entries).await?;
    Ok(())
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
