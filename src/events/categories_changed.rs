//! `categories.changed`: the caseworker corrected the case's categories, as they should when
//! the investigation shows others fit better. Allowed until the case closes.

use super::checks::{agreed_category, single_line};
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "categories.changed";

/// The new categories; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "categories.changed")]
pub struct CategoriesChanged {
    /// The categories that fit, replacing the ones before: as for `complaint.received`, at
    /// version 1 any text (an agreed category kept by its name, other text as written), from
    /// version 2 only the agreed categories.
    #[garde(
        length(min = 1, max = 20),
        inner(length(min = 1, max = 100), custom(agreed_category))
    )]
    pub categories: Vec<String>,
    /// The caseworker (an opaque staff id).
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub by: String,
}
