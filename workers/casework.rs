//! The casework worker: applies the decisions people make about a case (process.md §4) through
//! the case state machine of `src/process/casework/`. A decision the case's state does not allow
//! is refused with `command.rejected` saying why, and changes nothing; an allowed one stores the
//! new state, notes it on the timeline and emits what it causes — letters (with the
//! caseworker's text, checked before anything is written), tasks, `case.closed`, and
//! `case.escalated` for the escalation worker — in the consumer loop's one transaction.
//!
//! It is the one authority over a case's state. Every decision it accepts is forwarded, as it
//! came (same id, type and data), to `complaints.internal`: the clock workers read only those,
//! never the raw decisions, so a refused decision starts, meets or stops no clock. A clock whose
//! running out ends the case (the waits after CMSL5800 and CMSL5805) is decided here too, as
//! [`Decision::ClockRanOut`].
//!
//! It also keeps the Systemic Logs: a Resolution or Review case opened, or recategorised, as the
//! third of its tier on its category within a month records a systemic issue and tells the
//! manager, who records what was done about it (`systemic_issue.action_recorded`).
//!
//! Beside the state machine it closes the tasks staff mark done (`task.done`): a task is a row
//! of its own, not part of a case's state, so closing one moves no case on and is no decision
//! of the state machine's; it is refused only for what the task row says (unknown, of another
//! case, no longer open) or the staff directory (an unknown or inactive person).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use serde_json::{json, Value};
use uuid::Uuid;

use super::effects::{match_subjects, subjects, Effects};
use super::official;
use super::runner;
use super::Worker;
use crate::app::App;
use crate::db::cases::CaseFacts;
use crate::db::casework::NewState;
use crate::db::special_payments::{self, NewPayment};
use crate::db::{casework, staff, systemic_log, tasks, timers};
use crate::events::actions_scheduled::ScheduledAction;
use crate::events::case_escalated::ConsolatoryReferral;
use crate::events::incoming::{Accepted, EventSet};
use crate::events::{
    actions_scheduled, case_closed, case_escalated, correspondence_replied, mp_involved,
    systemic_issue_action_recorded, systemic_issue_recorded, timer_fired, ActionCompleted,
    ActionsScheduled, CaseAllocated, CaseClosed, CaseConferenceHeld, CaseEscalated, CaseOpened,
    CategoriesChanged, ClientReplied, ClosureDecided, CloudEvent, ContactAttempted,
    CorrespondenceReplied, CustomerDissatisfied, EscalationAuthorised, EvidenceRequested,
    ExternalStageRecorded, HoldingReplySent, IceFinalReportRecorded, IceRedressPaid, LetterFields,
    MpInvolved, OutcomeDecided, RemedialActionRequested, ResolutionPlanAgreed,
    ResolutionPlanApproved, ResolutionPlanDisagreed, ResolutionPlanDrafted, ResolutionPlanProposed,
    ResolutionPlanRejected, ResolutionPlanSubmitted, SystemicIssueActionRecorded,
    SystemicIssueRecorded, TeamLeaderDecided, TimerFired,
};
use crate::events::{special_payment_made, task_done, SpecialPaymentMade, TaskDone};
use crate::failure::contradicts_database;
use crate::letters::catalogue::{check_fields, spec};
use crate::process::casework::authority::{self, Member};
use crate::process::casework::resolution_plan::ResolutionPlan;
use crate::process::casework::{decide, CaseState, Decision, Effect, Transition};
use crate::process::clocks;
use crate::vocabulary::{
    Assignee, CaseKind, Category, ClockKind, ExternalBody, ExternalStage, LetterCode, StaffRole,
    TeamLeaderDecision, Tier, Written,
};

