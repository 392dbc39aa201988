//! `client.replied`: the customer answered (by phone, letter or email). A reply meets the
//! wait after CMSL5800, CMSL5801 or CMSL5805 and the CMSL5700 reply window.

use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::vocabulary::Channel;

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "client.replied";

/// A reply; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "client.replied")]
pub struct ClientReplied {
    /// How the reply came.
    #[garde(skip)]
    pub channel: Channel,
    /// What the customer said, in brief.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[garde(length(min = 1, max = 20000))]
    pub summary: Option<String>,
}
