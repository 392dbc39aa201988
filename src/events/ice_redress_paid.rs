//! `ice.redress_paid`: the redress an ICE report recommended has been paid.

use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "ice.redress_paid";

/// A payment; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "ice.redress_paid")]
pub struct IceRedressPaid {
    /// Amount paid, in pence.
    #[garde(skip)]
    pub amount_pence: u64,
}