crate::event_set! {
    /// What the casework worker reads: every human decision about a case, and new cases (for
    /// the Systemic Log).
    pub enum CaseworkEvent {
        /// A new case: the Systemic Log counts Resolution cases by category.
        CaseOpened(CaseOpened) = case_opened,
        /// Someone tried to reach the customer.
        ContactAttempted(ContactAttempted) = contact_attempted,
        /// A team leader allocated the case.
        CaseAllocated(CaseAllocated) = case_allocated,
        /// The reasons and a plan were recorded.
        ResolutionPlanDrafted(ResolutionPlanDrafted) = resolution_plan_drafted,
        /// The plan went for approval.
        ResolutionPlanSubmitted(ResolutionPlanSubmitted) = resolution_plan_submitted,
        /// The plan was approved.
        ResolutionPlanApproved(ResolutionPlanApproved) = resolution_plan_approved,
        /// The plan was rejected.
        ResolutionPlanRejected(ResolutionPlanRejected) = resolution_plan_rejected,
        /// The plan was put to the customer.
        ResolutionPlanProposed(ResolutionPlanProposed) = resolution_plan_proposed,
        /// The customer agreed the plan.
        ResolutionPlanAgreed(ResolutionPlanAgreed) = resolution_plan_agreed,
        /// The customer disagreed with the plan.
        ResolutionPlanDisagreed(ResolutionPlanDisagreed) = resolution_plan_disagreed,
        /// Another team was asked for a remedial action.
        RemedialActionRequested(RemedialActionRequested) = remedial_action_requested,
        /// An action is done.
        ActionCompleted(ActionCompleted) = action_completed,
        /// The finding of a Resolution or Review case, with its reasons.
        OutcomeDecided(OutcomeDecided) = outcome_decided,
        /// The customer replied.
        ClientReplied(ClientReplied) = client_replied,
        /// The customer is not content.
        CustomerDissatisfied(CustomerDissatisfied) = customer_dissatisfied,
        /// Tier 0: the team leader's decision.
        TeamLeaderDecided(TeamLeaderDecided) = team_leader_decided,
        /// Tier 0: the G7 authorised a referral.
        EscalationAuthorised(EscalationAuthorised) = escalation_authorised,
        /// The categories were corrected.
        CategoriesChanged(CategoriesChanged) = categories_changed,
        /// A substantive holding reply went out (meets the response target).
        HoldingReplySent(HoldingReplySent) = holding_reply_sent,
        /// The redress ICE recommended was paid.
        IceRedressPaid(IceRedressPaid) = ice_redress_paid,
        /// A clock ran out: those in [`clocks::END_THE_CASE`] are the state machine's to decide.
        TimerFired(TimerFired) = timer_fired,
        /// The caseworker closes the case.
        ClosureDecided(ClosureDecided) = closure_decided,
        /// ICE or the PHSO made contact or moved on a stage.
        ExternalStageRecorded(ExternalStageRecorded) = external_stage_recorded,
        /// ICE's final report, with its finding.
        IceFinalReportRecorded(IceFinalReportRecorded) = ice_final_report_recorded,
        /// The customer is invited to send more evidence for a special payment.
        EvidenceRequested(EvidenceRequested) = evidence_requested,
        /// A case conference was held.
        CaseConferenceHeld(CaseConferenceHeld) = case_conference_held,
        /// The manager recorded what was done about a Systemic Log entry.
        SystemicIssueActionRecorded(SystemicIssueActionRecorded) = systemic_issue_action_recorded,
        /// An MP became involved in a customer's complaint (no tier's procedure: `official`).
        MpInvolved(MpInvolved) = mp_involved,
        /// Official correspondence was answered (no tier's procedure: `official`).
        CorrespondenceReplied(CorrespondenceReplied) = correspondence_replied,
        /// A special payment of the agreed plan was paid (kept in `special_payments` as well).
        SpecialPaymentMade(SpecialPaymentMade) = special_payment_made,
        /// A member of staff marked a task done (beside the state machine: a task row, not the
        /// case's state).
        TaskDone(TaskDone) = task_done,
    }
}

const NAME: &str = "casework";

/// Who made a decision the customer made (they have no staff id).
const CUSTOMER: &str = "customer";

/// Who made a finding ICE recorded.
const ICE: &str = "ice";

/// Who decides when a clock runs out: nobody but the procedure.
const CLOCK: &str = "clock";

/// Who made a decision whose event names nobody: v1 of `remedial_action.requested`,
/// `action.completed`, `holding_reply.sent` and `ice_redress.paid` has no `by`, and they are
/// staff's acts, not the customer's. The front end that posted one is on its timeline entry as
/// `authclient`.
const UNNAMED: &str = "unnamed";

/// The events from outside applied apart from the state machine ([`apart`], a task done): not
/// forwarded.
const APART: &[&str] = &[
    mp_involved::TYPE,
    correspondence_replied::TYPE,
    systemic_issue_action_recorded::TYPE,
    task_done::TYPE,
];

/// Whether casework forwards an accepted `event_type` to `complaints.internal`: every decision
/// from outside that goes through the state machine.
pub fn forwards(event_type: &str) -> bool {
    Accepted::TYPES.contains(&event_type)
        && CaseworkEvent::TYPES.contains(&event_type)
        && !APART.contains(&event_type)
}

/// The casework worker.
#[derive(Debug, Default)]
pub struct Casework;

impl Worker for Casework {
    const NAME: &'static str = NAME;
    const LOCKS_CASES: bool = true;
    const FROM_OUTSIDE: bool = true;
    /// Up to 1,024 decisions a transaction, so that a batch's fixed costs (its round trips and
    /// its commit's flush) are shared by more: `bench casework` measured 6,155–7,050
    /// decisions/s at 1,024 against 4,860 at 256 and 6,540 at 4,096.
    const BATCH_SIZE: usize = 1024;
    /// Two batches' worth, so that the next is there when one commits (at 1,024, no gain).
    const PREFETCH: u16 = 2048;
    type Event = CaseworkEvent;

    fn build(_app: &App) -> anyhow::Result<Self> {
        Ok(Casework)
    }

