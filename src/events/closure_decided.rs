//! `closure.decided`: the caseworker closes the case with a resolution code: `Answered
//! Enquiry`, `No Action Taken`, or `Actions Complete – Client OK` once the plan's actions are
//! done. A tier 0 closure sends CMSL5701; a tier 2 one CMSL5806 when the customer agreed by
//! phone, or CMSL5805 and a 14-day wait when they were not reached.

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::LetterFields;
use crate::vocabulary::ResolutionCode;

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "closure.decided";

/// A closure; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "closure.decided")]
pub struct ClosureDecided {
    /// How the case ends.
    #[garde(skip)]
    pub resolution_code: ResolutionCode,
    /// Whether the customer was reached and agreed to closure.
    #[garde(skip)]
    pub customer_reached: bool,
    /// The root cause (e.g. system error, human or caseworker error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[garde(inner(length(min = 1, max = 200)))]
    pub root_cause: Option<String>,
    /// The caseworker (an opaque staff id).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
    /// The caseworker's text for the letter this causes (see the letter catalogue).
    #[serde(default, skip_serializing_if = "LetterFields::is_empty")]
    #[garde(skip)]
    pub letter_fields: LetterFields,
}
