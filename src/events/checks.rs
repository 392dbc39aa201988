//! What an event is checked against besides its own schema: the bounds every message is held to
//! whatever its type (size, string lengths, control characters), the time now for dates that
//! must be plausible, and the field rules that `garde` calls by name (`single_line`,
//! `plausible_receipt`, …).
//!
//! These are the lines of defence against hostile or broken senders (issue: one message must
//! never crash, stall or forge anything): a date far outside any plausible range would overflow
//! the clocks' arithmetic, a megabyte string would end up in a dead-letter header larger than
//! the broker's frame, a carriage return in a name would print arbitrary lines on the
//! organisation's letterhead, and a NUL cannot be stored by PostgreSQL at all.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::Value;

use super::envelope::{AGREED_CATEGORIES, SCHEMA_VERSION};
use crate::vocabulary::Category;

/// Largest message accepted, in bytes (a complaint is a few kilobytes).
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;
/// Longest string anywhere in a message, in characters (the longest field, a complaint's
/// summary, allows as many).
pub const MAX_STRING_CHARS: usize = 20_000;
/// Most items of any array in a message.
pub const MAX_ARRAY_ITEMS: usize = 1_000;
/// Most keys of any object in a message.
pub const MAX_OBJECT_KEYS: usize = 1_000;
/// Longest key of any object in a message, in characters.
pub const MAX_KEY_CHARS: usize = 100;
/// Most problems one refusal lists; the rest are counted.
pub const MAX_PROBLEMS: usize = 20;
/// Longest text of one problem, in bytes.
pub const MAX_PROBLEM_BYTES: usize = 300;
/// Longest whole refusal reason (a dead-letter header, a log line), in bytes.
pub const MAX_REASON_BYTES: usize = 1024;

/// How far ahead of this process's clock a sender's clock may run.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);
/// The earliest date any event may carry: older is a typo or an attack, and would start clocks
/// that broke long ago.
pub const EARLIEST_DATE: NaiveDate = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a real date");
/// How far ahead a planned date (an action's due date) may lie.
pub const LATEST_PLAN_YEARS: i32 = 5;

/// What validation measures an event against: the time now and how old a complaint's receipt
/// may be (`intake.max_received_age_days`) for its dates, and the version of its type's schema
/// its `dataschema` names for the rules that differ by version.
#[derive(Debug, Clone, Copy)]
pub struct Checks {
    /// The time now, from the process's clock.
    pub now: DateTime<Utc>,
    /// The oldest `received_at` accepted, as an age.
    pub max_received_age: Duration,
    /// The version of the event type's schema the data is read against
    /// ([`crate::events::envelope::version_named`]).
    pub schema_version: u32,
}

impl Checks {
    /// Checks at `now` with a receipt at most `max_received_age_days` old, at version 1.
    pub fn new(now: DateTime<Utc>, max_received_age_days: u32) -> Self {
        Self {
            now,
            max_received_age: Duration::days(i64::from(max_received_age_days)),
            schema_version: SCHEMA_VERSION,
        }
    }

    /// The same checks for data of `schema_version`.
    pub fn at_version(self, schema_version: u32) -> Self {
        Self {
            schema_version,
            ..self
        }
    }
}

/// A category: from [`AGREED_CATEGORIES`] on, one of the agreed list by its name
/// ([`Category`]); before it, any text (kept as written, and not counted on the Systemic Log
/// unless it names an agreed one). The refusal lists the names, never the text sent.
pub fn agreed_category(text: &str, checks: &Checks) -> garde::Result {
    if checks.schema_version < AGREED_CATEGORIES || text.parse::<Category>().is_ok() {
        return Ok(());
    }
    let names: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
    Err(garde::Error::new(format!(
        "is not an agreed category: version {} takes one of {}",
        checks.schema_version,
        names.join(", ")
    )))
}

/// `received_at`: not ahead of now by more than [`CLOCK_SKEW`], and not older than
/// `max_received_age` (an old date would open a case already breached and alert its team at
/// once).
pub fn plausible_receipt(at: &DateTime<Utc>, checks: &Checks) -> garde::Result {
    if *at > checks.now + CLOCK_SKEW {
        return Err(garde::Error::new("is in the future"));
    }
    if *at < checks.now - checks.max_received_age {
        return Err(garde::Error::new(format!(
            "is more than {} days ago (intake.max_received_age_days)",
            checks.max_received_age.num_days()
        )));
    }
    Ok(())
}

/// A past date (a case's closure): not before [`EARLIEST_DATE`] and not after today.
pub fn past_date(day: &NaiveDate, checks: &Checks) -> garde::Result {
    let today = (checks.now + CLOCK_SKEW).date_naive();
    if *day < EARLIEST_DATE {
        return Err(garde::Error::new(format!("is before {EARLIEST_DATE}")));
    }
    if *day > today {
        return Err(garde::Error::new("is in the future"));
    }
    Ok(())
}

/// A planned date (an action's due date): not before [`EARLIEST_DATE`] and not more than
/// [`LATEST_PLAN_YEARS`] years ahead.
pub fn planned_date(day: &NaiveDate, checks: &Checks) -> garde::Result {
    let latest = checks
        .now
        .date_naive()
        .checked_add_months(chrono::Months::new(12 * LATEST_PLAN_YEARS as u32))
        .unwrap_or(NaiveDate::MAX);
    if *day < EARLIEST_DATE {
        return Err(garde::Error::new(format!("is before {EARLIEST_DATE}")));
    }
    if *day > latest {
        return Err(garde::Error::new(format!(
            "is more than {LATEST_PLAN_YEARS} years ahead"
        )));
    }
    Ok(())
}

