//! `external_stage.recorded`: ICE or the PHSO contacted the organisation about a case, or moved
//! it on to a later stage. The system records it on the case (it does not run their
//! investigations); stages only move forward.

use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::vocabulary::{ExternalBody, ExternalStage};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "external_stage.recorded";

/// A contact or stage; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schemars(title = "external_stage.recorded")]
pub struct ExternalStageRecorded {
    /// ICE or the PHSO.
    #[garde(skip)]
    pub body: ExternalBody,
    /// The stage it is at now.
    #[garde(skip)]
    pub stage: ExternalStage,
    /// What was said or asked, briefly.
    #[garde(length(min = 1, max = 2000))]
    pub note: String,
    /// Who recorded it (an opaque staff id).
    #[garde(length(min = 1, max = 64))]
    pub by: String,
}
