//! The state machine tested exhaustively: every path of each procedure by hand, then random
//! sequences of decisions by property (proptest), checking after every accepted step that the
//! case is in a state the procedures allow.

use chrono::NaiveDate;
use proptest::prelude::*;

use super::resolution_plan::Approval;
use super::*;
use crate::events::case_escalated::ConsolatoryReferral;
use crate::events::resolution_plan_drafted::Payment;
use crate::process::clocks::END_THE_CASE;
use crate::vocabulary::{ActionKind, PaymentKind};

/// Every rule a case's state must keep, whatever happened to it.
fn check(state: &CaseState) -> Result<(), String> {
    let closed = state.status == Status::Closed;
    if closed != state.resolution_code.is_some() {
        return Err("closed exactly when it has a resolution code".into());
    }
    if closed && state.sub_status != Some(SubStatus::Complete) {
        return Err("a closed case is Complete".into());
    }
    if state.tier == Tier::Dissatisfaction && state.outcome.is_some() {
        return Err("tier 0 has no outcome".into());
    }
    if state.outcome == Some(Outcome::Justified) && state.tier != Tier::Review {
        return Err("Justified only at tier 2".into());
    }
    if state.outcome.is_some() {
        let expected = match state.tier {
            Tier::Review => Signposting::Ice,
            _ => Signposting::Review,
        };
        if state.signposted_to != Some(expected) {
            return Err("an outcome is signposted onwards".into());
        }
    }
    if state.tier.number() > 0
        && matches!(
            state.resolution_code,
            Some(
                ResolutionCode::ActionsCompleteClientOk
                    | ResolutionCode::ActionsCompleteClientNotOk
            )
        )
        && state.outcome.is_none()
        && !state.context.consolatory_referral
    {
        return Err("actions complete at tier 1 or 2 only after an outcome".into());
    }
    if state.context.consolatory_referral
        && (state.outcome.is_some() || state.signposted_to.is_some())
    {
        return Err(
            "a consolatory-payment referral has no outcome and is signposted nowhere".into(),
        );
    }
    if let Some(plan) = &state.plan {
        if state.tier == Tier::Resolution && plan.approval == Approval::AwaitingTeamLeader {
            return Err("at Resolution the case manager pays within DFA; beyond it the Special Payment Team decides, not the team leader".into());
        }
        let consolatory = plan.payments_pence(PaymentKind::Consolatory) > 0;
        if state.tier == Tier::Dissatisfaction && consolatory {
            return Err("a tier 0 consolatory payment is a referral, not a plan".into());
        }
    }
    if (state.referral_payment.is_some())
        != (state.referral == Some(TeamLeaderDecision::ConsolatoryPaymentReferral))
    {
        return Err("a consolatory-payment referral carries its payment, and only it".into());
    }
    let pending = matches!(
        state.sub_status,
        Some(
            SubStatus::PendingApprovalTl
                | SubStatus::PendingTlApproval
                | SubStatus::PendingSpecialPaymentTeam
                | SubStatus::PendingG7Authorisation
        )
    );
    if (state.status == Status::PendingApproval) != pending {
        return Err(format!(
            "Pending Approval exactly when waiting for a decision ({:?}, {:?})",
            state.status, state.sub_status
        ));
    }
    if let Some(plan) = &state.plan {
        if plan.agreed && plan.approval != Approval::Approved {
            return Err("an agreed plan is approved".into());
        }
        if !plan.completed.is_empty() && !plan.agreed {
            return Err("actions are done only on an agreed plan".into());
        }
        if state.sub_status == Some(SubStatus::PendingSpecialPaymentTeam)
            && plan.approval != Approval::AwaitingSpecialPaymentTeam
        {
            return Err("waiting for the Special Payment Team means the plan does".into());
        }
        if !plan.paid.is_empty() && !plan.agreed {
            return Err("payments are made only on an agreed plan".into());
        }
        let payable = |id: &String| {
            plan.actions
                .iter()
                .any(|a| &a.id == id && a.payment.is_some())
        };
        if !plan.paid.iter().all(payable) {
            return Err("only the plan's financial-redress actions are paid".into());
        }
    }
    if let Some(plan) = &state.plan {
        if plan
            .actions
            .iter()
            .any(|a| state.remedial_actions.contains_key(&a.id))
        {
            return Err("a plan action and a remedial action share an id".into());
        }
    }
    if state.ice_upheld.is_some() && state.ice_stage != Some(ExternalStage::FinalReport)
        || state.phso_upheld.is_some() && state.phso_stage != Some(ExternalStage::FinalReport)
    {
        return Err("a finding comes with the final report".into());
    }
    if state.tier == Tier::Review
        && state.allocated_to.is_some()
        && state.allocated_to == state.context.earlier_handler
    {
        return Err("the reviewer handled tier 1".into());
    }
    if state.awaiting_evidence
        && !closed
        && (state.plan.is_some()
            || state.sub_status != Some(SubStatus::Wait)
            || !matches!(state.outcome, Some(Outcome::Upheld | Outcome::PartUpheld)))
    {
        return Err("a wait for evidence follows an upheld finding, before any plan".into());
    }
    if state.context.staff_complaint
        && state.outcome.is_some_and(|o| o != Outcome::Upheld)
        && state.hr_guidance_followed != Some(true)
    {
        return Err("a staff complaint without HR assurance is upheld".into());
    }
    Ok(())
}

