//! `command.rejected`: an event about a case could not be applied (no such case, or not allowed
//! in its state). Nothing changed; this says why.

use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "command.rejected";

/// An event a worker refused to apply, and why (a decision the state machine would not take).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[garde(allow_unvalidated)]
#[schemars(title = "command.rejected")]
pub struct CommandRejected {
    /// The id of the refused event.
    pub event_id: Uuid,
    /// The refused event's type (`outcome.decided`, …).
    pub event_type: String,
    /// Why it was refused, in words.
    pub reason: String,
}
