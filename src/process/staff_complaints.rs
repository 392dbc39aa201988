//! Staff-behaviour complaints are confidential (process.md §3): no name or identifying detail
//! of the member of staff is stored anywhere. Intake redacts every mention of the name the
//! channel gives from every free-text field (the summary and the categories) before the
//! complaint touches a table, a log line or an event, and keeps only the opaque reference the
//! line manager resolves outside the system.
//!
//! A mention is found the way a reader would recognise one, not by exact spelling: text and name
//! are compared word by word after Unicode compatibility normalisation (NFKC: full-width and
//! other look-alike forms), case folding, accents dropped, every apostrophe (’ ‘ ʼ `) and hyphen
//! (‐ – — −) alike, a possessive `'s` ignored and apostrophes inside a word ignored (O'Neill,
//! O’Neill and ONeill are one word). Every part of the name of two letters or more is a mention
//! on its own (a first name alone, each half of a double-barrelled surname, a short surname such
//! as "Wu"), so is the run of words that spells a part across a space ("O Neill"), and a title
//! before a mention goes with it ("Mr Wu" → one redaction, so the title does not hint at who).
//! Adjacent mentions become one.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::events::ComplaintReceived;

/// What replaces a name.
pub const REDACTED: &str = "[member of staff]";

/// Titles that go with the name that follows them.
const TITLES: &[&str] = &[
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "prof",
    "professor",
    "sir",
    "dame",
    "lady",
    "lord",
];

/// The longest run of words taken together as one part of a name ("O Neill", "Mc Donald").
const MAX_RUN: usize = 3;

/// The complaint without the member of staff's name, and the opaque reference to keep.
pub fn redact(complaint: &ComplaintReceived) -> (ComplaintReceived, Option<String>) {
    let mut redacted = complaint.clone();
    let Some(staff) = redacted.staff_member.take() else {
        return (redacted, None);
    };
    let name = Name::new(&staff.name);
    redacted.summary = name.redact(&redacted.summary);
    for category in &mut redacted.categories {
        *category = name.redact(category);
    }
    (redacted, Some(staff.reference))
}

/// A member of staff's name, as the keys of its parts.
#[derive(Debug, Clone)]
pub struct Name {
    /// Each part's key (two letters or more), and the whole name's.
    parts: Vec<String>,
}

impl Name {
    /// The name's parts: split at spaces and hyphens, each keyed as [`key`] does.
    pub fn new(name: &str) -> Self {
        let words = words(name);
        let mut parts: Vec<String> = words
            .iter()
            .map(|w| key(&name[w.clone()]))
            .filter(|k| k.chars().count() >= 2 && !TITLES.contains(&k.as_str()))
            .collect();
        let whole: String = words.iter().map(|w| key(&name[w.clone()])).collect();
        if whole.chars().count() >= 2 {
            parts.push(whole);
        }
        parts.sort();
        parts.dedup();
        Self { parts }
    }

    /// `text` with every mention of the name replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        if self.parts.is_empty() {
            return text.to_owned();
        }
        let words = words(text);
        let keys: Vec<String> = words.iter().map(|w| key(&text[w.clone()])).collect();
        // Byte ranges of the mentions, in order.
        let mut mentions: Vec<std::ops::Range<usize>> = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let run = (1..=MAX_RUN.min(words.len() - i)).rev().find(|&n| {
                let joined: String = keys[i..i + n].concat();
                self.parts.contains(&joined)
            });
            match run {
                Some(n) => {
                    mentions.push(words[i].start..words[i + n - 1].end);
                    i += n;
                }
                None => i += 1,
            }
        }
        // A title just before a mention goes with it.
        for mention in &mut mentions {
            if let Some(w) = words.iter().rposition(|w| w.end <= mention.start) {
                let between = &text[words[w].end..mention.start];
                if TITLES.contains(&key(&text[words[w].clone()]).as_str())
                    && between.chars().all(|c| c == '.' || c.is_whitespace())
                {
                    mention.start = words[w].start;
                }
            }
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        let mut last_end: Option<usize> = None;
        for mention in mentions {
            if let Some(end) = last_end {
                // Adjacent mentions (only spaces, hyphens or full stops between) are one.
                if text[end..mention.start]
                    .chars()
                    .all(|c| c.is_whitespace() || is_hyphen(c) || c == '.')
                {
                    at = mention.end;
                    last_end = Some(mention.end);
                    continue;
                }
            }
            out.push_str(&text[at..mention.start]);
            out.push_str(REDACTED);
            at = mention.end;
            last_end = Some(mention.end);
        }
        out.push_str(&text[at..]);
        out
    }
}

/// The byte ranges of the words of `text`: letters and digits, with apostrophes inside them.
fn words(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut found = Vec::new();
    let mut start: Option<usize> = None;
    let mut last_letter_end = 0;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() || is_combining_mark(c) {
            start.get_or_insert(i);
            last_letter_end = i + c.len_utf8();
        } else if is_apostrophe(c) && start.is_some() {
            // Inside a word, or a possessive's trailing apostrophe: decided by what follows.
        } else if let Some(s) = start.take() {
            found.push(s..last_letter_end);
        }
    }
    if let Some(s) = start {
        found.push(s..last_letter_end);
    }
    found
}

/// A word as compared: NFKC, lower case, accents and apostrophes dropped, a possessive `'s`
/// taken off.
fn key(word: &str) -> String {
    let folded: String = word
        .nfkc()
        .flat_map(char::to_lowercase)
        .map(|c| if is_apostrophe(c) { '\'' } else { c })
        .collect();
    let base = folded.strip_suffix("'s").unwrap_or(&folded);
    base.nfkd()
        .filter(|c| !is_combining_mark(*c) && *c != '\'')
        .collect()
}

fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2018}'
            | '\u{2019}'
            | '\u{201B}'
            | '\u{02BC}'
            | '\u{02B9}'
            | '`'
            | '\u{00B4}'
            | '\u{FF07}'
    )
}

fn is_hyphen(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'
            | '\u{2011}'
            | '\u{2012}'
            | '\u{2013}'
            | '\u{2014}'
            | '\u{2212}'
            | '\u{FE63}'
            | '\u{FF0D}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::complaint_received::StaffMember;

    fn complaint(summary: &str) -> ComplaintReceived {
        let mut c: ComplaintReceived = serde_json::from_value(serde_json::json!({
            "customer": {
                "reference": "C1", "name": "Ada Lovelace",
                "address": { "lines": ["1 High Street"], "postcode": "SW1A 1AA" },
                "region": "england_and_wales"
            },
            "received_at": "2026-11-24T10:00:00Z", "channel": "phone", "raised_by": "customer",
            "about": "staff", "categories": ["staff conduct"], "summary": summary
        }))
        .unwrap();
        c.staff_member = Some(StaffMember {
            reference: "LM-7731".into(),
            name: "Gareth O'Neill-Price".into(),
        });
        c
    }

    #[test]
    fn every_mention_of_the_name_goes() {
        let (redacted, reference) = redact(&complaint(
            "Gareth O'Neill-Price was rude. GARETH hung up; o'neill-price laughed.",
        ));
        assert_eq!(reference.as_deref(), Some("LM-7731"));
        assert_eq!(redacted.staff_member, None);
        assert_eq!(
            redacted.summary,
            "[member of staff] was rude. [member of staff] hung up; [member of staff] laughed."
        );
    }

    #[test]
    fn words_that_merely_contain_a_name_part_stay() {
        let mut c = complaint("Garethson is a street; the caseworker was fine.");
        c.staff_member.as_mut().unwrap().name = "Gareth Smith".into();
        assert_eq!(
            redact(&c).0.summary,
            "Garethson is a street; the caseworker was fine."
        );
    }

    #[test]
    fn complaints_without_a_member_of_staff_are_unchanged() {
        let mut c = complaint("Late payment.");
        c.staff_member = None;
        assert_eq!(redact(&c), (c.clone(), None));
    }

    #[test]
    fn categories_are_redacted_too() {
        let mut c = complaint("Rude on the phone.");
        c.categories = vec!["conduct of Mr Price".into()];
        assert_eq!(redact(&c).0.categories, ["conduct of [member of staff]"]);
    }

    /// Realistic spellings of the names of staff complained about, each with the text a
    /// customer or caseworker might write and what must be left of it. No trace of the name
    /// may remain in any of them.
    const CORPUS: &[(&str, &str, &str)] = &[
        // Double-barrelled surnames: each half alone, the whole, either apostrophe.
        (
            "Siobhan O'Neill-Carruthers",
            "Carruthers refused to help.",
            "[member of staff] refused to help.",
        ),
        (
            "Siobhan O'Neill-Carruthers",
            "Ms O’Neill was curt.",
            "[member of staff] was curt.",
        ),
        (
            "Siobhan O'Neill-Carruthers",
            "Then ONEILL-CARRUTHERS hung up.",
            "Then [member of staff] hung up.",
        ),
        (
            "Siobhan O'Neill-Carruthers",
            "o neill said no",
            "[member of staff] said no",
        ),
        (
            "Siobhan O'Neill-Carruthers",
            "Siobhan’s manager never called",
            "[member of staff] manager never called",
        ),
        (
            "Siobhan O'Neill-Carruthers",
            "O'Neill – Carruthers again",
            "[member of staff] again",
        ),
        // First names alone, hyphenated first names.
        (
            "Jean-Luc Picard",
            "Jean was rude and Luc laughed.",
            "[member of staff] was rude and [member of staff] laughed.",
        ),
        (
            "Jean-Luc Picard",
            "jean‑luc picard (the adviser)",
            "[member of staff] (the adviser)",
        ),
        (
            "Jean-Luc Picard",
            "Captain? No, Mr. Picard.",
            "Captain? No, [member of staff].",
        ),
        // Short surnames, titles.
        (
            "Li Wu",
            "Mr Wu put the phone down on me.",
            "[member of staff] put the phone down on me.",
        ),
        (
            "Li Wu",
            "I asked for WU's manager.",
            "I asked for [member of staff] manager.",
        ),
        ("Li Wu", "Dr. Li Wu", "[member of staff]"),
        // Full-width and accented forms.
        (
            "Zoë Ng",
            "ＺＯＥ ＮＧ was abrupt",
            "[member of staff] was abrupt",
        ),
        (
            "Zoë Ng",
            "zoe said she would call back",
            "[member of staff] said she would call back",
        ),
        (
            "José Álvarez",
            "Alvarez, then jose",
            "[member of staff], then [member of staff]",
        ),
        // Mac/Mc spelt apart, and Welsh names.
        (
            "Eilidh MacDonald",
            "Mac Donald told me to wait",
            "[member of staff] told me to wait",
        ),
        (
            "Rhys ap Gwilym",
            "Rhys ap Gwilym and ap Gwilym again",
            "[member of staff] and [member of staff] again",
        ),
        // Words containing a name, and the customer's own words, stay.
        (
            "Anne Lee",
            "Annette and Leeds were fine; Anne was not.",
            "Annette and Leeds were fine; [member of staff] was not.",
        ),
    ];

    #[test]
    fn the_corpus_of_spellings_is_redacted() {
        let mut failures = Vec::new();
        for (name, text, expected) in CORPUS {
            let got = Name::new(name).redact(text);
            if got != *expected {
                failures.push(format!("{name}: {text:?} → {got:?}, expected {expected:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
