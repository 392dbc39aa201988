//! `resolution_plan.drafted`: the caseworker recorded the reasons and a resolution plan. A plan
//! with financial redress then needs approval (`resolution_plan.submitted`): the team leader's
//! at tiers 0 and 2, the Special Payment Team's beyond delegated authority; at Resolution the
//! case manager pays within their own delegated financial authority. One without money is
//! approved as drafted.

use super::checks::{planned_date, single_line};
use chrono::NaiveDate;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::vocabulary::{ActionKind, PaymentKind};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "resolution_plan.drafted";

/// A drafted plan; the envelope's `subject` is the case reference. A new draft replaces the
/// one before (a rejected or revised plan is drafted again).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "resolution_plan.drafted")]
pub struct ResolutionPlanDrafted {
    /// The reasons (grounds) of the complaint the actions answer.
    #[garde(length(min = 1, max = 20), inner(length(min = 1, max = 2000)))]
    pub grounds: Vec<String>,
    /// What will be done, each action with its due date.
    #[garde(length(min = 1, max = 50), dive)]
    pub actions: Vec<PlanAction>,
    /// The caseworker (an opaque staff id, never a name).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
}

/// One action of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
pub struct PlanAction {
    /// Identifies the action within the case (e.g. `A1`).
    #[garde(length(min = 1, max = 40), custom(single_line))]
    pub id: String,
    /// What kind of action.
    #[garde(skip)]
    pub kind: ActionKind,
    /// What will be done.
    #[garde(length(min = 1, max = 2000))]
    pub description: String,
    /// When it is due.
    #[garde(custom(planned_date))]
    pub due_on: NaiveDate,
    /// The payment, for financial redress (and only for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[garde(dive)]
    pub payment: Option<Payment>,
}

/// A payment to the customer that an action makes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// How much, in pence.
    #[garde(range(min = 1, max = 100_000_000))]
    pub amount_pence: i64,
    /// For what: actual financial loss or consolation.
    #[garde(skip)]
    pub kind: PaymentKind,
    /// A payment the Special Payment Team must review whatever its amount (seed 001:
    /// "payments requiring a review").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[garde(skip)]
    pub requires_review: bool,
}
