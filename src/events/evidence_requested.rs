//! `evidence.requested`: the case manager invites the customer to send more evidence before
//! deciding a special payment (seed 001: "if there is insufficient evidence to determine a
//! Special Payment you should give the customer the opportunity ... to provide additional
//! supporting evidence before you make your decision"). The case waits, with its own clock;
//! the customer's reply (`client.replied`) or a plan drafted ends the wait.

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "evidence.requested";

/// The days the customer is given when the request names none (design: as CMSL5700's
/// window).
pub const DEFAULT_DAYS: u32 = 14;

/// A request for evidence; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "evidence.requested")]
pub struct EvidenceRequested {
    /// What the customer is asked for, as the case manager put it.
    #[garde(length(min = 1, max = 20000))]
    pub requested: String,
    /// Calendar days the customer has to send it (14 when not given).
    #[serde(default = "default_days")]
    #[garde(range(min = 1, max = 90))]
    pub days: u32,
    /// The case manager or reviewer (an opaque staff id).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
}

fn default_days() -> u32 {
    DEFAULT_DAYS
}
