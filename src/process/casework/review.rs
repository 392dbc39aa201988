//! Tier 2, Review (process.md §4): a review caseworker (never the person who handled the
//! Resolution case) decides the outcome, which may also be Justified. No further action: the
//! decision in CMSL5800, signposting ICE, and a 7-day wait. Further action: an action plan, put
//! to the customer in CMSL5801; a disputed plan goes to the team leader, who has it go ahead
//! (CMSL5803) or revised (CMSL5804); once its actions are done the customer is asked to agree
//! closure (CMSL5806), or is not reached (CMSL5805 and a 14-day wait), or disagrees (CMSL5807
//! with leaflet CMSB0011).

use super::resolution_plan::Approval;
use super::{not_a_closing_code, plan_steps, record_outcome, Decision, Transition};
use crate::vocabulary::{
    Approver, Assignee, ClockKind, LetterCode, Outcome, ResolutionCode, Stage, Status, SubStatus,
    Tier,
};

/// Applies a tier 2 decision made by `by`.
pub(super) fn decide(t: &mut Transition, decision: &Decision, by: &str) -> Result<(), String> {
    match decision {
        Decision::OutcomeDecided {
            outcome,
            hr_guidance_followed,
            ..
        } => {
            if t.state.context.earlier_handler.as_deref() == Some(by) {
                return Err(format!(
                    "{by} handled the Resolution case: the review must be decided by someone with no part in earlier responses"
                ));
            }
            record_outcome(t, *outcome, *hr_guidance_followed)?;
            if matches!(outcome, Outcome::NotUpheld | Outcome::Justified) {
                // Step 7: no further action.
                t.letter(LetterCode::Cmsl5800);
                t.state.sub_status = Some(SubStatus::Wait);
            } else {
                t.state.sub_status = Some(SubStatus::DraftActionPlan);
            }
            Ok(())
        }
        Decision::PlanApproved {
            approver,
            amount_pence,
        } => go_ahead(t, *approver, *amount_pence, by),
        Decision::PlanRejected { approver } => revise(t, *approver),
        Decision::PlanProposed { customer_reached } => {
            plan_steps::propose(t)?;
            // Step 9: LM_00008 when reached by phone, LM_00009 when not.
            let paragraph = if *customer_reached {
                "LM_00008"
            } else {
                "LM_00009"
            };
            t.effects.push(super::Effect::Letter {
                code: LetterCode::Cmsl5801,
                paragraph: Some(paragraph),
            });
            if !customer_reached {
                t.state.sub_status = Some(SubStatus::Wait);
            }
            t.summary = "Action plan put to the customer (CMSL5801)".into();
            Ok(())
        }
        Decision::PlanAgreed { due } => {
            if !t.state.plan.as_ref().is_some_and(|p| p.proposed) {
                return Err("the plan has not been put to the customer yet".into());
            }
            plan_steps::agree(t, due)
        }
        Decision::PlanDisagreed => {
            t.state.require_in_progress()?;
            let plan = plan_steps::plan_mut(t)?;
            if plan.approval != Approval::Approved || plan.agreed || !plan.proposed {
                return Err("no plan has been put to the customer for agreement".into());
            }
            plan.approval = Approval::Disputed;
            t.state
                .set(Status::PendingApproval, SubStatus::PendingTlApproval);
            t.task(
                Assignee::TeamLeader,
                "The customer disagrees with the action plan: have it go ahead (CMSL5803) or revised (CMSL5804)",
            );
            t.summary = "The customer disagreed with the plan: the team leader decides".into();
            Ok(())
        }
        Decision::CustomerDissatisfied => {
            t.state.require_in_progress()?;
            if t.state.outcome.is_none() {
                return Err("the outcome is not decided yet".into());
            }
            if t.state.plan.is_none() {
                return Err("no action was taken: close the review (No Action Taken) once the decision is discussed".into());
            }
            plan_steps::actions_done(t)?;
            // Step 12: closed although the customer disagrees; CMSL5807 and leaflet CMSB0011.
            t.letter(LetterCode::Cmsl5807);
            t.state.close(ResolutionCode::ActionsCompleteClientNotOk);
            t.summary = format!(
                "The customer does not agree to closure: closed {}",
                ResolutionCode::ActionsCompleteClientNotOk
            );
            Ok(())
        }
        Decision::ClosureDecided {
            resolution_code,
            customer_reached,
        } => close(t, *resolution_code, *customer_reached),
        // Decided alike on every tier, in `casework::decide`, before this is asked.
        other => Err(format!("{other:?} is not a decision for this tier")),
    }
}

