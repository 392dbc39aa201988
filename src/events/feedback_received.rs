//! `feedback.received`: an intake channel hands over feedback that is not a complaint — a
//! compliment, a suggestion or an enquiry (process.md §1, seed 000). The intake worker records
//! it, credited to the team it names; it opens no case and starts no clock, and the report
//! counts it by kind and team.

use chrono::{DateTime, Utc};
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::checks::{plausible_receipt, single_line};
use crate::vocabulary::{Channel, FeedbackKind};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "feedback.received";

/// A compliment, suggestion or enquiry as an intake channel hands it over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "feedback.received")]
pub struct FeedbackReceived {
    /// Compliment, suggestion or enquiry.
    #[garde(skip)]
    pub kind: FeedbackKind,
    /// When the organisation received it; as for a complaint, not in the future and not older
    /// than `intake.max_received_age_days`.
    #[garde(custom(plausible_receipt))]
    pub received_at: DateTime<Utc>,
    /// How it arrived.
    #[garde(skip)]
    pub channel: Channel,
    /// The team it is about: the team a compliment credits (e.g. `JSA Changes Team`), or the
    /// one a suggestion or enquiry concerns.
    #[garde(length(min = 1, max = 100), custom(single_line))]
    pub team: String,
    /// The member of staff a compliment praises, as an opaque staff id (never a name), so that
    /// they are credited for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[garde(length(min = 1, max = 64), inner(custom(single_line)))]
    pub staff_reference: Option<String>,
    /// The customer's reference, if they gave one (feedback may be anonymous).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[garde(length(min = 1, max = 40), inner(custom(single_line)))]
    pub customer_reference: Option<String>,
    /// What it is about, in the categories complaints use (may be empty).
    #[serde(default)]
    #[garde(
        length(max = 20),
        inner(length(min = 1, max = 100), custom(single_line))
    )]
    pub categories: Vec<String>,
    /// The feedback in the customer's or caseworker's words.
    #[garde(length(min = 1, max = 20000))]
    pub summary: String,
}