    /// Reads the batch's cases once (their facts and states, under their row locks), applies
    /// each event in order to the state the ones before it left, then writes every changed
    /// state in one statement and the timeline entries, tasks and events together.
    async fn apply(
        &self,
        conn: &mut AsyncPgConnection,
        events: &[&CloudEvent<CaseworkEvent>],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut effects = Effects::new(NAME, now);
        let events = ours(events);
        let events = events.as_slice();
        let references = subjects(events);
        let (facts, mut states) = casework::load(conn, &references).await?;
        let found = match_subjects(events, &facts, &mut effects);
        let directory = staff_of(conn, &found).await?;
        let mut changed: Vec<Uuid> = Vec::new();
        let mut closing: HashSet<Uuid> = HashSet::new();
        let mut tasks_done: HashSet<Uuid> = HashSet::new();
        // New cases wait here to be counted on the Systemic Log together, before the next
        // event of another kind and at the end: the same order as one at a time.
        let mut opened: Vec<(&CaseFacts, Uuid)> = Vec::new();
        for (event, case) in &found {
            if let CaseworkEvent::CaseOpened(_) = &event.data {
                if keeps_a_systemic_log(case.tier) && case.kind == CaseKind::Complaint {
                    opened.push((case, event.id));
                }
                continue;
            }
            systemic_check(conn, &std::mem::take(&mut opened), &mut effects).await?;
            if let CaseworkEvent::TaskDone(done) = &event.data {
                mark_task_done(
                    conn,
                    event,
                    case,
                    done,
                    &directory,
                    &mut tasks_done,
                    &mut effects,
                )
                .await?;
                continue;
            }
            if apart(conn, event, case, &directory, &mut effects).await? {
                continue;
            }
            let Some(state) = states.get(&case.id) else {
                refuse_no_procedure(event, case, &mut effects);
                continue;
            };
            let Some(after) =
                decide_one(conn, event, case, state, &directory, &mut effects).await?
            else {
                continue;
            };
            if !state.is_closed() && after.is_closed() {
                closing.insert(case.id);
            }
            if !changed.contains(&case.id) {
                changed.push(case.id);
            }
            states.insert(case.id, after);
        }
        systemic_check(conn, &opened, &mut effects).await?;
        let saved: Vec<NewState> = changed
            .iter()
            .map(|id| NewState {
                id: *id,
                state: &states[id],
                closing: closing.contains(id),
            })
            .collect();
        casework::save(conn, &saved, now).await?;
        Ok(effects.write(conn).await?)
    }
}

/// The events that are casework's: all but the clocks whose running out is another worker's,
/// left out before the cases are read.
fn ours<'e>(events: &[&'e CloudEvent<CaseworkEvent>]) -> Vec<&'e CloudEvent<CaseworkEvent>> {
    events
        .iter()
        .copied()
        .filter(|event| match &event.data {
            CaseworkEvent::TimerFired(timer) => clocks::END_THE_CASE.contains(&timer.clock),
            _ => true,
        })
        .collect()
}

