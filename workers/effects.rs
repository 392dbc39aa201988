//! What a worker's handling of a batch causes, gathered and written together at the end of the
//! transaction: timeline entries, tasks opened and closed, and outbox events. Also the lookup every case-event worker
//! starts with: the cases its events' subjects name, and a `command.rejected` for an event that
//! names none.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::db::cases::{self, CaseFacts, NewCase};
use crate::db::disputes::NewDispute;
use crate::db::outbox::{self, OutboxRow};
use crate::db::tasks::{self, DoneBy, NewTask};
use crate::db::timeline::{self, NewEntry};
use crate::db::timers;
use crate::events::{
    command_rejected, letter_requested, task_created, CloudEvent, CommandRejected, LetterFields,
    LetterRequested, TaskCreated,
};
use crate::letters::catalogue::spec;
use crate::process::clocks::ClockSetting;
use crate::vocabulary::{Assignee, ClockKind, LetterCode};

/// What an effect is about: a case (or dispute) by its row id and reference, whether read
/// ([`CaseFacts`]) or being opened in the same transaction ([`NewCase`], [`NewDispute`]).
pub trait Subject {
    /// The row id its timeline entries and tasks hang from.
    fn id(&self) -> Uuid;
    /// The reference its events carry as their subject.
    fn reference(&self) -> &str;
}

impl Subject for CaseFacts {
    fn id(&self) -> Uuid {
        self.id
    }
    fn reference(&self) -> &str {
        &self.reference
    }
}

impl Subject for NewCase {
    fn id(&self) -> Uuid {
        self.id
    }
    fn reference(&self) -> &str {
        &self.reference
    }
}

impl Subject for NewDispute {
    fn id(&self) -> Uuid {
        self.id
    }
    fn reference(&self) -> &str {
        &self.reference
    }
}

/// A case known by its id and reference only (what the scheduler reads of a timer's case).
pub struct CaseRef {
    /// The case's row id, which its timeline entries and tasks hang from.
    pub id: Uuid,
    /// The case reference its events carry as their subject (e.g. `RES-2026-000042`).
    pub reference: String,
}

impl Subject for CaseRef {
    fn id(&self) -> Uuid {
        self.id
    }
    fn reference(&self) -> &str {
        &self.reference
    }
}

/// Timeline entries, task changes and events, written by [`Effects::write`].
pub struct Effects {
    actor: &'static str,
    now: DateTime<Utc>,
    timeline: Vec<NewEntry>,
    tasks: Vec<TaskChange>,
    outbox: Vec<OutboxRow>,
    /// The letters requested so far in this batch, by case: not on the timeline until
    /// [`Effects::write`], yet a later event of the same batch must see them.
    letters: Vec<(Uuid, LetterCode)>,
    /// The clocks started so far in this batch, not yet inserted: set together by one
    /// statement before anything reads or stops clocks, or in [`Effects::write`].
    starting: Vec<ClockStart>,
    /// Whether a clock was set: the schedulers are told once, in [`Effects::write`].
    clocks_set: bool,
}

/// A clock a worker started, waiting to be set with the batch's others.
struct ClockStart {
    case: CaseRef,
    setting: ClockSetting,
    cause: Uuid,
}

/// A change to the tasks table, applied in the order the handling made it (a decision closes
/// the tasks it does before the tasks it causes open).
enum TaskChange {
    Open(NewTask),
    Done(DoneBy),
    DoneById {
        case_id: Uuid,
        id: Uuid,
        by: Uuid,
    },
    CancelOpen {
        case_id: Uuid,
        by: Uuid,
    },
    DueBy {
        case_id: Uuid,
        deadline: DateTime<Utc>,
    },
}

impl Effects {
    /// Effects of `actor` (the worker's name) at `now`.
    pub fn new(actor: &'static str, now: DateTime<Utc>) -> Self {
        Self {
            actor,
            now,
            timeline: Vec::new(),
            tasks: Vec::new(),
            outbox: Vec::new(),
            letters: Vec::new(),
            starting: Vec::new(),
            clocks_set: false,
        }
    }

