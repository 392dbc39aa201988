//! `dispute_plan.proposed`: the caseworker could not reach the customer by phone about the plan
//! to resolve their dispute, so it is proposed in writing: CMSL5811, which gives the customer 7
//! days to say they do not agree (seed 004).

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::LetterFields;

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "dispute_plan.proposed";

/// A plan proposed in writing; the envelope's `subject` is the dispute reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "dispute_plan.proposed")]
pub struct DisputePlanProposed {
    /// The caseworker (an opaque staff id).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
    /// CMSL5811's fields: `dispute`, `apology`, `corrective_action`, and `why_mistake` if
    /// required (see the letter catalogue).
    #[garde(skip)]
    pub letter_fields: LetterFields,
}
