//! What a worker's handling of a batch causes, gathered and written together at the end of the
//! transaction: timeline entries and outbox events. Also the lookup every case-event worker
//! starts with: the cases its events' subjects name, and a `command.rejected` for an event that
//! names none.

use chrono::{DateTime, Utc};
use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::db::cases::{self, CaseFacts};
use crate::db::outbox::{self, OutboxRow};
use crate::db::timeline::{self, NewEntry};
use crate::db::timers;
use crate::events::{
    command_rejected, letter_requested, task_created, CloudEvent, CommandRejected, LetterFields,
    LetterRequested, TaskCreated,
};
use crate::letters::catalogue::spec;
use crate::process::clocks::ClockSetting;
use crate::vocabulary::{Assignee, ClockKind, LetterCode};

/// Timeline entries and events, written by [`Effects::write`].
pub struct Effects {
    actor: &'static str,
    now: DateTime<Utc>,
    timeline: Vec<NewEntry>,
    outbox: Vec<OutboxRow>,
}

impl Effects {
    /// Effects of `actor` (the worker's name) at `now`.
    pub fn new(actor: &'static str, now: DateTime<Utc>) -> Self {
        Self {
            actor,
            now,
            timeline: Vec::new(),
            outbox: Vec::new(),
        }
    }

    /// Adds a timeline entry to a case.
    pub fn note(&mut self, case: &CaseFacts, entry: String, detail: Value, cause: Uuid) {
        self.timeline.push(NewEntry {
            case_id: case.id,
            at: self.now,
            actor: self.actor.into(),
            entry,
            detail,
            event_id: Some(cause),
        });
    }

    /// Emits an event about a case.
    pub fn emit<T: Serialize>(&mut self, case: &CaseFacts, event_type: &str, data: T) {
        let event = CloudEvent::new(event_type, self.now, Some(case.reference.clone()), data);
        self.outbox.push(outbox::row(&event, self.now));
    }

    /// When the effects happen.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Requests a system-generated letter and notes it on the timeline.
    pub fn request_letter(
        &mut self,
        case: &CaseFacts,
        code: LetterCode,
        reason: &str,
        cause: Uuid,
    ) {
        self.letter(case, code, reason, LetterFields::new(), cause);
    }

    /// Requests a letter with the caseworker's text for its fields (already checked against
    /// the letter's needs) and notes it on the timeline.
    pub fn letter(
        &mut self,
        case: &CaseFacts,
        code: LetterCode,
        reason: &str,
        fields: LetterFields,
        cause: Uuid,
    ) {
        self.note(
            case,
            format!("Letter {code} requested: {reason}"),
            json!({ "letter_requested": code }),
            cause,
        );
        self.emit(
            case,
            letter_requested::TYPE,
            LetterRequested {
                case_reference: case.reference.clone(),
                code,
                reason: reason.into(),
                automatic: spec(code).fields.is_empty(),
                fields,
            },
        );
    }

    /// Creates a task for a person and notes it on the timeline.
    pub fn task(
        &mut self,
        case: &CaseFacts,
        assignee: Assignee,
        task: String,
        clock: Option<ClockKind>,
        cause: Uuid,
    ) {
        self.note(
            case,
            format!(
                "Task for the {}: {task}",
                assignee.as_str().replace('_', " ")
            ),
            json!({ "task_for": assignee, "clock": clock }),
            cause,
        );
        self.emit(
            case,
            task_created::TYPE,
            TaskCreated {
                case_reference: case.reference.clone(),
                assignee,
                task,
                clock,
            },
        );
    }

    /// Refuses an event that cannot be applied, saying why; nothing else changes for it.
    /// Counted in `complaints_commands_rejected_total{worker, type}`.
    pub fn reject<E>(&mut self, event: &CloudEvent<E>, reason: String) {
        metrics::counter!(
            "complaints_commands_rejected_total",
            "worker" => self.actor,
            "type" => event.event_type.clone()
        )
        .increment(1);
        let rejection = CloudEvent::new(
            command_rejected::TYPE,
            self.now,
            event.subject.clone(),
            CommandRejected {
                event_id: event.id,
                event_type: event.event_type.clone(),
                reason,
            },
        );
        self.outbox.push(outbox::row(&rejection, self.now));
    }

    /// Writes everything gathered.
    pub async fn write(self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        timeline::append(conn, &self.timeline).await?;
        outbox::append(conn, &self.outbox).await
    }
}

/// Sets clocks on a case, noting on its timeline each one that was not already running.
pub async fn start_clocks(
    conn: &mut AsyncPgConnection,
    case: &CaseFacts,
    settings: &[ClockSetting],
    cause: Uuid,
    effects: &mut Effects,
) -> QueryResult<()> {
    for setting in settings {
        if timers::set(conn, case.id, std::slice::from_ref(setting), effects.now).await? > 0 {
            let key = if setting.key.is_empty() {
                String::new()
            } else {
                format!(" for {}", setting.key)
            };
            effects.note(
                case,
                format!(
                    "Clock {}{key} started (deadline {})",
                    setting.clock,
                    setting.deadline.format("%Y-%m-%d %H:%M UTC")
                ),
                json!({ "clock": setting.clock, "deadline": setting.deadline, "due_at": setting.due_at }),
                cause,
            );
        }
    }
    Ok(())
}

/// Each event with the case its subject names, in order; an event that names no known case is
/// refused with `command.rejected` (through `effects`) and left out. Every case worker starts
/// here, and so holds its cases' row locks ([`cases::lock`]) for the rest of its transaction:
/// what it reads of a case cannot change under it before it writes.
pub async fn with_cases<'e, E>(
    conn: &mut AsyncPgConnection,
    events: &[&'e CloudEvent<E>],
    effects: &mut Effects,
) -> QueryResult<Vec<(&'e CloudEvent<E>, CaseFacts)>> {
    let mut references: Vec<String> = events.iter().filter_map(|e| e.subject.clone()).collect();
    references.sort();
    references.dedup();
    cases::lock(conn, &references).await?;
    let cases = cases::facts(conn, &references).await?;
    let mut found = Vec::with_capacity(events.len());
    for &event in events {
        let Some(reference) = event.subject.as_deref() else {
            effects.reject(event, "no case reference in the event's subject".into());
            continue;
        };
        match cases.get(reference) {
            Some(case) => found.push((event, case.clone())),
            None => effects.reject(event, format!("no case {reference}")),
        }
    }
    Ok(found)
}