    /// Whether `letter` (or, for `None`, any letter) has been requested on the case: earlier
    /// in this batch, or before it (the case's timeline). The one way a worker asks, so two
    /// events handled together cannot both request the same letter.
    pub async fn letter_requested(
        &self,
        conn: &mut AsyncPgConnection,
        case: &impl Subject,
        letter: Option<LetterCode>,
    ) -> QueryResult<bool> {
        let in_batch = self
            .letters
            .iter()
            .any(|&(id, code)| id == case.id() && letter.is_none_or(|wanted| wanted == code));
        if in_batch {
            return Ok(true);
        }
        match letter {
            Some(code) => timeline::letter_requested(conn, case.id(), code.as_str()).await,
            None => timeline::any_letter_requested(conn, case.id()).await,
        }
    }

    /// Adds a timeline entry to a case.
    pub fn note(&mut self, case: &impl Subject, entry: String, detail: Value, cause: Uuid) {
        self.timeline.push(NewEntry {
            case_id: case.id(),
            at: self.now,
            actor: self.actor.into(),
            entry,
            detail,
            cause: Some(cause),
        });
    }

    /// Emits an event about a case.
    pub fn emit<T: Serialize>(&mut self, case: &impl Subject, event_type: &str, data: T) {
        self.push_event(Some(case.reference().to_owned()), event_type, data);
    }

    /// Emits an event no other event caused (a clock ran out) and notes it on the case's
    /// timeline with the event itself as the entry's cause.
    pub fn emit_noted<T: Serialize>(
        &mut self,
        case: &impl Subject,
        (event_type, data): (&str, T),
        entry: String,
        detail: Value,
    ) {
        let id = self.push_event(Some(case.reference().to_owned()), event_type, data);
        self.note(case, entry, detail, id);
    }

    /// Adds an event to the outbox; returns its id.
    fn push_event<T: Serialize>(
        &mut self,
        subject: Option<String>,
        event_type: &str,
        data: T,
    ) -> Uuid {
        let event = CloudEvent::new(event_type, self.now, subject, data);
        self.outbox.push(outbox::row(&event, self.now));
        event.id
    }

    /// Forwards an accepted decision to the system's own exchange as it came: same id, type,
    /// source, subject and data. The workers that follow decisions read only these, so what
    /// they do follows what the state machine accepted.
    pub fn forward<E: Serialize>(&mut self, event: &CloudEvent<E>) {
        self.outbox.push(outbox::row(event, self.now));
    }

    /// Emits an event about no case (a complaint refused before any case opened).
    pub fn announce<T: Serialize>(&mut self, event_type: &str, data: T) {
        self.push_event(None, event_type, data);
    }

