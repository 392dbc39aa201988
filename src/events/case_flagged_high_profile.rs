//! `case.flagged_high_profile`: a case opened with a credible threat of bad publicity or a
//! customer who has harmed themselves or others. The Operations Director's office is told at
//! once (process.md §3 rule 3); the case itself stays at its tier.

use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "case.flagged_high_profile";

/// Whom a high-profile case is escalated to.
pub const NOTIFY: &str = "operations_director_office";

/// The notice that a case is high profile, for the Operations Director's office.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[garde(allow_unvalidated)]
#[schemars(title = "case.flagged_high_profile")]
pub struct CaseFlaggedHighProfile {
    /// The case's reference.
    pub case_reference: String,
    /// Who must be told: always `operations_director_office`.
    pub notify: String,
    /// The complaint summary, so the office can judge without opening the case.
    pub summary: String,
}
