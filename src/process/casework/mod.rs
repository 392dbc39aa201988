//! The case state machine (process.md §4): how each decision a caseworker, team leader or
//! customer makes moves a case on, per tier, and which decisions a case refuses in its current
//! state.
//!
//! Plain Rust with no I/O, so every rule is tested exhaustively here (see `properties`). The
//! `casework` worker loads a case's [`CaseState`], asks [`decide`], and either refuses the event
//! with the reason given or stores the new state and carries out the [`Effect`]s, in one
//! transaction.
//!
//! - [`dissatisfaction`]: tier 0, resolved at source or referred by the team leader and the G7.
//! - [`resolution`]: tier 1, an outcome with signposting to Review, or escalation to Review.
//! - [`review`]: tier 2, no further action or an action plan, with signposting to ICE.
//! - [`resolution_plan`]: resolution plans and their approvals (the team leader, the Special
//!   Payment Team); `plan_steps`: the steps over a plan every tier shares.
//! - [`external`]: ICE and the PHSO, recorded on the case they are about.

pub mod authority;
pub mod dissatisfaction;
pub mod external;
mod plan_steps;
pub mod resolution;
pub mod resolution_plan;
pub mod review;

#[cfg(test)]
mod properties;

use std::collections::BTreeMap;

use chrono::NaiveDate;

use self::resolution_plan::ResolutionPlan;
use crate::events::case_escalated::ConsolatoryReferral;
use crate::events::resolution_plan_drafted::PlanAction;
use crate::vocabulary::{
    Approver, Assignee, ClockKind, ConferenceDecision, ContactMethod, ExternalBody, ExternalStage,
    LetterCode, Outcome, ResolutionCode, Signposting, Stage, Status, SubStatus, TeamLeaderDecision,
    Tier,
};

/// What the machine reads of a case but never changes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Context {
    /// The customer may be contacted in writing only (UPCC, vexatious).
    pub written_only: bool,
    /// The customer is vulnerable: the phone may not be suitable.
    pub vulnerable: bool,
    /// A complaint about a member of staff's behaviour.
    pub staff_complaint: bool,
    /// Tier 2: who handled the Resolution case before it (the review must be someone else).
    pub earlier_handler: Option<String>,
    /// Tier 1: a "non complaint consolatory payment referral only" from tier 0 (seed 004): the
    /// case decides a payment, not a complaint — no outcome, no signposting, no Review.
    pub consolatory_referral: bool,
}

impl Context {
    /// Whether the customer may be contacted by `method`: a written-only customer, or one
    /// complaining about a member of staff (acknowledged "by letter, never by phone", seeds 001
    /// and 004), is never phoned. Casework refuses such a call, so it meets no clock either.
    pub fn may_contact_by(&self, method: ContactMethod) -> bool {
        !((self.written_only || self.staff_complaint) && method == ContactMethod::Phone)
    }

    /// Whether a step may rest on a phone call alone. Written-only, staff-complaint and
    /// vulnerable customers always get the letter as well (process.md §3, contact
    /// restrictions).
    pub fn phone_alone_will_do(&self) -> bool {
        !self.written_only && !self.staff_complaint && !self.vulnerable
    }
}

/// A case as the procedures see it.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseState {
    /// The tier whose procedure the case follows (0 Dissatisfaction, 1 Resolution, 2 Review).
    pub tier: Tier,
    /// Where it is in that procedure (e.g. `Investigate`, `Escalate to Resolution`).
    pub stage: Stage,
    /// Pending Assignment, In Progress, Pending Approval or Closed: what it waits for.
    pub status: Status,
    /// Its sub-status, once it has one.
    pub sub_status: Option<SubStatus>,
    /// How it ended, once closed.
    pub resolution_code: Option<ResolutionCode>,
    /// Tiers 1 and 2: the finding.
    pub outcome: Option<Outcome>,
    /// Where the customer was pointed with the outcome.
    pub signposted_to: Option<Signposting>,
    /// The caseworker or case manager it is allocated to.
    pub allocated_to: Option<String>,
    /// The resolution plan.
    pub plan: Option<ResolutionPlan>,
    /// Tier 0: the team leader's referral to tier 1, waiting for or given the G7's authority.
    pub referral: Option<TeamLeaderDecision>,
    /// Tier 0: the payment a consolatory-payment referral asks for, and whether CMSF5551 goes
    /// with it.
    pub referral_payment: Option<ConsolatoryReferral>,
    /// Staff-behaviour complaints: whether assurance was obtained that the HR guidance was
    /// followed (recorded with the outcome).
    pub hr_guidance_followed: Option<bool>,
    /// The latest ICE stage recorded.
    pub ice_stage: Option<ExternalStage>,
    /// The latest PHSO stage recorded.
    pub phso_stage: Option<ExternalStage>,
    /// ICE's finding, from its final report.
    pub ice_upheld: Option<bool>,
    /// The PHSO's finding, from its final report.
    pub phso_upheld: Option<bool>,
    /// Remedial actions asked of other teams, by id, with whether each is done.
    pub remedial_actions: BTreeMap<String, bool>,
    /// Tiers 1 and 2: the customer was invited to send more evidence before a special payment
    /// is decided, and neither their reply nor a drafted plan has ended the wait.
    pub awaiting_evidence: bool,
    /// What it reads but does not change.
    pub context: Context,
}

