//! `systemic_issue.action_recorded`: the manager who keeps a Systemic Log records what was done
//! about an entry (seed 001: "systemic issue details will be maintained by the CRT manager";
//! process.md §7 reports it). The entry keeps the latest record; each is noted on the case.

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "systemic_issue.action_recorded";

/// What was done about a Systemic Log entry; the envelope's `subject` is the reference of one
/// of the entry's cases (as `systemic_issue.recorded` gives them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "systemic_issue.action_recorded")]
pub struct SystemicIssueActionRecorded {
    /// The entry, as `systemic_issue.recorded` numbered it.
    #[garde(range(min = 1))]
    pub issue_id: i64,
    /// What was done about it and the improvement made.
    #[garde(length(min = 1, max = 20000))]
    pub action_taken: String,
    /// The manager (an opaque staff id).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
}
