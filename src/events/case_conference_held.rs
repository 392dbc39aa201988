//! `case_conference.held`: a case conference was held on a case whose customer remains
//! dissatisfied, with colleagues and/or the manager, to decide whether a little extra work can
//! resolve it (seed 001, tiers 1 and 2; seed 004: the G7 decides whether to hold one on a tier 0
//! referral). Recorded on the case with its notes and what it decided.

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::vocabulary::ConferenceDecision;

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "case_conference.held";

/// A case conference; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "case_conference.held")]
pub struct CaseConferenceHeld {
    /// Who took part (opaque staff ids), at least one besides `by`.
    #[garde(
        length(min = 1, max = 20),
        inner(length(min = 1, max = 64), custom(single_line))
    )]
    pub attendees: Vec<String>,
    /// What was discussed and why, as written.
    #[garde(length(min = 1, max = 20000))]
    pub notes: String,
    /// What the conference decided.
    #[garde(skip)]
    pub decision: ConferenceDecision,
    /// Who held it (an opaque staff id).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
}
