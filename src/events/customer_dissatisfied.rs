//! `customer.dissatisfied`: the customer is not content. At tier 0 the case goes to the team
//! leader; at tier 1, once the outcome is given, it is escalated to Review; at tier 2, once the
//! outcome is given, the case closes `Actions Complete – Client Not OK` with CMSL5807 (and
//! leaflet CMSB0011), signposting ICE.

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::LetterFields;

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "customer.dissatisfied";

/// Dissatisfaction; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "customer.dissatisfied")]
pub struct CustomerDissatisfied {
    /// Why, as the caseworker recorded it.
    #[garde(length(min = 1, max = 5000))]
    pub reason: String,
    /// The caseworker (an opaque staff id).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
    /// The caseworker's text for the letter this causes (CMSL5807's `paragraph` and `update`).
    #[serde(default, skip_serializing_if = "LetterFields::is_empty")]
    #[garde(skip)]
    pub letter_fields: LetterFields,
}
