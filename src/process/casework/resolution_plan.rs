//! Resolution plans (process.md §4) as data and rules: the grounds, the actions linked to them
//! with their due dates, and the approvals a plan with financial redress needs. The state
//! machine's steps over a plan (drafting, approving, agreeing) are in [`super::plan_steps`].
//!
//! Delegated financial authority (DFA, seed 001) is £250 for actual financial loss and £100
//! consolatory, counted over the whole plan. At Resolution the case manager pays within their
//! own DFA with no approval; beyond it, or for a payment requiring a review, the Special
//! Payment Team decides. At Review a plan holding financial redress needs the team leader's
//! approval (seed 002), and the Special Payment Team's as well beyond DFA or for a payment
//! requiring a review. At tier 0 a plan may repay an actual loss with the team leader's
//! approval, but a consolatory payment is a referral to tier 1 (seed 004). A plan without
//! financial redress needs no approval.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::events::resolution_plan_drafted::{Payment, PlanAction};
use crate::vocabulary::{ActionKind, PaymentKind, Tier};

/// Delegated authority for actual financial loss: £250, in pence.
pub const ACTUAL_LOSS_LIMIT_PENCE: i64 = 25_000;
/// Delegated authority for a consolatory payment: £100, in pence.
pub const CONSOLATORY_LIMIT_PENCE: i64 = 10_000;

/// Pence as pounds, for people: `£300.00`.
pub fn pounds(pence: i64) -> String {
    format!("£{}.{:02}", pence / 100, pence % 100)
}

/// A case's resolution plan, as it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolutionPlan {
    /// The reasons (grounds) the actions answer.
    pub grounds: Vec<String>,
    /// The actions, each with its due date.
    pub actions: Vec<PlanAction>,
    /// Where its approval stands.
    pub approval: Approval,
    /// CMSL5701/5801 (or a call) has put it to the customer.
    pub proposed: bool,
    /// The customer agreed it (or the team leader had it go ahead despite them).
    pub agreed: bool,
    /// The ids of the actions done.
    pub completed: BTreeSet<String>,
    /// Who drafted it (a staff id): never the one who approves it (separation of duties).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drafted_by: Option<String>,
    /// The ids of the financial-redress actions recorded as paid (`special_payment.made`),
    /// each once.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub paid: BTreeSet<String>,
}

/// Where a plan's approval stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    /// Being drafted: financial redress in it, not yet approved.
    Drafted,
    /// Submitted; waits for the team leader.
    AwaitingTeamLeader,
    /// Approved by the team leader; the payment waits for the Special Payment Team.
    AwaitingSpecialPaymentTeam,
    /// Approved (or needing no approval): it can be put to the customer.
    Approved,
    /// The customer disagreed; the team leader decides whether it goes ahead or is revised.
    Disputed,
}

impl ResolutionPlan {
    /// A newly drafted plan at `tier`: approved at once when it holds no financial redress, or
    /// at Resolution when its payments are within the case manager's own delegated authority.
    pub fn drafted(
        grounds: Vec<String>,
        actions: Vec<PlanAction>,
        tier: Tier,
    ) -> Result<Self, String> {
        check_actions(&actions)?;
        let mut plan = Self {
            grounds,
            actions,
            approval: Approval::Drafted,
            proposed: false,
            agreed: false,
            completed: BTreeSet::new(),
            drafted_by: None,
            paid: BTreeSet::new(),
        };
        let own_authority = tier == Tier::Resolution && !plan.needs_special_payment_team();
        if !plan.needs_approval() || own_authority {
            plan.approval = Approval::Approved;
        }
        Ok(plan)
    }

    /// Whether it holds financial redress (and so, outside the case manager's own authority at
    /// Resolution, needs approval).
    pub fn needs_approval(&self) -> bool {
        self.actions
            .iter()
            .any(|a| a.kind == ActionKind::FinancialRedress)
    }