fn on(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, day).unwrap()
}

fn action(id: &str, kind: ActionKind, payment: Option<(i64, PaymentKind)>) -> PlanAction {
    PlanAction {
        id: id.into(),
        kind,
        description: "put it right".into(),
        due_on: on(10),
        payment: payment.map(|(amount_pence, kind)| Payment {
            amount_pence,
            kind,
            requires_review: false,
        }),
    }
}

fn apology() -> Decision {
    Decision::PlanDrafted {
        grounds: vec!["the letter was late".into()],
        actions: vec![action("A1", ActionKind::Apology, None)],
    }
}

fn redress(pence: i64, kind: PaymentKind) -> Decision {
    Decision::PlanDrafted {
        grounds: vec!["money was lost".into()],
        actions: vec![
            action("A1", ActionKind::Apology, None),
            action("A2", ActionKind::FinancialRedress, Some((pence, kind))),
        ],
    }
}

fn agreed(ids: &[&str]) -> Decision {
    Decision::PlanAgreed {
        due: ids.iter().map(|id| ((*id).to_owned(), on(20))).collect(),
    }
}

fn done(id: &str) -> Decision {
    Decision::ActionCompleted {
        action_id: id.into(),
    }
}

fn outcome(outcome: Outcome) -> Decision {
    Decision::OutcomeDecided {
        outcome,
        hr_guidance_followed: None,
        customer_clearly_dissatisfied: false,
    }
}

fn closure(code: ResolutionCode, customer_reached: bool) -> Decision {
    Decision::ClosureDecided {
        resolution_code: code,
        customer_reached,
    }
}

/// Applies decisions in order, approvals made by `tl1` and the rest by `cw1` (who drafts the
/// plans, and so may not approve them), failing on the first refusal; checks the state after
/// each and returns the last state and every effect.
fn run(mut state: CaseState, decisions: &[Decision]) -> (CaseState, Vec<Effect>) {
    let mut effects = Vec::new();
    for decision in decisions {
        let by = match decision {
            Decision::PlanApproved { .. } | Decision::PlanRejected { .. } => "tl1",
            _ => "cw1",
        };
        let t = decide(&state, decision, by)
            .unwrap_or_else(|why| panic!("{decision:?} refused in {state:?}: {why}"));
        check(&t.state).unwrap();
        effects.extend(t.effects);
        state = t.state;
    }
    (state, effects)
}

fn letters(effects: &[Effect]) -> Vec<LetterCode> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Letter { code, .. } => Some(*code),
            _ => None,
        })
        .collect()
}

fn opened(tier: Tier) -> CaseState {
    CaseState::opened(tier, Context::default())
}

#[test]
fn tier_0_resolved_at_source() {
    let (state, effects) = run(
        opened(Tier::Dissatisfaction),
        &[
            apology(),
            Decision::PlanProposed {
                customer_reached: false,
            },
            agreed(&["A1"]),
            done("A1"),
            closure(ResolutionCode::ActionsCompleteClientOk, true),
        ],
    );
    assert_eq!(
        state.resolution_code,
        Some(ResolutionCode::ActionsCompleteClientOk)
    );
    assert_eq!(state.stage, Stage::ResolutionAction);
    assert_eq!(
        letters(&effects),
        [LetterCode::Cmsl5701, LetterCode::Cmsl5701]
    );
}

#[test]
fn tier_0_team_leader_reaches_agreement() {
    let (state, _) = run(
        opened(Tier::Dissatisfaction),
        &[
            apology(),
            Decision::CustomerDissatisfied,
            Decision::TeamLeaderDecided {
                choice: TeamLeaderDecision::AgreementReached,
                payment: None,
            },
            done("A1"),
            closure(ResolutionCode::ActionsCompleteClientOk, true),
        ],
    );
    assert!(state.is_closed());
}

