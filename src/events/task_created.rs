//! `task.created`: something a person must do now (chase the customer, decide an escalation,
//! follow up an overdue action), for the case-management front end's work queues.

use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use uuid::Uuid;

use crate::vocabulary::{Assignee, ClockKind};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "task.created";

/// A task; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[garde(allow_unvalidated)]
#[schemars(title = "task.created")]
pub struct TaskCreated {
    /// The reference of the case the task is on.
    pub case_reference: String,
    /// The task's id in `GET /v1/tasks` (the id of this event); `task.done` names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<Uuid>,
    /// Who must do it.
    pub assignee: Assignee,
    /// What, in a sentence.
    pub task: String,
    /// The clock that raised it, when a clock did (a decision's tasks have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<ClockKind>,
}
