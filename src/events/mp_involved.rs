//! `mp.involved`: the customer's Member of Parliament became involved in a complaint the
//! customer raised ("Parliamentary Contact Involved", seeds 002 and 004). The casework worker
//! records it on the case (parliamentary contact: yes) for the report, and hands the case to
//! those who deal with MP cases: at tier 1 the CRT's specialist MP officers; at tier 0 the team
//! leader is asked to refer it to them (seed 004: an MP case is not a dissatisfaction).

use chrono::NaiveDate;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::checks::{past_date, single_line};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "mp.involved";

/// An MP's involvement; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "mp.involved")]
pub struct MpInvolved {
    /// The constituency of the MP who wrote or called (a public office, not a person's name).
    #[garde(length(min = 1, max = 100), custom(single_line))]
    pub constituency: String,
    /// When the MP first contacted the organisation about the complaint.
    #[garde(custom(past_date))]
    pub contacted_on: NaiveDate,
    /// Who recorded it (an opaque staff id).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
}