#[test]
fn tier_0_referral_needs_the_g7_and_escalates_to_resolution() {
    let start = opened(Tier::Dissatisfaction);
    let (waiting, effects) = run(
        start,
        &[
            Decision::CustomerDissatisfied,
            Decision::TeamLeaderDecided {
                choice: TeamLeaderDecision::CannotResolve,
                payment: None,
            },
        ],
    );
    assert_eq!(waiting.sub_status, Some(SubStatus::PendingG7Authorisation));
    assert!(effects.iter().any(|e| matches!(
        e,
        Effect::Task {
            assignee: Assignee::Manager,
            ..
        }
    )));
    let (state, effects) = run(
        waiting,
        &[Decision::EscalationAuthorised {
            customer_told_by_phone: false,
        }],
    );
    assert_eq!(state.resolution_code, Some(ResolutionCode::Unresolved));
    assert_eq!(state.stage, Stage::EscalateToResolution);
    assert!(effects.contains(&Effect::Escalate {
        to: Tier::Resolution,
        code: ResolutionCode::Unresolved,
    }));
    assert_eq!(letters(&effects), [LetterCode::Cmsl5842]);
}

/// Seed 004: a consolatory-payment referral is "non complaint": it closes the tier 0 case
/// `Actions Complete – Client Not OK` and sends no complaint acknowledgement (CMSL5842), even to
/// a customer who always gets the letter; it carries the payment (and CMSF5551) up.
#[test]
fn a_consolatory_referral_closes_client_not_ok_with_no_complaint_acknowledgement() {
    let start = CaseState::opened(
        Tier::Dissatisfaction,
        Context {
            vulnerable: true,
            ..Context::default()
        },
    );
    let (state, effects) = run(
        start,
        &[
            Decision::CustomerDissatisfied,
            Decision::TeamLeaderDecided {
                choice: TeamLeaderDecision::ConsolatoryPaymentReferral,
                payment: Some(ConsolatoryReferral {
                    amount_pence: 5_000,
                    cmsf5551: false,
                }),
            },
            Decision::EscalationAuthorised {
                customer_told_by_phone: true,
            },
        ],
    );
    assert_eq!(
        state.resolution_code,
        Some(ResolutionCode::ActionsCompleteClientNotOk)
    );
    assert_eq!(state.referral_payment.map(|p| p.amount_pence), Some(5_000));
    assert!(letters(&effects).is_empty());
}

#[test]
fn written_only_customers_are_never_phoned() {
    let start = CaseState::opened(
        Tier::Dissatisfaction,
        Context {
            written_only: true,
            ..Context::default()
        },
    );
    let phone = Decision::ContactAttempted {
        method: ContactMethod::Phone,
        successful: true,
    };
    assert!(decide(&start, &phone, "cw1")
        .unwrap_err()
        .contains("writing only"));
    let (_, effects) = run(
        start,
        &[
            apology(),
            Decision::PlanProposed {
                customer_reached: true,
            },
        ],
    );
    assert_eq!(letters(&effects), [LetterCode::Cmsl5701]);
}

/// Seed 001: within their delegated financial authority the case manager pays with no one's
/// approval: the plan is approved as drafted, and submitting it is refused.
#[test]
fn tier_1_upheld_with_redress_within_authority() {
    let (drafted, _) = run(
        opened(Tier::Resolution),
        &[
            Decision::Allocated { to: "cm1".into() },
            outcome(Outcome::Upheld),
            redress(25_000, PaymentKind::ActualFinancialLoss),
        ],
    );
    assert_eq!(drafted.sub_status, Some(SubStatus::Approved));
    assert!(decide(&drafted, &Decision::PlanSubmitted, "cm1").is_err());
    let (state, effects) = run(
        drafted,
        &[
            Decision::PlanProposed {
                customer_reached: true,
            },
            agreed(&["A1", "A2"]),
            done("A1"),
            done("A2"),
            closure(ResolutionCode::ActionsCompleteClientOk, true),
        ],
    );
    assert_eq!(state.signposted_to, Some(Signposting::Review));
    assert!(state.is_closed());
    assert!(!effects.iter().any(|e| matches!(e, Effect::Task { .. })));
}

