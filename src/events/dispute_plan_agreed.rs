//! `dispute_plan.agreed`: the customer agreed by phone the plan to resolve their dispute. CMSL5812
//! confirms it, quoting the date of the original dispute and the days the steps will take; a
//! clock runs for those days (seed 004).

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::LetterFields;
use crate::process::disputes::MAX_DAYS_TO_ACT;

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "dispute_plan.agreed";

/// A plan agreed by phone; the envelope's `subject` is the dispute reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "dispute_plan.agreed")]
pub struct DisputePlanAgreed {
    /// The caseworker (an opaque staff id).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
    /// The days in which the steps will be taken.
    #[garde(range(min = 1, max = MAX_DAYS_TO_ACT))]
    pub days_to_act: u32,
    /// CMSL5812's caseworker field: `steps` (the dispute, the apology, why the mistake
    /// occurred and the action being taken). The date of the dispute and the days are filled in
    /// from the dispute and `days_to_act`.
    #[garde(skip)]
    pub letter_fields: LetterFields,
}
