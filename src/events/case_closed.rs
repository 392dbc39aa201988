//! `case.closed`: a case ended with a resolution code. At intake this happens only to a Review
//! referral with no recent Resolution case: it is closed at once as `Rejected` and returned to
//! the team that owns the customer's earlier case.

use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::vocabulary::{ResolutionCode, Team};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "case.closed";

/// A case that is now closed; the envelope's `subject` is its reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[garde(allow_unvalidated)]
#[schemars(title = "case.closed")]
pub struct CaseClosed {
    /// The case's reference.
    pub case_reference: String,
    /// How it ended.
    pub resolution_code: ResolutionCode,
    /// Why, in words for the team.
    pub reason: String,
    /// The team the matter goes back to, if it goes back to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned_to: Option<Team>,
}
