//! `escalation.authorised`: the G7 manager authorised a tier 0 referral to tier 1 (after a case
//! conference, if one was held). The tier 0 case closes and the `escalation` worker opens the
//! linked Resolution case. A customer not told by phone (or who may not be dealt with by phone
//! alone) gets CMSL5842.

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "escalation.authorised";

/// The authorisation; the envelope's `subject` is the tier 0 case's reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "escalation.authorised")]
pub struct EscalationAuthorised {
    /// Whether a case conference was held first.
    #[serde(default)]
    #[garde(skip)]
    pub case_conference_held: bool,
    /// Whether the customer was told of the escalation by phone.
    #[garde(skip)]
    pub customer_told_by_phone: bool,
    /// The G7 manager (an opaque staff id).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
}
