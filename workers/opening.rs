//! Opening a case: the case row, its first timeline entries and the events a new case causes
//! (`case.opened`, `case.flagged_high_profile`, and `case.closed` for a referral closed at
//! once). Intake opens cases from complaints; the escalation worker opens the linked case at
//! the next tier.

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::db::cases::{ComplaintDetails, NewCase};
use crate::db::outbox::{self, OutboxRow};
use crate::db::timeline::NewEntry;
use crate::events::{
    case_closed, case_flagged_high_profile, case_opened, CaseClosed, CaseFlaggedHighProfile,
    CaseOpened, CloudEvent,
};
use crate::process::case_reference::case_reference;
use crate::process::casework::opening_stage_and_status;
use crate::process::correspondence;
use crate::process::routing::Opening;
use crate::vocabulary::{CaseKind, Correspondence, Region, Stage, Status, SubStatus};

/// The rows and events of one case opening.
pub struct OpenedCase {
    /// The case row.
    pub case: NewCase,
    /// Its first timeline entries.
    pub timeline: Vec<NewEntry>,
    /// The events it causes.
    pub events: Vec<OutboxRow>,
}

/// What a new case is made of: from a complaint at intake, or from the lower case when one is
/// escalated.
pub struct CaseDraft<'a> {
    /// The event that opens it (its id becomes the case's `source_event_id`).
    pub cause: Uuid,
    /// The customer.
    pub customer_reference: &'a str,
    /// The customer's region.
    pub region: Region,
    /// What the complaint says (its summary already redacted of any member of staff's name).
    pub complaint: ComplaintDetails,
}

/// Builds a case: the case row, its first timeline entries (`first_entry`, then the opening),
/// and the
/// events it causes (`case.opened`, and `case.flagged_high_profile` / `case.closed` where the
/// routing says so).
#[allow(clippy::too_many_arguments)]
pub fn open_case(
    actor: &str,
    draft: &CaseDraft<'_>,
    first_entry: (String, serde_json::Value),
    opening: &Opening,
    linked_case_id: Option<Uuid>,
    party_id: Uuid,
    number: i64,
    now: DateTime<Utc>,
) -> OpenedCase {
    let case_id = Uuid::now_v7();
    let (reference, kind, (stage, mut status)) = match opening.correspondence {
        // Official correspondence is answered at once by its handler: no allocation step.
        Some(_) => (
            correspondence::reference(now, number),
            CaseKind::Correspondence,
            (Stage::Investigation, Status::InProgress),
        ),
        None => (
            case_reference(opening.tier, now, number),
            CaseKind::Complaint,
            opening_stage_and_status(opening.tier),
        ),
    };
    let entry = |entry: String, detail: serde_json::Value| NewEntry {
        case_id,
        at: now,
        actor: actor.into(),
        entry,
        detail,
        event_id: Some(draft.cause),
    };
    let mut timeline = vec![
        entry(first_entry.0, first_entry.1),
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
                stage: stage.as_str().into(),
                status: status.as_str().into(),
                handling_team: opening.team,
                customer_reference: draft.customer_reference.to_owned(),
                region: draft.region,
                received_at: draft.complaint.received_at,
                channel: draft.complaint.channel,
                raised_by: draft.complaint.raised_by,
                linked_case_reference: opening.linked_case.clone(),
                high_profile: opening.high_profile,
                parliamentary_contact: opening.parliamentary_contact,
                routing_rule: opening.rule.into(),
                complaint_event_id: draft.cause,
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
                    summary: draft.complaint.summary.clone(),
                },
            ),
            now,
        ));
    }
    let mut sub_status = None;
    let mut resolution_code = None;
    let mut closed_at = None;
    if let Some(closed) = &opening.closed_at_once {
        status = Status::Closed;
        sub_status = Some(SubStatus::Complete);
        resolution_code = Some(closed.resolution_code);
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
    let mut complaint = draft.complaint.clone();
    complaint.pos |= opening.correspondence == Some(Correspondence::Pos);
    let case = NewCase {
        id: case_id,
        reference,
        tier: opening.tier,
        stage,
        status,
        sub_status,
        resolution_code,
        party_id,
        linked_case_id,
        handling_team: opening.team,
        complaint,
        high_profile: opening.high_profile,
        parliamentary_contact: opening.parliamentary_contact,
        source_event_id: draft.cause,
        opened_at: now,
        closed_at,
        consolatory_payment_pence: None,
        cmsf5551: false,
        kind,
        correspondence: opening.correspondence,
    };
    OpenedCase {
        case,
        timeline,
        events,
    }
}
