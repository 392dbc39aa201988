//! The intake worker: consumes `complaint.received`, routes each complaint by process.md §3,
//! and either opens its case (customer, case, timeline, `case.opened` and the events the
//! routing causes) or records the refusal (`complaint.rejected`), all in the consumer loop's
//! one transaction per batch. "The same issue" is the earlier case the channel names if it is
//! the customer's own, else the customer's recent case on one of the complaint's categories.
//! A mixed complaint (the department's and a contracted provider's) gives its team a task: ask
//! the provider for a contribution to the reply (seed 003).
//!
//! It also records `feedback.received` — compliments, suggestions and enquiries (process.md
//! §1): a row each, credited to its team; no case, no clocks.

use chrono::{DateTime, Months, Utc};
use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use super::effects::Effects;
use super::opening::{open_case, CaseDraft};
use super::Worker;
use crate::app::App;
use crate::db::cases;
use crate::db::disputes::{self, NewDispute};
use crate::db::feedback::{self, NewFeedback};
use crate::db::outbox;
use crate::db::parties::{self, NewParty};
use crate::db::rejected_complaints::{self, NewRejection};
use crate::db::timeline;
use crate::events::{
    complaint_rejected, dispute_opened, CloudEvent, ComplaintReceived, ComplaintRejected,
    DisputeOpened, FeedbackReceived,
};
use crate::process::case_reference::dispute_reference;
use crate::process::routing::{self, Routing, ELIGIBILITY_MONTHS};
use crate::process::staff_complaints::redact;
use crate::vocabulary::{
    About, Assignee, CaseKind, Category, DisputeStage, RaisedBy, RejectionReason, Status, Team,
};

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
        /// A compliment, suggestion or enquiry from an intake channel.
        FeedbackReceived(FeedbackReceived) = feedback_received,
    }
}

impl Worker for Intake {
    const NAME: &'static str = "intake";
    type Event = IntakeEvent;

    fn build(_app: &App) -> anyhow::Result<Self> {
        Ok(Intake)
    }