    /// The special payments of one kind, in pence.
    pub fn payments_pence(&self, kind: PaymentKind) -> i64 {
        self.actions
            .iter()
            .filter_map(|a| a.payment.as_ref())
            .filter(|p| p.kind == kind)
            .map(|p| p.amount_pence)
            .sum()
    }

    /// Every special payment, in pence.
    pub fn special_payments_pence(&self) -> i64 {
        PaymentKind::ALL
            .iter()
            .map(|&k| self.payments_pence(k))
            .sum()
    }

    /// Whether its payments are within delegated financial authority.
    pub fn within_delegated_authority(&self) -> bool {
        self.payments_pence(PaymentKind::ActualFinancialLoss) <= ACTUAL_LOSS_LIMIT_PENCE
            && self.payments_pence(PaymentKind::Consolatory) <= CONSOLATORY_LIMIT_PENCE
    }

    /// Whether a payment in it must be reviewed by the Special Payment Team whatever its amount.
    pub fn requires_review(&self) -> bool {
        self.actions
            .iter()
            .filter_map(|a| a.payment.as_ref())
            .any(|p| p.requires_review)
    }

    /// Whether its payments go to the Special Payment Team: beyond delegated authority, or
    /// requiring a review.
    pub fn needs_special_payment_team(&self) -> bool {
        !self.within_delegated_authority() || self.requires_review()
    }

    /// Whether every action is done.
    pub fn all_done(&self) -> bool {
        self.actions.iter().all(|a| self.completed.contains(&a.id))
    }

    /// The payment agreed for action `action_id`, which `amount_pence` is said to pay
    /// (`special_payment.made`): refused when the plan is not agreed, has no such action, the
    /// action carries no payment, or the amount is not the one agreed.
    pub fn agreed_payment(&self, action_id: &str, amount_pence: i64) -> Result<&Payment, String> {
        if !self.agreed {
            return Err("the resolution plan is not agreed yet: nothing in it may be paid".into());
        }
        let action = self
            .actions
            .iter()
            .find(|a| a.id == action_id)
            .ok_or_else(|| format!("the agreed plan has no action {action_id}"))?;
        let payment = action.payment.as_ref().ok_or_else(|| {
            format!(
                "action {action_id} is {}, not a special payment (financial redress)",
                action.kind
            )
        })?;
        if payment.amount_pence != amount_pence {
            return Err(format!(
                "action {action_id} agreed {}, not {}",
                pounds(payment.amount_pence),
                pounds(amount_pence)
            ));
        }
        Ok(payment)
    }
}

