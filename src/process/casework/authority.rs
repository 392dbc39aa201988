//! Who may make each decision (process.md §4, README "Security"): the person in a decision's
//! `by` must be an active member of the staff directory holding a role the process allows for
//! that decision at the case's tier, and a case is allocated only to someone who may handle it.
//! The customer's own acts (agreeing a plan, replying) and the reports of ICE carry no staff
//! id and are not checked here. Separation of duties between drafting and approving a plan is
//! the state machine's (`plan_steps::not_the_drafter`), as are the reviewer never being the tier 1
//! handler and a payment beyond delegated authority being the Special Payment Team's alone
//! (`plan_steps::pay`): rules that depend on the case, not only on the person.

use super::Decision;
use crate::vocabulary::{Approver, Grade, StaffRole, Tier};

/// A member of staff as the rules need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Whether they may make decisions now.
    pub active: bool,
    /// Their roles.
    pub roles: Vec<StaffRole>,
    /// Their grade (`None` when the directory's value is not a known grade).
    pub grade: Option<Grade>,
}

/// The grade a team leader needs to approve a plan's payments of `amount_pence` themselves
/// (design: the seeds send the team leader to the department's special-payments table, which
/// they do not reproduce): up to £500 a Higher Executive Officer, up to £5,000 a Senior
/// Executive Officer, up to £50,000 a Grade 7, beyond that a Grade 6. Below the grade needed,
/// the team leader passes the plan up with form CMSF5551 to a manager of that grade, who
/// records the approval.
pub fn grade_to_approve(amount_pence: i64) -> Grade {
    match amount_pence {
        ..=50_000 => Grade::Heo,
        50_001..=500_000 => Grade::Seo,
        500_001..=5_000_000 => Grade::G7,
        _ => Grade::G6,
    }
}

/// Who handles cases of a tier: tier 0 its caseworkers and team leaders, tier 1 the case
/// managers and MP specialists of the Complaint Resolution Team, tier 2 the reviewers.
pub fn handlers(tier: Tier) -> &'static [StaffRole] {
    match tier {
        Tier::Dissatisfaction => &[StaffRole::Caseworker, StaffRole::TeamLeader],
        Tier::Resolution => &[StaffRole::CaseManager, StaffRole::MpSpecialist],
        Tier::Review => &[StaffRole::Reviewer],
    }
}

/// Who may record a special payment of an agreed plan as made on a case of `tier`: its
/// handlers (within delegated financial authority, seed 001) and the Special Payment Team.
/// Beyond that authority, or for a payment requiring a review, only the Special Payment Team:
/// that depends on the plan, so the state machine says it (`plan_steps::pay`).
pub fn payers(tier: Tier) -> &'static [StaffRole] {
    use StaffRole::*;
    match tier {
        Tier::Dissatisfaction => &[Caseworker, TeamLeader, SpecialPaymentTeam],
        Tier::Resolution => &[CaseManager, MpSpecialist, SpecialPaymentTeam],
        Tier::Review => &[Reviewer, SpecialPaymentTeam],
    }
}

