//! `ice.final_report_recorded`: the Independent Case Examiner's final report is in; any redress
//! it recommends is due within 4 weeks.

use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "ice.final_report_recorded";

/// The final report; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "ice.final_report_recorded")]
pub struct IceFinalReportRecorded {
    /// Whether ICE upheld the complaint.
    #[garde(skip)]
    pub upheld: bool,
    /// Redress recommended, in pence (0 when none).
    #[garde(skip)]
    pub redress_pence: u64,
}
