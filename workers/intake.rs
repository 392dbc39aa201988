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
use crate::db::cases::{self, ComplaintDetails, NewCase};
use crate::db::disputes::{self, NewDispute};
use crate::db::feedback::{self, NewFeedback};
use crate::db::parties::{self, NewParty};
use crate::db::rejected_complaints::{self, NewRejection};
use crate::events::{
    complaint_rejected, dispute_opened, CloudEvent, ComplaintReceived, ComplaintRejected,
    DisputeOpened, FeedbackReceived,
};
use crate::process::case_reference::dispute_reference;
use crate::process::routing::{self, Opening, Routing, ELIGIBILITY_MONTHS};
use crate::process::staff_complaints::redact;
use crate::vocabulary::{
    About, Assignee, CaseKind, Category, DisputeStage, RaisedBy, RejectionReason, Status, Team,
};

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
    const FROM_OUTSIDE: bool = true;
    type Event = IntakeEvent;

    fn build(_app: &App) -> anyhow::Result<Self> {
        Ok(Intake)
    }

    /// Records feedback, redacts and routes each complaint, then refuses the ones the routing
    /// refuses (opening a dispute for an appealable decision) and opens the others' cases.
    async fn apply(
        &self,
        conn: &mut AsyncPgConnection,
        events: &[&CloudEvent<IntakeEvent>],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut effects = Effects::new(Self::NAME, now);
        record_feedback(conn, events, now).await?;
        // Before anything else: no staff member's name goes further than this.
        let redacted: Vec<(Uuid, ComplaintReceived, Option<String>)> = events
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
                authclient: events
                    .iter()
                    .find(|e| e.id == *event_id)
                    .and_then(|e| e.authclient.as_deref()),
            })
            .collect();
        let earlier = EarlierCases::find(conn, &complaints).await?;
        let mut refused = Vec::new();
        let mut openings = Vec::new();
        for &event in &complaints {
            let same = earlier.same_issue(event.complaint);
            let linked_id = same.case.and_then(|case| earlier.id_of(case));
            match routing::route(event.complaint, same.case) {
                Routing::Reject { reason, detail } => refused.push((event, reason, detail)),
                Routing::Open(opening) => openings.push(ToOpen {
                    event,
                    opening,
                    linked_id,
                    note: same.note,
                }),
            }
        }
        refuse(conn, &refused, &mut effects).await?;
        open_cases(conn, openings, &mut effects).await?;
        Ok(effects.write(conn).await?)
    }
}

/// A complaint the routing opens a case for.
struct ToOpen<'a> {
    event: Received<'a>,
    opening: Opening,
    /// The earlier case on the same issue, if any.
    linked_id: Option<Uuid>,
    /// How the earlier case was found, for the timeline.
    note: Option<String>,
}

