//! The resolution-plan steps every tier shares: drafting, submitting for approval, the team
//! leader's and the Special Payment Team's decisions, the customer's agreement and each action
//! done. The tiers add their letters and sub-statuses around them. What a plan is and which
//! approvals it needs are [`super::resolution_plan`]'s.

use chrono::NaiveDate;

use super::resolution_plan::{pounds, Approval, ResolutionPlan};
use super::{CaseState, Transition};
use crate::events::resolution_plan_drafted::PlanAction;
use crate::vocabulary::{Approver, Assignee, Outcome, PaymentKind, Stage, Status, SubStatus, Tier};

/// Records a new draft, replacing any plan not yet agreed. At tiers 1 and 2 a plan answers an
/// upheld (or part upheld) finding.
pub(super) fn draft(
    t: &mut Transition,
    grounds: &[String],
    actions: &[PlanAction],
    by: &str,
) -> Result<(), String> {
    let state = &mut t.state;
    state.require_in_progress()?;
    if state.plan.as_ref().is_some_and(|p| p.agreed) {
        return Err("the plan is already agreed with the customer".into());
    }
    if state.tier.number() > 0
        && !state.context.consolatory_referral
        && !matches!(state.outcome, Some(Outcome::Upheld | Outcome::PartUpheld))
    {
        return Err("a resolution plan follows an Upheld or Part Upheld outcome".into());
    }
    let consolatory = actions
        .iter()
        .filter_map(|a| a.payment.as_ref())
        .any(|p| p.kind == PaymentKind::Consolatory);
    if state.tier == Tier::Dissatisfaction && consolatory {
        return Err("a consolatory payment is not made at tier 0: the team leader refers it to tier 1 (team_leader.decided, consolatory_payment_referral)".into());
    }
    if let Some(clash) = actions
        .iter()
        .find(|a| state.remedial_actions.contains_key(&a.id))
    {
        return Err(format!(
            "action id {} is already a remedial action on this case",
            clash.id
        ));
    }
    let mut plan = ResolutionPlan::drafted(grounds.to_vec(), actions.to_vec(), state.tier)?;
    plan.drafted_by = Some(by.to_owned());
    let approved = plan.approval == Approval::Approved;
    state.plan = Some(plan);
    // Drafting the redress ends any wait for the customer's evidence.
    state.awaiting_evidence = false;
    state.sub_status = Some(if approved {
        SubStatus::Approved
    } else {
        SubStatus::DraftActionPlan
    });
    let money = state
        .plan
        .as_ref()
        .is_some_and(ResolutionPlan::needs_approval);
    t.summary = if approved && money {
        format!(
            "Resolution plan drafted ({} actions; its payments are within the case manager's delegated financial authority)",
            actions.len()
        )
    } else if approved {
        format!(
            "Resolution plan drafted ({} actions; no approval needed)",
            actions.len()
        )
    } else if state.tier == Tier::Resolution {
        format!(
            "Resolution plan drafted ({} actions; its payments go to the Special Payment Team)",
            actions.len()
        )
    } else {
        format!(
            "Resolution plan drafted ({} actions, with financial redress: needs the team leader's approval)",
            actions.len()
        )
    };
    Ok(())
}

/// Separation of duties: the person who drafted a plan cannot approve it (or have it go ahead).
pub(super) fn not_the_drafter(plan: &ResolutionPlan, by: &str) -> Result<(), String> {
    if plan.drafted_by.as_deref() == Some(by) {
        return Err(
            "separation of duties: the person who drafted the plan cannot approve it".into(),
        );
    }
    Ok(())
}

/// Sends a plan with financial redress for approval; the case waits, locked to its team. At
/// Resolution a plan needing approval is beyond the case manager's own authority (or holds a
/// payment requiring a review) and goes straight to the Special Payment Team (seed 001); at
/// tiers 0 and 2 to the team leader (seed 002).
pub(super) fn submit(t: &mut Transition) -> Result<(), String> {
    t.state.require_in_progress()?;
    let tier = t.state.tier;
    let plan = plan_mut(t)?;
    match plan.approval {
        Approval::Drafted => plan.approval = Approval::AwaitingTeamLeader,
        Approval::Approved => return Err("the plan needs no approval".into()),
        other => return Err(format!("the plan is {other:?}, not a draft")),
    }
    if tier == Tier::Resolution {
        let total = plan.special_payments_pence();
        to_special_payment_team(
            t,
            format!(
                "Approve a special payment of {} (beyond the case manager's delegated authority, or requiring a review)",
                pounds(total)
            ),
            format!(
                "Resolution plan submitted: the payment of {} goes to the Special Payment Team",
                pounds(total)
            ),
        )?;
        return Ok(());
    }
    t.state
        .set(Status::PendingApproval, SubStatus::PendingTlApproval);
    t.task(
        Assignee::TeamLeader,
        "Approve or reject the resolution plan (it includes financial redress)",
    );
    t.summary = "Resolution plan submitted for the team leader's approval".into();
    Ok(())
}

