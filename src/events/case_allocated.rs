//! `case.allocated`: a team leader gave the case to a caseworker. A Resolution or Review case
//! waiting for assignment goes into progress; a Review case may not go to the person who
//! handled the Resolution case before it.

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "case.allocated";

/// An allocation; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "case.allocated")]
pub struct CaseAllocated {
    /// The caseworker or case manager (an opaque staff id, never a name).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub to: String,
    /// The team leader who allocated it.
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
}
