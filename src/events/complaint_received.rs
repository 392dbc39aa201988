//! `complaint.received`: an intake channel (web form, phone, letter scanning, MPs'
//! correspondence) hands over a complaint. The intake worker routes it to a tier and opens a
//! case, or refuses it with `complaint.rejected`.

use chrono::{DateTime, NaiveDate, Utc};
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::checks::{agreed_category, past_date, plausible_receipt, single_line};
use crate::vocabulary::{
    About, Addressee, Channel, ContactRestriction, Correspondence, RaisedBy, Region,
};

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "complaint.received";

/// A complaint as an intake channel hands it over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[schemars(title = "complaint.received")]
pub struct ComplaintReceived {
    /// The customer the complaint is about or from.
    #[garde(dive)]
    pub customer: Customer,
    /// When the organisation received it: the response-target clocks start here. Not in the
    /// future, and not older than `intake.max_received_age_days`.
    #[garde(custom(plausible_receipt))]
    pub received_at: DateTime<Utc>,
    /// How it arrived.
    #[garde(skip)]
    pub channel: Channel,
    /// Who raised it.
    #[garde(skip)]
    pub raised_by: RaisedBy,
    /// What it is about; `decision` is refused as a complaint (it has an appeal route);
    /// `provider` (a contracted provider's service alone) is refused too, as the provider's
    /// own process comes first; `mixed` (the department's and a provider's) is the
    /// department's to answer, with the provider's contribution.
    #[garde(skip)]
    pub about: About,
    /// The contracted provider a `provider` or `mixed` complaint is about (an organisation's
    /// name); for a mixed complaint, the one asked for a contribution to the reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[garde(length(min = 1, max = 200), inner(custom(single_line)))]
    pub provider: Option<String>,
    /// Official correspondence (POS, MP to DG, Treat Official) rather than a complaint: it is
    /// answered, with no tiers, signposting or escalation (process.md §3, rule 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[garde(skip)]
    pub correspondence: Option<Correspondence>,
    /// To whom it was addressed.
    #[serde(default)]
    #[garde(skip)]
    pub addressee: Addressee,
    /// Complaint categories, at least one; may be changed before closure. A category of the
    /// agreed list (`Category`: `delay`, `lost_post`, …; case, spaces and hyphens aside) is
    /// stored by its name and counted on the Systemic Log; at version 1 any other text is kept
    /// as written, from version 2 it is refused.
    #[garde(
        length(min = 1, max = 20),
        inner(
            length(min = 1, max = 100),
            custom(single_line),
            custom(agreed_category)
        )
    )]
    pub categories: Vec<String>,
    /// The complaint details in the customer's or caseworker's words.
    #[garde(length(min = 1, max = 20000))]
    pub summary: String,
    /// For a complaint about a member of staff: who, so that intake can take every mention of
    /// them out of the complaint before anything is stored (process.md §3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[garde(dive)]
    pub staff_member: Option<StaffMember>,
    /// For a complaint about a member of staff: the first point of contact judged that an
    /// apology on the colleague's behalf is enough, so the team leader resolves it at tier 0.
    /// Every other allegation of staff behaviour goes to the Complaint Resolution Team (seed
    /// 000; process.md §3).
    #[serde(default)]
    #[garde(skip)]
    pub apology_suffices: bool,
    /// Credible threat of bad publicity, or a customer who has harmed themselves or others:
    /// the Operations Director's office is told at once.
    #[serde(default)]
    #[garde(skip)]
    pub high_profile: bool,
    /// Private Office correspondence (20 working days at Review).
    #[serde(default)]
    #[garde(skip)]
    pub pos: bool,
    /// The customer asks for a Review of an earlier Resolution case.
    #[serde(default)]
    #[garde(skip)]
    pub review_requested: bool,
    /// Reference of an earlier case of this system about the same issue (e.g. `RES-2026-000042`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[garde(length(min = 1, max = 40), inner(custom(single_line)))]
    pub earlier_case: Option<String>,
    /// The date the customer's own case (the service case complained about) closed: a
    /// complaint more than 14 months later is out of time, unless raised by an MP, ICE or PHSO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[garde(inner(custom(past_date)))]
    pub customer_case_closed_on: Option<NaiveDate>,
}