/// The roles that may make `decision` on a case of `tier`, with the rule's name; `None` for the
/// customer's own acts, which no member of staff makes, for a clock running out, and for the
/// two records whose events name nobody (a holding reply sent, ICE redress paid: v1 of their
/// events has no `by`; the front end that posted them is on the timeline as `authclient`).
pub fn allowed(tier: Tier, decision: &Decision) -> Option<(&'static [StaffRole], &'static str)> {
    use StaffRole::*;
    Some(match decision {
        Decision::PlanAgreed { .. }
        | Decision::RemedialActionRequested { .. }
        | Decision::ActionCompleted { .. }
        | Decision::ClientReplied
        | Decision::ClockRanOut { .. }
        | Decision::HoldingReplySent
        | Decision::IceRedressPaid { .. } => return None,
        Decision::Allocated { .. } => (&[TeamLeader], "a case is allocated by a team leader"),
        Decision::TeamLeaderDecided { .. } => (
            &[TeamLeader],
            "a team leader's decision is made by a team leader",
        ),
        Decision::EscalationAuthorised { .. } => (
            &[G7Manager],
            "escalation to tier 1 is authorised by a G7 manager",
        ),
        Decision::PlanApproved { approver, .. } | Decision::PlanRejected { approver } => {
            match approver {
                Approver::TeamLeader => (
                    &[TeamLeader, G7Manager],
                    "a plan is approved as team leader by a team leader (or a G7 manager above them)",
                ),
                Approver::SpecialPaymentTeam => (
                    &[SpecialPaymentTeam],
                    "a payment beyond delegated authority is approved by the Special Payment Team",
                ),
            }
        }
        Decision::CaseConferenceHeld { .. } => match tier {
            Tier::Dissatisfaction => (
                &[G7Manager],
                "a tier 0 case conference is the G7 manager's",
            ),
            _ => (
                &[TeamLeader, G7Manager, CaseManager, MpSpecialist, Reviewer],
                "a case conference is held by the case's handler, a team leader or a manager",
            ),
        },
        Decision::SpecialPaymentMade { .. } => (
            payers(tier),
            "a special payment is made by the case's handler or the Special Payment Team",
        ),
        Decision::ContactAttempted { .. } => (
            &[Caseworker, TeamLeader, CaseManager, MpSpecialist, Reviewer],
            "a contact attempt is made by a member of staff who handles cases",
        ),
        Decision::ExternalStageRecorded { .. } => (
            &[
                Caseworker,
                TeamLeader,
                G7Manager,
                CaseManager,
                Reviewer,
                SpecialPaymentTeam,
                MpSpecialist,
            ],
            "an ICE or PHSO stage is recorded by a member of staff",
        ),
        _ => (
            handlers(tier),
            match tier {
                Tier::Dissatisfaction => "a tier 0 case is handled by a caseworker or team leader",
                Tier::Resolution => {
                    "a Resolution case is handled by a case manager or an MP specialist"
                }
                Tier::Review => "a Review is decided by a reviewer",
            },
        ),
    })
}

/// `Ok` when `by` (found in the directory as `member`, or not) may make `decision` on a case
/// of `tier`, and an allocation's assignee (`assignee`) may handle it; otherwise the reason,
/// naming the rule.
pub fn check(
    tier: Tier,
    decision: &Decision,
    by: (&str, Option<&Member>),
    assignee: Option<(&str, Option<&Member>)>,
) -> Result<(), String> {
    let Some((roles, rule)) = allowed(tier, decision) else {
        return Ok(());
    };
    holds(by, roles).map_err(|problem| format!("{rule}: {problem}"))?;
    if let Decision::PlanApproved {
        approver: Approver::TeamLeader,
        amount_pence,
    } = decision
    {
        graded_enough(by, *amount_pence)?;
    }
    if let Some(assignee) = assignee {
        holds(assignee, handlers(tier)).map_err(|problem| {
            format!(
                "a case of tier {} is allocated to one who handles that tier ({}): {problem}",
                tier.number(),
                names(handlers(tier))
            )
        })?;
    }
    Ok(())
}

/// A team leader's approval of `amount_pence` needs [`grade_to_approve`]; below it, the reason
/// says to pass the plan up with CMSF5551.
fn graded_enough((id, member): (&str, Option<&Member>), amount_pence: i64) -> Result<(), String> {
    let needed = grade_to_approve(amount_pence);
    match member.and_then(|m| m.grade) {
        Some(grade) if grade.at_least(needed) => Ok(()),
        grade => Err(format!(
            "payments of £{:.2} are approved by grade {} or above: {id} is {}; pass the plan up with form CMSF5551 to a manager of that grade",
            amount_pence as f64 / 100.0,
            needed.as_str(),
            grade.map_or("of no known grade", Grade::as_str),
        )),
    }
}

fn holds((id, member): (&str, Option<&Member>), roles: &[StaffRole]) -> Result<(), String> {
    match member {
        None => Err(format!("{id} is not in the staff directory")),
        Some(m) if !m.active => Err(format!("{id} is not active in the staff directory")),
        Some(m) if !m.roles.iter().any(|r| roles.contains(r)) => {
            Err(format!("{id} does not hold the role {}", names(roles)))
        }
        Some(_) => Ok(()),
    }
}

