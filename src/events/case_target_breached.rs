//! `case.target_breached`: a case's response target ran out before a response, an agreed
//! resolution plan or a substantive holding reply. Recorded on the case; the TL is told.

use chrono::{DateTime, Utc};
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::vocabulary::Assignee;

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "case.target_breached";

/// A breach; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[garde(allow_unvalidated)]
#[schemars(title = "case.target_breached")]
pub struct CaseTargetBreached {
    /// The reference of the case whose response target ran out.
    pub case_reference: String,
    /// The target that ran out.
    pub deadline: DateTime<Utc>,
    /// Its length in working days (15, or 20 for POS cases).
    pub working_days: u32,
    /// Who is told.
    pub notify: Assignee,
}
