//! Resolution plans (process.md §4): the grounds, the actions linked to them with their due
//! dates, and the approvals a plan with financial redress needs.
//!
//! A plan holding financial redress needs the team leader's approval; a special payment beyond
//! delegated authority (more than £250 for actual financial loss or £100 consolatory, counted
//! over the whole plan) needs the Special Payment Team's as well. A plan without financial
//! redress needs no approval.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::events::resolution_plan_drafted::PlanAction;
use crate::vocabulary::{ActionKind, PaymentKind};

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
    /// A newly drafted plan: approved at once when it holds no financial redress.
    pub fn drafted(grounds: Vec<String>, actions: Vec<PlanAction>) -> Result<Self, String> {
        check_actions(&actions)?;
        let mut plan = Self {
            grounds,
            actions,
            approval: Approval::Drafted,
            proposed: false,
            agreed: false,
            completed: BTreeSet::new(),
            drafted_by: None,
        };
        if !plan.needs_approval() {
            plan.approval = Approval::Approved;
        }
        Ok(plan)
    }

    /// Whether it holds financial redress (and so needs the team leader).
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

    /// Whether a team leader may approve its payments alone.
    pub fn within_delegated_authority(&self) -> bool {
        self.payments_pence(PaymentKind::ActualFinancialLoss) <= ACTUAL_LOSS_LIMIT_PENCE
            && self.payments_pence(PaymentKind::Consolatory) <= CONSOLATORY_LIMIT_PENCE
    }

    /// Whether every action is done.
    pub fn all_done(&self) -> bool {
        self.actions.iter().all(|a| self.completed.contains(&a.id))
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
            payment: payment.map(|(amount_pence, kind)| Payment { amount_pence, kind }),
        }
    }

    #[test]
    fn a_plan_without_money_needs_no_approval() {
        let plan =
            ResolutionPlan::drafted(vec![], vec![action("A1", ActionKind::Apology, None)]).unwrap();
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
        )
        .unwrap();
        assert!(!beyond.within_delegated_authority());
    }

    #[test]
    fn payments_belong_to_financial_redress_only() {
        assert!(ResolutionPlan::drafted(
            vec![],
            vec![action("A1", ActionKind::FinancialRedress, None)]
        )
        .is_err());
        assert!(ResolutionPlan::drafted(
            vec![],
            vec![action(
                "A1",
                ActionKind::Apology,
                Some((100, PaymentKind::Consolatory))
            )]
        )
        .is_err());
        assert!(ResolutionPlan::drafted(
            vec![],
            vec![
                action("A1", ActionKind::Apology, None),
                action("A1", ActionKind::Explanation, None)
            ]
        )
        .is_err());
    }
}
