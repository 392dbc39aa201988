//! `actions.scheduled`: a resolution plan is in force — agreed by the customer, or, at tier 0
//! and tier 2, going ahead on the team leader's decision — so each of its actions is due on its
//! date. Emitted by the casework worker once it has accepted the decision; the deadlines worker
//! starts each action's clock and counts the plan as meeting the response target.

use chrono::NaiveDate;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "actions.scheduled";

/// The plan's actions; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[garde(allow_unvalidated)]
#[schemars(title = "actions.scheduled")]
pub struct ActionsScheduled {
    /// The reference of the case whose plan was agreed.
    pub case_reference: String,
    /// Each action with its due date.
    pub actions: Vec<ScheduledAction>,
}

/// One action of a plan in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[garde(allow_unvalidated)]
pub struct ScheduledAction {
    /// Its id in the plan.
    pub id: String,
    /// When it is due.
    pub due_on: NaiveDate,
}
