//! `team_leader.decided`: on a tier 0 case whose customer is not content, the team leader
//! reached agreement, or refers the case to tier 1 (for a small consolatory payment only, or
//! because it cannot be resolved). A referral waits for the G7 manager's authorisation.

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::vocabulary::TeamLeaderDecision;

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
    /// The team leader (an opaque staff id).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
}
