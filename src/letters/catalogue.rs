//! What each standard letter (process.md §6) needs: its caseworker fields, the values a choice
//! field may take, its enclosures, and the "within X days" a system-generated letter states.
//! The templates in `templates/letters/` are the wording; this is what the wording may use.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::vocabulary::LetterCode;

/// One field a letter needs from the caseworker.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Its name under `fields.` in the template.
    pub name: &'static str,
    /// The values it may take, when it chooses a standard paragraph.
    pub one_of: Option<&'static [&'static str]>,
    /// Whether the letter needs it; an optional field ("if needed" in the seed) may be left out,
    /// and its part of the letter is then left out too.
    pub required: bool,
}

/// A letter's needs.
#[derive(Debug, Clone, Copy)]
pub struct LetterSpec {
    /// The letter's code (`CMSL5800`), its template's name.
    pub code: LetterCode,
    /// The caseworker's fields.
    pub fields: &'static [Field],
    /// Documents enclosed with it; a letter with an enclosure always goes by post.
    pub enclosures: &'static [&'static str],
    /// The "within X days" of a system-generated letter (design).
    pub days: Option<u32>,
}

const fn text(name: &'static str) -> Field {
    Field {
        name,
        one_of: None,
        required: true,
    }
}

const fn optional(name: &'static str) -> Field {
    Field {
        name,
        one_of: None,
        required: false,
    }
}

const fn choice(name: &'static str, one_of: &'static [&'static str]) -> Field {
    Field {
        name,
        one_of: Some(one_of),
        required: true,
    }
}

/// CMSL5701's two uses (seed 004): setting out the proposed actions to a customer not reached
/// by phone (steps 9 and TL step 3), or confirming the actions taken and that the complaint is
/// closed (steps 12 and TL step 6). The casework worker chooses.
pub const CMSL5701_PROPOSED: &str = "proposed";
/// See [`CMSL5701_PROPOSED`].
pub const CMSL5701_CLOSED: &str = "closed";

/// The complaints information leaflet enclosed with CMSL5807.
pub const LEAFLET: &str = "CMSB0011 Complaints information leaflet";

/// Every letter the system sends, by code: the caseworker's fields, enclosures and stated days.
pub const LETTERS: &[LetterSpec] = &[
    LetterSpec {
        code: LetterCode::Cmsl5700,
        fields: &[],
        enclosures: &[],
        days: None,
    },
    LetterSpec {
        code: LetterCode::Cmsl5701,
        fields: &[
            choice("paragraph", &[CMSL5701_PROPOSED, CMSL5701_CLOSED]),
            optional("explanation"),
            optional("apology"),
            text("corrective_action"),
        ],
        enclosures: &[],
        days: None,
    },
    LetterSpec {
        code: LetterCode::Cmsl5842,
        fields: &[],
        enclosures: &[],
        days: Some(5),
    },
    LetterSpec {
        code: LetterCode::Cmsl5829,
        fields: &[],
        enclosures: &[],
        days: Some(2),
    },
    LetterSpec {
        code: LetterCode::Cmsl5800,
        fields: &[text("update")],
        enclosures: &[],
        days: None,
    },
    LetterSpec {
        code: LetterCode::Cmsl5801,
        fields: &[
            choice("paragraph", &["LM_00008", "LM_00009"]),
            text("complaint_details"),
            text("why_mistake"),
            text("corrective_action"),
            text("days_until_due"),
        ],
        enclosures: &[],
        days: None,
    },
    LetterSpec {
        code: LetterCode::Cmsl5803,
        fields: &[text("update")],
        enclosures: &[],
        days: None,
    },
    LetterSpec {
        code: LetterCode::Cmsl5804,
        fields: &[text("revised_action"), text("due_date")],
        enclosures: &[],
        days: None,
    },
    LetterSpec {
        code: LetterCode::Cmsl5805,
        fields: &[text("what_this_means")],
        enclosures: &[],
        days: None,
    },
    LetterSpec {
        code: LetterCode::Cmsl5806,
        fields: &[text("what_this_means")],
        enclosures: &[],
        days: None,
    },
    LetterSpec {
        code: LetterCode::Cmsl5807,
        fields: &[choice("paragraph", &["TM09172", "TM09173"]), text("update")],
        enclosures: &[LEAFLET],
        days: None,
    },
    LetterSpec {
        code: LetterCode::Cmsl5811,
        fields: &[
            text("dispute"),
            text("apology"),
            optional("why_mistake"),
            text("corrective_action"),
        ],
        enclosures: &[],
        days: None,
    },
    LetterSpec {
        code: LetterCode::Cmsl5812,
        fields: &[text("dispute_date"), text("steps"), text("days")],
        enclosures: &[],
        days: None,
    },
];

/// Placeholder text for every field of `code` (the first choice for a choice field): what
/// previews, snapshots and benchmarks fill a letter with.
pub fn example_fields(code: LetterCode) -> BTreeMap<String, Value> {
    spec(code)
        .fields
        .iter()
        .map(|f| {
            let value = match f.one_of {
                Some(choices) => Value::String(choices[0].to_owned()),
                None => Value::String(format!("[{}: the caseworker's text]", f.name)),
            };
            (f.name.to_owned(), value)
        })
        .collect()
}

/// The needs of `code`.
pub fn spec(code: LetterCode) -> &'static LetterSpec {
    LETTERS
        .iter()
        .find(|s| s.code == code)
        .expect("every letter code has a spec (a test checks)")
}

/// Every field the letter needs is there, no field given is blank, choices are valid, nothing
/// extra. The
/// letters worker checks before rendering, and the casework worker before it accepts a decision
/// that causes the letter, so a decision is never half applied for want of a field.
pub fn check_fields(spec: &LetterSpec, fields: &BTreeMap<String, Value>) -> Result<(), String> {
    for field in spec.fields {
        let value = match fields.get(field.name) {
            None | Some(Value::Null) if !field.required => continue,
            None | Some(Value::Null) => return Err(format!("field `{}` is missing", field.name)),
            Some(Value::String(s)) if s.trim().is_empty() => {
                return Err(format!("field `{}` is blank", field.name))
            }
            Some(value) => value,
        };
        if let Some(allowed) = field.one_of {
            if !value.as_str().is_some_and(|v| allowed.contains(&v)) {
                return Err(format!(
                    "field `{}` must be one of {}",
                    field.name,
                    allowed.join(", ")
                ));
            }
        }
    }
    if let Some(extra) = fields
        .keys()
        .find(|k| !spec.fields.iter().any(|f| f.name == k.as_str()))
    {
        return Err(format!("field `{extra}` is not used by this letter"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_letter_code_has_a_spec() {
        for code in LetterCode::ALL {
            assert_eq!(spec(*code).code, *code);
        }
        assert_eq!(LETTERS.len(), LetterCode::ALL.len());
    }
}