#[test]
fn tier_1_payment_beyond_authority_goes_to_the_special_payment_team() {
    let (state, _) = run(
        opened(Tier::Resolution),
        &[
            Decision::Allocated { to: "cm1".into() },
            outcome(Outcome::PartUpheld),
            redress(10_001, PaymentKind::Consolatory),
            Decision::PlanSubmitted,
        ],
    );
    // Straight to the Special Payment Team: at Resolution no team leader approves (seed 001).
    assert_eq!(state.sub_status, Some(SubStatus::PendingSpecialPaymentTeam));
    let team_leader = Decision::PlanApproved {
        approver: Approver::TeamLeader,
        amount_pence: 10_001,
    };
    assert!(decide(&state, &team_leader, "tl1").is_err());
    let early = Decision::PlanProposed {
        customer_reached: true,
    };
    assert!(decide(&state, &early, "cm1").is_err());
    let (state, _) = run(
        state,
        &[Decision::PlanApproved {
            approver: Approver::SpecialPaymentTeam,
            amount_pence: 10_001,
        }],
    );
    assert_eq!(state.sub_status, Some(SubStatus::Approved));
}

fn pay(action_id: &str, amount_pence: i64, by_special_payment_team: bool) -> Decision {
    Decision::SpecialPaymentMade {
        action_id: action_id.into(),
        amount_pence,
        by_special_payment_team,
    }
}

/// `special_payment.made` (seed 002 step 25): an agreed plan's financial-redress action, for
/// the amount agreed, once; beyond delegated authority only by the Special Payment Team; still
/// recorded once the case has closed.
#[test]
fn a_special_payment_is_made_once_for_its_agreed_amount() {
    let (drafted, _) = run(
        opened(Tier::Resolution),
        &[
            Decision::Allocated { to: "cm1".into() },
            outcome(Outcome::Upheld),
            redress(30_000, PaymentKind::ActualFinancialLoss),
            Decision::PlanSubmitted,
            Decision::PlanApproved {
                approver: Approver::SpecialPaymentTeam,
                amount_pence: 30_000,
            },
            Decision::PlanProposed {
                customer_reached: true,
            },
        ],
    );
    let refused =
        |state: &CaseState, decision: Decision| decide(state, &decision, "cm1").unwrap_err();
    assert!(refused(&drafted, pay("A2", 30_000, true)).contains("not agreed"));
    let (due, _) = run(drafted, &[agreed(&["A1", "A2"])]);
    assert_eq!(
        refused(&due, pay("A2", 25_000, true)),
        "action A2 agreed £300.00, not £250.00"
    );
    assert!(refused(&due, pay("A1", 30_000, true)).contains("not a special payment"));
    assert!(refused(&due, pay("R1", 30_000, true)).contains("no action R1"));
    assert_eq!(
        refused(&due, pay("A2", 30_000, false)),
        "a payment beyond delegated authority, or requiring a review, is made by the Special Payment Team: cm1 is not of it"
    );
    let (paid, effects) = run(due, &[pay("A2", 30_000, true)]);
    assert!(effects.is_empty());
    assert_eq!(paid.sub_status, Some(SubStatus::UndertakeActionsPrescribed));
    assert!(refused(&paid, pay("A2", 30_000, true)).contains("already paid"));

    // Within delegated authority the case manager pays, after the case has closed too.
    let (closed, _) = run(
        opened(Tier::Resolution),
        &[
            Decision::Allocated { to: "cm1".into() },
            outcome(Outcome::Upheld),
            redress(5_000, PaymentKind::Consolatory),
            Decision::PlanProposed {
                customer_reached: true,
            },
            agreed(&["A1", "A2"]),
            done("A1"),
            done("A2"),
            closure(ResolutionCode::ActionsCompleteClientOk, true),
        ],
    );
    let (paid, _) = run(closed, &[pay("A2", 5_000, false)]);
    assert!(paid.is_closed());
    assert!(paid.plan.unwrap().paid.contains("A2"));
}

#[test]
fn a_rejected_plan_goes_back_to_drafting() {
    let (state, _) = run(
        opened(Tier::Resolution),
        &[
            Decision::Allocated { to: "cm1".into() },
            outcome(Outcome::Upheld),
            redress(10_001, PaymentKind::Consolatory),
            Decision::PlanSubmitted,
            Decision::PlanRejected {
                approver: Approver::SpecialPaymentTeam,
            },
        ],
    );
    assert_eq!(state.status, Status::InProgress);
    assert_eq!(state.plan.unwrap().approval, Approval::Drafted);
}

#[test]
fn tier_1_dissatisfaction_escalates_to_review() {
    let (state, effects) = run(
        opened(Tier::Resolution),
        &[
            Decision::Allocated { to: "cm1".into() },
            Decision::OutcomeDecided {
                outcome: Outcome::NotUpheld,
                hr_guidance_followed: None,
                customer_clearly_dissatisfied: true,
            },
        ],
    );
    assert_eq!(state.resolution_code, Some(ResolutionCode::Unresolved));
    assert_eq!(
        effects,
        [Effect::Escalate {
            to: Tier::Review,
            code: ResolutionCode::Unresolved,
        }]
    );
}

