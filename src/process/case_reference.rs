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

#[cfg(test)]
mod tests {
    use super::*;

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