impl CaseState {
    /// A case as it opens at `tier`.
    pub fn opened(tier: Tier, context: Context) -> Self {
        let (stage, status) = opening_stage_and_status(tier);
        Self {
            tier,
            stage,
            status,
            sub_status: None,
            resolution_code: None,
            outcome: None,
            signposted_to: None,
            allocated_to: None,
            plan: None,
            referral: None,
            referral_payment: None,
            hr_guidance_followed: None,
            ice_stage: None,
            phso_stage: None,
            ice_upheld: None,
            phso_upheld: None,
            remedial_actions: BTreeMap::new(),
            awaiting_evidence: false,
            context,
        }
    }

    /// Whether it has ended.
    pub fn is_closed(&self) -> bool {
        self.status == Status::Closed
    }

    fn close(&mut self, code: ResolutionCode) {
        self.status = Status::Closed;
        self.sub_status = Some(SubStatus::Complete);
        self.resolution_code = Some(code);
    }

    fn set(&mut self, status: Status, sub_status: SubStatus) {
        self.status = status;
        self.sub_status = Some(sub_status);
    }

    fn require_in_progress(&self) -> Result<(), String> {
        match self.status {
            Status::InProgress => Ok(()),
            Status::PendingAssignment => Err("the case is not allocated yet".into()),
            Status::PendingApproval => Err(format!(
                "the case is waiting for a decision ({})",
                self.sub_status
                    .map_or("pending approval", SubStatus::as_str)
            )),
            Status::Closed => Err("the case is closed".into()),
        }
    }
}

/// The stage and status a case of `tier` opens in (process.md §4): tier 0 in progress at once,
/// tiers 1 and 2 waiting for a team leader to allocate them.
pub fn opening_stage_and_status(tier: Tier) -> (Stage, Status) {
    match tier {
        Tier::Dissatisfaction => (Stage::AcknowledgeIssue, Status::InProgress),
        Tier::Resolution => (Stage::AcknowledgeComplaint, Status::PendingAssignment),
        Tier::Review => (Stage::AcknowledgeIssue, Status::PendingAssignment),
    }
}