#[test]
fn staff_complaints_must_be_upheld_without_hr_assurance() {
    let start = CaseState::opened(
        Tier::Resolution,
        Context {
            staff_complaint: true,
            ..Context::default()
        },
    );
    let (allocated, _) = run(start, &[Decision::Allocated { to: "cm1".into() }]);
    let finding = |outcome, hr| Decision::OutcomeDecided {
        outcome,
        hr_guidance_followed: hr,
        customer_clearly_dissatisfied: false,
    };
    assert!(decide(&allocated, &finding(Outcome::NotUpheld, None), "cm1").is_err());
    assert!(decide(&allocated, &finding(Outcome::NotUpheld, Some(false)), "cm1").is_err());
    assert!(decide(&allocated, &finding(Outcome::Upheld, Some(false)), "cm1").is_ok());
    assert!(decide(&allocated, &finding(Outcome::NotUpheld, Some(true)), "cm1").is_ok());
}

fn review() -> CaseState {
    CaseState::opened(
        Tier::Review,
        Context {
            earlier_handler: Some("cm1".into()),
            ..Context::default()
        },
    )
}

#[test]
fn the_reviewer_is_not_the_tier_1_handler() {
    let refused = decide(&review(), &Decision::Allocated { to: "cm1".into() }, "tl1");
    assert!(refused
        .unwrap_err()
        .contains("no part in earlier responses"));
    let (allocated, _) = run(review(), &[Decision::Allocated { to: "rv1".into() }]);
    assert!(decide(&allocated, &outcome(Outcome::Upheld), "cm1").is_err());
}

#[test]
fn tier_2_no_further_action() {
    let (state, effects) = run(
        review(),
        &[
            Decision::Allocated { to: "rv1".into() },
            outcome(Outcome::Justified),
            Decision::ClientReplied,
            closure(ResolutionCode::NoActionTaken, true),
        ],
    );
    assert_eq!(state.signposted_to, Some(Signposting::Ice));
    assert_eq!(state.resolution_code, Some(ResolutionCode::NoActionTaken));
    assert_eq!(letters(&effects), [LetterCode::Cmsl5800]);
}

#[test]
fn a_review_that_was_only_an_enquiry_closes_no_action_taken_with_feedback_to_the_tl() {
    let (state, effects) = run(
        review(),
        &[
            Decision::Allocated { to: "rv1".into() },
            closure(ResolutionCode::NoActionTaken, true),
        ],
    );
    assert_eq!(state.resolution_code, Some(ResolutionCode::NoActionTaken));
    assert_eq!(state.outcome, None);
    assert!(effects.iter().any(|e| matches!(
        e,
        Effect::Task {
            assignee: Assignee::TeamLeader,
            ..
        }
    )));
}

#[test]
fn tier_2_disputed_plan_goes_ahead_then_closes_client_not_ok() {
    let (state, effects) = run(
        review(),
        &[
            Decision::Allocated { to: "rv1".into() },
            outcome(Outcome::Upheld),
            apology(),
            Decision::PlanProposed {
                customer_reached: true,
            },
            Decision::PlanDisagreed,
            Decision::PlanApproved {
                approver: Approver::TeamLeader,
                amount_pence: 0,
            },
            done("A1"),
            Decision::CustomerDissatisfied,
        ],
    );
    assert_eq!(
        state.resolution_code,
        Some(ResolutionCode::ActionsCompleteClientNotOk)
    );
    assert_eq!(
        letters(&effects),
        [
            LetterCode::Cmsl5801,
            LetterCode::Cmsl5803,
            LetterCode::Cmsl5807
        ]
    );
    assert!(effects.contains(&Effect::Letter {
        code: LetterCode::Cmsl5801,
        paragraph: Some("LM_00008")
    }));
}

#[test]
fn tier_2_revised_plan_then_closure_not_reached() {
    let (state, effects) = run(
        review(),
        &[
            Decision::Allocated { to: "rv1".into() },
            outcome(Outcome::PartUpheld),
            apology(),
            Decision::PlanProposed {
                customer_reached: false,
            },
            Decision::PlanDisagreed,
            Decision::PlanRejected {
                approver: Approver::TeamLeader,
            },
            apology(),
            Decision::PlanProposed {
                customer_reached: true,
            },
            agreed(&["A1"]),
            done("A1"),
            closure(ResolutionCode::ActionsCompleteClientOk, false),
        ],
    );
    assert!(!state.is_closed(), "CMSL5805 waits 14 days");
    assert_eq!(state.sub_status, Some(SubStatus::Wait));
    assert_eq!(
        letters(&effects),
        [
            LetterCode::Cmsl5801,
            LetterCode::Cmsl5804,
            LetterCode::Cmsl5801,
            LetterCode::Cmsl5805
        ]
    );
}

