//! `letter.email_requested`: a rendered letter is to go by email. The email worker sends it.

use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::vocabulary::LetterCode;

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "letter.email_requested";

/// A letter to email; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[garde(allow_unvalidated)]
#[schemars(title = "letter.email_requested")]
pub struct LetterEmailRequested {
    /// The id of the kept letter to email.
    pub letter_id: Uuid,
    /// The letter's catalogue code.
    pub code: LetterCode,
}
