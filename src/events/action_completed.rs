//! `action.completed`: a resolution action is done; its due-date clocks stop.

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "action.completed";

/// A completed action; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "action.completed")]
pub struct ActionCompleted {
    /// The action's id in the plan (or the remedial action's id).
    #[garde(length(min = 1, max = 40), custom(single_line))]
    pub action_id: String,
}