#[test]
fn ice_stages_only_move_forward_and_are_recorded_on_closed_reviews() {
    let (closed, _) = run(
        review(),
        &[
            Decision::Allocated { to: "rv1".into() },
            outcome(Outcome::NotUpheld),
            closure(ResolutionCode::NoActionTaken, true),
        ],
    );
    let stage = |stage| Decision::ExternalStageRecorded {
        body: ExternalBody::Ice,
        stage,
        upheld: (stage == ExternalStage::FinalReport).then_some(true),
    };
    let (state, _) = run(
        closed,
        &[
            stage(ExternalStage::Contacted),
            stage(ExternalStage::Settlement),
        ],
    );
    assert_eq!(state.ice_stage, Some(ExternalStage::Settlement));
    assert!(decide(&state, &stage(ExternalStage::Resolution), "x").is_err());
    assert!(decide(
        &opened(Tier::Resolution),
        &stage(ExternalStage::Contacted),
        "x"
    )
    .is_err());
}

/// The decisions the property tests draw from: every kind, with a few values each.
fn any_decision() -> impl Strategy<Value = (Decision, &'static str)> {
    let by = prop::sample::select(vec!["cw1", "cm1", "rv1"]);
    let decision = prop_oneof![
        (
            prop::sample::select(ContactMethod::ALL.to_vec()),
            any::<bool>()
        )
            .prop_map(|(method, successful)| Decision::ContactAttempted { method, successful }),
        prop::sample::select(vec!["cm1", "rv1"])
            .prop_map(|to| Decision::Allocated { to: to.into() }),
        Just(apology()),
        (
            prop::sample::select(vec![5_000i64, 25_000, 25_001, 10_001]),
            prop::sample::select(PaymentKind::ALL.to_vec())
        )
            .prop_map(|(p, k)| redress(p, k)),
        Just(Decision::PlanSubmitted),
        (
            prop::sample::select(vec![Approver::TeamLeader, Approver::SpecialPaymentTeam]),
            prop::sample::select(vec![0i64, 5_000, 25_000, 25_001, 10_001])
        )
            .prop_map(|(approver, amount_pence)| Decision::PlanApproved {
                approver,
                amount_pence
            }),
        prop::sample::select(vec![Approver::TeamLeader, Approver::SpecialPaymentTeam])
            .prop_map(|approver| Decision::PlanRejected { approver }),
        any::<bool>().prop_map(|customer_reached| Decision::PlanProposed { customer_reached }),
        prop::sample::select(vec![vec!["A1"], vec!["A1", "A2"]]).prop_map(|ids| agreed(&ids)),
        Just(Decision::PlanDisagreed),
        prop::sample::select(vec!["A1", "A2", "R1"]).prop_map(done),
        prop::sample::select(vec!["A2", "R1"]).prop_map(|id| Decision::RemedialActionRequested {
            action_id: id.into()
        }),
        (
            prop::sample::select(Outcome::ALL.to_vec()),
            prop::option::of(any::<bool>()),
            any::<bool>()
        )
            .prop_map(
                |(outcome, hr_guidance_followed, customer_clearly_dissatisfied)| {
                    Decision::OutcomeDecided {
                        outcome,
                        hr_guidance_followed,
                        customer_clearly_dissatisfied,
                    }
                }
            ),
        Just(Decision::ClientReplied),
        Just(Decision::EvidenceRequested { days: 14 }),
        prop::sample::select(ConferenceDecision::ALL.to_vec())
            .prop_map(|decision| Decision::CaseConferenceHeld { decision }),
        Just(Decision::CustomerDissatisfied),
        (
            prop::sample::select(TeamLeaderDecision::ALL.to_vec()),
            prop::option::of((prop::sample::select(vec![2_000i64, 10_001]), any::<bool>()))
        )
            .prop_map(|(choice, payment)| Decision::TeamLeaderDecided {
                choice,
                payment: payment.map(|(amount_pence, cmsf5551)| ConsolatoryReferral {
                    amount_pence,
                    cmsf5551
                }),
            }),
        any::<bool>().prop_map(|customer_told_by_phone| Decision::EscalationAuthorised {
            customer_told_by_phone
        }),
        Just(Decision::CategoriesChanged),
        (
            prop::sample::select(ResolutionCode::ALL.to_vec()),
            any::<bool>()
        )
            .prop_map(
                |(resolution_code, customer_reached)| Decision::ClosureDecided {
                    resolution_code,
                    customer_reached
                }
            ),
        (
            prop::sample::select(ExternalBody::ALL.to_vec()),
            prop::sample::select(ExternalStage::ALL.to_vec()),
            prop::option::of(any::<bool>())
        )
            .prop_map(|(body, stage, upheld)| Decision::ExternalStageRecorded {
                body,
                stage,
                upheld
            }),
        prop::sample::select(vec![0u64, 25_000])
            .prop_map(|amount_pence| Decision::IceRedressPaid { amount_pence }),
        any_payment().prop_map(|(decision, _)| decision),
        Just(Decision::HoldingReplySent),
        prop::sample::select(vec![
            ClockKind::WaitAfterCmsl5800,
            ClockKind::WaitAfterCmsl5805,
            ClockKind::WaitAfterCmsl5801,
            ClockKind::ResponseTarget,
        ])
        .prop_map(|clock| Decision::ClockRanOut { clock }),
    ];
    (decision, by)
}

