//! `task.done`: a member of staff marks a task done that no decision closes (a task of
//! `GET /v1/tasks`: a follow-up done outside the system, a notification acted on). The casework
//! worker closes it only when it is open on the case the envelope's `subject` names, and notes
//! it on the case's timeline with the note.

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "task.done";

/// A task done; the envelope's `subject` is the reference of the task's case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "task.done")]
pub struct TaskDone {
    /// The task's id, as `task.created` and `GET /v1/tasks` give it.
    #[garde(skip)]
    pub task_id: Uuid,
    /// Who did it (an opaque staff id).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
    /// What was done, as they put it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[garde(inner(length(min = 1, max = 20000)))]
    pub note: Option<String>,
}
