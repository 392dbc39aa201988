//! `letter.requested`: a standard letter must go to the customer. The letters worker renders and
//! dispatches it; `automatic` letters need no caseworker's text.

use std::collections::BTreeMap;

use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::vocabulary::LetterCode;

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "letter.requested";

/// A request for a letter; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[garde(allow_unvalidated)]
#[schemars(title = "letter.requested")]
pub struct LetterRequested {
    /// The reference of the case the letter is for.
    pub case_reference: String,
    /// Which letter to send, by its catalogue code.
    pub code: LetterCode,
    /// Why it is sent, for the timeline.
    pub reason: String,
    /// System generated: no caseworker's text is needed.
    pub automatic: bool,
    /// The caseworker's text for the letter's fields (see the letter catalogue).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, Value>,
}