/// The payments the property tests make: an action of the plan or none (`R1`), the amounts
/// `redress` drafts, by the Special Payment Team or not.
fn any_payment() -> impl Strategy<Value = (Decision, &'static str)> {
    (
        prop::sample::select(vec!["A1", "A2", "R1"]),
        prop::sample::select(vec![5_000i64, 25_000, 25_001, 10_001]),
        any::<bool>(),
        prop::sample::select(vec!["cm1", "rv1", "cw1"]),
    )
        .prop_map(|(action_id, amount_pence, by_special_payment_team, by)| {
            (pay(action_id, amount_pence, by_special_payment_team), by)
        })
}

/// A case of any tier whose customer agreed a plan with a payment (of either kind, or only an
/// actual loss at tier 0; within or beyond delegated authority; requiring a review or not),
/// carried there by the approvals it needs, and, for half of them, closed once its actions are
/// done.
fn any_agreed_payment() -> impl Strategy<Value = CaseState> {
    (
        prop::sample::select(Tier::ALL.to_vec()),
        prop::sample::select(vec![5_000i64, 25_000, 25_001, 10_001]),
        prop::sample::select(PaymentKind::ALL.to_vec()),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(tier, pence, kind, requires_review, closed)| {
            let kind = match tier {
                Tier::Dissatisfaction => PaymentKind::ActualFinancialLoss,
                _ => kind,
            };
            let mut draft = redress(pence, kind);
            if let Decision::PlanDrafted { actions, .. } = &mut draft {
                actions[1].payment.as_mut().unwrap().requires_review = requires_review;
            }
            let mut steps = vec![draft];
            if tier != Tier::Dissatisfaction {
                let allocated = Decision::Allocated { to: "cm2".into() };
                steps.splice(0..0, [allocated, outcome(Outcome::Upheld)]);
            }
            let (mut state, _) = run(CaseState::opened(tier, Context::default()), &steps);
            // Submitted and approved as far as the plan needs.
            let approval = |approver| Decision::PlanApproved {
                approver,
                amount_pence: pence,
            };
            for (step, by) in [
                (Decision::PlanSubmitted, "cw1"),
                (approval(Approver::TeamLeader), "tl1"),
                (approval(Approver::SpecialPaymentTeam), "tl1"),
            ] {
                if let Ok(t) = decide(&state, &step, by) {
                    state = t.state;
                }
            }
            let (mut state, _) = run(
                state,
                &[
                    Decision::PlanProposed {
                        customer_reached: true,
                    },
                    agreed(&["A1", "A2"]),
                ],
            );
            if closed {
                let code = ResolutionCode::ActionsCompleteClientOk;
                (state, _) = run(state, &[done("A1"), done("A2"), closure(code, true)]);
            }
            state
        })
}

fn any_case() -> impl Strategy<Value = CaseState> {
    (
        prop::sample::select(Tier::ALL.to_vec()),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(tier, written_only, vulnerable, staff_complaint)| {
            CaseState::opened(
                tier,
                Context {
                    written_only,
                    vulnerable,
                    staff_complaint,
                    earlier_handler: (tier == Tier::Review).then(|| "cm1".to_owned()),
                    // A third of Resolution cases are consolatory-payment referrals.
                    consolatory_referral: tier == Tier::Resolution && vulnerable && !written_only,
                },
            )
        })
}

