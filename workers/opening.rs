//! Opening a case: the case row, its first timeline entries and the events a new case causes
//! (`case.opened`, `case.flagged_high_profile`, and `case.closed` for a referral closed at
//! once). Intake opens cases from complaints; the escalation worker opens the linked case at
//! the next tier.

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::effects::Effects;
use crate::db::cases::{ComplaintDetails, NewCase};
use crate::events::{
    case_closed, case_flagged_high_profile, case_opened, CaseClosed, CaseFlaggedHighProfile,
    CaseOpened,
};
use crate::process::case_reference::case_reference;
use crate::process::casework::opening_stage_and_status;
use crate::process::correspondence;
use crate::process::routing::{ClosedAtOnce, Opening};
use crate::vocabulary::{CaseKind, Correspondence, Region, Stage, Status, SubStatus};

/// What a new case is made of: from a complaint at intake, or from the lower case when one is
/// escalated.
pub struct CaseDraft<'a> {
    /// The event that opens it (its id becomes the case's `cause`).
    pub cause: Uuid,
    /// The reference of the customer the case is for.
    pub customer_reference: &'a str,
    /// The customer's region.
    pub region: Region,
    /// What the complaint says (its summary already redacted of any member of staff's name).
    pub complaint: ComplaintDetails,
}

/// Opens a case: returns its row (for the caller to insert with the batch's others) and gives
/// `effects` its first timeline entries (`first_entry`, then the opening) and the events it
/// causes (`case.opened`, and `case.flagged_high_profile` / `case.closed` where the routing
/// says so).
pub fn open_case(
    effects: &mut Effects,
    draft: &CaseDraft<'_>,
    first_entry: (String, serde_json::Value),
    opening: &Opening,
    linked_case_id: Option<Uuid>,
    party_id: Uuid,
    number: i64,
) -> NewCase {
    let mut case = new_case(
        draft,
        opening,
        linked_case_id,
        party_id,
        number,
        effects.now(),
    );
    let cause = draft.cause;
    effects.note(&case, first_entry.0, first_entry.1, cause);
    effects.note(
        &case,
        format!(
            "Opened at tier {} ({}) for {} by routing rule {}",
            opening.tier.number(),
            opening.tier,
            opening.team,
            opening.rule
        ),
        json!({ "linked_case": opening.linked_case }),
        cause,
    );
    let opened = CaseOpened {
        case_reference: case.reference.clone(),
        tier: opening.tier,
        stage: case.stage.as_str().into(),
        status: case.status.as_str().into(),
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
        complaint_event_id: cause,
    };
    effects.emit(&case, case_opened::TYPE, opened);
    if opening.high_profile {
        effects.note(
            &case,
            "Flagged high profile: the Operations Director's office is notified".into(),
            json!({ "notify": case_flagged_high_profile::NOTIFY }),
            cause,
        );
        let flagged = CaseFlaggedHighProfile {
            case_reference: case.reference.clone(),
            notify: case_flagged_high_profile::NOTIFY.into(),
            summary: draft.complaint.summary.clone(),
        };
        effects.emit(&case, case_flagged_high_profile::TYPE, flagged);
    }
    if let Some(closed) = &opening.closed_at_once {
        close_at_once(effects, &mut case, closed, cause);
    }
    case
}

/// A referral closed as it opens (process.md §3): the case row closed, its entry and
/// `case.closed`.
fn close_at_once(effects: &mut Effects, case: &mut NewCase, closed: &ClosedAtOnce, cause: Uuid) {
    case.status = Status::Closed;
    case.sub_status = Some(SubStatus::Complete);
    case.resolution_code = Some(closed.resolution_code);
    case.closed_at = Some(effects.now());
    effects.note(
        case,
        format!(
            "Closed {}: {}; returned to {}",
            closed.resolution_code, closed.reason, closed.returned_to
        ),
        json!({ "resolution_code": closed.resolution_code, "returned_to": closed.returned_to }),
        cause,
    );
    let event = CaseClosed {
        case_reference: case.reference.clone(),
        resolution_code: closed.resolution_code,
        reason: closed.reason.clone(),
        returned_to: Some(closed.returned_to),
    };
    effects.emit(case, case_closed::TYPE, event);
}

/// The row of a case as it opens, open at the tier's first stage (official correspondence: at
/// investigation, answered by its handler without allocation).
fn new_case(
    draft: &CaseDraft<'_>,
    opening: &Opening,
    linked_case_id: Option<Uuid>,
    party_id: Uuid,
    number: i64,
    now: DateTime<Utc>,
) -> NewCase {
    let (reference, kind, (stage, status)) = match opening.correspondence {
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
    let mut complaint = draft.complaint.clone();
    complaint.pos |= opening.correspondence == Some(Correspondence::Pos);
    NewCase {
        id: Uuid::now_v7(),
        reference,
        tier: opening.tier,
        stage,
        status,
        sub_status: None,
        resolution_code: None,
        party_id,
        linked_case_id,
        handling_team: opening.team,
        complaint,
        high_profile: opening.high_profile,
        parliamentary_contact: opening.parliamentary_contact,
        cause: draft.cause,
        opened_at: now,
        closed_at: None,
        consolatory_payment_pence: None,
        cmsf5551: false,
        kind,
        correspondence: opening.correspondence,
    }
}
