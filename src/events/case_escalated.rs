//! `case.escalated`: a case closed because it goes up a tier. The `escalation` worker opens the
//! linked case at the higher tier and tells the team that receives it.

use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::vocabulary::{ResolutionCode, Tier};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "case.escalated";

/// An escalation; the envelope's `subject` is the lower case's reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[garde(allow_unvalidated)]
#[schemars(title = "case.escalated")]
pub struct CaseEscalated {
    /// The lower case.
    pub case_reference: String,
    /// Its tier.
    pub from_tier: Tier,
    /// The tier it goes to.
    pub to_tier: Tier,
    /// The code the lower case closed with.
    pub resolution_code: ResolutionCode,
    /// Why, in words for the receiving team.
    pub reason: String,
    /// The customer was not told of the escalation by phone (or may only be written to): the
    /// new case sends the acknowledgement letter (CMSL5842, quoting the new case's reference)
    /// as it opens, instead of waiting for its 48-hour clock. One letter per escalation.
    #[serde(default)]
    pub acknowledge_by_letter: bool,
}
