//! Official correspondence (seed 001, process.md §1 and §3 rule 0): POS (Private Office)
//! letters, MP-to-DG letters and "Treat Official" letters are answered, not complained about.
//! Each is a case of its own kind (`COR-…`) owned by the Complaint Resolution Team, with its
//! response target (20 working days for POS, 15 otherwise) and no acknowledgement, signposting
//! or escalation. What a reply must be, by kind:
//!
//! | kind | reply | signed by |
//! | --- | --- | --- |
//! | POS | written (Cabinet Office guidance), the final version agreed by a team leader | a Director |
//! | MP to DG | written, agreed by a team leader | the handler |
//! | Treat Official | written (agreed by a team leader, signed by the handler) or a phone call | the handler |

use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;

use crate::events::CorrespondenceReplied;
use crate::vocabulary::{ContactMethod, Correspondence, Signatory};

/// The prefix of a correspondence reference (`COR-2026-000042`).
pub const REFERENCE_PREFIX: &str = "COR";

/// The reference of correspondence number `number`, opened at `opened_at`: the same shape and
/// sequence as a case's.
pub fn reference(opened_at: DateTime<Utc>, number: i64) -> String {
    format!("{REFERENCE_PREFIX}-{}-{number:06}", opened_at.year())
}

/// Whether `reply` is a proper answer to correspondence of `kind`; `Err` says why not.
pub fn check_reply(kind: Correspondence, reply: &CorrespondenceReplied) -> Result<(), String> {
    let written = matches!(reply.method, ContactMethod::Letter | ContactMethod::Email);
    if !written {
        return match (kind, reply.method) {
            (Correspondence::TreatOfficial, ContactMethod::Phone) => Ok(()),
            (Correspondence::TreatOfficial, _) => {
                Err("a Treat Official reply is written (letter or email) or given by phone".into())
            }
            _ => Err(format!(
                "{} correspondence needs a written reply (letter or email)",
                label(kind)
            )),
        };
    }
    let Some(agreed_by) = reply.agreed_by.as_deref() else {
        return Err(
            "a written reply's final version is agreed by a team leader: agreed_by is missing"
                .into(),
        );
    };
    if agreed_by == reply.by {
        return Err("the team leader who agreed the reply cannot be its handler".into());
    }
    let needed = signatory(kind);
    if reply.signed_by != Some(needed) {
        return Err(format!(
            "{} correspondence is signed by {}",
            label(kind),
            match needed {
                Signatory::Director => "a Director (POS)",
                Signatory::Handler => "the handler",
            }
        ));
    }
    Ok(())
}

/// What official correspondence of one kind is and what its reply must be, in words: shown
/// with the case (`complaints show`, `GET /v1/cases/{ref}`) so its handler reads the rules
/// [`check_reply`] applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rules {
    /// The kind as people say it (`POS`, `MP to DG`, `Treat Official`).
    pub kind: &'static str,
    /// How the reply is given, and who agrees it.
    pub reply: &'static str,
    /// Who signs a written reply.
    pub signed_by: Signatory,
    /// Its response target, in working days from receipt.
    pub target_working_days: u32,
    /// What it is not: no acknowledgement, signposting or escalation.
    pub not_a_complaint: &'static str,
}

/// The rules of correspondence of `kind`.
pub fn rules(kind: Correspondence) -> Rules {
    Rules {
        kind: label(kind),
        reply: match kind {
            Correspondence::Pos => {
                "written (letter or email) following the Cabinet Office guidance; its final version agreed by a team leader; signed by a Director"
            }
            Correspondence::MpToDg => {
                "written (letter or email); its final version agreed by a team leader; signed by the handler"
            }
            Correspondence::TreatOfficial => {
                "written (letter or email; agreed by a team leader, signed by the handler) or a phone call"
            }
        },
        signed_by: signatory(kind),
        target_working_days: match kind {
            Correspondence::Pos => crate::process::clocks::POS_RESPONSE_TARGET_WORKING_DAYS,
            Correspondence::MpToDg | Correspondence::TreatOfficial => {
                crate::process::clocks::RESPONSE_TARGET_WORKING_DAYS
            }
        },
        not_a_complaint:
            "answered, not complained about: no acknowledgement, no signposting, no escalation",
    }
}

/// Who signs a written reply to correspondence of `kind`.
pub fn signatory(kind: Correspondence) -> Signatory {
    match kind {
        Correspondence::Pos => Signatory::Director,
        Correspondence::MpToDg | Correspondence::TreatOfficial => Signatory::Handler,
    }
}

/// The kind as people say it.
pub fn label(kind: Correspondence) -> &'static str {
    match kind {
        Correspondence::Pos => "POS",
        Correspondence::MpToDg => "MP to DG",
        Correspondence::TreatOfficial => "Treat Official",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(method: ContactMethod, signed_by: Option<Signatory>) -> CorrespondenceReplied {
        CorrespondenceReplied {
            method,
            signed_by,
            agreed_by: Some("TL-1".into()),
            summary: "Answered.".into(),
            by: "CM-1".into(),
        }
    }

    #[test]
    fn the_rules_shown_are_the_rules_checked() {
        for kind in [
            Correspondence::Pos,
            Correspondence::MpToDg,
            Correspondence::TreatOfficial,
        ] {
            let shown = rules(kind);
            assert_eq!(shown.signed_by, signatory(kind));
            let signer = match shown.signed_by {
                Signatory::Director => "signed by a Director",
                Signatory::Handler => "signed by the handler",
            };
            assert!(shown.reply.contains(signer), "{shown:?}");
            let by_phone = check_reply(kind, &reply(ContactMethod::Phone, None)).is_ok();
            assert_eq!(shown.reply.contains("phone call"), by_phone, "{shown:?}");
        }
        assert_eq!(rules(Correspondence::Pos).target_working_days, 20);
        assert_eq!(rules(Correspondence::TreatOfficial).target_working_days, 15);
    }

    #[test]
    fn a_pos_reply_is_written_and_signed_by_a_director() {
        let pos = Correspondence::Pos;
        assert!(check_reply(
            pos,
            &reply(ContactMethod::Letter, Some(Signatory::Director))
        )
        .is_ok());
        assert!(check_reply(pos, &reply(ContactMethod::Letter, Some(Signatory::Handler))).is_err());
        assert!(check_reply(pos, &reply(ContactMethod::Phone, None)).is_err());
    }

    #[test]
    fn mp_to_dg_is_signed_by_the_handler_and_treat_official_may_be_a_call() {
        let handler = Some(Signatory::Handler);
        assert!(check_reply(
            Correspondence::MpToDg,
            &reply(ContactMethod::Letter, handler)
        )
        .is_ok());
        assert!(check_reply(Correspondence::MpToDg, &reply(ContactMethod::Phone, None)).is_err());
        let treat = Correspondence::TreatOfficial;
        assert!(check_reply(treat, &reply(ContactMethod::Phone, None)).is_ok());
        assert!(check_reply(treat, &reply(ContactMethod::Email, handler)).is_ok());
    }

    #[test]
    fn a_written_reply_needs_a_team_leaders_agreement_from_someone_else() {
        let mut r = reply(ContactMethod::Letter, Some(Signatory::Handler));
        r.agreed_by = None;
        assert!(check_reply(Correspondence::MpToDg, &r).is_err());
        r.agreed_by = Some(r.by.clone());
        assert!(check_reply(Correspondence::MpToDg, &r).is_err());
    }
}
