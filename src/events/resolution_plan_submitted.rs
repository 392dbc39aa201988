//! `resolution_plan.submitted`: a plan with financial redress goes to the team leader for
//! approval; the case waits, locked to its team.

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "resolution_plan.submitted";

/// A submission; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "resolution_plan.submitted")]
pub struct ResolutionPlanSubmitted {
    /// The caseworker (an opaque staff id).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
}
