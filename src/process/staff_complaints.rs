//! Staff-behaviour complaints are confidential (process.md §3): no name or identifying detail
//! of the member of staff is stored anywhere. Intake redacts every mention of the name the
//! channel gives (the whole name, and each part of it of three letters or more, in any case)
//! before the complaint touches a table, a log line or an event, and keeps only the opaque
//! reference the line manager resolves outside the system.

use regex::RegexBuilder;

use crate::events::ComplaintReceived;

/// What replaces a name.
pub const REDACTED: &str = "[member of staff]";

/// The complaint without the member of staff's name, and the opaque reference to keep.
pub fn redact(complaint: &ComplaintReceived) -> (ComplaintReceived, Option<String>) {
    let mut redacted = complaint.clone();
    let Some(staff) = redacted.staff_member.take() else {
        return (redacted, None);
    };
    let mut names: Vec<&str> = vec![staff.name.trim()];
    names.extend(
        staff
            .name
            .split_whitespace()
            .filter(|part| part.chars().count() >= 3),
    );
    // Longest first, so the whole name is replaced before its parts.
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    for name in names {
        let pattern = format!(r"\b{}\b", regex::escape(name));
        let re = RegexBuilder::new(&pattern)
            .case_insensitive(true)
            .build()
            .expect("an escaped name is a valid pattern");
        redacted.summary = re.replace_all(&redacted.summary, REDACTED).into_owned();
        for category in &mut redacted.categories {
            *category = re.replace_all(category, REDACTED).into_owned();
        }
    }
    (redacted, Some(staff.reference))
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
}
