//! `contact.attempted`: a member of staff tried to reach the customer. A successful contact
//! meets the acknowledgement clocks; a failed phone call at tier 0 sends CMSL5700.

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::vocabulary::ContactMethod;

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "contact.attempted";

/// One attempt at contact; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "contact.attempted")]
pub struct ContactAttempted {
    /// How the customer was contacted (phone, letter, SMS or email).
    #[garde(skip)]
    pub method: ContactMethod,
    /// Whether the customer was reached.
    #[garde(skip)]
    pub successful: bool,
    /// The member of staff (an opaque staff id, never a name).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
}
