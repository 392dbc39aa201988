//! The deadlines worker: the response target and every wait and due date after it
//! (process.md §4, §5).
//!
//! It reads only what the system emitted: the decisions it follows are those the casework
//! worker accepted and forwarded, so a refused decision starts or meets no clock here. It never
//! changes a case's state: a wait whose running out closes the case is the state machine's
//! decision (the casework worker's `Decision::ClockRanOut`).
//!
//! - Response target: 15 working days from receipt (20 for POS cases) on tier 1 and 2 cases;
//!   met by an agreed resolution plan, a substantive holding reply or a letter that answers
//!   the complaint; otherwise the breach is recorded on the case and the TL and the manager
//!   told.
//! - Waits: 7 days after CMSL5800 and 14 days after CMSL5805 (running out, casework closes the
//!   review), 7 days after CMSL5801 (the caseworker chases or proceeds). A reply meets them. The wait after CMSL5801 runs only when the customer was not reached
//!   by phone (LM_00009: the case waits at sub-status `Wait`, seed 002 step 16), and the
//!   customer agreeing the plan (`actions.scheduled`) or disagreeing with it meets it too.
//! - Resolution actions and remedial actions (1 week simple, 2 weeks complex): a reminder when
//!   due, escalation to the manager two working days later, until the action is completed.
//! - ICE redress: 4 weeks from the final report, then escalation.
//! - The wait for evidence (seed 001; set by the casework worker with the request): met by the
//!   customer's reply; otherwise the case manager decides on what there is.
//! - A closed case stops every clock it had; a closed Review that ICE raised (its gateway
//!   check failed) tells the internal ICE team (seed 002, step 31).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use super::effects::{with_cases, Effects};
use super::Worker;
use crate::app::App;
use crate::db::cases::{self, CaseFacts};
use crate::db::timers;
use crate::events::{
    case_closed, case_target_breached, timer_fired, ActionCompleted, ActionsScheduled, CaseClosed,
    CaseOpened, CaseTargetBreached, ClientReplied, CloudEvent, HoldingReplySent,
    IceFinalReportRecorded, IceRedressPaid, LetterSent, RemedialActionRequested,
    ResolutionPlanDisagreed, TimerFired,
};
use crate::failure::contradicts_database;
use crate::process::clocks::{self, ClockSetting, MET_BY_ACTION};
use crate::process::routing;
use crate::process::working_days::WorkingDays;
use crate::vocabulary::{Assignee, ClockKind, LetterCode, SubStatus};

crate::event_set! {
    /// What the deadlines worker reads.
    pub enum DeadlineEvent {
        /// Starts the response target.
        CaseOpened(CaseOpened) = case_opened,
        /// A plan in force meets the response target; starts the actions' due dates.
        ActionsScheduled(ActionsScheduled) = actions_scheduled,
        /// Meets the response target.
        HoldingReplySent(HoldingReplySent) = holding_reply_sent,
        /// Starts the waits after CMSL5800/5801/5805; an answering letter meets the target.
        LetterSent(LetterSent) = letter_sent,
        /// Meets the waits.
        ClientReplied(ClientReplied) = client_replied,

        /// The customer answered CMSL5801 by disagreeing: meets the wait after it.
        ResolutionPlanDisagreed(ResolutionPlanDisagreed) = resolution_plan_disagreed,
        /// Stops an action's clocks.
        ActionCompleted(ActionCompleted) = action_completed,
        /// Starts a remedial action's deadline.
        RemedialActionRequested(RemedialActionRequested) = remedial_action_requested,
        /// Starts the ICE redress clock.
        IceFinalReportRecorded(IceFinalReportRecorded) = ice_final_report_recorded,
        /// Stops it.
        IceRedressPaid(IceRedressPaid) = ice_redress_paid,
        /// Stops every clock of the case.
        CaseClosed(CaseClosed) = case_closed,
        /// A clock ran out.
        TimerFired(TimerFired) = timer_fired,
    }
}

/// The deadlines worker.
pub struct Deadlines {
    calendar: Arc<WorkingDays>,
}

impl Worker for Deadlines {
    const NAME: &'static str = "deadlines";
    const LOCKS_CASES: bool = true;
    type Event = DeadlineEvent;

    /// With the app's calendar.
    fn build(app: &App) -> anyhow::Result<Self> {
        Ok(Self {
            calendar: app.calendar.clone(),
        })
    }

    async fn apply(
        &self,
        conn: &mut AsyncPgConnection,
        events: &[&CloudEvent<DeadlineEvent>],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut effects = Effects::new(Deadlines::NAME, now);
        for (event, case) in &with_cases(conn, events, &mut effects).await? {
            let mut step = Step {
                conn: &mut *conn,
                case,
                cause: event.id,
                now,
                effects: &mut effects,
            };
            match &event.data {
                DeadlineEvent::CaseClosed(_) if !case.closed => {
                    return Err(contradicts_database(case_closed::TYPE, "the case is open").into());
                }
                DeadlineEvent::TimerFired(timer)
                    if !timers::has_fired(step.conn, case.id, timer.clock, &timer.key).await? =>
                {
                    return Err(contradicts_database(
                        timer_fired::TYPE,
                        "that clock has not fired",
                    )
                    .into());
                }
                DeadlineEvent::CaseClosed(_) => stopped(&mut step).await?,
                _ if case.closed => {}
                data => self.on(&mut step, data).await?,
            }
        }
        Ok(effects.write(conn).await?)
    }
}