/// A decision about a case: the data of one human-decision event.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Someone tried to reach the customer.
    ContactAttempted {
        /// By phone, email or letter.
        method: ContactMethod,
        /// Whether they were reached.
        successful: bool,
    },
    /// A team leader allocated the case.
    Allocated {
        /// The staff id of the caseworker or case manager who takes it.
        to: String,
    },
    /// The reasons and a resolution plan were recorded.
    PlanDrafted {
        /// Why redress is due, point by point, as the case manager wrote them.
        grounds: Vec<String>,
        /// What will be done (apologies, payments, corrections), each with its id.
        actions: Vec<PlanAction>,
    },
    /// The plan went for approval.
    PlanSubmitted,
    /// The plan was approved (or, disputed at tier 2, goes ahead).
    PlanApproved {
        /// In what capacity.
        approver: Approver,
        /// The payments approved, in pence.
        amount_pence: i64,
    },
    /// The plan was rejected (or, disputed at tier 2, is to be revised).
    PlanRejected {
        /// In what capacity.
        approver: Approver,
    },
    /// The plan was put to the customer.
    PlanProposed {
        /// Reached by phone.
        customer_reached: bool,
    },
    /// The customer agreed the plan, with these due dates.
    PlanAgreed {
        /// Each action's agreed date.
        due: Vec<(String, NaiveDate)>,
    },
    /// The customer disagreed with the plan.
    PlanDisagreed,
    /// Another team was asked for a remedial action.
    RemedialActionRequested {
        /// The id the request gives it, unique on the case beside the plan's actions.
        action_id: String,
    },
    /// An action of the plan, or a remedial action, is done.
    ActionCompleted {
        /// The id of the plan's action or remedial action that is done.
        action_id: String,
    },
    /// The finding of a Resolution or Review case (tier 0 has none).
    OutcomeDecided {
        /// Upheld, Part Upheld, Not Upheld (or, at Review, Justified).
        outcome: Outcome,
        /// Staff complaints: assurance that the HR guidance was followed.
        hr_guidance_followed: Option<bool>,
        /// Tier 1, Not Upheld: go to Review without waiting to be asked.
        customer_clearly_dissatisfied: bool,
    },
    /// The customer replied.
    ClientReplied,
    /// Tiers 1 and 2: the customer is invited to send more evidence before a special payment
    /// is decided (seed 001); the case waits, with its own clock.
    EvidenceRequested {
        /// The calendar days they have.
        days: u32,
    },
    /// A case conference was held (seed 001; at tier 0, the G7's, seed 004).
    CaseConferenceHeld {
        /// What it decided.
        decision: ConferenceDecision,
    },
    /// The customer is not content.
    CustomerDissatisfied,
    /// Tier 0: the team leader's decision.
    TeamLeaderDecided {
        /// What they decided.
        choice: TeamLeaderDecision,
        /// A consolatory-payment referral: the payment, and whether the team leader is below
        /// the grade it needs (so CMSF5551 goes with it).
        payment: Option<ConsolatoryReferral>,
    },
    /// Tier 0: the G7 authorised the referral.
    EscalationAuthorised {
        /// Whether the customer was told by phone.
        customer_told_by_phone: bool,
    },
    /// The categories were corrected.
    CategoriesChanged,
    /// The caseworker closes the case.
    ClosureDecided {
        /// The resolution code the caseworker closes it with.
        resolution_code: ResolutionCode,
        /// Whether the customer was reached (and agreed).
        customer_reached: bool,
    },
    /// ICE or the PHSO made contact or moved a stage on.
    ExternalStageRecorded {
        /// ICE or the PHSO.
        body: ExternalBody,
        /// The stage the body has reached (stages only move forward).
        stage: ExternalStage,
        /// At the final report: whether it upheld the complaint.
        upheld: Option<bool>,
    },
    /// The redress ICE's final report recommended was paid.
    IceRedressPaid {
        /// How much, in pence.
        amount_pence: u64,
    },
    /// A special payment of the agreed plan was paid (`special_payment.made`).
    SpecialPaymentMade {
        /// The id of the plan's financial-redress action it pays.
        action_id: String,
        /// How much was paid, in pence: the amount the plan agreed for that action.
        amount_pence: i64,
        /// Whether the person who paid is of the Special Payment Team (from the staff
        /// directory): only they pay beyond delegated authority or a payment requiring a review.
        by_special_payment_team: bool,
    },
    /// A substantive holding reply went to the customer: it meets the response target.
    HoldingReplySent,
    /// A clock the case was waiting on ran out with nothing done: the procedure's own step when
    /// the customer stays silent (seed 002, steps 7 and 12: the waits after CMSL5800 and
    /// CMSL5805 close the review). The one decision no person makes.
    ClockRanOut {
        /// The clock that ran out; only those in `clocks::END_THE_CASE` can end a case.
        clock: ClockKind,
    },
}

