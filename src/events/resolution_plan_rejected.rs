//! `resolution_plan.rejected`: the team leader (or the Special Payment Team) rejected the plan,
//! or, after the customer disagreed with a Review plan, decided to revise it (CMSL5804). The
//! plan goes back to drafting.

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::LetterFields;
use crate::vocabulary::Approver;

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "resolution_plan.rejected";

/// A rejection; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "resolution_plan.rejected")]
pub struct ResolutionPlanRejected {
    /// In what capacity.
    #[garde(skip)]
    pub approver: Approver,
    /// Why, for the caseworker.
    #[garde(length(min = 1, max = 2000))]
    pub reason: String,
    /// Who (an opaque staff id).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
    /// The caseworker's text for the letter this causes (CMSL5804's `revised_action`, `due_date`).
    #[serde(default, skip_serializing_if = "LetterFields::is_empty")]
    #[garde(skip)]
    pub letter_fields: LetterFields,
}
