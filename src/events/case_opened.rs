//! `case.opened`: intake opened a case at a tier. The teams' queues and the later workers
//! (acknowledgement, process, letters) start from here.

use chrono::{DateTime, Utc};
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::vocabulary::{Channel, RaisedBy, Region, Team, Tier};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "case.opened";

/// A case that now exists; the envelope's `subject` is its reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[garde(allow_unvalidated)]
#[schemars(title = "case.opened")]
pub struct CaseOpened {
    /// The case's human-readable reference (e.g. `RES-2026-000042`).
    pub case_reference: String,
    /// The tier the case runs at.
    pub tier: Tier,
    /// The stage it starts in (e.g. `Acknowledge Complaint`).
    pub stage: String,
    /// Its status (e.g. `Pending Assignment`).
    pub status: String,
    /// The team that owns it.
    pub handling_team: Team,
    /// The customer's reference.
    pub customer_reference: String,
    /// The customer's region (its bank holidays count for working-day clocks).
    pub region: Region,
    /// When the organisation received the complaint.
    pub received_at: DateTime<Utc>,
    /// How it arrived.
    pub channel: Channel,
    /// Who raised it.
    pub raised_by: RaisedBy,
    /// The case it came from, if any (the customer's journey is the chain of these).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_case_reference: Option<String>,
    /// Flagged high profile: the Operations Director's office has been told.
    pub high_profile: bool,
    /// An MP or other parliamentary contact is involved.
    pub parliamentary_contact: bool,
    /// The routing rule of process.md §3 that chose the tier.
    pub routing_rule: String,
    /// The `complaint.received` event that opened it.
    pub complaint_event_id: Uuid,
}
