//! `letter.ready_for_post`: a print-ready PDF of a letter is in the dispatch directory, for the
//! print vendor's integration to collect.

use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::vocabulary::LetterCode;

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "letter.ready_for_post";

/// A letter to print and post; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[garde(allow_unvalidated)]
#[schemars(title = "letter.ready_for_post")]
pub struct LetterReadyForPost {
    /// The id of the kept letter whose PDF was written.
    pub letter_id: Uuid,
    /// The letter's catalogue code.
    pub code: LetterCode,
    /// The PDF's file name in the dispatch directory.
    pub file: String,
    /// Documents to enclose with it.
    pub enclosures: Vec<String>,
}