impl Decision {
    /// The tasks an accepted decision does, closing them: the open tasks of these assignees on
    /// the case about this key (an action id, or empty for the case as a whole). An approval
    /// does its approver's task, the team leader's decision and the G7's authority theirs, an
    /// allocation the receiving team's, the caseworker's own steps the caseworker's, and a
    /// completed action the reminders about it.
    pub fn does_tasks(&self) -> (&'static [Assignee], &str) {
        const CASEWORKER: &[Assignee] = &[Assignee::Caseworker];
        match self {
            Decision::PlanApproved { approver, .. } | Decision::PlanRejected { approver } => {
                match approver {
                    Approver::TeamLeader => (&[Assignee::TeamLeader], ""),
                    Approver::SpecialPaymentTeam => (&[Assignee::SpecialPaymentTeam], ""),
                }
            }
            Decision::TeamLeaderDecided { .. } => (&[Assignee::TeamLeader], ""),
            Decision::EscalationAuthorised { .. } => (&[Assignee::Manager], ""),
            Decision::Allocated { .. } => (
                &[
                    Assignee::ComplaintResolutionTeam,
                    Assignee::MpSpecialists,
                    Assignee::ComplaintReviewTeam,
                ],
                "",
            ),
            Decision::ActionCompleted { action_id } => {
                (&[Assignee::Caseworker, Assignee::Manager], action_id)
            }
            Decision::ContactAttempted { .. }
            | Decision::PlanDrafted { .. }
            | Decision::PlanSubmitted
            | Decision::PlanProposed { .. }
            | Decision::PlanDisagreed
            | Decision::OutcomeDecided { .. }
            | Decision::CustomerDissatisfied
            | Decision::ClosureDecided { .. }
            | Decision::PlanAgreed { .. }
            | Decision::EvidenceRequested { .. }
            | Decision::CaseConferenceHeld { .. } => (CASEWORKER, ""),
            Decision::RemedialActionRequested { .. }
            | Decision::ClientReplied
            | Decision::CategoriesChanged
            | Decision::ExternalStageRecorded { .. }
            | Decision::IceRedressPaid { .. }
            | Decision::SpecialPaymentMade { .. }
            | Decision::HoldingReplySent
            | Decision::ClockRanOut { .. } => (&[], ""),
        }
    }
}

/// What a transition causes beyond the new state.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A letter goes to the customer; `paragraph` is the standard paragraph the system chose.
    Letter {
        /// The letter's code (e.g. CMSL5800).
        code: LetterCode,
        /// The paragraph, where the letter offers a choice the system makes.
        paragraph: Option<&'static str>,
    },
    /// A task for someone.
    Task {
        /// The person or team the task is for.
        assignee: Assignee,
        /// What they are asked to do, in a sentence.
        task: String,
    },
    /// The case closed to go up a tier: open the linked case at `to`.
    Escalate {
        /// The higher tier.
        to: Tier,
        /// The code the case closed with to go up.
        code: ResolutionCode,
    },
}

/// A decision applied: the case as it is now, what it causes, and a line for the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The case as the decision leaves it.
    pub state: CaseState,
    /// The letters, tasks and escalation the decision causes, in order.
    pub effects: Vec<Effect>,
    /// What happened, for the timeline.
    pub summary: String,
}

impl Transition {
    fn letter(&mut self, code: LetterCode) {
        self.effects.push(Effect::Letter {
            code,
            paragraph: None,
        });
    }

    /// A letter with the standard paragraph the procedure chose.
    fn letter_with(&mut self, code: LetterCode, paragraph: &'static str) {
        self.effects.push(Effect::Letter {
            code,
            paragraph: Some(paragraph),
        });
    }

    fn task(&mut self, assignee: Assignee, task: impl Into<String>) {
        self.effects.push(Effect::Task {
            assignee,
            task: task.into(),
        });
    }

    /// Closes the case with `code` by a caseworker's decision.
    fn close(&mut self, code: ResolutionCode) {
        self.state.close(code);
        self.summary = format!("Closed {code}");
    }

    /// Closes the case to escalate it: the code, the stage and the new case to open.
    fn escalate(&mut self, stage: Stage, code: ResolutionCode, to: Tier) {
        self.state.stage = stage;
        self.state.close(code);
        self.effects.push(Effect::Escalate { to, code });
    }
}

