//! Tier 0, Dissatisfaction (process.md §4): resolved at the first point of contact, or, when
//! the customer is not content, decided by the team leader; a referral to tier 1 needs the G7
//! manager's authority, then closes this case and opens the linked Resolution case.

use super::{not_a_closing_code, plan_steps, Decision, Transition};
use crate::events::case_escalated::ConsolatoryReferral;
use crate::letters::catalogue::{CMSL5701_CLOSED, CMSL5701_PROPOSED};
use crate::vocabulary::{
    Assignee, LetterCode, ResolutionCode, Stage, Status, SubStatus, TeamLeaderDecision, Tier,
};

/// Applies a tier 0 decision.
pub(super) fn decide(t: &mut Transition, decision: &Decision) -> Result<(), String> {
    match decision {
        Decision::PlanProposed { customer_reached } => {
            plan_steps::propose(t)?;
            // Step 3: a customer not reached by phone gets the proposed actions in CMSL5701.
            if !customer_reached || !t.state.context.phone_alone_will_do() {
                t.letter_with(LetterCode::Cmsl5701, CMSL5701_PROPOSED);
            }
            t.summary = "Proposed actions put to the customer".into();
            Ok(())
        }
        Decision::PlanAgreed { due } => plan_steps::agree(t, due),
        Decision::PlanDisagreed | Decision::CustomerDissatisfied => to_team_leader(t),
        Decision::TeamLeaderDecided { choice, payment } => {
            team_leader_decides(t, *choice, *payment)
        }
        Decision::EscalationAuthorised {
            customer_told_by_phone,
        } => escalate(t, *customer_told_by_phone),
        Decision::ClosureDecided {
            resolution_code, ..
        } => close(t, *resolution_code),
        Decision::OutcomeDecided { .. } => Err(
            "a Dissatisfaction case has no outcome: it is resolved at source or escalated".into(),
        ),
        // Decided alike on every tier, in `casework::decide`, before this is asked.
        other => Err(format!("{other:?} is not a decision for this tier")),
    }
}

/// Step 5: the customer is not content; the team leader gets a task.
fn to_team_leader(t: &mut Transition) -> Result<(), String> {
    t.state.require_in_progress()?;
    t.state.stage = Stage::EscalateToTeamLeader;
    t.state
        .set(Status::PendingApproval, SubStatus::PendingApprovalTl);
    t.task(
        Assignee::TeamLeader,
        "The customer is not content: reach agreement, or refer the case to tier 1",
    );
    t.summary = "The customer is not content: escalated to the team leader".into();
    Ok(())
}

/// Step 5: agreement reached (back to the actions), or a referral for the G7 to authorise.
fn team_leader_decides(
    t: &mut Transition,
    choice: TeamLeaderDecision,
    payment: Option<ConsolatoryReferral>,
) -> Result<(), String> {
    if t.state.sub_status != Some(SubStatus::PendingApprovalTl) {
        return Err("the case is not waiting for the team leader".into());
    }
    match (choice, payment) {
        (TeamLeaderDecision::ConsolatoryPaymentReferral, None) => return Err(
            "a consolatory-payment referral says the payment asked for (consolatory_payment_pence)"
                .into(),
        ),
        (TeamLeaderDecision::ConsolatoryPaymentReferral, Some(_)) | (_, None) => {}
        (other, Some(_)) => return Err(format!("{other} carries no consolatory payment")),
    }
    match choice {
        TeamLeaderDecision::AgreementReached => {
            t.state.stage = Stage::ResolutionAction;
            t.state.set(Status::InProgress, SubStatus::InProgress);
            if let Some(plan) = t
                .state
                .plan
                .as_mut()
                .filter(|p| p.approval == super::resolution_plan::Approval::Approved)
            {
                plan.agreed = true;
            }
            t.summary = "The team leader reached agreement with the customer".into();
        }
        TeamLeaderDecision::ConsolatoryPaymentReferral | TeamLeaderDecision::CannotResolve => {
            t.state.referral = Some(choice);
            t.state.referral_payment = payment;
            t.state
                .set(Status::PendingApproval, SubStatus::PendingG7Authorisation);
            t.task(
                Assignee::Manager,
                "Authorise the referral to tier 1 (referral template and chronology attached; hold a case conference if it could help)",
            );
            t.summary = match payment {
                Some(p) => format!(
                    "The team leader refers a consolatory payment of {} to tier 1 as a non complaint consolatory payment referral only{}; the G7 decides",
                    super::resolution_plan::pounds(p.amount_pence),
                    if p.cmsf5551 { ", with form CMSF5551" } else { "" }
                ),
                None => format!("The team leader refers the case to tier 1 ({choice}); the G7 decides"),
            };
        }
    }
    Ok(())
}

/// Step 6: the G7 authorised the referral. The case closes `Unresolved` (or `Actions Complete –
/// Client Not OK` for a consolatory payment referral) and the Resolution case opens; a customer
/// not told by phone gets CMSL5842.
fn escalate(t: &mut Transition, customer_told_by_phone: bool) -> Result<(), String> {
    if t.state.sub_status != Some(SubStatus::PendingG7Authorisation) {
        return Err("no referral to tier 1 is waiting for authorisation".into());
    }
    let code = match t.state.referral {
        Some(TeamLeaderDecision::ConsolatoryPaymentReferral) => {
            ResolutionCode::ActionsCompleteClientNotOk
        }
        _ => ResolutionCode::Unresolved,
    };
    // A consolatory-payment referral is not a complaint: no complaint acknowledgement.
    let complaint = t.state.referral_payment.is_none();
    if complaint && (!customer_told_by_phone || !t.state.context.phone_alone_will_do()) {
        t.letter(LetterCode::Cmsl5842);
    }
    t.escalate(Stage::EscalateToResolution, code, Tier::Resolution);
    t.summary = format!("Referral to tier 1 authorised: closed {code}, escalated to Resolution");
    Ok(())
}

/// Step 4: actions done and the customer content (CMSL5701 confirms them and the closure), or
/// only an enquiry.
fn close(t: &mut Transition, code: ResolutionCode) -> Result<(), String> {
    t.state.require_in_progress()?;
    match code {
        ResolutionCode::ActionsCompleteClientOk => {
            if t.state.plan.is_none() {
                return Err("no resolution plan was agreed".into());
            }
            plan_steps::actions_done(t)?;
            t.state.stage = Stage::ResolutionAction;
            // Step 12: CMSL5701 confirms the actions taken and that the complaint is closed.
            t.letter_with(LetterCode::Cmsl5701, CMSL5701_CLOSED);
        }
        ResolutionCode::AnsweredEnquiry => {}
        other => {
            return Err(not_a_closing_code(
                Tier::Dissatisfaction,
                [
                    ResolutionCode::ActionsCompleteClientOk,
                    ResolutionCode::AnsweredEnquiry,
                ],
                other,
            ))
        }
    }
    t.close(code);
    Ok(())
}
