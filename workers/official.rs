//! Decisions about a case that are no tier's procedure, applied by the casework worker before
//! its state machine: an MP's involvement in a customer's complaint (`mp.involved`), and the
//! reply to official correspondence (`correspondence.replied`, seed 001).
//!
//! - `mp.involved` sets "parliamentary contact involved" on an open complaint case (for the
//!   report) and hands it to those who deal with MP cases (seed 004): at tier 0 the team
//!   leader is asked to refer it to tier 1, where the CRT's specialist MP officers take it; a
//!   CRT case at tier 1 passes to the MP specialists; a Review stays with the Review team.
//! - `correspondence.replied` closes a correspondence case `Answered Enquiry` when the reply is
//!   what its kind needs ([`check_reply`]), the written reply's final version agreed by a team
//!   leader of the staff directory. Nothing is signposted and nothing escalates.

use std::collections::HashMap;

use serde_json::json;

use super::effects::Effects;
use crate::db::cases::{self, CaseFacts};
use crate::db::staff::{self, StaffRecord};
use crate::events::{case_closed, CaseClosed, CloudEvent, CorrespondenceReplied, MpInvolved};
use crate::process::correspondence::{check_reply, label};
use crate::vocabulary::{Assignee, CaseKind, ResolutionCode, StaffRole, Team, Tier};
use diesel_async::AsyncPgConnection;

/// Records an MP's involvement in `case`, or refuses it.
pub async fn mp_involved<E>(
    conn: &mut AsyncPgConnection,
    case: &CaseFacts,
    mp: &MpInvolved,
    event: &CloudEvent<E>,
    effects: &mut Effects,
) -> anyhow::Result<()> {
    if case.kind != CaseKind::Complaint {
        effects.reject(
            event,
            format!(
                "{} is not a complaint case: an MP's correspondence is recorded as who raised it",
                case.reference
            ),
        );
        return Ok(());
    }
    if case.closed {
        effects.reject(
            event,
            format!(
                "{} is closed: an MP's new correspondence about it is a complaint raised by the MP (process.md §3, rule 4)",
                case.reference
            ),
        );
        return Ok(());
    }
    let (already, team) = cases::parliamentary_contact(conn, case.id).await?;
    let hand_over = case.tier == Tier::Resolution && team == Team::ComplaintResolutionTeam;
    cases::record_mp_involved(conn, case.id, hand_over.then_some(Team::MpSpecialists)).await?;
    effects.note(
        case,
        format!(
            "MP involved ({}), first contact {}: parliamentary contact recorded",
            mp.constituency, mp.contacted_on
        ),
        json!({ "by": mp.by, "decision": event.event_type, "constituency": mp.constituency,
                "contacted_on": mp.contacted_on, "authclient": event.authclient }),
        event.id,
    );
    if already {
        return Ok(());
    }
    match case.tier {
        Tier::Dissatisfaction => effects.task(
            case,
            Assignee::TeamLeader,
            "An MP is involved: MP cases are handled by the CRT's specialist MP officers; refer it to tier 1 (team_leader.decided cannot_resolve)".into(),
            None,
            event.id,
        ),
        Tier::Resolution if hand_over => effects.task(
            case,
            Assignee::MpSpecialists,
            "An MP is involved: the case passes to the specialist MP officers; allocate it".into(),
            None,
            event.id,
        ),
        Tier::Resolution | Tier::Review => {}
    }
    Ok(())
}

/// Applies the reply to official correspondence `case`, or refuses it.
pub async fn correspondence_replied<E>(
    conn: &mut AsyncPgConnection,
    case: &CaseFacts,
    reply: &CorrespondenceReplied,
    event: &CloudEvent<E>,
    effects: &mut Effects,
) -> anyhow::Result<()> {
    let Some(kind) = case.correspondence else {
        effects.reject(
            event,
            format!("{} is not official correspondence", case.reference),
        );
        return Ok(());
    };
    if case.closed {
        effects.reject(
            event,
            format!("{} has been answered already", case.reference),
        );
        return Ok(());
    }
    let people: Vec<&str> = [Some(reply.by.as_str()), reply.agreed_by.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let directory = staff::find(conn, &people).await?;
    if let Err(reason) = check_reply(kind, reply).and_then(|()| entitled(reply, &directory)) {
        effects.reject(event, reason);
        return Ok(());
    }
    cases::close(
        conn,
        case.id,
        ResolutionCode::AnsweredEnquiry,
        effects.now(),
    )
    .await?;
    let summary = format!(
        "{} correspondence answered by {}{}",
        label(kind),
        reply.method,
        reply
            .signed_by
            .map(|s| format!(", signed by the {s}"))
            .unwrap_or_default()
    );
    effects.note(
        case,
        summary.clone(),
        json!({ "by": reply.by, "agreed_by": reply.agreed_by, "decision": event.event_type,
                "reply": reply.summary, "authclient": event.authclient }),
        event.id,
    );
    effects.emit(
        case,
        case_closed::TYPE,
        CaseClosed {
            case_reference: case.reference.clone(),
            resolution_code: ResolutionCode::AnsweredEnquiry,
            reason: summary,
            returned_to: None,
        },
    );
    Ok(())
}

/// The handler must be an active member of staff who handles Resolution cases (official
/// correspondence is the CRT's), and whoever agreed a written reply an active team leader.
fn entitled(
    reply: &CorrespondenceReplied,
    directory: &HashMap<String, StaffRecord>,
) -> Result<(), String> {
    let has = |id: &str, roles: &[StaffRole]| {
        directory
            .get(id)
            .is_some_and(|m| m.active && m.roles().iter().any(|r| roles.contains(r)))
    };
    if !has(
        &reply.by,
        &[
            StaffRole::CaseManager,
            StaffRole::MpSpecialist,
            StaffRole::TeamLeader,
        ],
    ) {
        return Err(format!(
            "{} is not an active case manager or MP specialist of the staff directory",
            reply.by
        ));
    }
    match reply.agreed_by.as_deref() {
        Some(tl) if !has(tl, &[StaffRole::TeamLeader, StaffRole::G7Manager]) => Err(format!(
            "{tl} is not an active team leader of the staff directory"
        )),
        _ => Ok(()),
    }
}
