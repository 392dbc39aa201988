//! `external_stage.recorded`: ICE or the PHSO contacted the organisation about a case, or moved
//! it on to a later stage. The system records it on the case (it does not run their
//! investigations); stages only move forward.

use super::checks::single_line;
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::vocabulary::{ExternalBody, ExternalStage};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "external_stage.recorded";

/// A contact or stage; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "external_stage.recorded")]
pub struct ExternalStageRecorded {
    /// ICE or the PHSO.
    #[garde(skip)]
    pub body: ExternalBody,
    /// The stage it is at now.
    #[garde(skip)]
    pub stage: ExternalStage,
    /// With the final report, and only with it: whether the complaint was upheld. (ICE's own
    /// `ice.final_report_recorded`, which also carries the redress, records the same.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[garde(skip)]
    pub upheld: Option<bool>,
    /// What was said or asked, briefly.
    #[garde(length(min = 1, max = 2000))]
    pub note: String,
    /// Who recorded it (an opaque staff id).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
}