/// Records each refused complaint (a row and `complaint.rejected`), and opens a dispute for
/// each refused as a disagreement with an appealable decision.
async fn refuse(
    conn: &mut AsyncPgConnection,
    refused: &[(Received<'_>, RejectionReason, String)],
    effects: &mut Effects,
) -> anyhow::Result<()> {
    let mut rows = Vec::with_capacity(refused.len());
    let mut disputes = Vec::new();
    for (event, reason, detail) in refused {
        if *reason == RejectionReason::AppealableDecision {
            disputes.push(*event);
        }
        effects.announce(
            complaint_rejected::TYPE,
            ComplaintRejected {
                complaint_event_id: event.event_id,
                customer_reference: event.complaint.customer.reference.clone(),
                reason: *reason,
                detail: detail.clone(),
            },
        );
        rows.push(NewRejection {
            event_id: event.event_id,
            reason: reason.as_str().into(),
            detail: detail.clone(),
            complaint: serde_json::to_value(event.complaint).expect("complaints serialise"),
            rejected_at: effects.now(),
        });
    }
    rejected_complaints::insert_all(conn, &rows).await?;
    open_disputes(conn, &disputes, effects).await
}

/// Opens the routed complaints' cases: their customers, the case rows, their first timeline
/// entries and events, and (a mixed complaint) the team's task to ask the provider.
async fn open_cases(
    conn: &mut AsyncPgConnection,
    openings: Vec<ToOpen<'_>>,
    effects: &mut Effects,
) -> anyhow::Result<()> {
    if openings.is_empty() {
        return Ok(());
    }
    let now = effects.now();
    let customers = openings
        .iter()
        .map(|o| NewParty::from_customer(&o.event.complaint.customer, now))
        .collect();
    let party_ids = parties::upsert(conn, customers).await?;
    let numbers = cases::next_numbers(conn, openings.len()).await?;
    let mut new_cases = Vec::with_capacity(openings.len());
    let mut mixed = Vec::new();
    for (to_open, number) in openings.into_iter().zip(numbers) {
        let ToOpen {
            event,
            opening,
            linked_id,
            note,
        } = to_open;
        let complaint = event.complaint;
        let party_id = party_ids[&complaint.customer.reference];
        let case = open_case(
            effects,
            &event.draft(),
            event.first_entry(),
            &opening,
            linked_id,
            party_id,
            number,
        );
        if let Some(note) = note {
            let detail = json!({ "linked_case": opening.linked_case });
            effects.note(&case, note, detail, event.event_id);
        }
        if complaint.about == About::Mixed && opening.closed_at_once.is_none() {
            mixed.push((new_cases.len(), opening.team, event));
        }
        new_cases.push(case);
    }
    cases::insert_all(conn, &new_cases).await?;
    for (index, team, event) in mixed {
        ask_provider(effects, &new_cases[index], team, event);
    }
    Ok(())
}

/// Opens a dispute for each complaint refused as a disagreement with an appealable decision
/// (process.md §3, rule 1): the refusal is not the end of it, the dispute process takes it on
/// (process.md §6, CMSL5811 / CMSL5812). Each gets its own `DSP-` reference, a timeline entry
/// and `dispute.opened`.
async fn open_disputes(
    conn: &mut AsyncPgConnection,
    refused: &[Received<'_>],
    effects: &mut Effects,
) -> anyhow::Result<()> {
    if refused.is_empty() {
        return Ok(());
    }
    let now = effects.now();
    let customers = refused
        .iter()
        .map(|r| NewParty::from_customer(&r.complaint.customer, now))
        .collect();
    let party_ids = parties::upsert(conn, customers).await?;
    let numbers = cases::next_numbers(conn, refused.len()).await?;
    let mut rows = Vec::with_capacity(refused.len());
    for (event, number) in refused.iter().zip(numbers) {
        let complaint = event.complaint;
        let reference = dispute_reference(now, number);
        let dispute = NewDispute {
            id: Uuid::now_v7(),
            reference: reference.clone(),
            kind: CaseKind::Dispute.as_str().into(),
            tier: 0,
            stage: DisputeStage::Received.as_str().into(),
            status: Status::InProgress.as_str().into(),
            party_id: party_ids[&complaint.customer.reference],
            handling_team: disputes::HANDLING_TEAM.as_str().into(),
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
            cause: event.event_id,
            opened_at: now,
        };
        effects.note(
            &dispute,
            format!(
                "Refused as a complaint (appealable decision) and opened as a dispute; received by {} from {}",
                complaint.channel, complaint.raised_by
            ),
            json!({ "complaint_event_id": event.event_id }),
            event.event_id,
        );
        effects.emit(
            &dispute,
            dispute_opened::TYPE,
            DisputeOpened {
                dispute_reference: reference,
                complaint_event_id: event.event_id,
                customer_reference: complaint.customer.reference.clone(),
                received_at: complaint.received_at,
            },
        );
        rows.push(dispute);
    }
    disputes::insert_all(conn, &rows).await?;
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

/// For a new mixed complaint (seed 003), a task for its team: ask the provider for a
/// contribution to the reply. The department owns the complaint; the provider's part of any
/// later dissatisfaction goes through the provider's own process.
fn ask_provider(effects: &mut Effects, case: &NewCase, team: Team, event: Received<'_>) {
    let provider = event
        .complaint
        .provider
        .as_deref()
        .unwrap_or("the contracted provider");
    effects.task(
        case,
        team_assignee(team),
        format!(
            "Mixed complaint: ask {provider} for a contribution to the reply (the department owns the complaint)"
        ),
        None,
        event.event_id,
    );
}

/// Who a task for a case's owning team goes to.
fn team_assignee(team: Team) -> Assignee {
    match team {
        Team::OperationalCaseworkers => Assignee::Caseworker,
        Team::TeamLeaders => Assignee::TeamLeader,
        Team::ComplaintResolutionTeam => Assignee::ComplaintResolutionTeam,
        Team::MpSpecialists => Assignee::MpSpecialists,
        Team::ComplaintReviewTeam => Assignee::ComplaintReviewTeam,
        // Intake opens no dispute (the disputes worker does); a dispute's decisions are its
        // team leader's.
        Team::DisputeResolution => Assignee::TeamLeader,
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
    /// The API client that posted it over HTTP, for its first timeline entry.
    authclient: Option<&'a str>,
}

impl<'a> Received<'a> {
    /// What its case is made of.
    fn draft(&self) -> CaseDraft<'a> {
        let complaint = self.complaint;
        CaseDraft {
            cause: self.event_id,
            customer_reference: &complaint.customer.reference,
            region: complaint.customer.region,
            complaint: ComplaintDetails {
                received_at: complaint.received_at,
                channel: complaint.channel,
                raised_by: complaint.raised_by,
                about: complaint.about,
                addressee: complaint.addressee,
                categories: Category::normalise(&complaint.categories),
                summary: complaint.summary.clone(),
                pos: complaint.pos,
                staff_reference: self.staff_reference.map(str::to_owned),
                provider: complaint.provider.clone(),
            },
        }
    }

    /// Its case's first timeline entry: how and from whom it came.
    fn first_entry(&self) -> (String, serde_json::Value) {
        let complaint = self.complaint;
        (
            format!(
                "Complaint received by {} from {}",
                complaint.channel, complaint.raised_by
            ),
            json!({
                "about": complaint.about,
                "categories": complaint.categories,
                "addressee": complaint.addressee,
                "authclient": self.authclient,
            }),
        )
    }
}
