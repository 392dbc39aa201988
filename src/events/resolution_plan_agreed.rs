//! `resolution_plan.agreed`: the customer agreed a resolution plan. Before the response target it
//! counts as meeting it; each action's due date starts a clock.

use super::checks::{planned_date, single_line};
use chrono::NaiveDate;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "resolution_plan.agreed";

/// An agreed plan; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "resolution_plan.agreed")]
pub struct ResolutionPlanAgreed {
    /// The actions, each with the date agreed with the customer.
    #[garde(length(min = 1, max = 50), dive)]
    pub actions: Vec<PlannedAction>,
}

/// One action of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
pub struct PlannedAction {
    /// Identifies the action within the case (e.g. `A1`).
    #[garde(length(min = 1, max = 40), custom(single_line))]
    pub id: String,
    /// What will be done.
    #[garde(length(min = 1, max = 2000))]
    pub description: String,
    /// The date agreed with the customer.
    #[garde(custom(planned_date))]
    pub due_on: NaiveDate,
}