    /// When the effects happen.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Requests a system-generated letter and notes it on the timeline.
    pub fn request_letter(
        &mut self,
        case: &impl Subject,
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
        case: &impl Subject,
        code: LetterCode,
        reason: &str,
        fields: LetterFields,
        cause: Uuid,
    ) {
        self.letters.push((case.id(), code));
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
                case_reference: case.reference().to_owned(),
                code,
                reason: reason.into(),
                automatic: spec(code).fields.is_empty(),
                fields,
            },
        );
    }

    /// Opens a task for a person or team (a row in `tasks`, its `task.created` event, which
    /// emails the team) and notes it on the timeline. The one way to create a task.
    pub fn task(
        &mut self,
        case: &impl Subject,
        assignee: Assignee,
        task: String,
        clock: Option<ClockKind>,
        cause: Uuid,
    ) {
        self.task_about(case, assignee, "", task, clock, cause);
    }

    /// As [`Effects::task`], for a task about `key` within the case (an action id): closed by
    /// the decisions about that key ([`Effects::tasks_done`]).
    pub fn task_about(
        &mut self,
        case: &impl Subject,
        assignee: Assignee,
        key: &str,
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
        let mut event = CloudEvent::new(
            task_created::TYPE,
            self.now,
            Some(case.reference().to_owned()),
            TaskCreated {
                case_reference: case.reference().to_owned(),
                task_id: None,
                assignee,
                task: task.clone(),
                clock,
            },
        );
        let id = event.id;
        event.data.task_id = Some(id);
        self.outbox.push(outbox::row(&event, self.now));
        self.tasks.push(TaskChange::Open(NewTask {
            id,
            case_id: case.id(),
            assignee,
            key: key.into(),
            task,
            clock,
            created_at: self.now,
            opened_by_event: cause,
        }));
    }

    /// Closes as done the case's open tasks for any of `assignees` about `key` (empty: about
    /// the case as a whole): `cause` did the work they asked for.
    pub fn tasks_done(
        &mut self,
        case: &impl Subject,
        assignees: &[Assignee],
        key: &str,
        cause: Uuid,
    ) {
        if assignees.is_empty() {
            return;
        }
        self.tasks.push(TaskChange::Done(DoneBy {
            case_id: case.id(),
            assignees: assignees.to_vec(),
            key: key.into(),
            by: cause,
        }));
    }

    /// Closes one open task of the case as done by its id (`task.done`).
    pub fn task_done(&mut self, case: &impl Subject, id: Uuid, cause: Uuid) {
        self.tasks.push(TaskChange::DoneById {
            case_id: case.id(),
            id,
            by: cause,
        });
    }

    /// Cancels the case's open tasks: it closed, so nobody need do them. Every worker that
    /// closes a case calls this before opening any task the closing itself causes.
    pub fn case_closed(&mut self, case: &impl Subject, cause: Uuid) {
        self.tasks.push(TaskChange::CancelOpen {
            case_id: case.id(),
            by: cause,
        });
    }

    /// Makes the case's open tasks raised before its response target was set (due at once)
    /// due by that target's `deadline`.
    pub fn tasks_due_by(&mut self, case: &impl Subject, deadline: DateTime<Utc>) {
        self.tasks.push(TaskChange::DueBy {
            case_id: case.id(),
            deadline,
        });
    }

    /// Starts clocks on a case; each one not already running is noted on its timeline. The
    /// batch's clocks are set together, by one statement, before any is read or stopped
    /// ([`Effects::stop_clocks`]) and at the latest in [`Effects::write`].
    pub fn start_clocks(&mut self, case: &impl Subject, settings: &[ClockSetting], cause: Uuid) {
        self.starting
            .extend(settings.iter().map(|setting| ClockStart {
                case: CaseRef {
                    id: case.id(),
                    reference: case.reference().to_owned(),
                },
                setting: setting.clone(),
                cause,
            }));
    }

    /// Stops the case's pending clocks of `kinds` (only those with `key`, when given), saying
    /// why, after setting the clocks the batch started before: returns what was stopped.
    pub async fn stop_clocks(
        &mut self,
        conn: &mut AsyncPgConnection,
        case: &impl Subject,
        kinds: &[ClockKind],
        key: Option<&str>,
        because: &str,
    ) -> QueryResult<Vec<timers::Cancelled>> {
        self.set_clocks(conn).await?;
        timers::cancel(conn, case.id(), kinds, key, because, self.now).await
    }

    /// Sets the clocks started so far in one statement and notes each one that was not already
    /// running, in the order they were started.
    async fn set_clocks(&mut self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        if self.starting.is_empty() {
            return Ok(());
        }
        let starting = std::mem::take(&mut self.starting);
        let settings: Vec<(Uuid, &ClockSetting)> =
            starting.iter().map(|s| (s.case.id, &s.setting)).collect();
        let mut set: HashSet<(Uuid, String, String)> = timers::set(conn, &settings, self.now)
            .await?
            .into_iter()
            .collect();
        for start in &starting {
            let (clock, key) = (start.setting.clock.as_str(), start.setting.key.clone());
            // Two starts of one clock in a batch set it once: the first is noted.
            if !set.remove(&(start.case.id, clock.to_owned(), key)) {
                continue;
            }
            self.clocks_set = true;
            let setting = &start.setting;
            let which = if setting.key.is_empty() {
                String::new()
            } else {
                format!(" for {}", setting.key)
            };
            self.note(
                &start.case,
                format!(
                    "Clock {}{which} started (deadline {})",
                    setting.clock,
                    setting.deadline.format("%Y-%m-%d %H:%M UTC")
                ),
                json!({ "clock": setting.clock, "deadline": setting.deadline, "due_at": setting.due_at }),
                start.cause,
            );
        }
        Ok(())
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
    pub async fn write(mut self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        self.set_clocks(conn).await?;
        if self.clocks_set {
            timers::notify(conn).await?;
        }
        timeline::append(conn, &self.timeline).await?;
        write_tasks(conn, self.tasks, self.now).await?;
        outbox::append(conn, &self.outbox).await
    }
}

