//! `systemic_issue.recorded`: the third complaint in a row on the same category within a month
//! was recorded on the Systemic Log; the manager is told.

use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::vocabulary::Tier;

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "systemic_issue.recorded";

/// A Systemic Log entry; the envelope's `subject` is the latest case's reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[garde(allow_unvalidated)]
#[schemars(title = "systemic_issue.recorded")]
pub struct SystemicIssueRecorded {
    /// The entry's id, which `systemic_issue.action_recorded` names.
    pub issue_id: i64,
    /// Whose log: the Complaint Resolution Team's (1) or the Review team's (2).
    pub tier: Tier,
    /// The category the complaints share.
    pub category: String,
    /// The cases, oldest first.
    pub case_references: Vec<String>,
}