/// A plan's actions are well formed: unique ids, and a payment on financial redress and
/// nowhere else.
fn check_actions(actions: &[PlanAction]) -> Result<(), String> {
    let mut ids = BTreeSet::new();
    for action in actions {
        if !ids.insert(action.id.as_str()) {
            return Err(format!("action id {} is used twice", action.id));
        }
        match (action.kind, &action.payment) {
            (ActionKind::FinancialRedress, None) => {
                return Err(format!(
                    "action {} is financial redress but gives no payment (amount and kind)",
                    action.id
                ))
            }
            (kind, Some(_)) if kind != ActionKind::FinancialRedress => {
                return Err(format!(
                    "action {} is {kind}: only financial redress carries a payment",
                    action.id
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::events::resolution_plan_drafted::Payment;

    fn action(id: &str, kind: ActionKind, payment: Option<(i64, PaymentKind)>) -> PlanAction {
        PlanAction {
            id: id.into(),
            kind,
            description: "do it".into(),
            due_on: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            payment: payment.map(|(amount_pence, kind)| Payment {
                amount_pence,
                kind,
                requires_review: false,
            }),
        }
    }

    #[test]
    fn a_plan_without_money_needs_no_approval() {
        let plan = ResolutionPlan::drafted(
            vec![],
            vec![action("A1", ActionKind::Apology, None)],
            Tier::Review,
        )
        .unwrap();
        assert_eq!(plan.approval, Approval::Approved);
    }

    #[test]
    fn delegated_authority_is_250_pounds_loss_and_100_pounds_consolatory() {
        let within = ResolutionPlan::drafted(
            vec![],
            vec![
                action(
                    "A1",
                    ActionKind::FinancialRedress,
                    Some((25_000, PaymentKind::ActualFinancialLoss)),
                ),
                action(
                    "A2",
                    ActionKind::FinancialRedress,
                    Some((10_000, PaymentKind::Consolatory)),
                ),
            ],
            Tier::Review,
        )
        .unwrap();
        assert_eq!(within.approval, Approval::Drafted);
        assert!(within.within_delegated_authority());
        assert_eq!(within.special_payments_pence(), 35_000);
        let beyond = ResolutionPlan::drafted(
            vec![],
            vec![
                action(
                    "A1",
                    ActionKind::FinancialRedress,
                    Some((6_000, PaymentKind::Consolatory)),
                ),
                action(
                    "A2",
                    ActionKind::FinancialRedress,
                    Some((4_001, PaymentKind::Consolatory)),
                ),
            ],
            Tier::Review,
        )
        .unwrap();
        assert!(!beyond.within_delegated_authority());
    }

    #[test]
    fn a_case_manager_pays_within_their_own_authority_at_resolution() {
        let small = vec![action(
            "A1",
            ActionKind::FinancialRedress,
            Some((10_000, PaymentKind::Consolatory)),
        )];
        let at = |tier, actions: Vec<PlanAction>| {
            ResolutionPlan::drafted(vec![], actions, tier)
                .unwrap()
                .approval
        };
        assert_eq!(at(Tier::Resolution, small.clone()), Approval::Approved);
        assert_eq!(at(Tier::Review, small.clone()), Approval::Drafted);
        let mut reviewed = small;
        reviewed[0].payment.as_mut().unwrap().requires_review = true;
        assert_eq!(at(Tier::Resolution, reviewed), Approval::Drafted);
        let beyond = vec![action(
            "A1",
            ActionKind::FinancialRedress,
            Some((25_001, PaymentKind::ActualFinancialLoss)),
        )];
        assert_eq!(at(Tier::Resolution, beyond), Approval::Drafted);
    }

    #[test]
    fn only_an_agreed_payment_is_paid_and_for_its_amount() {
        let mut plan = ResolutionPlan::drafted(
            vec![],
            vec![
                action("A1", ActionKind::Apology, None),
                action(
                    "A2",
                    ActionKind::FinancialRedress,
                    Some((5_000, PaymentKind::Consolatory)),
                ),
            ],
            Tier::Resolution,
        )
        .unwrap();
        assert!(plan
            .agreed_payment("A2", 5_000)
            .unwrap_err()
            .contains("not agreed"));
        plan.agreed = true;
        assert_eq!(
            plan.agreed_payment("A2", 5_000).unwrap().amount_pence,
            5_000
        );
        assert!(plan
            .agreed_payment("A1", 5_000)
            .unwrap_err()
            .contains("apology"));
        assert!(plan
            .agreed_payment("A3", 5_000)
            .unwrap_err()
            .contains("no action A3"));
        assert_eq!(
            plan.agreed_payment("A2", 6_000).unwrap_err(),
            "action A2 agreed £50.00, not £60.00"
        );
    }

    #[test]
    fn payments_belong_to_financial_redress_only() {
        assert!(ResolutionPlan::drafted(
            vec![],
            vec![action("A1", ActionKind::FinancialRedress, None)],
            Tier::Review
        )
        .is_err());
        assert!(ResolutionPlan::drafted(
            vec![],
            vec![action(
                "A1",
                ActionKind::Apology,
                Some((100, PaymentKind::Consolatory))
            )],
            Tier::Review
        )
        .is_err());
        assert!(ResolutionPlan::drafted(
            vec![],
            vec![
                action("A1", ActionKind::Apology, None),
                action("A1", ActionKind::Explanation, None)
            ],
            Tier::Review
        )
        .is_err());
    }
}
