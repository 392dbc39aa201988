//! Opening a case: the case row, its first timeline entries and the events a new case causes
//! (`case.opened`, `case.flagged_high_profile`, and `case.closed` for a referral closed at
//! once). Intake opens cases from complaints; the escalation worker opens the linked case at
//! the next tier.

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::effects::Effects;
use crate::db::cases::NewCase;
use crate::events::{
    case_closed, case_flagged_high_profile, case_opened, CaseClosed, CaseFlaggedHighProfile,
    CaseOpened,
};
use crate::process::case_reference::case_reference;
use crate::process::casework::opening_stage_and_status;
use crate::process::correspondence;
use crate::process::routing::{ClosedAtOnce, Opening};
use crate::vocabulary::{About, Addressee, Channel, RaisedBy, Region};
use crate::vocabulary::{CaseKind, Correspondence, Stage, Status, SubStatus};

/// What a new case is made of: from a complaint at intake, or from the lower case when one is
/// escalated.
pub struct CaseDraft<'a> {
    /// The event that opens it (its id becomes the case's `source_event_id`).
    pub cause: Uuid,
    /// The customer.
    pub customer_reference: &'a str,
    /// The customer's region.
    pub region: Region,
    /// When the organisation received the complaint (at this tier).
    pub received_at: DateTime<Utc>,
    /// How it came.
    pub channel: Channel,
    /// Who raised it.
    pub raised_by: RaisedBy,
    /// What it is about.
    pub about: About,
    /// To whom it was addressed.
    pub addressee: Addressee,
    /// Its categories.
    pub categories: Vec<String>,
    /// The complaint details (already redacted of any member of staff's name).
    pub summary: &'a str,
    /// Private Office correspondence.
    pub pos: bool,
    /// The opaque reference of the member of staff complained about.
    pub staff_reference: Option<&'a str>,
    /// The contracted provider a mixed complaint is also about.
    pub provider: Option<&'a str>,
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
        stage: case.stage.clone(),
        status: case.status.clone(),
        handling_team: opening.team,
        customer_reference: draft.customer_reference.to_owned(),
        region: draft.region,
        received_at: draft.received_at,
        channel: draft.channel,
        raised_by: draft.raised_by,
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
            summary: draft.summary.to_owned(),
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
    case.status = Status::Closed.as_str().into();
    case.sub_status = Some(SubStatus::Complete.as_str().to_owned());
    case.resolution_code = Some(closed.resolution_code.as_str().to_owned());
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
    NewCase {
        id: Uuid::now_v7(),
        reference,
        tier: opening.tier.number(),
        stage: stage.as_str().into(),
        status: status.as_str().into(),
        sub_status: None,
        resolution_code: None,
        party_id,
        linked_case_id,
        handling_team: opening.team.as_str().into(),
        received_at: draft.received_at,
        channel: draft.channel.as_str().into(),
        raised_by: draft.raised_by.as_str().into(),
        about: draft.about.as_str().into(),
        addressee: draft.addressee.as_str().into(),
        categories: draft.categories.clone(),
        summary: draft.summary.to_owned(),
        high_profile: opening.high_profile,
        parliamentary_contact: opening.parliamentary_contact,
        pos: draft.pos || opening.correspondence == Some(Correspondence::Pos),
        source_event_id: draft.cause,
        opened_at: now,
        closed_at: None,
        staff_reference: draft.staff_reference.map(str::to_owned),
        consolatory_payment_pence: None,
        cmsf5551: false,
        kind: kind.as_str().into(),
        correspondence: opening.correspondence.map(|c| c.as_str().into()),
        provider: draft.provider.map(str::to_owned),
    }
}
