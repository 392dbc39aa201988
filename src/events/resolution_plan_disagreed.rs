//! `resolution_plan.disagreed`: the customer does not accept the plan. At tier 0 the team
//! leader steps in (as for any customer not content); at tier 1 the plan goes back to drafting;
//! at tier 2 the team leader decides whether it goes ahead (`resolution_plan.approved`,
//! CMSL5803) or is revised (`resolution_plan.rejected`, CMSL5804).

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "resolution_plan.disagreed";

/// A disagreement; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "resolution_plan.disagreed")]
pub struct ResolutionPlanDisagreed {
    /// What the customer objects to, in their words as the caseworker recorded them.
    #[garde(length(min = 1, max = 2000))]
    pub objection: String,
    /// The caseworker (an opaque staff id).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
}
