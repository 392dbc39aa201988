//! `complaint.rejected`: intake refused a complaint as a complaint (an appealable decision goes
//! to dispute / mandatory reconsideration; an out-of-time one is refused). No case opens; the
//! complaint is kept whole in `rejected_complaints`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::vocabulary::RejectionReason;

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "complaint.rejected";

/// A complaint intake refused: no case opens, and the complaint is kept with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "complaint.rejected")]
pub struct ComplaintRejected {
    /// The `complaint.received` event refused.
    pub complaint_event_id: Uuid,
    /// The customer's reference.
    pub customer_reference: String,
    /// The reason, as a code.
    pub reason: RejectionReason,
    /// The reason, in words for the customer's letter and the team.
    pub detail: String,
}