/// Steps 7 and 12: the customer's silence ends a review's wait. Seven days after CMSL5800 (no
/// further action) it closes No Action Taken; fourteen days after CMSL5805 (actions complete,
/// the customer not reached) it closes Actions Complete, silence taken as no objection
/// (design). Only a review waiting at that step closes: a clock left over from a step the case
/// has moved past closes nothing.
pub(super) fn wait_ran_out(t: &mut Transition, clock: ClockKind) -> Result<(), String> {
    t.state.require_in_progress()?;
    if t.state.sub_status != Some(SubStatus::Wait) {
        return Err("the review is not waiting for the customer".into());
    }
    let (code, why) = match (clock, t.state.outcome) {
        (ClockKind::WaitAfterCmsl5800, Some(Outcome::NotUpheld | Outcome::Justified)) => (
            ResolutionCode::NoActionTaken,
            "no reply within 7 days of CMSL5800",
        ),
        (ClockKind::WaitAfterCmsl5805, Some(Outcome::Upheld | Outcome::PartUpheld))
            if t.state.plan.is_some() =>
        {
            (
                ResolutionCode::ActionsCompleteClientOk,
                "no reply within 14 days of CMSL5805",
            )
        }
        _ => return Err(format!("{clock} running out does not end this review")),
    };
    t.close(code);
    t.summary = format!("Closed {code}: {why}");
    Ok(())
}

/// Step 10: the team leader has the disputed plan go ahead (CMSL5803). (Approving a plan that
/// is not disputed is the same on every tier: see `plan_steps::approve`.)
fn go_ahead(
    t: &mut Transition,
    approver: Approver,
    amount_pence: i64,
    by: &str,
) -> Result<(), String> {
    if approver != Approver::TeamLeader {
        return Err("a disputed plan is decided by the team leader".into());
    }
    let plan = t
        .state
        .plan
        .as_mut()
        .ok_or("this case has no disputed plan")?;
    plan_steps::not_the_drafter(plan, by)?;
    plan_steps::check_amount(plan, amount_pence)?;
    plan.approval = Approval::Approved;
    plan.agreed = true;
    t.state.stage = Stage::ResolutionAction;
    t.state
        .set(Status::InProgress, SubStatus::UndertakeActionsPrescribed);
    t.letter(LetterCode::Cmsl5803);
    t.summary = "The team leader has the disputed plan go ahead (CMSL5803)".into();
    Ok(())
}

/// Step 10: the team leader has the disputed plan revised (CMSL5804): back to drafting.
fn revise(t: &mut Transition, approver: Approver) -> Result<(), String> {
    if approver != Approver::TeamLeader {
        return Err("a disputed plan is decided by the team leader".into());
    }
    let plan = t
        .state
        .plan
        .as_mut()
        .ok_or("this case has no disputed plan")?;
    plan.approval = Approval::Drafted;
    plan.proposed = false;
    t.state.set(Status::InProgress, SubStatus::DraftActionPlan);
    t.letter(LetterCode::Cmsl5804);
    t.summary = "The team leader has the disputed plan revised (CMSL5804)".into();
    Ok(())
}

/// Step 12 (and step 2 for an enquiry, step 7 after a reply to CMSL5800).
fn close(t: &mut Transition, code: ResolutionCode, customer_reached: bool) -> Result<(), String> {
    t.state.require_in_progress()?;
    match code {
        ResolutionCode::ActionsCompleteClientOk => {
            if !matches!(t.state.outcome, Some(Outcome::Upheld | Outcome::PartUpheld))
                || t.state.plan.is_none()
            {
                return Err("only a review with an action plan closes as Actions Complete".into());
            }
            plan_steps::actions_done(t)?;
            if !customer_reached {
                t.letter(LetterCode::Cmsl5805);
                t.state.sub_status = Some(SubStatus::Wait);
                t.summary = "Actions complete, the customer not reached: CMSL5805, closing after 14 days".into();
                return Ok(());
            }
            t.letter(LetterCode::Cmsl5806);
        }
        ResolutionCode::NoActionTaken => match t.state.outcome {
            None => t.task(
                Assignee::TeamLeader,
                "The review was only an enquiry: feed back to the operational team leader who referred it",
            ),
            Some(Outcome::NotUpheld | Outcome::Justified) => {}
            Some(_) => return Err("an upheld review is closed once its actions are done".into()),
        },
        other => {
            return Err(not_a_closing_code(
                Tier::Review,
                [ResolutionCode::ActionsCompleteClientOk, ResolutionCode::NoActionTaken],
                other,
            ))
        }
    }
    t.close(code);
    Ok(())
}