/// Applies `decision`, made by `by` (an opaque staff id), to a case in `state`: the transition,
/// or why the case refuses it. A refusal changes nothing.
pub fn decide(state: &CaseState, decision: &Decision, by: &str) -> Result<Transition, String> {
    let mut t = Transition {
        state: state.clone(),
        effects: Vec::new(),
        summary: String::new(),
    };
    if let Decision::ExternalStageRecorded {
        body,
        stage,
        upheld,
    } = decision
    {
        external::record(&mut t, *body, *stage, *upheld)?;
        return Ok(t);
    }
    if let Decision::IceRedressPaid { amount_pence } = decision {
        external::redress_paid(&mut t, *amount_pence)?;
        return Ok(t);
    }
    if let Decision::SpecialPaymentMade {
        action_id,
        amount_pence,
        by_special_payment_team,
    } = decision
    {
        plan_steps::pay(
            &mut t,
            action_id,
            *amount_pence,
            *by_special_payment_team,
            by,
        )?;
        return Ok(t);
    }
    if state.is_closed() {
        return Err(format!(
            "the case is closed ({})",
            state.resolution_code.map_or("", ResolutionCode::as_str)
        ));
    }
    match decision {
        Decision::ContactAttempted { method, successful } => {
            if !state.context.may_contact_by(*method) {
                return Err(if state.context.staff_complaint {
                    "a complaint about a member of staff is handled in writing, never by phone"
                        .into()
                } else {
                    "the customer may be contacted in writing only".into()
                });
            }
            let result = if *successful {
                "reached"
            } else {
                "not reached"
            };
            t.summary = format!("Contact by {method}: the customer was {result}");
        }
        Decision::ClientReplied if state.awaiting_evidence => {
            t.state.awaiting_evidence = false;
            if t.state.sub_status == Some(SubStatus::Wait) {
                t.state.sub_status = Some(SubStatus::DraftActionPlan);
            }
            t.summary = "The customer replied to the request for evidence".into();
        }
        Decision::ClientReplied => t.summary = "The customer replied".into(),
        Decision::HoldingReplySent => t.summary = "A substantive holding reply was sent".into(),
        Decision::ClockRanOut { clock } if state.tier == Tier::Review => {
            review::wait_ran_out(&mut t, *clock)?
        }
        Decision::ClockRanOut { clock } => {
            return Err(format!(
                "{clock} running out ends no case at tier {}",
                state.tier.number()
            ))
        }
        Decision::EvidenceRequested { days } => request_evidence(&mut t, *days)?,
        Decision::CaseConferenceHeld { decision } => case_conference(&mut t, *decision)?,
        Decision::CategoriesChanged => t.summary = "Categories corrected".into(),
        Decision::Allocated { to } => allocate(&mut t, to)?,
        Decision::RemedialActionRequested { action_id } => {
            let in_plan = state
                .plan
                .as_ref()
                .is_some_and(|p| p.actions.iter().any(|a| &a.id == action_id));
            if in_plan || state.remedial_actions.contains_key(action_id) {
                return Err(format!(
                    "action id {action_id} is already in use on this case"
                ));
            }
            t.state.remedial_actions.insert(action_id.clone(), false);
            t.summary = format!("Remedial action {action_id} asked of another team");
        }
        Decision::ActionCompleted { action_id }
            if state.remedial_actions.contains_key(action_id) =>
        {
            if state.remedial_actions[action_id] {
                return Err(format!("remedial action {action_id} is already done"));
            }
            t.state.remedial_actions.insert(action_id.clone(), true);
            t.summary = format!("Remedial action {action_id} done");
        }
        Decision::ActionCompleted { action_id } => plan_steps::complete(&mut t, action_id)?,
        Decision::PlanDrafted { grounds, actions } => {
            plan_steps::draft(&mut t, grounds, actions, by)?
        }
        Decision::PlanSubmitted => plan_steps::submit(&mut t)?,
        // A disputed Review plan is the team leader's call: see `review`.
        Decision::PlanApproved {
            approver,
            amount_pence,
        } if !plan_steps::disputed(state) => {
            plan_steps::approve(&mut t, *approver, *amount_pence, by)?
        }
        Decision::PlanRejected { approver } if !plan_steps::disputed(state) => {
            plan_steps::reject(&mut t, *approver)?
        }
        Decision::TeamLeaderDecided { .. } | Decision::EscalationAuthorised { .. }
            if state.tier != Tier::Dissatisfaction =>
        {
            return Err("a team leader's referral and its authorisation belong to tier 0".into())
        }
        _ => match state.tier {
            Tier::Dissatisfaction => dissatisfaction::decide(&mut t, decision)?,
            Tier::Resolution => resolution::decide(&mut t, decision)?,
            Tier::Review => review::decide(&mut t, decision, by)?,
        },
    }
    Ok(t)
}

/// The refusal of a closing code a caseworker may not use on this tier.
fn not_a_closing_code(tier: Tier, allowed: [ResolutionCode; 2], code: ResolutionCode) -> String {
    format!(
        "a caseworker closes a {} case as {} or {}, not {code}",
        tier.as_str(),
        allowed[0],
        allowed[1]
    )
}

/// A team leader allocates the case (or hands it to someone else): a tier 1 or 2 case waiting
/// for assignment goes into progress. The review caseworker may not be the person who handled
/// the Resolution case (process.md §4, tier 2 step 13).
fn allocate(t: &mut Transition, to: &str) -> Result<(), String> {
    let state = &mut t.state;
    if state.status == Status::PendingApproval {
        return Err("the case is waiting for a decision; allocate it once that is made".into());
    }
    if state.tier == Tier::Review && state.context.earlier_handler.as_deref() == Some(to) {
        return Err(format!(
            "{to} handled the Resolution case: the review must be done by someone with no part in earlier responses"
        ));
    }
    if state.status == Status::PendingAssignment {
        state.stage = Stage::Investigation;
        state.set(Status::InProgress, SubStatus::InProgress);
    }
    state.allocated_to = Some(to.to_owned());
    t.summary = format!("Allocated to {to}");
    Ok(())
}