/// Applies an event that is no decision of the state machine — a new case (for the Systemic
/// Log), an MP's involvement, a reply to official correspondence, a Systemic Log entry's
/// action — and says so; `false` for a decision, left to [`decide_one`].
async fn apart(
    conn: &mut AsyncPgConnection,
    event: &CloudEvent<CaseworkEvent>,
    case: &CaseFacts,
    directory: &HashMap<String, Member>,
    effects: &mut Effects,
) -> anyhow::Result<bool> {
    match &event.data {
        CaseworkEvent::MpInvolved(mp) => {
            official::mp_involved(conn, case, mp, event, effects).await?;
        }
        CaseworkEvent::CorrespondenceReplied(reply) => {
            official::correspondence_replied(conn, case, reply, event, effects).await?;
        }
        CaseworkEvent::SystemicIssueActionRecorded(action) => {
            systemic_action(conn, case, event, action, directory, effects).await?;
        }
        CaseworkEvent::TimerFired(timer)
            if !timers::has_fired(conn, case.id, timer.clock, &timer.key).await? =>
        {
            let why = "that clock has not fired";
            return Err(contradicts_database(timer_fired::TYPE, why).into());
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Refuses a decision about a case with no complaint state: only a dispute or official
/// correspondence has none. A dispute's own worker takes its decisions and any reply from its
/// customer; correspondence is answered, with no tier's procedure and no escalation.
fn refuse_no_procedure(event: &CloudEvent<CaseworkEvent>, case: &CaseFacts, effects: &mut Effects) {
    let reason = match case.kind {
        CaseKind::Correspondence => format!(
            "{} is official correspondence, not a complaint: it has no escalation route and is answered by correspondence.replied",
            case.reference
        ),
        _ => format!(
            "{} is a dispute, not a complaint: its plan is decided by dispute_plan.proposed or dispute_plan.agreed",
            case.reference
        ),
    };
    if !matches!(event.data, CaseworkEvent::ClientReplied(_)) {
        effects.reject(event, reason);
    }
}

/// Applies one decision to a case in `state`: refused (`None`, nothing changed) when the person
/// may not make it, the state does not allow it or its letters lack text; otherwise the state
/// after it (written by the caller with the batch's others), with its timeline entries, what it
/// writes beside the state, and what it causes.
async fn decide_one(
    conn: &mut AsyncPgConnection,
    event: &CloudEvent<CaseworkEvent>,
    case: &CaseFacts,
    state: &CaseState,
    directory: &HashMap<String, Member>,
    effects: &mut Effects,
) -> anyhow::Result<Option<CaseState>> {
    let by = decided_by(&event.data);
    let mut decision = decision(&event.data);
    from_the_directory(&mut decision, &event.data, by, directory);
    let checked = entitled(case.tier, &event.data, &decision, by, directory)
        .and_then(|()| decide(state, &decision, by))
        .and_then(|transition| {
            let letters = letters_of(&transition, letter_text(&event.data))?;
            Ok((transition, letters))
        });
    let (transition, letters) = match checked {
        Ok(accepted) => accepted,
        // A clock is not refused: it ran out on a case that had moved on, which the timeline
        // says (or, closed, needs no word).
        Err(reason) if matches!(event.data, CaseworkEvent::TimerFired(_)) => {
            if !state.is_closed() {
                effects.note(
                    case,
                    format!("Clock ran out, nothing closed: {reason}"),
                    json!({}),
                    event.id,
                );
            }
            return Ok(None);
        }
        Err(reason) => {
            effects.reject(event, reason);
            return Ok(None);
        }
    };
    effects.note(
        case,
        transition.summary.clone(),
        json!({
            "by": by,
            "decision": event.event_type,
            "authclient": event.authclient,
        }),
        event.id,
    );
    if let Some((entry, detail)) = written(&event.data) {
        effects.note(case, entry, detail, event.id);
    }
    beside_the_state(conn, event, case, state, effects).await?;
    let (assignees, key) = decision.does_tasks();
    effects.tasks_done(case, assignees, key, event.id);
    if !state.is_closed() && transition.state.is_closed() {
        effects.case_closed(case, event.id);
    }
    announce(effects, case, state, &transition, letters, event.id);
    if !matches!(event.data, CaseworkEvent::TimerFired(_)) {
        effects.forward(event);
    }
    Ok(Some(transition.state))
}

/// What an accepted decision writes beside the case's state: new categories (and the Systemic
/// Log check they bring), the evidence wait's clock started or met, the root cause at closure,
/// a special payment's row (which the report sums).
async fn beside_the_state(
    conn: &mut AsyncPgConnection,
    event: &CloudEvent<CaseworkEvent>,
    case: &CaseFacts,
    state: &CaseState,
    effects: &mut Effects,
) -> anyhow::Result<()> {
    let now = effects.now();
    match &event.data {
        CaseworkEvent::CategoriesChanged(change) => {
            let names = Category::normalise(&change.categories);
            casework::set_categories(conn, case.id, &names).await?;
            if keeps_a_systemic_log(case.tier) {
                systemic_check(conn, &[(case, event.id)], effects).await?;
            }
        }
        CaseworkEvent::EvidenceRequested(request) => {
            let wait = clocks::evidence_wait(now, request.days)?;
            effects.start_clocks(case, &[wait], event.id);
        }
        CaseworkEvent::ResolutionPlanDrafted(_) if state.awaiting_evidence => {
            let because = "the case manager drafted the redress";
            let met = effects
                .stop_clocks(conn, case, &[ClockKind::EvidenceWait], None, because)
                .await?;
            for met in met {
                effects.note(
                    case,
                    format!("Clock {} met: {because}", met.clock),
                    json!({}),
                    event.id,
                );
            }
        }
        CaseworkEvent::ClosureDecided(ClosureDecided {
            root_cause: Some(root_cause),
            ..
        }) => casework::set_root_cause(conn, case.id, root_cause).await?,
        CaseworkEvent::SpecialPaymentMade(paid) => {
            record_payment(conn, event.id, case, state, paid, now).await?
        }
        _ => {}
    }
    Ok(())
}

/// The staff directory entries of everyone the events name as deciding or as assignee.
async fn staff_of(
    conn: &mut AsyncPgConnection,
    found: &[(&CloudEvent<CaseworkEvent>, CaseFacts)],
) -> anyhow::Result<HashMap<String, Member>> {
    let mut ids: Vec<&str> = Vec::new();
    for (event, _) in found {
        // The official decisions look up their own people (`official`).
        if let CaseworkEvent::CaseOpened(_)
        | CaseworkEvent::MpInvolved(_)
        | CaseworkEvent::CorrespondenceReplied(_)
        | CaseworkEvent::HoldingReplySent(_)
        | CaseworkEvent::IceRedressPaid(_)
        | CaseworkEvent::TimerFired(_) = &event.data
        {
            continue;
        }
        ids.push(decided_by(&event.data));
        if let CaseworkEvent::CaseAllocated(allocated) = &event.data {
            ids.push(&allocated.to);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(staff::find(conn, &ids)
        .await?
        .into_iter()
        .map(|(id, record)| {
            let member = Member {
                active: record.active,
                roles: record.roles(),
                grade: record.grade.parse().ok(),
            };
            (id, member)
        })
        .collect())
}

/// Whether the person who made a decision may make it (and an allocation's assignee may
/// handle the case), by the staff directory; ICE's own report is not a member of staff's.
fn entitled(
    tier: Tier,
    event: &CaseworkEvent,
    decision: &Decision,
    by: &str,
    directory: &HashMap<String, Member>,
) -> Result<(), String> {
    if let CaseworkEvent::IceFinalReportRecorded(_) = event {
        return Ok(());
    }
    let assignee = match decision {
        Decision::Allocated { to } => Some((to.as_str(), directory.get(to))),
        _ => None,
    };
    authority::check(tier, decision, (by, directory.get(by)), assignee)
}

/// Emits what an accepted decision causes: its letters and tasks, `case.escalated` for the
/// escalation worker, `actions.scheduled` when a plan comes into force, and `case.closed`.
fn announce(
    effects: &mut Effects,
    case: &CaseFacts,
    before: &CaseState,
    transition: &Transition,
    letters: Vec<(LetterCode, LetterFields)>,
    cause: Uuid,
) {
    // Escalating to Resolution, CMSL5842 tells the customer that the Resolution team will be
    // in touch: it goes out once, from the new case and under its reference (the escalation
    // worker requests it as the case opens), never from the closed Dissatisfaction case.
    let escalating = transition
        .effects
        .iter()
        .any(|e| matches!(e, Effect::Escalate { .. }));
    let mut acknowledge_by_letter = false;
    for (code, fields) in letters {
        if escalating && code == LetterCode::Cmsl5842 {
            acknowledge_by_letter = true;
            continue;
        }
        effects.letter(case, code, &transition.summary, fields, cause);
    }
    for effect in &transition.effects {
        match effect {
            Effect::Task { assignee, task } => {
                effects.task(case, *assignee, task.clone(), None, cause)
            }
            Effect::Escalate { to, code } => effects.emit(
                case,
                case_escalated::TYPE,
                CaseEscalated {
                    case_reference: case.reference.clone(),
                    from_tier: case.tier,
                    to_tier: *to,
                    resolution_code: *code,
                    reason: transition.summary.clone(),
                    acknowledge_by_letter,
                    consolatory_payment: transition.state.referral_payment.filter(|_| {
                        transition.state.referral
                            == Some(TeamLeaderDecision::ConsolatoryPaymentReferral)
                    }),
                },
            ),
            Effect::Letter { .. } => {}
        }
    }
    fn agreed(s: &CaseState) -> Option<&ResolutionPlan> {
        s.plan.as_ref().filter(|p| p.agreed)
    }
    if let (Some(plan), None) = (agreed(&transition.state), agreed(before)) {
        effects.emit(
            case,
            actions_scheduled::TYPE,
            ActionsScheduled {
                case_reference: case.reference.clone(),
                actions: plan
                    .actions
                    .iter()
                    .map(|a| ScheduledAction {
                        id: a.id.clone(),
                        due_on: a.due_on,
                    })
                    .collect(),
            },
        );
    }
    let closed_with = |s: &CaseState| s.resolution_code.filter(|_| s.is_closed());
    if let (Some(code), None) = (closed_with(&transition.state), closed_with(before)) {
        effects.emit(
            case,
            case_closed::TYPE,
            CaseClosed {
                case_reference: case.reference.clone(),
                resolution_code: code,
                reason: transition.summary.clone(),
                returned_to: None,
            },
        );
    }
}

/// What the staff directory adds to a decision: a consolatory-payment referral carries form
/// CMSF5551 when the team leader is below the grade its payment needs (seeds 002, 004; their
/// grade from the directory, or, where it gives none, from the event), and a special payment
/// made says whether its payer is of the Special Payment Team.
fn from_the_directory(
    decision: &mut Decision,
    event: &CaseworkEvent,
    by: &str,
    directory: &HashMap<String, Member>,
) {
    let member = directory.get(by);
    match (decision, event) {
        (
            Decision::TeamLeaderDecided {
                payment: Some(payment),
                ..
            },
            CaseworkEvent::TeamLeaderDecided(decided),
        ) => {
            let grade = member.and_then(|m| m.grade).or(decided.grade);
            let needed = authority::grade_to_approve(payment.amount_pence);
            payment.cmsf5551 = !grade.is_some_and(|g| g.at_least(needed));
        }
        (
            Decision::SpecialPaymentMade {
                by_special_payment_team,
                ..
            },
            _,
        ) => {
            *by_special_payment_team = member
                .is_some_and(|m| m.active && m.roles.contains(&StaffRole::SpecialPaymentTeam));
        }
        _ => {}
    }
}

/// Who made a decision: the member of staff the event names, the customer for what the
/// customer did (and a new case, which the customer raised), ICE for its own report.
fn decided_by(event: &CaseworkEvent) -> &str {
    use CaseworkEvent as E;
    match event {
        E::ContactAttempted(ContactAttempted { by, .. })
        | E::CaseAllocated(CaseAllocated { by, .. })
        | E::ResolutionPlanDrafted(ResolutionPlanDrafted { by, .. })
        | E::ResolutionPlanSubmitted(ResolutionPlanSubmitted { by, .. })
        | E::ResolutionPlanApproved(ResolutionPlanApproved { by, .. })
        | E::ResolutionPlanRejected(ResolutionPlanRejected { by, .. })
        | E::ResolutionPlanProposed(ResolutionPlanProposed { by, .. })
        | E::ResolutionPlanDisagreed(ResolutionPlanDisagreed { by, .. })
        | E::OutcomeDecided(OutcomeDecided { by, .. })
        | E::CustomerDissatisfied(CustomerDissatisfied { by, .. })
        | E::TeamLeaderDecided(TeamLeaderDecided { by, .. })
        | E::EscalationAuthorised(EscalationAuthorised { by, .. })
        | E::CategoriesChanged(CategoriesChanged { by, .. })
        | E::ClosureDecided(ClosureDecided { by, .. })
        | E::ExternalStageRecorded(ExternalStageRecorded { by, .. })
        | E::EvidenceRequested(EvidenceRequested { by, .. })
        | E::CaseConferenceHeld(CaseConferenceHeld { by, .. })
        | E::MpInvolved(MpInvolved { by, .. })
        | E::CorrespondenceReplied(CorrespondenceReplied { by, .. })
        | E::SpecialPaymentMade(SpecialPaymentMade { by, .. })
        | E::TaskDone(TaskDone { by, .. })
        | E::SystemicIssueActionRecorded(SystemicIssueActionRecorded { by, .. }) => by,
        E::ResolutionPlanAgreed(_) | E::ClientReplied(_) => CUSTOMER,
        E::IceFinalReportRecorded(_) => ICE,
        E::RemedialActionRequested(_)
        | E::ActionCompleted(_)
        | E::HoldingReplySent(_)
        | E::IceRedressPaid(_)
        | E::CaseOpened(_) => UNNAMED,
        E::TimerFired(_) => CLOCK,
    }
}

/// The letter text the caseworker gave with a decision, for the letters it sends.
fn letter_text(event: &CaseworkEvent) -> Option<&LetterFields> {
    use CaseworkEvent as E;
    match event {
        E::ResolutionPlanApproved(ResolutionPlanApproved { letter_fields, .. })
        | E::ResolutionPlanRejected(ResolutionPlanRejected { letter_fields, .. })
        | E::ResolutionPlanProposed(ResolutionPlanProposed { letter_fields, .. })
        | E::OutcomeDecided(OutcomeDecided { letter_fields, .. })
        | E::CustomerDissatisfied(CustomerDissatisfied { letter_fields, .. })
        | E::ClosureDecided(ClosureDecided { letter_fields, .. }) => Some(letter_fields),
        _ => None,
    }
}

/// The state machine's decision an event records.
fn decision(event: &CaseworkEvent) -> Decision {
    use CaseworkEvent as E;
    match event {
        E::ContactAttempted(c) => Decision::ContactAttempted {
            method: c.method,
            successful: c.successful,
        },
        E::CaseAllocated(a) => Decision::Allocated { to: a.to.clone() },
        E::ResolutionPlanDrafted(p) => Decision::PlanDrafted {
            grounds: p.grounds.clone(),
            actions: p.actions.clone(),
        },
        E::ResolutionPlanSubmitted(_) => Decision::PlanSubmitted,
        E::ResolutionPlanApproved(a) => Decision::PlanApproved {
            approver: a.approver,
            amount_pence: a.amount_pence,
        },
        E::ResolutionPlanRejected(r) => Decision::PlanRejected {
            approver: r.approver,
        },
        E::ResolutionPlanProposed(p) => Decision::PlanProposed {
            customer_reached: p.customer_reached,
        },
        E::ResolutionPlanAgreed(a) => Decision::PlanAgreed {
            due: a.actions.iter().map(|x| (x.id.clone(), x.due_on)).collect(),
        },
        E::ResolutionPlanDisagreed(_) => Decision::PlanDisagreed,
        E::RemedialActionRequested(r) => Decision::RemedialActionRequested {
            action_id: r.action_id.clone(),
        },
        E::ActionCompleted(a) => Decision::ActionCompleted {
            action_id: a.action_id.clone(),
        },
        E::OutcomeDecided(o) => Decision::OutcomeDecided {
            outcome: o.outcome,
            hr_guidance_followed: o.hr_guidance_followed,
            customer_clearly_dissatisfied: o.customer_clearly_dissatisfied,
        },
        E::ClientReplied(_) => Decision::ClientReplied,
        E::CustomerDissatisfied(_) => Decision::CustomerDissatisfied,
        E::TeamLeaderDecided(d) => Decision::TeamLeaderDecided {
            choice: d.decision,
            // Whether CMSF5551 goes with it is the directory's to say: `form_needed`.
            payment: d
                .consolatory_payment_pence
                .map(|amount_pence| ConsolatoryReferral {
                    amount_pence,
                    cmsf5551: false,
                }),
        },
        E::EscalationAuthorised(e) => Decision::EscalationAuthorised {
            customer_told_by_phone: e.customer_told_by_phone,
        },
        E::CategoriesChanged(_) => Decision::CategoriesChanged,
        E::ClosureDecided(c) => Decision::ClosureDecided {
            resolution_code: c.resolution_code,
            customer_reached: c.customer_reached,
        },
        E::ExternalStageRecorded(e) => Decision::ExternalStageRecorded {
            body: e.body,
            stage: e.stage,
            upheld: e.upheld,
        },
        E::IceFinalReportRecorded(report) => Decision::ExternalStageRecorded {
            body: ExternalBody::Ice,
            stage: ExternalStage::FinalReport,
            upheld: Some(report.upheld),
        },
        E::EvidenceRequested(e) => Decision::EvidenceRequested { days: e.days },
        E::HoldingReplySent(_) => Decision::HoldingReplySent,
        E::IceRedressPaid(paid) => Decision::IceRedressPaid {
            amount_pence: paid.amount_pence,
        },
        E::TimerFired(timer) => Decision::ClockRanOut { clock: timer.clock },
        E::SpecialPaymentMade(paid) => Decision::SpecialPaymentMade {
            action_id: paid.action_id.clone(),
            amount_pence: paid.amount_pence,
            // Whether the payer is of the team is the directory's to say: `from_the_directory`.
            by_special_payment_team: false,
        },
        E::CaseConferenceHeld(c) => Decision::CaseConferenceHeld {
            decision: c.decision,
        },
        E::CaseOpened(_)
        | E::MpInvolved(_)
        | E::CorrespondenceReplied(_)
        | E::SystemicIssueActionRecorded(_)
        | E::TaskDone(_) => {
            unreachable!("a new case, an MP's involvement, a correspondence reply, a Systemic Log entry's action and a task done are applied apart from the state machine")
        }
    }
}

/// The letters a transition sends, each with its fields: the caseworker's text, plus the
/// paragraph the system chose (CMSL5801) or the procedure's default (TM 09172 for CMSL5807).
/// Refused when a letter lacks text it needs, or text is given that no letter uses.
fn letters_of(
    transition: &Transition,
    given: Option<&LetterFields>,
) -> Result<Vec<(LetterCode, LetterFields)>, String> {
    let mut letters = Vec::new();
    for effect in &transition.effects {
        let Effect::Letter { code, paragraph } = effect else {
            continue;
        };
        let needs = spec(*code).fields;
        let mut fields: LetterFields = given
            .into_iter()
            .flatten()
            .filter(|(name, _)| needs.iter().any(|f| f.name == name.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(paragraph) = paragraph {
            fields.insert("paragraph".into(), Value::from(*paragraph));
        } else if *code == LetterCode::Cmsl5807 {
            fields
                .entry("paragraph".into())
                .or_insert_with(|| Value::from("TM09172"));
        }
        check_fields(spec(*code), &fields)
            .map_err(|problem| format!("letter {code}: {problem}"))?;
        letters.push((*code, fields));
    }
    if let Some(unused) = given.into_iter().flatten().map(|(k, _)| k).find(|name| {
        !letters
            .iter()
            .any(|(code, _)| spec(*code).fields.iter().any(|f| f.name == name.as_str()))
    }) {
        return Err(format!(
            "letter field `{unused}` is not used by any letter this decision sends"
        ));
    }
    Ok(letters)
}

/// The tiers that keep a Systemic Log: the Complaint Resolution Team's (seed 001) and the
/// Review team's (seed 002, step 15 of the CCRT's procedure in seed 001).
fn keeps_a_systemic_log(tier: Tier) -> bool {
    matches!(tier, Tier::Resolution | Tier::Review)
}

/// Records a systemic issue for each of `cases` (each with the event that opened or
/// recategorised it) that is the third of its tier on one of its categories within a month, and
/// tells the manager: the cases are counted together, in their order.
async fn systemic_check(
    conn: &mut AsyncPgConnection,
    cases: &[(&CaseFacts, Uuid)],
    effects: &mut Effects,
) -> anyhow::Result<()> {
    if cases.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = cases.iter().map(|(case, _)| case.id).collect();
    // A category's count is shared by every case in it.
    runner::after_the_batch_before(conn).await?;
    let recorded = systemic_log::record_if_third(conn, &ids, effects.now()).await?;
    for (&(case, cause), recorded) in cases.iter().zip(recorded) {
        noted(case, recorded, cause, effects);
    }
    Ok(())
}

/// What the Systemic Log entries a case made cause: a timeline entry, the manager's task and a
/// `systemic_issue.recorded` event each.
fn noted(
    case: &CaseFacts,
    recorded: Vec<systemic_log::LoggedIssue>,
    cause: Uuid,
    effects: &mut Effects,
) {
    for issue in recorded {
        let (category, references) = (issue.category, issue.references);
        effects.note(
            case,
            format!(
                "Systemic issue {} recorded: the third complaint on `{category}` within a month",
                issue.id
            ),
            json!({ "systemic_issue": issue.id, "category": category, "cases": references }),
            cause,
        );
        effects.task(
            case,
            Assignee::Manager,
            format!(
                "Systemic issue {}: three complaints on `{category}` within a month ({}); record what is done about it (systemic_issue.action_recorded)",
                issue.id,
                references.join(", ")
            ),
            None,
            cause,
        );
        effects.emit(
            case,
            systemic_issue_recorded::TYPE,
            SystemicIssueRecorded {
                issue_id: issue.id,
                tier: case.tier,
                category,
                case_references: references,
            },
        );
    }
}

/// The manager records what was done about a Systemic Log entry that names this case: kept on
/// the entry (the report shows it) and on the case's timeline. Refused when `by` is not a team
/// leader or manager in the staff directory, or no entry of that id names the case.
async fn systemic_action(
    conn: &mut AsyncPgConnection,
    case: &CaseFacts,
    event: &CloudEvent<CaseworkEvent>,
    action: &SystemicIssueActionRecorded,
    directory: &HashMap<String, Member>,
    effects: &mut Effects,
) -> anyhow::Result<()> {
    let by = action.by.as_str();
    let manager = directory.get(by).is_some_and(|m| {
        m.active
            && m.roles
                .iter()
                .any(|r| matches!(r, StaffRole::G7Manager | StaffRole::TeamLeader))
    });
    if !manager {
        effects.reject(
            event,
            format!("the Systemic Log is kept by a manager: {by} is not an active team leader or G7 manager in the staff directory"),
        );
        return Ok(());
    }
    let now = effects.now();
    // An entry names three cases.
    runner::after_the_batch_before(conn).await?;
    let recorded = systemic_log::record_action(
        conn,
        action.issue_id,
        case.id,
        &action.action_taken,
        by,
        now,
    )
    .await?;
    let Some(category) = recorded else {
        effects.reject(
            event,
            format!(
                "no Systemic Log entry {} names case {}",
                action.issue_id, case.reference
            ),
        );
        return Ok(());
    };
    let (entry, detail) = crate::db::timeline::written(
        Written::SystemicAction,
        &format!(" {} (`{category}`)", action.issue_id),
        &action.action_taken,
        json!({ "by": by, "systemic_issue": action.issue_id, "authclient": event.authclient }),
    );
    effects.note(case, entry, detail, event.id);
    Ok(())
}

/// What a caseworker, approver or customer wrote with a decision, kept on the case's timeline
/// as written (issue 12 point 12): nothing written is discarded. The G7's case conference
/// before a referral is recorded as a fact.
fn written(event: &CaseworkEvent) -> Option<(String, Value)> {
    use crate::db::timeline::written as keep;
    let external = |e: &ExternalStageRecorded| match e.body {
        ExternalBody::Ice => Written::IceNote,
        ExternalBody::Phso => Written::PhsoNote,
    };
    Some(match event {
        CaseworkEvent::OutcomeDecided(o) => {
            keep(Written::OutcomeReasons, "", &o.reasons, json!({}))
        }
        CaseworkEvent::CustomerDissatisfied(d) => {
            keep(Written::DissatisfactionReason, "", &d.reason, json!({}))
        }
        CaseworkEvent::ResolutionPlanDisagreed(d) => {
            keep(Written::Objection, "", &d.objection, json!({}))
        }
        CaseworkEvent::ResolutionPlanRejected(r) => keep(
            Written::RejectionReason,
            "",
            &r.reason,
            json!({ "approver": r.approver }),
        ),
        CaseworkEvent::ExternalStageRecorded(e) => {
            keep(external(e), "", &e.note, json!({ "stage": e.stage }))
        }
        CaseworkEvent::ClientReplied(ClientReplied {
            summary: Some(summary),
            ..
        }) => keep(Written::CustomerReply, "", summary, json!({})),
        // Seed 001: a full progress update, kept as the caseworker wrote it.
        CaseworkEvent::HoldingReplySent(reply) => {
            keep(Written::HoldingReply, "", &reply.summary, json!({}))
        }
        CaseworkEvent::RemedialActionRequested(r) => keep(
            Written::RemedialAction,
            &format!(" ({}, of {})", r.action_id, r.team),
            &r.description,
            json!({ "action_id": r.action_id, "team": r.team }),
        ),
        CaseworkEvent::EvidenceRequested(e) => keep(
            Written::EvidenceRequested,
            "",
            &e.requested,
            json!({ "days": e.days }),
        ),
        CaseworkEvent::CaseConferenceHeld(c) => keep(
            Written::CaseConferenceNotes,
            &format!(" ({})", c.attendees.join(", ")),
            &c.notes,
            json!({ "attendees": c.attendees, "decision": c.decision }),
        ),
        CaseworkEvent::EscalationAuthorised(e) if e.case_conference_held => (
            "The G7 held a case conference before authorising the referral".into(),
            json!({ "case_conference_held": true }),
        ),
        _ => return None,
    })
}

/// Keeps a special payment the state machine accepted as a row of `special_payments`, with
/// its kind as the plan (in `before`, the state it was paid from) agreed it. The plan's `paid`
/// and these rows say the same; a row already there for the action contradicts the case's
/// state, and changes nothing.
async fn record_payment(
    conn: &mut AsyncPgConnection,
    cause: Uuid,
    case: &CaseFacts,
    before: &CaseState,
    paid: &SpecialPaymentMade,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let payment = before
        .plan
        .as_ref()
        .ok_or_else(|| "the case has no resolution plan".to_owned())
        .and_then(|plan| plan.agreed_payment(&paid.action_id, paid.amount_pence))
        .map_err(|why| contradicts_database(special_payment_made::TYPE, &why))?;
    let recorded = special_payments::record(
        conn,
        &NewPayment {
            case_id: case.id,
            action_id: &paid.action_id,
            kind: payment.kind.as_str(),
            amount_pence: paid.amount_pence,
            paid_by: &paid.by,
            paid_at: now,
            cause,
        },
    )
    .await?;
    if !recorded {
        let why = format!(
            "a payment of action {} is recorded though the case's plan holds it unpaid",
            paid.action_id
        );
        return Err(contradicts_database(special_payment_made::TYPE, &why).into());
    }
    Ok(())
}

/// A member of staff marked a task done (`task.done`): closed, and noted on the case's timeline
/// with what they wrote. Refused when `by` is not an active member of the staff directory, or
/// the task is unknown, of another case, or no longer open (`done` holds the tasks closed
/// earlier in the batch).
async fn mark_task_done(
    conn: &mut AsyncPgConnection,
    event: &CloudEvent<CaseworkEvent>,
    case: &CaseFacts,
    done: &TaskDone,
    directory: &HashMap<String, Member>,
    closed: &mut HashSet<Uuid>,
    effects: &mut Effects,
) -> anyhow::Result<()> {
    let by = done.by.as_str();
    let id = done.task_id;
    let found = tasks::states(conn, &[id]).await?.remove(&id);
    let refusal = match (&found, directory.get(by)) {
        (_, None) => Some(format!("{by} is not in the staff directory")),
        (_, Some(member)) if !member.active => {
            Some(format!("{by} is not active in the staff directory"))
        }
        (None, _) => Some(format!("there is no task {id}")),
        (Some(task), _) if task.case_id != case.id => {
            Some(format!("task {id} is not a task of {}", case.reference))
        }
        (Some(task), _) if task.state != tasks::OPEN || closed.contains(&id) => Some(format!(
            "task {id} is not open (it is {})",
            if closed.contains(&id) {
                tasks::DONE
            } else {
                task.state.as_str()
            }
        )),
        (Some(_), _) => None,
    };
    if let Some(reason) = refusal {
        effects.reject(event, reason);
        return Ok(());
    }
    let task = found.expect("an open task was found");
    closed.insert(id);
    effects.task_done(case, id, event.id);
    let detail = json!({
        "by": by,
        "decision": event.event_type,
        "task_id": id,
        "authclient": event.authclient,
    });
    let (entry, detail) = match &done.note {
        Some(note) => crate::db::timeline::written(
            Written::TaskNote,
            &format!(" ({})", task.task),
            note,
            detail,
        ),
        None => (format!("Task done: {}", task.task), detail),
    };
    effects.note(case, entry, detail, event.id);
    Ok(())
}
