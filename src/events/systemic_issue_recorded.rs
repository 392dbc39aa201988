//! `systemic_issue.recorded`: the third complaint in a row on the same category within a month
//! was recorded on the Systemic Log; the manager is told.

use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "systemic_issue.recorded";

/// A Systemic Log entry; the envelope's `subject` is the latest case's reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[garde(allow_unvalidated)]
#[schemars(title = "systemic_issue.recorded")]
pub struct SystemicIssueRecorded {
    /// The category the complaints share.
    pub category: String,
    /// The cases, oldest first.
    pub case_references: Vec<String>,
}