fn names(roles: &[StaffRole]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::TeamLeaderDecision;

    fn member(roles: &[StaffRole]) -> Member {
        Member {
            active: true,
            roles: roles.to_vec(),
            grade: Some(Grade::Heo),
        }
    }

    #[test]
    fn a_team_leader_below_the_grade_passes_the_plan_up_with_cmsf5551() {
        let approve = |pence| Decision::PlanApproved {
            approver: Approver::TeamLeader,
            amount_pence: pence,
        };
        let heo = member(&[StaffRole::TeamLeader]);
        let seo = Member {
            grade: Some(Grade::Seo),
            ..member(&[StaffRole::TeamLeader])
        };
        assert!(check(Tier::Review, &approve(50_000), ("tl1", Some(&heo)), None).is_ok());
        let refused = check(Tier::Review, &approve(60_000), ("tl1", Some(&heo)), None).unwrap_err();
        assert!(
            refused.contains("CMSF5551") && refused.contains("grade SEO"),
            "{refused}"
        );
        assert!(check(Tier::Review, &approve(60_000), ("tl2", Some(&seo)), None).is_ok());
        assert_eq!(grade_to_approve(5_000_001), Grade::G6);
    }

    #[test]
    fn each_decision_needs_its_role() {
        let tl = member(&[StaffRole::TeamLeader]);
        let cw = member(&[StaffRole::Caseworker]);
        let decided = Decision::TeamLeaderDecided {
            choice: TeamLeaderDecision::CannotResolve,
            payment: None,
        };
        assert!(check(Tier::Dissatisfaction, &decided, ("tl1", Some(&tl)), None).is_ok());
        let refused = check(Tier::Dissatisfaction, &decided, ("cw1", Some(&cw)), None);
        assert_eq!(
            refused.unwrap_err(),
            "a team leader's decision is made by a team leader: cw1 does not hold the role team_leader"
        );
        let authorised = Decision::EscalationAuthorised {
            customer_told_by_phone: true,
        };
        assert!(
            check(Tier::Dissatisfaction, &authorised, ("tl1", Some(&tl)), None)
                .unwrap_err()
                .starts_with("escalation to tier 1 is authorised by a G7 manager")
        );
        let spt = Decision::PlanApproved {
            approver: Approver::SpecialPaymentTeam,
            amount_pence: 30_000,
        };
        assert!(check(Tier::Resolution, &spt, ("tl1", Some(&tl)), None).is_err());
        let outcome = Decision::OutcomeDecided {
            outcome: crate::vocabulary::Outcome::Upheld,
            hr_guidance_followed: None,
            customer_clearly_dissatisfied: false,
        };
        assert_eq!(
            check(
                Tier::Review,
                &outcome,
                ("cm1", Some(&member(&[StaffRole::CaseManager]))),
                None
            )
            .unwrap_err(),
            "a Review is decided by a reviewer: cm1 does not hold the role reviewer"
        );
    }

    #[test]
    fn unknown_and_inactive_people_decide_nothing() {
        let allocated = Decision::Allocated { to: "cm1".into() };
        let cm = member(&[StaffRole::CaseManager]);
        assert!(check(
            Tier::Resolution,
            &allocated,
            ("x9", None),
            Some(("cm1", Some(&cm)))
        )
        .unwrap_err()
        .ends_with("x9 is not in the staff directory"));
        let gone = Member {
            active: false,
            roles: vec![StaffRole::TeamLeader],
            grade: Some(Grade::Heo),
        };
        assert!(check(
            Tier::Resolution,
            &allocated,
            ("tl9", Some(&gone)),
            Some(("cm1", Some(&cm)))
        )
        .unwrap_err()
        .ends_with("tl9 is not active in the staff directory"));
        let tl = member(&[StaffRole::TeamLeader]);
        assert!(check(
            Tier::Resolution,
            &allocated,
            ("tl1", Some(&tl)),
            Some(("cw1", None))
        )
        .unwrap_err()
        .starts_with("a case of tier 1 is allocated to one who handles that tier"));
        assert!(check(
            Tier::Resolution,
            &Decision::ClientReplied,
            ("customer", None),
            None
        )
        .is_ok());
    }
}