/// Applies task changes with a statement per kind of change per [`layers`] layer, never a
/// statement per change: a batch's decisions close and open their tasks together.
async fn write_tasks(
    conn: &mut AsyncPgConnection,
    changes: Vec<TaskChange>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    for layer in layers(changes) {
        let (mut opening, mut done, mut done_by_id, mut cancelling, mut due_by) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for change in layer {
            match change {
                TaskChange::Open(task) => opening.push(task),
                TaskChange::Done(closing) => done.push(closing),
                TaskChange::DoneById { case_id, id, by } => done_by_id.push((case_id, id, by)),
                TaskChange::CancelOpen { case_id, by } => cancelling.push((case_id, by)),
                TaskChange::DueBy { case_id, deadline } => due_by.push((case_id, deadline)),
            }
        }
        tasks::open(conn, &opening).await?;
        tasks::done(conn, &done, now).await?;
        tasks::done_by_id(conn, &done_by_id, now).await?;
        tasks::cancel_open(conn, &cancelling, now).await?;
        tasks::due_by_target(conn, &due_by).await?;
    }
    Ok(())
}

/// Splits task changes into layers written one after another, so that each case's changes
/// apply in the order they were made (a decision closes the tasks it does before the tasks it
/// causes open; a closing cancels what is open by then), while a layer holds at most one change
/// per case — or several openings, which do not depend on each other — and so its changes can
/// be written together in any order: changes to different cases touch different rows.
fn layers(changes: Vec<TaskChange>) -> Vec<Vec<TaskChange>> {
    let mut latest: HashMap<Uuid, (usize, bool)> = HashMap::new();
    let mut layers: Vec<Vec<TaskChange>> = Vec::new();
    for change in changes {
        let opens = matches!(change, TaskChange::Open(_));
        let layer = match latest.get(&change.case_id()) {
            None => 0,
            Some(&(layer, opened)) if opened && opens => layer,
            Some(&(layer, _)) => layer + 1,
        };
        latest.insert(change.case_id(), (layer, opens));
        if layers.len() <= layer {
            layers.push(Vec::new());
        }
        layers[layer].push(change);
    }
    layers
}

impl TaskChange {
    fn case_id(&self) -> Uuid {
        match self {
            TaskChange::Open(task) => task.case_id,
            TaskChange::Done(closing) => closing.case_id,
            TaskChange::DoneById { case_id, .. }
            | TaskChange::CancelOpen { case_id, .. }
            | TaskChange::DueBy { case_id, .. } => *case_id,
        }
    }
}

/// Each event with the case its subject names, in order; an event that names no known case is
/// refused with `command.rejected` (through `effects`) and left out. Every case worker starts
/// here. Its cases' rows are already locked for the rest of its transaction by the runner
/// ([`Worker::LOCKS_CASES`](super::Worker::LOCKS_CASES)): what it reads of a case cannot change
/// under it before it writes. (The casework worker, which reads its cases' states with their
/// facts, takes the same steps: [`subjects`], its one read, [`match_subjects`].)
pub async fn with_cases<'e, E>(
    conn: &mut AsyncPgConnection,
    events: &[&'e CloudEvent<E>],
    effects: &mut Effects,
) -> QueryResult<Vec<(&'e CloudEvent<E>, CaseFacts)>> {
    let references = subjects(events);
    let cases = cases::facts(conn, &references).await?;
    Ok(match_subjects(events, &cases, effects))
}

/// The case references the events' subjects name, sorted, each once.
pub fn subjects<E>(events: &[&CloudEvent<E>]) -> Vec<String> {
    let mut references: Vec<String> = events.iter().filter_map(|e| e.subject.clone()).collect();
    references.sort();
    references.dedup();
    references
}

/// Each event with the case its subject names among `cases`, in order; an event that names none
/// is refused with `command.rejected` (through `effects`) and left out.
pub fn match_subjects<'e, E>(
    events: &[&'e CloudEvent<E>],
    cases: &HashMap<String, CaseFacts>,
    effects: &mut Effects,
) -> Vec<(&'e CloudEvent<E>, CaseFacts)> {
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
    found
}
