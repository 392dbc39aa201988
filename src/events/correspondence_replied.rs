//! `correspondence.replied`: official correspondence (POS, MP to DG, Treat Official) was
//! answered (seed 001). The reply closes the correspondence case (`Answered Enquiry`) and meets
//! its target; there is no signposting and no escalation. A POS reply is written and signed by
//! a Director; an MP-to-DG reply is written and signed by the handler; a Treat Official one is
//! written or given by phone. A written reply is the final version a team leader agreed.

use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::checks::single_line;
use crate::vocabulary::{ContactMethod, Signatory};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "correspondence.replied";

/// The reply; the envelope's `subject` is the correspondence reference (`COR-…`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "correspondence.replied")]
pub struct CorrespondenceReplied {
    /// `letter` (or `email`) for a written reply, `phone` for a call (Treat Official only).
    #[garde(skip)]
    pub method: ContactMethod,
    /// Who signed a written reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[garde(skip)]
    pub signed_by: Option<Signatory>,
    /// The team leader who agreed the final version of a written reply (an opaque staff id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[garde(length(min = 1, max = 64), inner(custom(single_line)))]
    pub agreed_by: Option<String>,
    /// What the reply said, in brief (kept on the timeline).
    #[garde(length(min = 1, max = 20000))]
    pub summary: String,
    /// The handler (an opaque staff id).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
}
