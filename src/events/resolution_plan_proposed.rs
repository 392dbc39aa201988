//! `resolution_plan.proposed`: the approved plan was put to the customer, by phone or, when they
//! were not reached, in writing: CMSL5701 at tier 0 (not reached), CMSL5801 at tier 2 (always,
//! with paragraph LM_00008 when reached by phone, LM_00009 when not). A customer who may not be
//! dealt with by phone alone always gets the letter.

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::LetterFields;

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "resolution_plan.proposed";

/// A proposal; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "resolution_plan.proposed")]
pub struct ResolutionPlanProposed {
    /// Whether the customer was reached by phone.
    #[garde(skip)]
    pub customer_reached: bool,
    /// The caseworker (an opaque staff id).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
    /// The caseworker's text for the letter this causes (see the letter catalogue).
    #[serde(default, skip_serializing_if = "LetterFields::is_empty")]
    #[garde(skip)]
    pub letter_fields: LetterFields,
}
