//! The disputes worker: the dispute path of process.md §6 (seed 004, CMSL5811 and CMSL5812),
//! for disputes intake opened from complaints refused as appealable decisions.
//!
//! - `dispute_plan.proposed` (the customer was not reached by phone): CMSL5811 with the
//!   caseworker's text, and a 7-day clock for the customer to object.
//! - `dispute_plan.agreed` (agreed by phone): CMSL5812, quoting the date the dispute was
//!   received and the days to act, and a clock for those days; it meets the 7-day clock. A
//!   customer who may only be written to cannot agree by phone: refused.
//! - `client.replied` within the 7 days: the clock is met and the caseworker gets a task to
//!   talk the plan through.
//! - `timer.fired`: a task for the caseworker when the 7 days pass with no reply (the plan
//!   stands) and when the days CMSL5812 promised run out.
//!
//! The letters themselves are produced and sent by the letters worker, as every letter is.

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use serde_json::{json, Value};

use super::effects::{with_cases, Effects};
use super::Worker;
use crate::app::App;
use crate::db::cases::CaseFacts;
use crate::db::disputes;
use crate::events::{
    ClientReplied, CloudEvent, DisputePlanAgreed, DisputePlanProposed, LetterFields, TimerFired,
};
use crate::letters::catalogue::{check_fields, spec};
use crate::letters::post::letter_date;
use crate::process::clocks::written_contact_only;
use crate::process::disputes::{action_due, decide, reply_window, PlanDecision, REPLY_DAYS};
use crate::vocabulary::{Assignee, ClockKind, DisputeStage, LetterCode};

crate::event_set! {
    /// What the disputes worker reads.
    pub enum DisputeEvent {
        /// A plan proposed in writing.
        DisputePlanProposed(DisputePlanProposed) = dispute_plan_proposed,
        /// A plan agreed by phone.
        DisputePlanAgreed(DisputePlanAgreed) = dispute_plan_agreed,
        /// The customer replied (to CMSL5811).
        ClientReplied(ClientReplied) = client_replied,
        /// A clock ran out.
        TimerFired(TimerFired) = timer_fired,
    }
}

/// The disputes worker.
#[derive(Debug, Default)]
pub struct Disputes;

impl Worker for Disputes {
    const NAME: &'static str = "disputes";
    const LOCKS_CASES: bool = true;
    const FROM_OUTSIDE: bool = true;
    type Event = DisputeEvent;

    fn build(_app: &App) -> anyhow::Result<Self> {
        Ok(Disputes)
    }

