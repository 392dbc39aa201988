//! `letter.sent`: a letter left the building (email accepted by the mail server, or handed to
//! the print vendor). The waits after CMSL5700, CMSL5800, CMSL5801 and CMSL5805 start here.

use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::vocabulary::{DispatchChannel, LetterCode};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "letter.sent";

/// A dispatched letter; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "letter.sent")]
pub struct LetterSent {
    /// Which letter went out, by its catalogue code.
    #[garde(skip)]
    pub code: LetterCode,
    /// How it went.
    #[garde(skip)]
    pub channel: DispatchChannel,
}
