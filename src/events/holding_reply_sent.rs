//! `holding_reply.sent`: a substantive holding reply went to the customer. Before the response
//! target it counts as meeting it (e.g. a staff complaint that will take longer).

use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "holding_reply.sent";

/// A holding reply; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "holding_reply.sent")]
pub struct HoldingReplySent {
    /// What the customer was told, in brief.
    #[garde(length(min = 1, max = 20000))]
    pub summary: String,
}