/// The outcome is recorded with its signposting (tier 1 to Review, tier 2 to ICE), checking
/// the must-uphold rule for staff complaints (process.md §3): without assurance that the HR
/// guidance was followed, the complaint must be upheld.
fn record_outcome(
    t: &mut Transition,
    outcome: Outcome,
    hr_guidance_followed: Option<bool>,
) -> Result<(), String> {
    let state = &mut t.state;
    state.require_in_progress()?;
    if let Some(already) = state.outcome {
        return Err(format!("the outcome is already decided ({already})"));
    }
    if state.context.staff_complaint {
        match hr_guidance_followed {
            None => {
                return Err("a staff-behaviour complaint's outcome must say whether assurance was obtained that the HR guidance was followed".into())
            }
            Some(false) if outcome != Outcome::Upheld => {
                return Err("without assurance that the HR guidance was followed, a staff-behaviour complaint must be upheld".into())
            }
            Some(_) => state.hr_guidance_followed = hr_guidance_followed,
        }
    }
    state.outcome = Some(outcome);
    state.signposted_to = Some(match state.tier {
        Tier::Review => Signposting::Ice,
        _ => Signposting::Review,
    });
    t.summary = format!(
        "Outcome decided: {outcome}; the customer is signposted to {}",
        state.signposted_to.map_or("", Signposting::as_str)
    );
    Ok(())
}

/// Seed 001 (tiers 1 and 2): "if there is insufficient evidence to determine a Special Payment
/// you should give the customer the opportunity ... to provide additional supporting evidence
/// before you make your decision". Asked after an upheld finding and before the redress is
/// agreed; the case waits (sub-status `Wait`) until the customer replies or the case manager
/// drafts the plan (the deadlines worker runs the wait's clock).
fn request_evidence(t: &mut Transition, days: u32) -> Result<(), String> {
    let state = &mut t.state;
    state.require_in_progress()?;
    if state.tier == Tier::Dissatisfaction {
        return Err("a special payment is decided at tier 1 or 2: a tier 0 consolatory payment is a referral to tier 1".into());
    }
    if !matches!(state.outcome, Some(Outcome::Upheld | Outcome::PartUpheld)) {
        return Err(
            "evidence for a special payment is asked for after an Upheld or Part Upheld outcome"
                .into(),
        );
    }
    if state.plan.is_some() {
        return Err(
            "the redress is already drafted: evidence is asked for before deciding it".into(),
        );
    }
    if state.awaiting_evidence {
        return Err("the customer has already been asked for evidence".into());
    }
    state.awaiting_evidence = true;
    state.sub_status = Some(SubStatus::Wait);
    t.summary = format!(
        "The customer is invited to send more evidence for a special payment within {days} days"
    );
    Ok(())
}

/// A case conference is recorded (seed 001: "consider a case conference with your colleagues
/// and/or manager to determine whether you can take the additional steps"). At tier 0 it is the
/// G7's, while the referral waits for them (seed 004); at tiers 1 and 2 it is held on an
/// allocated case. Agreed additional steps become the caseworker's task.
fn case_conference(t: &mut Transition, decision: ConferenceDecision) -> Result<(), String> {
    let state = &t.state;
    match state.tier {
        Tier::Dissatisfaction if state.sub_status != Some(SubStatus::PendingG7Authorisation) => {
            return Err("at tier 0 a case conference is the G7's, on a referral waiting for their authorisation".into())
        }
        Tier::Dissatisfaction => {}
        _ if state.status == Status::PendingAssignment => {
            return Err("the case is not allocated yet".into())
        }
        _ => {}
    }
    match decision {
        ConferenceDecision::AdditionalSteps => {
            t.task(
                Assignee::Caseworker,
                "The case conference agreed additional steps that could resolve the complaint: take them",
            );
            t.summary = "Case conference held: additional steps agreed".into();
        }
        ConferenceDecision::NoFurtherSteps => {
            t.summary = "Case conference held: no further steps would resolve it".into();
        }
    }
    Ok(())
}
