//! `case.escalated`: a case closed because it goes up a tier. The `escalation` worker opens the
//! linked case at the higher tier and tells the team that receives it.

use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::vocabulary::{ResolutionCode, Tier};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "case.escalated";

/// An escalation; the envelope's `subject` is the lower case's reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[garde(allow_unvalidated)]
#[schemars(title = "case.escalated")]
pub struct CaseEscalated {
    /// The reference of the lower case, which closed to go up a tier.
    pub case_reference: String,
    /// The lower case's tier.
    pub from_tier: Tier,
    /// The tier it goes to.
    pub to_tier: Tier,
    /// The code the lower case closed with.
    pub resolution_code: ResolutionCode,
    /// Why, in words for the receiving team.
    pub reason: String,
    /// The customer was not told of the escalation by phone (or may only be written to): the
    /// new case sends the acknowledgement letter (CMSL5842, quoting the new case's reference)
    /// as it opens, instead of waiting for its 48-hour clock. One letter per escalation.
    #[serde(default)]
    pub acknowledge_by_letter: bool,
    /// A tier 0 "non complaint consolatory payment referral only" (seed 004): the new
    /// Resolution case decides the payment; it is not acknowledged as a complaint, runs no
    /// response target and is not counted as a complaint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consolatory_payment: Option<ConsolatoryReferral>,
}

/// A consolatory payment referred from tier 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsolatoryReferral {
    /// The payment the customer asks for, in pence.
    pub amount_pence: i64,
    /// The referring team leader is below the grade the payment needs: form CMSF5551 goes with
    /// the referral to a manager of that grade (seeds 002, 004).
    pub cmsf5551: bool,
}
