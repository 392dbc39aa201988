//! "What happened to my event?": `GET /v1/events/{id}` and `complaints events show ID`.
//!
//! An event is `refused` when a worker answered it with `command.rejected` or
//! `complaint.rejected` (with the reason), `dead_lettered` when it sits in a dead-letter queue
//! (with the reason), `applied` when a worker applied it (with the cases it opened or changed),
//! and `pending` otherwise: not handled yet, or never received.

use schemars::JsonSchema;
use serde::Serialize;
use uuid::Uuid;

use crate::app::App;
use crate::broker::dead_letters::{self, Selection};
use crate::db::event_status::trace;
use crate::workers::QUEUES;

/// An event's fate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not handled by any worker yet (or never received).
    Pending,
    /// Applied by at least one worker.
    Applied,
    /// Refused with `command.rejected` or `complaint.rejected`.
    Refused,
    /// In a dead-letter queue.
    DeadLettered,
}

/// A refusal of the event.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Refusal {
    /// `command.rejected` or `complaint.rejected`.
    pub event_type: String,
    /// Why it was refused, as the refusal event says.
    pub reason: String,
}

/// The event in a dead-letter queue.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InDeadLetterQueue {
    /// The worker kind whose queue dead-lettered it.
    pub queue: String,
    /// Why it was dead-lettered, as the `x-complaints-reason` header says.
    pub reason: String,
    /// The kind of reason.
    pub reason_kind: String,
}

/// Everything known about one event.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EventStatus {
    /// The event id asked about.
    pub id: Uuid,
    /// What became of it: pending, applied, refused or dead-lettered.
    pub status: Status,
    /// The case it opened, when it opened one.
    pub opened_case: Option<String>,
    /// The cases it changed (their timeline names it).
    pub changed_cases: Vec<String>,
    /// The workers that applied it.
    pub applied_by: Vec<String>,
    /// The `command.rejected` or `complaint.rejected` events that refused it.
    pub refusals: Vec<Refusal>,
    /// Where it is dead-lettered.
    pub dead_letters: Vec<InDeadLetterQueue>,
}

/// Looks event `id` up in the database and the dead-letter queues.
pub async fn event_status(app: &App, id: Uuid) -> anyhow::Result<EventStatus> {
    let found = {
        let mut conn = app.db().await?;
        trace(&mut conn, id).await?
    };
    let selection = Selection {
        id: Some(id.to_string()),
        ..Default::default()
    };
    let dead = dead_letters::list(&app.config.amqp_urls(), &app.topology, QUEUES, &selection)
        .await?
        .into_iter()
        .map(|letter| InDeadLetterQueue {
            queue: letter.worker,
            reason: letter.reason,
            reason_kind: letter.reason_kind,
        })
        .collect::<Vec<_>>();
    let status = if !found.refusals.is_empty() {
        Status::Refused
    } else if !dead.is_empty() {
        Status::DeadLettered
    } else if !found.applied_by.is_empty() {
        Status::Applied
    } else {
        Status::Pending
    };
    Ok(EventStatus {
        id,
        status,
        opened_case: found.opened.into_iter().next(),
        changed_cases: found.changed,
        applied_by: found.applied_by,
        refusals: found
            .refusals
            .into_iter()
            .map(|(event_type, reason)| Refusal { event_type, reason })
            .collect(),
        dead_letters: dead,
    })
}