/// The customer as the channel knows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
pub struct Customer {
    /// The customer's reference in the organisation's systems.
    #[garde(length(min = 1, max = 40), custom(single_line))]
    pub reference: String,
    /// Full name, as letters are addressed: one printable line.
    #[garde(length(min = 1, max = 200), custom(single_line))]
    pub name: String,
    /// The postal address letters are sent to.
    #[garde(dive)]
    pub address: PostalAddress,
    /// Email address, if the customer gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[garde(email, length(max = 254), inner(custom(single_line)))]
    pub email: Option<String>,
    /// Phone number, if the customer gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[garde(pattern(r"^\+?[0-9 ()-]{7,20}$"))]
    pub phone: Option<String>,
    /// Region whose bank holidays count.
    #[garde(skip)]
    pub region: Region,
    /// Contact restriction (written only for UPCC and vexatious customers).
    #[serde(default)]
    #[garde(skip)]
    pub contact_restriction: ContactRestriction,
    /// Vulnerable: phone may not be appropriate, never a phone-only step.
    #[serde(default)]
    #[garde(skip)]
    pub vulnerable: bool,
    /// Asked for letters by post although an email address is known.
    #[serde(default)]
    #[garde(skip)]
    pub prefers_post: bool,
}

/// The member of staff a complaint is about. Only `reference` is kept; `name` is used to redact
/// the complaint and then dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
pub struct StaffMember {
    /// An opaque reference the line manager holds outside the system.
    #[garde(length(min = 1, max = 64), custom(single_line))]
    pub reference: String,
    /// The name as the customer gave it (never stored).
    #[garde(length(min = 2, max = 200), custom(single_line))]
    pub name: String,
}

/// A UK postal address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
pub struct PostalAddress {
    /// Address lines above the postcode (1 to 6), each one printable line.
    #[garde(
        length(min = 1, max = 6),
        inner(length(min = 1, max = 100), custom(single_line))
    )]
    pub lines: Vec<String>,
    /// The postcode: a UK postcode, with or without its space, in any case (stored upper
    /// case with one space).
    #[garde(pattern(r"^[A-Za-z]{1,2}[0-9][0-9A-Za-z]? ?[0-9][A-Za-z]{2}$"))]
    pub postcode: String,
}

impl PostalAddress {
    /// The postcode as letters print it: upper case, one space before the inward code.
    pub fn normalised_postcode(&self) -> String {
        let compact: String = self
            .postcode
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let split = compact.len().saturating_sub(3);
        format!("{} {}", &compact[..split], &compact[split..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcodes_are_normalised() {
        let address = |postcode: &str| PostalAddress {
            lines: vec!["1 High Street".into()],
            postcode: postcode.into(),
        };
        assert_eq!(address("sw1a1aa").normalised_postcode(), "SW1A 1AA");
        assert_eq!(address("M1 1AE").normalised_postcode(), "M1 1AE");
        assert_eq!(address("bt7 1nn").normalised_postcode(), "BT7 1NN");
    }

    fn checks() -> crate::events::checks::Checks {
        crate::events::checks::Checks::new(chrono::Utc::now(), 31)
    }

    #[test]
    fn only_uk_postcodes_pass() {
        let address = |postcode: &str| PostalAddress {
            lines: vec!["1 High Street".into()],
            postcode: postcode.into(),
        };
        for ok in ["SW1A 1AA", "m1 1ae", "EH11BB", "BT7 1NN"] {
            assert!(address(ok).validate_with(&checks()).is_ok(), "{ok}");
        }
        for bad in ["", "12345", "SW1A", "SW1A 1A"] {
            assert!(address(bad).validate_with(&checks()).is_err(), "{bad}");
        }
    }
}