/// Sends the plan's payment on to the Special Payment Team: the plan waits for them, their
/// task says what to approve, the timeline says why.
fn to_special_payment_team(
    t: &mut Transition,
    task: String,
    summary: String,
) -> Result<(), String> {
    plan_mut(t)?.approval = Approval::AwaitingSpecialPaymentTeam;
    t.state.set(
        Status::PendingApproval,
        SubStatus::PendingSpecialPaymentTeam,
    );
    t.task(Assignee::SpecialPaymentTeam, task);
    t.summary = summary;
    Ok(())
}

/// The team leader approves (within delegated authority the plan is approved; beyond it, the
/// payment goes on to the Special Payment Team), or the Special Payment Team does.
pub(super) fn approve(
    t: &mut Transition,
    approver: Approver,
    amount_pence: i64,
    by: &str,
) -> Result<(), String> {
    let plan = plan_mut(t)?;
    waits_for(plan, approver)?;
    not_the_drafter(plan, by)?;
    let total = check_amount(plan, amount_pence)?;
    if approver == Approver::TeamLeader && plan.needs_special_payment_team() {
        to_special_payment_team(
            t,
            format!(
                "Approve a special payment of {} (beyond delegated authority, or requiring a review)",
                pounds(total)
            ),
            format!(
                "Resolution plan approved by the team leader; the payment of {} is beyond delegated authority (or requires a review) and goes to the Special Payment Team",
                pounds(total)
            ),
        )?;
        return Ok(());
    }
    plan.approval = Approval::Approved;
    t.state.set(Status::InProgress, SubStatus::Approved);
    t.summary = format!(
        "Resolution plan approved by the {approver} (payments {})",
        pounds(total)
    );
    Ok(())
}

/// The team leader or the Special Payment Team rejects the plan: back to drafting.
pub(super) fn reject(t: &mut Transition, approver: Approver) -> Result<(), String> {
    let plan = plan_mut(t)?;
    waits_for(plan, approver)?;
    plan.approval = Approval::Drafted;
    t.state.set(Status::InProgress, SubStatus::Rejected);
    t.task(
        Assignee::Caseworker,
        "The resolution plan was rejected: draft it again",
    );
    t.summary = format!("Resolution plan rejected by the {approver}: back to drafting");
    Ok(())
}

/// The plan, approved, is put to the customer.
pub(super) fn propose(t: &mut Transition) -> Result<(), String> {
    t.state.require_in_progress()?;
    let plan = approved_plan(t)?;
    plan.proposed = true;
    Ok(())
}

/// The customer agrees the approved plan, with the due dates agreed for its actions.
pub(super) fn agree(t: &mut Transition, due: &[(String, NaiveDate)]) -> Result<(), String> {
    t.state.require_in_progress()?;
    let plan = approved_plan(t)?;
    let mut planned: Vec<&str> = plan.actions.iter().map(|a| a.id.as_str()).collect();
    let mut agreed: Vec<&str> = due.iter().map(|(id, _)| id.as_str()).collect();
    planned.sort_unstable();
    agreed.sort_unstable();
    if planned != agreed {
        return Err(format!(
            "the agreed actions ({}) are not the plan's ({})",
            agreed.join(", "),
            planned.join(", ")
        ));
    }
    for (id, on) in due {
        if let Some(action) = plan.actions.iter_mut().find(|a| &a.id == id) {
            action.due_on = *on;
        }
    }
    plan.agreed = true;
    t.state.stage = Stage::ResolutionAction;
    t.state
        .set(Status::InProgress, SubStatus::UndertakeActionsPrescribed);
    t.summary = "The customer agreed the resolution plan: actions under way".into();
    Ok(())
}

