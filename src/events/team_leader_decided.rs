//! `team_leader.decided`: on a tier 0 case whose customer is not content, the team leader
//! reached agreement, or refers the case to tier 1 (for a small consolatory payment only, or
//! because it cannot be resolved). A referral waits for the G7 manager's authorisation.

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::vocabulary::{Grade, TeamLeaderDecision};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "team_leader.decided";

/// The decision; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "team_leader.decided")]
pub struct TeamLeaderDecided {
    /// What the team leader decided.
    #[garde(skip)]
    pub decision: TeamLeaderDecision,
    /// A consolatory-payment referral: the payment the customer asks for, in pence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[garde(inner(range(min = 1, max = 100_000_000)))]
    pub consolatory_payment_pence: Option<i64>,
    /// The team leader's grade, used when the staff directory gives none: below the grade the
    /// payment needs, the referral carries form CMSF5551.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[garde(skip)]
    pub grade: Option<Grade>,
    /// The team leader (an opaque staff id).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
}