    async fn apply(
        &self,
        conn: &mut AsyncPgConnection,
        events: &[&CloudEvent<DisputeEvent>],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut effects = Effects::new(Disputes::NAME, now);
        let found = with_cases(conn, events, &mut effects).await?;
        let ids: Vec<_> = found.iter().map(|(_, case)| case.id).collect();
        let mut stages = disputes::lock_stages(conn, &ids).await?;
        for (event, case) in &found {
            let Some(&stage) = stages.get(&case.id) else {
                // A complaint case: replies and clocks are the other workers' business.
                if matches!(
                    event.data,
                    DisputeEvent::DisputePlanProposed(_) | DisputeEvent::DisputePlanAgreed(_)
                ) {
                    effects.reject(event, format!("{} is not a dispute", case.reference));
                }
                continue;
            };
            if case.closed {
                continue;
            }
            let cause = event.id;
            let decided = match &event.data {
                DisputeEvent::DisputePlanProposed(plan) => {
                    let fields = plan.letter_fields.clone();
                    plan_letter(stage, PlanDecision::Proposed, LetterCode::Cmsl5811, &fields)
                        .map(|next| (next, LetterCode::Cmsl5811, fields, None))
                }
                DisputeEvent::DisputePlanAgreed(_)
                    if written_contact_only(case.about, case.contact_restriction) =>
                {
                    Err(format!(
                        "{} may only be written to, so cannot agree a plan by phone: propose it with dispute_plan.proposed (CMSL5811)",
                        case.reference
                    ))
                }
                DisputeEvent::DisputePlanAgreed(plan) => {
                    let mut fields = plan.letter_fields.clone();
                    fields.insert(
                        "dispute_date".into(),
                        Value::String(letter_date(case.received_at)),
                    );
                    fields.insert("days".into(), Value::String(plan.days_to_act.to_string()));
                    plan_letter(stage, PlanDecision::Agreed, LetterCode::Cmsl5812, &fields)
                        .map(|next| (next, LetterCode::Cmsl5812, fields, Some(plan.days_to_act)))
                }
                DisputeEvent::ClientReplied(_) => {
                    let met = effects
                        .stop_clocks(conn, case, &[ClockKind::DisputeReply], None, "the customer replied to CMSL5811")
                        .await?;
                    if !met.is_empty() {
                        effects.task(
                            case,
                            Assignee::Caseworker,
                            "The customer replied to CMSL5811 about the proposed plan: contact them and record whether they agree".into(),
                            Some(ClockKind::DisputeReply),
                            cause,
                        );
                    }
                    continue;
                }
                DisputeEvent::TimerFired(timer) => {
                    ran_out(case, timer, cause, &mut effects);
                    continue;
                }
            };
            let (next, code, fields, days) = match decided {
                Ok(decided) => decided,
                Err(reason) => {
                    effects.reject(event, reason);
                    continue;
                }
            };
            disputes::set_stage(conn, case.id, next, now).await?;
            // Proposing or agreeing the plan is the caseworker's work the dispute's tasks ask for.
            effects.tasks_done(case, &[Assignee::Caseworker], "", cause);
            stages.insert(case.id, next);
            effects.note(
                case,
                format!("Dispute {}: {next}", case.reference),
                json!({ "stage": next }),
                cause,
            );
            match days {
                None => {
                    effects.letter(
                        case,
                        code,
                        "the dispute's action plan, proposed in writing: the customer was not reached by phone",
                        fields,
                        cause,
                    );
                    effects.start_clocks(case, &[reply_window(now)], cause);
                }
                Some(days) => {
                    let met = effects
                        .stop_clocks(
                            conn,
                            case,
                            &[ClockKind::DisputeReply],
                            None,
                            "the customer agreed the plan by phone",
                        )
                        .await?;
                    for clock in met {
                        effects.note(
                            case,
                            format!(
                                "Clock {} met: the customer agreed the plan by phone",
                                clock.clock
                            ),
                            json!({}),
                            cause,
                        );
                    }
                    effects.letter(
                        case,
                        code,
                        "the dispute's action plan, agreed by phone",
                        fields,
                        cause,
                    );
                    effects.start_clocks(case, &[action_due(now, days)], cause);
                }
            }
        }
        Ok(effects.write(conn).await?)
    }
}

/// The stage a plan decision moves the dispute to, once its letter has every field it needs.
fn plan_letter(
    stage: DisputeStage,
    decision: PlanDecision,
    code: LetterCode,
    fields: &LetterFields,
) -> Result<DisputeStage, String> {
    let next = decide(stage, decision)?;
    check_fields(spec(code), fields).map_err(|e| format!("{code}: {e}"))?;
    Ok(next)
}

/// One of the dispute clocks ran out: a task for the caseworker.
fn ran_out(case: &CaseFacts, timer: &TimerFired, cause: uuid::Uuid, effects: &mut Effects) {
    let task = match timer.clock {
        ClockKind::DisputeReply => format!(
            "No reply within {REPLY_DAYS} days to CMSL5811: the proposed plan stands; take its steps"
        ),
        ClockKind::DisputeActionDue => {
            "The steps CMSL5812 told the customer we would take are due: make sure they are done"
                .to_owned()
        }
        _ => return,
    };
    effects.task(case, Assignee::Caseworker, task, Some(timer.clock), cause);
}
