//! Human-readable case references: the tier's prefix, the year the case opened, and a number
//! from one database sequence, e.g. `RES-2026-000042`. Staff read them out on the phone, so
//! they are short, upper case and unambiguous.

use chrono::{DateTime, Datelike, Utc};

use crate::vocabulary::Tier;

/// The reference of case number `number` of `tier`, opened at `opened_at`.
pub fn case_reference(tier: Tier, opened_at: DateTime<Utc>, number: i64) -> String {
    format!(
        "{}-{}-{number:06}",
        tier.reference_prefix(),
        opened_at.year()
    )
}

/// The reference of dispute number `number`, opened at `opened_at` (`DSP-2026-000042`): the
/// same shape and sequence as a case's.
pub fn dispute_reference(opened_at: DateTime<Utc>, number: i64) -> String {
    format!(
        "{}-{}-{number:06}",
        super::disputes::REFERENCE_PREFIX,
        opened_at.year()
    )
}

/// Reads a case (or dispute) reference as a person or a front end typed it: surrounding spaces and the
/// letters' case do not matter (`res-2026-000042` is `RES-2026-000042`). `None` when it cannot
/// be a case reference at all (a known prefix, a four-digit year, at least six digits), so a
/// look-up never sends arbitrary bytes to the database.
pub fn parse_case_reference(text: &str) -> Option<String> {
    let reference = text.trim().to_ascii_uppercase();
    let mut parts = reference.split('-');
    let (prefix, year, number) = (parts.next()?, parts.next()?, parts.next()?);
    let known_prefix = Tier::ALL.iter().any(|t| t.reference_prefix() == prefix)
        || prefix == super::disputes::REFERENCE_PREFIX
        || prefix == super::correspondence::REFERENCE_PREFIX;
    let digits = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    (known_prefix && digits(year, 4, 4) && digits(number, 6, 12) && parts.next().is_none())
        .then_some(reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_read_whatever_their_case() {
        assert_eq!(
            parse_case_reference(" res-2026-000042 ").as_deref(),
            Some("RES-2026-000042")
        );
        assert_eq!(
            parse_case_reference("dsp-2026-000042").as_deref(),
            Some("DSP-2026-000042")
        );
        assert_eq!(
            parse_case_reference("cor-2026-000042").as_deref(),
            Some("COR-2026-000042")
        );
        assert_eq!(parse_case_reference("\0"), None);
        assert_eq!(parse_case_reference("XYZ-2026-000042"), None);
        assert_eq!(parse_case_reference("RES-2026-42"), None);
        assert_eq!(parse_case_reference("RES-2026-000042-1"), None);
        assert_eq!(parse_case_reference("RES-20x6-000042"), None);
    }

    #[test]
    fn references_read_well() {
        let at = "2026-11-24T10:00:00Z".parse().unwrap();
        assert_eq!(case_reference(Tier::Resolution, at, 42), "RES-2026-000042");
        assert_eq!(
            case_reference(Tier::Dissatisfaction, at, 1),
            "DIS-2026-000001"
        );
        assert_eq!(
            case_reference(Tier::Review, at, 1_234_567),
            "REV-2026-1234567"
        );
    }
}