/// One action of the agreed plan is done.
pub(super) fn complete(t: &mut Transition, action_id: &str) -> Result<(), String> {
    let plan = t.state.plan.as_mut().ok_or_else(|| {
        format!("no action {action_id} in a resolution plan or asked of another team")
    })?;
    if !plan.agreed {
        return Err("the plan is not agreed yet".into());
    }
    if !plan.actions.iter().any(|a| a.id == action_id) {
        return Err(format!(
            "no action {action_id} in the plan or asked of another team"
        ));
    }
    if !plan.completed.insert(action_id.to_owned()) {
        return Err(format!("action {action_id} is already done"));
    }
    let all = plan.all_done();
    t.summary = if all {
        format!("Action {action_id} done: every action of the plan is done")
    } else {
        format!("Action {action_id} done")
    };
    Ok(())
}

/// A special payment of the agreed plan was paid (`special_payment.made`; seed 002 step 25:
/// "any approved payments need to be progressed"): one of its financial-redress actions, for
/// the amount agreed, once. A payment beyond delegated authority, or requiring a review, is the
/// Special Payment Team's to make; within it the case's handler may make it too (seed 001).
/// Whether `by` may pay at all is [`super::authority`]'s. A payment may be recorded after the
/// case closed: the payment itself happens outside this system, on its own time.
pub(super) fn pay(
    t: &mut Transition,
    action_id: &str,
    amount_pence: i64,
    by_special_payment_team: bool,
    by: &str,
) -> Result<(), String> {
    let plan =
        t.state.plan.as_mut().ok_or_else(|| {
            "the case has no resolution plan: nothing in it may be paid".to_owned()
        })?;
    let kind = plan.agreed_payment(action_id, amount_pence)?.kind;
    if plan.needs_special_payment_team() && !by_special_payment_team {
        return Err(format!(
            "a payment beyond delegated authority, or requiring a review, is made by the Special Payment Team: {by} is not of it"
        ));
    }
    if !plan.paid.insert(action_id.to_owned()) {
        return Err(format!(
            "action {action_id} is already paid: a special payment is made once"
        ));
    }
    t.summary = format!(
        "Special payment made for action {action_id}: {} ({kind})",
        pounds(amount_pence)
    );
    Ok(())
}

/// Whether the agreed plan's actions are all done (a case with no plan has none to do).
pub(super) fn actions_done(t: &Transition) -> Result<(), String> {
    match &t.state.plan {
        Some(plan) if !plan.agreed => Err("the resolution plan is not agreed yet".into()),
        Some(plan) if !plan.all_done() => Err("the plan's actions are not all done".into()),
        _ => Ok(()),
    }
}

/// The plan waits for `approver`'s decision.
fn waits_for(plan: &ResolutionPlan, approver: Approver) -> Result<(), String> {
    let expected = match plan.approval {
        Approval::AwaitingTeamLeader => Approver::TeamLeader,
        Approval::AwaitingSpecialPaymentTeam => Approver::SpecialPaymentTeam,
        _ => return Err("the plan is not waiting for approval".into()),
    };
    if approver != expected {
        return Err(format!(
            "the plan waits for the {expected}, not the {approver}"
        ));
    }
    Ok(())
}

/// An approval is for the plan's whole special payments, no more and no less: its total.
pub(super) fn check_amount(plan: &ResolutionPlan, amount_pence: i64) -> Result<i64, String> {
    let total = plan.special_payments_pence();
    if amount_pence != total {
        return Err(format!(
            "the approval is for {amount_pence} pence but the plan's payments come to {total} pence"
        ));
    }
    Ok(total)
}

pub(super) fn plan_mut(t: &mut Transition) -> Result<&mut ResolutionPlan, String> {
    t.state
        .plan
        .as_mut()
        .ok_or_else(|| "the case has no resolution plan".to_owned())
}

fn approved_plan(t: &mut Transition) -> Result<&mut ResolutionPlan, String> {
    let plan = plan_mut(t)?;
    if plan.approval != Approval::Approved {
        return Err("the plan is not approved".into());
    }
    if plan.agreed {
        return Err("the plan is already agreed".into());
    }
    Ok(plan)
}

/// Whether the customer disputed the plan and the team leader is to decide (tier 2).
pub(super) fn disputed(state: &CaseState) -> bool {
    state
        .plan
        .as_ref()
        .is_some_and(|p| p.approval == Approval::Disputed)
}
