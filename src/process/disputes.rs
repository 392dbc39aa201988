//! The dispute path (process.md §1 and §6; seed 004, CMSL5811 and CMSL5812) as pure rules. A
//! disagreement with an appealable decision is not a complaint: intake refuses it (rule 1) and
//! opens a dispute. A dispute gets an action plan, which reaches the customer one of two ways:
//! CMSL5811 proposes it when they could not be reached by phone (and gives them 7 days to
//! object), CMSL5812 confirms it after they agreed it by phone (with the date of the original
//! dispute and the days the steps will take). Which decision each stage accepts, and the clocks
//! that follow each letter, are here; the disputes worker applies them.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::clocks::ClockSetting;
use crate::vocabulary::{ClockKind, DisputeStage};

/// The prefix of a dispute's reference (`DSP-2026-000042`), from the case numbers' sequence.
pub const REFERENCE_PREFIX: &str = "DSP";
/// The days CMSL5811 gives the customer to say they do not agree with the proposed plan.
pub const REPLY_DAYS: i64 = 7;
/// The longest a CMSL5812 may promise to take (design: a year; anything longer is not a plan).
pub const MAX_DAYS_TO_ACT: u32 = 365;

/// A decision about a dispute's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanDecision {
    /// The plan is proposed in writing: the customer could not be reached by phone (CMSL5811).
    Proposed,
    /// The customer agreed the plan by phone (CMSL5812).
    Agreed,
}

/// The stage a decision moves a dispute to, or why the dispute's stage does not allow it. A
/// plan is proposed at most once; an agreement may follow a proposal (the customer rang back
/// and agreed) or come first (they were reached); nothing follows an agreed plan.
pub fn decide(stage: DisputeStage, decision: PlanDecision) -> Result<DisputeStage, String> {
    match (stage, decision) {
        (DisputeStage::Received, PlanDecision::Proposed) => Ok(DisputeStage::PlanProposed),
        (DisputeStage::Received | DisputeStage::PlanProposed, PlanDecision::Agreed) => {
            Ok(DisputeStage::PlanAgreed)
        }
        (DisputeStage::PlanProposed, PlanDecision::Proposed) => {
            Err("a plan was already proposed to the customer (CMSL5811)".into())
        }
        (DisputeStage::PlanAgreed, _) => {
            Err("the customer already agreed the plan (CMSL5812)".into())
        }
    }
}

/// The 7 days after CMSL5811 for the customer to object; met when they agree by phone.
pub fn reply_window(sent_at: DateTime<Utc>) -> ClockSetting {
    let deadline = sent_at + Duration::days(REPLY_DAYS);
    ClockSetting {
        clock: ClockKind::DisputeReply,
        key: String::new(),
        deadline,
        due_at: deadline,
        detail: json!({}),
    }
}

/// The days CMSL5812 promised the steps in, counted in calendar days from the agreement, as the
/// letter says "within N days" (design).
pub fn action_due(agreed_at: DateTime<Utc>, days: u32) -> ClockSetting {
    let deadline = agreed_at + Duration::days(i64::from(days.min(MAX_DAYS_TO_ACT)));
    ClockSetting {
        clock: ClockKind::DisputeActionDue,
        key: String::new(),
        deadline,
        due_at: deadline,
        detail: json!({ "days": days }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_is_proposed_once_and_agreed_once() {
        use DisputeStage::*;
        use PlanDecision::*;
        assert_eq!(decide(Received, Proposed), Ok(PlanProposed));
        assert_eq!(decide(Received, Agreed), Ok(PlanAgreed));
        assert_eq!(decide(PlanProposed, Agreed), Ok(PlanAgreed));
        assert!(decide(PlanProposed, Proposed).is_err());
        assert!(decide(PlanAgreed, Agreed).is_err());
        assert!(decide(PlanAgreed, Proposed).is_err());
    }

    #[test]
    fn the_clocks_run_as_the_letters_say() {
        let at: DateTime<Utc> = "2026-11-24T10:00:00Z".parse().unwrap();
        assert_eq!(
            reply_window(at).deadline,
            "2026-12-01T10:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        let due = action_due(at, 10);
        assert_eq!(due.clock, ClockKind::DisputeActionDue);
        assert_eq!(
            due.deadline,
            "2026-12-04T10:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }
}
