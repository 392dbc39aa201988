//! `outcome.decided`: the finding of a Resolution or Review case. The customer is told it and
//! signposted onwards (tier 1 to Review, tier 2 to ICE). At tier 2 a finding of Not Upheld or
//! Justified means no further action (CMSL5800, then a 7-day wait); Upheld or Part Upheld means
//! a resolution plan. A staff-behaviour complaint must be upheld unless assurance was obtained
//! that the HR guidance was followed.

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::LetterFields;
use crate::vocabulary::Outcome;

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "outcome.decided";

/// A finding; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "outcome.decided")]
pub struct OutcomeDecided {
    /// The finding; `justified` only at tier 2.
    #[garde(skip)]
    pub outcome: Outcome,
    /// The reasons for it.
    #[garde(length(min = 1, max = 5000))]
    pub reasons: String,
    /// Staff-behaviour complaints only: whether assurance was obtained that the HR guidance on
    /// staff complaints was followed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[garde(skip)]
    pub hr_guidance_followed: Option<bool>,
    /// Tier 1, Not Upheld: the customer is clearly still unhappy, so the case goes to Review
    /// without waiting to be asked.
    #[serde(default)]
    #[garde(skip)]
    pub customer_clearly_dissatisfied: bool,
    /// The case manager or review caseworker (an opaque staff id).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
    /// The caseworker's text for the letter this causes (CMSL5800's `update`).
    #[serde(default, skip_serializing_if = "LetterFields::is_empty")]
    #[garde(skip)]
    pub letter_fields: LetterFields,
}
