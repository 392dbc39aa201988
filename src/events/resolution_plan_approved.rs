//! `resolution_plan.approved`: the team leader (or, beyond delegated authority, the Special
//! Payment Team) approved a plan with financial redress; or, after the customer disagreed with
//! a Review plan, the team leader had it go ahead anyway (CMSL5803).

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::LetterFields;
use crate::vocabulary::Approver;

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "resolution_plan.approved";

/// An approval; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "resolution_plan.approved")]
pub struct ResolutionPlanApproved {
    /// In what capacity.
    #[garde(skip)]
    pub approver: Approver,
    /// The special payments approved, in pence: must be the plan's whole total.
    #[garde(range(min = 0))]
    pub amount_pence: i64,
    /// Who (an opaque staff id).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
    /// The caseworker's text for the letter this causes (CMSL5803's `update`).
    #[serde(default, skip_serializing_if = "LetterFields::is_empty")]
    #[garde(skip)]
    pub letter_fields: LetterFields,
}