impl Deadlines {
    /// What one event on an open case starts, meets or does.
    async fn on(&self, step: &mut Step<'_>, data: &DeadlineEvent) -> anyhow::Result<()> {
        let (case, now) = (step.case, step.now);
        match data {
            DeadlineEvent::CaseOpened(_) => {
                // A consolatory-payment referral is not a complaint: no response target.
                if clocks::has_response_target(case.tier) && !case.consolatory_referral {
                    let target = clocks::response_target(
                        &self.calendar,
                        case.region,
                        case.received_at,
                        case.pos,
                    );
                    let target = target?;
                    step.start(std::slice::from_ref(&target));
                    // A task a decision raised before the target was set (the escalation
                    // worker's, for the receiving team) is due by it too.
                    step.effects.tasks_due_by(case, target.deadline);
                }
            }
            DeadlineEvent::ActionsScheduled(plan) => {
                step.meet(
                    &[ClockKind::ResponseTarget, ClockKind::WaitAfterCmsl5801],
                    None,
                    "a resolution plan was agreed",
                )
                .await?;
                let due: Vec<ClockSetting> = plan
                    .actions
                    .iter()
                    .map(|a| clocks::action_due(&a.id, a.due_on))
                    .collect::<Result<_, _>>()?;
                step.start(&due);
            }
            DeadlineEvent::HoldingReplySent(_) => {
                step.meet(
                    &[ClockKind::ResponseTarget],
                    None,
                    "a substantive holding reply was sent",
                )
                .await?;
            }
            DeadlineEvent::LetterSent(letter) => {
                if clocks::answers_the_complaint(letter.code) {
                    step.meet(
                        &[ClockKind::ResponseTarget],
                        None,
                        &format!("{} answered the complaint", letter.code),
                    )
                    .await?;
                }
                if let Some(wait) = clocks::wait_after(letter.code, now)?
                    .filter(|w| w.clock != ClockKind::DissatisfactionReplyWindow)
                {
                    // CMSL5801 with LM_00008 confirms a plan agreed by phone: no wait.
                    let waiting = letter.code != LetterCode::Cmsl5801
                        || cases::sub_status(step.conn, case.id).await? == Some(SubStatus::Wait);
                    if waiting {
                        step.start(&[wait]);
                    }
                }
            }
            DeadlineEvent::ResolutionPlanDisagreed(_) => {
                step.meet(
                    &[ClockKind::WaitAfterCmsl5801],
                    None,
                    "the customer disagreed with the plan",
                )
                .await?;
            }
            DeadlineEvent::ClientReplied(_) => {
                let waits = [
                    ClockKind::WaitAfterCmsl5800,
                    ClockKind::WaitAfterCmsl5801,
                    ClockKind::WaitAfterCmsl5805,
                    ClockKind::EvidenceWait,
                ];
                step.meet(&waits, None, "the customer replied").await?;
            }
            DeadlineEvent::ActionCompleted(done) => {
                step.meet(
                    MET_BY_ACTION,
                    Some(&done.action_id),
                    &format!("action {} completed", done.action_id),
                )
                .await?;
            }
            DeadlineEvent::RemedialActionRequested(asked) => {
                let deadline = clocks::remedial_action(&asked.action_id, asked.complexity, now);
                step.start(&[deadline?]);
            }
            DeadlineEvent::IceFinalReportRecorded(report) => {
                if report.redress_pence > 0 {
                    step.start(&[clocks::ice_redress(now)?]);
                }
            }
            DeadlineEvent::IceRedressPaid(_) => {
                step.meet(&[ClockKind::IceRedress], None, "the ICE redress was paid")
                    .await?;
                step.effects
                    .tasks_done(case, &[Assignee::Manager], ICE_REDRESS_TASK, step.cause);
            }
            DeadlineEvent::TimerFired(timer) => self.ran_out(step, timer).await?,
            DeadlineEvent::CaseClosed(_) => unreachable!("handled before"),
        }
        Ok(())
    }
}

/// A case closed: every clock it had stops; a closed Review that ICE raised tells the ICE team.
async fn stopped(step: &mut Step<'_>) -> anyhow::Result<()> {
    let case = step.case;
    let stopped = step
        .effects
        .stop_clocks(step.conn, case, ClockKind::ALL, None, "the case closed")
        .await?;
    if !stopped.is_empty() {
        let names: Vec<String> = stopped.iter().map(|c| c.clock.clone()).collect();
        step.note(format!(
            "Clocks stopped: the case closed ({})",
            names.join(", ")
        ));
    }
    if routing::ice_is_told_on_closure(case.tier, case.raised_by) {
        step.effects.task(
            case,
            Assignee::IceTeam,
            "A Review raised by a failed ICE gateway check has closed: give ICE the details of the review and close 'notify ICE of complaint closure'".into(),
            None,
            step.cause,
        );
    }
    Ok(())
}

