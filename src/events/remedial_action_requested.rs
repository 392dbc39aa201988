//! `remedial_action.requested`: the case asked another team for a remedy: 1 week for a simple
//! one, 2 weeks for a complex one, then a reminder and escalation to the manager.

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::vocabulary::Complexity;

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "remedial_action.requested";

/// A request to another team; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "remedial_action.requested")]
pub struct RemedialActionRequested {
    /// Identifies the request within the case; `action.completed` names it when done.
    #[garde(length(min = 1, max = 40), custom(single_line))]
    pub action_id: String,
    /// The team asked to carry out the action.
    #[garde(length(min = 1, max = 100), custom(single_line))]
    pub team: String,
    /// Simple (1 week) or complex (2 weeks).
    #[garde(skip)]
    pub complexity: Complexity,
    /// What is asked.
    #[garde(length(min = 1, max = 2000))]
    pub description: String,
}