    async fn apply(
        &self,
        conn: &mut AsyncPgConnection,
        events: &[&CloudEvent<IntakeEvent>],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        record_feedback(conn, events, now).await?;
        // Before anything else: no staff member's name goes further than this.
        let redacted: Vec<(uuid::Uuid, ComplaintReceived, Option<String>)> = events
            .iter()
            .filter_map(|e| match &e.data {
                IntakeEvent::ComplaintReceived(complaint) => Some((e.id, complaint)),
                IntakeEvent::FeedbackReceived(_) => None,
            })
            .map(|(id, complaint)| {
                let (complaint, staff_reference) = redact(complaint);
                (id, complaint, staff_reference)
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
        let earlier = EarlierCases::find(conn, &complaints).await?;
        let mut outbox_rows = Vec::new();
        let mut rejections = Vec::new();
        let mut openings = Vec::new();
        let mut disputes = Vec::new();
        for &event in &complaints {
            let same = earlier.same_issue(event.complaint);
            let linked_id = same.case.and_then(|case| earlier.id_of(case));
            match routing::route(event.complaint, same.case) {
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
                Routing::Open(opening) => openings.push((event, opening, linked_id, same.note)),
            }
        }
        rejected_complaints::insert_all(conn, &rejections).await?;
        open_disputes(conn, &disputes, now, &mut outbox_rows).await?;

        if !openings.is_empty() {
            let customers = openings
                .iter()
                .map(|(event, _, _, _)| NewParty::from_customer(&event.complaint.customer, now))
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
            let mut mixed = Vec::new();
            for ((event, opening, linked_id, note), number) in openings.into_iter().zip(numbers) {
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
                    provider: complaint.provider.as_deref(),
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
                if complaint.about == About::Mixed && opening.closed_at_once.is_none() {
                    mixed.push((
                        opened.case.reference.clone(),
                        opening.team,
                        complaint.provider.clone(),
                        event.event_id,
                    ));
                }
                entries.extend(opened.timeline);
                if let Some(note) = note {
                    entries.push(timeline::NewEntry {
                        case_id: opened.case.id,
                        at: now,
                        actor: ACTOR.into(),
                        entry: note,
                        detail: json!({ "linked_case": opening.linked_case }),
                        event_id: Some(event.event_id),
                    });
                }
                new_cases.push(opened.case);
                outbox_rows.extend(opened.events);
            }
            cases::insert_all(conn, &new_cases).await?;
            timeline::append(conn, &entries).await?;
            ask_providers(conn, &mixed, now).await?;
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

/// The earlier cases a batch of complaints may be "the same issue" as: those named, and each
/// customer's recent ones (process.md §3, rules 5 to 7).
struct EarlierCases {
    named: std::collections::HashMap<String, (Uuid, routing::EarlierCase)>,
    recent: std::collections::HashMap<String, Vec<routing::EarlierCase>>,
    ids: std::collections::HashMap<String, Uuid>,
}

impl EarlierCases {
    /// Reads them in two queries for the whole batch.
    async fn find(
        conn: &mut AsyncPgConnection,
        complaints: &[Received<'_>],
    ) -> anyhow::Result<Self> {
        let mut named: Vec<String> = complaints
            .iter()
            .filter_map(|r| r.complaint.earlier_case.clone())
            .collect();
        named.sort();
        named.dedup();
        let named = cases::find_earlier(conn, &named).await?;
        let mut customers: Vec<String> = complaints
            .iter()
            .map(|r| r.complaint.customer.reference.clone())
            .collect();
        customers.sort();
        customers.dedup();
        let since = complaints
            .iter()
            .map(|r| r.complaint.received_at)
            .min()
            .and_then(|at| at.checked_sub_months(Months::new(ELIGIBILITY_MONTHS)))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let mut recent: std::collections::HashMap<String, Vec<routing::EarlierCase>> =
            std::collections::HashMap::new();
        let mut ids: std::collections::HashMap<String, Uuid> = named
            .iter()
            .map(|(reference, (id, _))| (reference.clone(), *id))
            .collect();
        for (id, case) in cases::recent_for_customers(conn, &customers, since).await? {
            ids.insert(case.reference.clone(), id);
            recent
                .entry(case.customer_reference.clone())
                .or_default()
                .push(case);
        }
        Ok(Self { named, recent, ids })
    }

    /// The earlier case on the same issue as `complaint`, and what to note about it.
    fn same_issue<'a>(&'a self, complaint: &ComplaintReceived) -> routing::SameIssue<'a> {
        let named = complaint
            .earlier_case
            .as_ref()
            .and_then(|r| self.named.get(r))
            .map(|(_, case)| case);
        let recent = self
            .recent
            .get(&complaint.customer.reference)
            .map_or(&[][..], Vec::as_slice);
        routing::same_issue(complaint, named, recent)
    }

    /// The row id of an earlier case.
    fn id_of(&self, case: &routing::EarlierCase) -> Option<Uuid> {
        self.ids.get(&case.reference).copied()
    }
}

/// Records each compliment, suggestion and enquiry (process.md §1): a row credited to its
/// team, nothing else. A redelivered event finds its row already there.
async fn record_feedback(
    conn: &mut AsyncPgConnection,
    events: &[&CloudEvent<IntakeEvent>],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let rows: Vec<NewFeedback> = events
        .iter()
        .filter_map(|e| match &e.data {
            IntakeEvent::FeedbackReceived(f) => Some(NewFeedback {
                id: Uuid::now_v7(),
                event_id: e.id,
                kind: f.kind.as_str().into(),
                received_at: f.received_at,
                channel: f.channel.as_str().into(),
                team: f.team.clone(),
                staff_reference: f.staff_reference.clone(),
                customer_reference: f.customer_reference.clone(),
                categories: f.categories.clone(),
                summary: f.summary.clone(),
                recorded_at: now,
            }),
            IntakeEvent::ComplaintReceived(_) => None,
        })
        .collect();
    Ok(feedback::insert_all(conn, &rows).await?)
}

/// For each new mixed complaint (seed 003), a task for its team: ask the provider for a
/// contribution to the reply. The department owns the complaint; the provider's part of any
/// later dissatisfaction goes through the provider's own process.
async fn ask_providers(
    conn: &mut AsyncPgConnection,
    mixed: &[(String, Team, Option<String>, Uuid)],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    if mixed.is_empty() {
        return Ok(());
    }
    let references: Vec<String> = mixed.iter().map(|(r, ..)| r.clone()).collect();
    let facts = cases::facts(conn, &references).await?;
    let mut effects = Effects::new(ACTOR, now);
    for (reference, team, provider, cause) in mixed {
        let Some(case) = facts.get(reference) else {
            continue;
        };
        let provider = provider.as_deref().unwrap_or("the contracted provider");
        effects.task(
            case,
            team_assignee(*team),
            format!(
                "Mixed complaint: ask {provider} for a contribution to the reply (the department owns the complaint)"
            ),
            None,
            *cause,
        );
    }
    Ok(effects.write(conn).await?)
}

/// Who a task for a case's owning team goes to.
fn team_assignee(team: Team) -> Assignee {
    match team {
        Team::OperationalCaseworkers => Assignee::Caseworker,
        Team::TeamLeaders => Assignee::TeamLeader,
        Team::ComplaintResolutionTeam => Assignee::ComplaintResolutionTeam,
        Team::MpSpecialists => Assignee::MpSpecialists,
        Team::ComplaintReviewTeam => Assignee::ComplaintReviewTeam,
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
