//! `dispute.opened`: intake refused a complaint as a disagreement with an appealable decision
//! (process.md §3, rule 1) and opened a dispute for it, with its own reference. Its action plan
//! is then decided by `dispute_plan.proposed` or `dispute_plan.agreed`.

use chrono::{DateTime, Utc};
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "dispute.opened";

/// A dispute that now exists; the envelope's `subject` is its reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[garde(allow_unvalidated)]
#[schemars(title = "dispute.opened")]
pub struct DisputeOpened {
    /// The dispute's reference (`DSP-…`).
    pub dispute_reference: String,
    /// The `complaint.received` event refused as an appealable decision.
    pub complaint_event_id: Uuid,
    /// The customer's reference.
    pub customer_reference: String,
    /// When the organisation received the dispute: the date CMSL5812 quotes.
    pub received_at: DateTime<Utc>,
}
