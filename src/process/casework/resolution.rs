//! Tier 1, Resolution (process.md §4): a case manager investigates and decides the outcome,
//! with redress for an upheld complaint (a special payment within delegated authority, beyond
//! it through the Special Payment Team) and signposting to Review. A customer still not
//! content (or, at Not Upheld, clearly unhappy) goes on to Review.

use super::{plan_steps, record_outcome, Decision, Transition};
use crate::vocabulary::{Outcome, ResolutionCode, Stage, Status, SubStatus, Tier};

/// Applies a tier 1 decision.
pub(super) fn decide(t: &mut Transition, decision: &Decision) -> Result<(), String> {
    if t.state.context.consolatory_referral
        && matches!(
            decision,
            Decision::OutcomeDecided { .. } | Decision::CustomerDissatisfied
        )
    {
        return Err("a consolatory-payment referral is not a complaint: it decides the payment (a plan), has no outcome and goes to no Review; a complaint of the customer's is a new complaint".into());
    }
    match decision {
        Decision::OutcomeDecided {
            outcome,
            hr_guidance_followed,
            customer_clearly_dissatisfied,
        } => {
            if *outcome == Outcome::Justified {
                return Err("Justified is a Review outcome only".into());
            }
            record_outcome(t, *outcome, *hr_guidance_followed)?;
            if *outcome == Outcome::NotUpheld && *customer_clearly_dissatisfied {
                let summary = std::mem::take(&mut t.summary);
                to_review(t);
                t.summary = format!("{summary}; clearly still unhappy, escalated to Review");
            } else if *outcome != Outcome::NotUpheld {
                t.state.sub_status = Some(SubStatus::DraftActionPlan);
            }
            Ok(())
        }
        Decision::PlanProposed { .. } => {
            plan_steps::propose(t)?;
            t.summary = "Redress put to the customer".into();
            Ok(())
        }
        Decision::PlanAgreed { due } => plan_steps::agree(t, due),
        Decision::PlanDisagreed => {
            t.state.require_in_progress()?;
            let plan = plan_steps::plan_mut(t)?;
            if plan.agreed {
                return Err("the plan is already agreed".into());
            }
            plan.proposed = false;
            t.state.sub_status = Some(SubStatus::DraftActionPlan);
            t.summary = "The customer disagreed with the redress: back to drafting (consider a case conference)".into();
            Ok(())
        }
        Decision::CustomerDissatisfied => {
            t.state.require_in_progress()?;
            if t.state.outcome.is_none() {
                return Err("the outcome is not decided yet: record the customer's concerns in the investigation".into());
            }
            to_review(t);
            t.summary = "The customer is still not content: escalated to Review".into();
            Ok(())
        }
        Decision::ClosureDecided {
            resolution_code, ..
        } => close(t, *resolution_code),
        // Decided alike on every tier, in `casework::decide`, before this is asked.
        other => Err(format!("{other:?} is not a decision for this tier")),
    }
}

/// The case closes `Unresolved` (design) and the linked Review case opens.
fn to_review(t: &mut Transition) {
    t.escalate(
        Stage::EscalateToReview,
        ResolutionCode::Unresolved,
        Tier::Review,
    );
}

/// Closes with the outcome given: `Actions Complete – Client OK` once any redress is done,
/// `No Action Taken` after Not Upheld, `Answered Enquiry` when it was only a question.
fn close(t: &mut Transition, code: ResolutionCode) -> Result<(), String> {
    t.state.require_in_progress()?;
    let outcome = t.state.outcome;
    match code {
        ResolutionCode::ActionsCompleteClientOk => {
            match outcome {
                // A consolatory-payment referral closes once its payment is agreed and made.
                None if t.state.context.consolatory_referral => {
                    if t.state.plan.is_none() {
                        return Err("the consolatory payment is not decided yet".into());
                    }
                    plan_steps::actions_done(t)?
                }
                None => return Err("the outcome is not decided yet".into()),
                Some(Outcome::Upheld | Outcome::PartUpheld) if t.state.plan.is_none() => {
                    return Err(
                        "an upheld complaint needs its redress agreed and done first".into(),
                    )
                }
                _ => plan_steps::actions_done(t)?,
            }
            t.state.stage = Stage::ResolutionAction;
        }
        ResolutionCode::NoActionTaken if outcome == Some(Outcome::NotUpheld) => {}
        ResolutionCode::NoActionTaken => {
            return Err("No Action Taken follows a Not Upheld outcome".into())
        }
        ResolutionCode::AnsweredEnquiry if outcome.is_none() => {}
        ResolutionCode::AnsweredEnquiry => {
            return Err("the case has an outcome, so it was more than an enquiry".into())
        }
        other => {
            return Err(format!(
                "a caseworker does not close a Resolution case as {other}"
            ))
        }
    }
    debug_assert_ne!(t.state.status, Status::Closed);
    t.close(code);
    Ok(())
}