/// Applies `decisions` in turn to `start`, checking after every accepted step that the case
/// is in a state the procedures allow and that the step did what its rule says; a refused
/// decision changes nothing. The property tests' one walk.
fn walk(start: CaseState, decisions: &[(Decision, &str)]) -> Result<(), TestCaseError> {
    let mut state = start;
    for (decision, by) in decisions {
        match decide(&state, decision, by) {
            Ok(t) => {
                prop_assert!(
                    check(&t.state).is_ok(),
                    "{:?} after {decision:?}: {:?}",
                    t.state,
                    check(&t.state)
                );
                for effect in &t.effects {
                    if let Effect::Escalate { to, code } = effect {
                        prop_assert!(t.state.is_closed());
                        prop_assert_eq!(t.state.resolution_code, Some(*code));
                        prop_assert_eq!(to.number(), t.state.tier.number() + 1);
                    }
                }
                if let Decision::EscalationAuthorised { .. } = decision {
                    // A complaint's escalation always writes to a restricted customer; a
                    // consolatory-payment referral is no complaint and sends no CMSL5842.
                    let complaint = state.referral_payment.is_none();
                    if complaint && !state.context.phone_alone_will_do() {
                        prop_assert!(letters(&t.effects).contains(&LetterCode::Cmsl5842));
                    }
                    if !complaint {
                        prop_assert!(letters(&t.effects).is_empty());
                    }
                }
                if let Decision::PlanProposed { .. } = decision {
                    if state.tier != Tier::Resolution && !state.context.phone_alone_will_do() {
                        prop_assert_eq!(letters(&t.effects).len(), 1);
                    }
                }
                if let Decision::ClockRanOut { clock } = decision {
                    // A clock closes only a review waiting at the step that started it.
                    prop_assert_eq!(state.tier, Tier::Review);
                    prop_assert_eq!(state.sub_status, Some(SubStatus::Wait));
                    prop_assert!(t.state.is_closed());
                    prop_assert!(END_THE_CASE.contains(clock));
                    prop_assert!(t.effects.is_empty(), "silence sends no letter");
                }
                if let Decision::SpecialPaymentMade {
                    action_id,
                    amount_pence,
                    by_special_payment_team,
                } = decision
                {
                    // Paid once, for the amount agreed, by the Special Payment Team beyond
                    // delegated authority; nothing but the plan's record of it changes.
                    let plan = state.plan.as_ref().expect("a payment needs a plan");
                    prop_assert!(!plan.paid.contains(action_id));
                    let agreed = plan
                        .actions
                        .iter()
                        .find(|a| &a.id == action_id)
                        .and_then(|a| a.payment.as_ref())
                        .map(|p| p.amount_pence);
                    prop_assert_eq!(agreed, Some(*amount_pence));
                    prop_assert!(*by_special_payment_team || !plan.needs_special_payment_team());
                    let mut expected = state.clone();
                    expected
                        .plan
                        .as_mut()
                        .unwrap()
                        .paid
                        .insert(action_id.clone());
                    prop_assert_eq!(&t.state, &expected);
                    prop_assert!(t.effects.is_empty());
                }
                if state.is_closed() {
                    let beside = matches!(
                        decision,
                        Decision::ExternalStageRecorded { .. }
                            | Decision::IceRedressPaid { .. }
                            | Decision::SpecialPaymentMade { .. }
                    );
                    prop_assert!(beside, "a closed case took {:?}", decision);
                }
                state = t.state;
            }
            Err(reason) => prop_assert!(!reason.is_empty()),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// No sequence of decisions leads a case into a state the procedures do not allow; a
    /// refused decision changes nothing; written-only and vulnerable customers never have a
    /// step rest on the phone alone; only a closing escalation opens a higher case.
    #[test]
    fn no_sequence_of_decisions_reaches_an_invalid_state(
        start in any_case(),
        decisions in prop::collection::vec(any_decision(), 1..40),
    ) {
        walk(start, &decisions)?;
    }

    /// From a plan the customer agreed (any tier, payments within or beyond delegated authority,
    /// needing a review or not, the case open or closed), payments and any other decisions:
    /// each action is paid once, for its agreed amount, beyond delegated authority only by the
    /// Special Payment Team, and a payment changes nothing but the plan's record of it.
    #[test]
    fn special_payments_follow_the_agreed_plan(
        start in any_agreed_payment(),
        decisions in prop::collection::vec(prop_oneof![any_payment(), any_decision()], 1..20),
    ) {
        walk(start, &decisions)?;
    }

    /// Each tier can always be carried to a close from where it opens.
    #[test]
    fn every_closed_case_has_a_resolution_code(start in any_case(), decisions in prop::collection::vec(any_decision(), 0..60)) {
        let mut state = start;
        for (decision, by) in &decisions {
            if let Ok(t) = decide(&state, decision, by) {
                state = t.state;
            }
        }
        prop_assert_eq!(state.is_closed(), state.resolution_code.is_some());
        if state.is_closed() && state.tier.number() > 0 && state.outcome.is_some() {
            prop_assert!(state.signposted_to.is_some());
        }
    }
}