/// The key of the manager's task to see ICE's redress paid: closed by `ice.redress_paid`.
const ICE_REDRESS_TASK: &str = "ice_redress";

impl Deadlines {
    /// One of this worker's clocks ran out.
    async fn ran_out(&self, step: &mut Step<'_>, timer: &TimerFired) -> anyhow::Result<()> {
        let key = timer.key.as_str();
        match timer.clock {
            ClockKind::ResponseTarget => {
                cases::record_breach(step.conn, step.case.id, step.now).await?;
                let working_days = if step.case.pos {
                    clocks::POS_RESPONSE_TARGET_WORKING_DAYS
                } else {
                    clocks::RESPONSE_TARGET_WORKING_DAYS
                };
                step.note(format!("Response target of {working_days} working days breached; the team leader and the manager are told"));
                step.effects.emit(
                    step.case,
                    case_target_breached::TYPE,
                    CaseTargetBreached {
                        case_reference: step.case.reference.clone(),
                        deadline: timer.deadline,
                        working_days,
                        notify: Assignee::TeamLeader,
                    },
                );
                // process.md §5: a missed target tells the manager as well as the team leader
                // (who has the breach notice above).
                step.task(
                    Assignee::Manager,
                    "",
                    format!("The response target of {working_days} working days was missed: see that the case is answered and the customer kept informed"),
                    timer.clock,
                );
            }
            ClockKind::WaitAfterCmsl5801 => step.task(
                Assignee::Caseworker,
                "",
                "No reply within 7 days of CMSL5801: chase the customer or proceed with the plan"
                    .into(),
                timer.clock,
            ),
            ClockKind::ActionDue | ClockKind::RemedialAction => {
                let what = if timer.clock == ClockKind::ActionDue {
                    format!("Action {key} is due today: complete it or agree a new date")
                } else {
                    format!("Remedial action {key} has reached its deadline: chase the team")
                };
                step.task(Assignee::Caseworker, key, what, timer.clock);
                if let Some(escalation) =
                    clocks::overdue(&self.calendar, step.case.region, timer.clock, key, step.now)?
                {
                    step.start(&[escalation]);
                }
            }
            ClockKind::ActionOverdue | ClockKind::RemedialActionOverdue => step.task(
                Assignee::Manager,
                key,
                format!("Action {key} is overdue despite a reminder: escalated"),
                timer.clock,
            ),
            ClockKind::EvidenceWait => step.task(
                Assignee::Caseworker,
                "",
                "The customer sent no more evidence in the time given: decide the special payment on the evidence there is".into(),
                timer.clock,
            ),
            ClockKind::IceRedress => step.task(
                Assignee::Manager,
                ICE_REDRESS_TASK,
                "ICE redress not paid within 4 weeks of the final report: escalated".into(),
                timer.clock,
            ),
            // The state machine's: the casework worker closes the review.
            ClockKind::WaitAfterCmsl5800 | ClockKind::WaitAfterCmsl5805 => {}
            ClockKind::Acknowledgement
            | ClockKind::ReviewAcknowledgement
            | ClockKind::DissatisfactionReplyWindow
            | ClockKind::DisputeReply
            | ClockKind::DisputeActionDue => {}
        }
        Ok(())
    }
}

/// Handling one event on one case.
struct Step<'a> {
    conn: &'a mut AsyncPgConnection,
    case: &'a CaseFacts,
    cause: Uuid,
    now: DateTime<Utc>,
    effects: &'a mut Effects,
}

impl Step<'_> {
    fn note(&mut self, entry: String) {
        self.effects.note(self.case, entry, json!({}), self.cause);
    }

    /// A task raised by `clock`, about `key` (an action id) when it has one.
    fn task(&mut self, assignee: Assignee, key: &str, task: String, clock: ClockKind) {
        self.effects
            .task_about(self.case, assignee, key, task, Some(clock), self.cause);
    }

    /// Sets clocks (with the batch's others), noting each one that was not already running.
    fn start(&mut self, settings: &[ClockSetting]) {
        self.effects.start_clocks(self.case, settings, self.cause);
    }

    /// Stops clocks that the event meets, noting it when any was running.
    async fn meet(
        &mut self,
        kinds: &[ClockKind],
        key: Option<&str>,
        because: &str,
    ) -> QueryResult<()> {
        let met = self
            .effects
            .stop_clocks(self.conn, self.case, kinds, key, because)
            .await?;
        for clock in met {
            self.note(format!("Clock {} met: {because}", clock.clock));
        }
        Ok(())
    }
}
