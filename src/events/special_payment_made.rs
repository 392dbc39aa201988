//! `special_payment.made`: a special payment of an agreed resolution plan has been paid (seed
//! 001; process.md §7 reports the payments made beside those agreed). The front end records it
//! as `ice.redress_paid` records ICE's redress; the casework worker accepts it only for a
//! financial-redress action of the case's agreed plan, for the amount agreed, once.

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "special_payment.made";

/// A payment made; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "special_payment.made")]
pub struct SpecialPaymentMade {
    /// The id of the agreed plan's financial-redress action the payment settles (e.g. `A2`).
    #[garde(length(min = 1, max = 40), custom(single_line))]
    pub action_id: String,
    /// The amount paid, in pence: the amount the plan agreed for that action.
    #[garde(range(min = 1, max = 100_000_000))]
    pub amount_pence: i64,
    /// Who paid (an opaque staff id): the Special Payment Team, or the case's handler for a
    /// payment within their own delegated authority.
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
}