/// One line of text a letter prints as it is (a name, an address line, a reference): no control
/// characters at all (a carriage return would start a new line on the letterhead) and no
/// invisible formatting characters (bidirectional overrides, zero-width spaces).
pub fn single_line(text: &str, _checks: &Checks) -> garde::Result {
    match text
        .chars()
        .find(|c| c.is_control() || is_invisible_format(*c))
    {
        Some(c) => Err(garde::Error::new(format!(
            "contains a non-printing character (U+{:04X})",
            u32::from(c)
        ))),
        None => Ok(()),
    }
}

/// Invisible characters that change how text around them reads: zero-width characters, the
/// bidirectional embeddings, overrides and isolates, the BOM, the soft hyphen, and line and
/// paragraph separators.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// Checks a whole message, whatever its type, before it is read as an event: every string,
/// array and object within bounds, and no control character anywhere except tab, line feed and
/// carriage return in free text (a NUL cannot be stored; the others have no place in a
/// complaint). Returns one problem per offending value, by its path (at most
/// [`MAX_PROBLEMS`]); never the value itself.
pub fn content_problems(message: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    walk(message, &mut String::new(), &mut problems);
    problems
}

fn walk(value: &Value, path: &mut String, problems: &mut Vec<String>) {
    if problems.len() >= MAX_PROBLEMS {
        return;
    }
    let at = |path: &str| {
        if path.is_empty() {
            "the message".to_owned()
        } else {
            path.to_owned()
        }
    };
    match value {
        Value::String(text) => {
            if let Some(problem) = text_problem(text, MAX_STRING_CHARS) {
                problems.push(format!("{}: {problem}", at(path)));
            }
        }
        Value::Array(items) => {
            if items.len() > MAX_ARRAY_ITEMS {
                problems.push(format!(
                    "{}: has {} items; at most {MAX_ARRAY_ITEMS}",
                    at(path),
                    items.len()
                ));
                return;
            }
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(item, path, problems);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            if map.len() > MAX_OBJECT_KEYS {
                problems.push(format!(
                    "{}: has {} keys; at most {MAX_OBJECT_KEYS}",
                    at(path),
                    map.len()
                ));
                return;
            }
            for (key, item) in map {
                if let Some(problem) = text_problem(key, MAX_KEY_CHARS) {
                    problems.push(format!("{}: a key {problem}", at(path)));
                    continue;
                }
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                walk(item, path, problems);
                path.truncate(len);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// What is wrong with one string of a message, if anything.
fn text_problem(text: &str, max_chars: usize) -> Option<String> {
    let chars = text.chars().count();
    if chars > max_chars {
        return Some(format!("is {chars} characters long; at most {max_chars}"));
    }
    text.chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        .map(|c| {
            format!(
                "contains a control character (U+{:04X}), which no field accepts",
                u32::from(c)
            )
        })
}

/// `text` cut to at most `max` bytes on a character boundary, with `…` when cut.
pub fn bounded(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn checks() -> Checks {
        Checks::new("2026-11-27T12:00:00Z".parse().unwrap(), 31)
    }

    #[test]
    fn receipts_are_recent_and_not_ahead() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert!(plausible_receipt(&at("2026-11-27T12:04:00Z"), &checks()).is_ok());
        assert!(plausible_receipt(&at("2026-10-28T12:00:00Z"), &checks()).is_ok());
        assert!(plausible_receipt(&at("2026-11-27T12:06:00Z"), &checks()).is_err());
        assert!(plausible_receipt(&at("2026-10-26T12:00:00Z"), &checks()).is_err());
        assert!(plausible_receipt(&DateTime::<Utc>::MAX_UTC, &checks()).is_err());
        assert!(plausible_receipt(&DateTime::<Utc>::MIN_UTC, &checks()).is_err());
    }

    #[test]
    fn dates_stay_in_their_window() {
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert!(past_date(&day("2026-11-27"), &checks()).is_ok());
        assert!(past_date(&day("2026-11-28"), &checks()).is_err());
        assert!(past_date(&NaiveDate::MIN, &checks()).is_err());
        assert!(planned_date(&day("2031-11-27"), &checks()).is_ok());
        assert!(planned_date(&day("2031-11-28"), &checks()).is_err());
        assert!(planned_date(&NaiveDate::MAX, &checks()).is_err());
    }

    #[test]
    fn names_are_one_printable_line() {
        assert!(single_line("Ms Jane O’Neill-Smith", &checks()).is_ok());
        for bad in [
            "Jane\r\nBcc: x",
            "Jane\u{0}",
            "Jane\u{202E}",
            "Ja\u{200B}ne",
            "a\tb",
        ] {
            assert!(single_line(bad, &checks()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn every_string_of_a_message_is_bounded_and_free_of_control_characters() {
        let message = json!({
            "data": {
                "summary": "line one\nline two\ttabbed\r\n",
                "customer": { "name": "Jane\u{0}" },
                "categories": ["x".repeat(MAX_STRING_CHARS + 1)],
                "huge": vec![0; MAX_ARRAY_ITEMS + 1],
            }
        });
        let problems = content_problems(&message);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems
            .iter()
            .any(|p| p.starts_with("data.customer.name: contains a control character (U+0000)")));
        assert!(problems
            .iter()
            .any(|p| p.starts_with("data.categories[0]: is 20001 characters long")));
        assert!(problems
            .iter()
            .any(|p| p.starts_with("data.huge: has 1001 items")));
        assert!(problems.iter().all(|p| !p.contains("Jane")));
    }

    #[test]
    fn bounded_text_is_cut_on_a_character_boundary() {
        assert_eq!(bounded("short", 10), "short");
        let cut = bounded(&"é".repeat(100), 11);
        assert!(cut.len() <= 11 && cut.ends_with('…'), "{cut}");
    }
}
