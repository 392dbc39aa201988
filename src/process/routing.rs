//! Intake routing, process.md §3: the first rule that matches decides whether a complaint is
//! refused, and otherwise at which tier its case opens, which team owns it and which case it
//! is linked to. Only the rules that need no later event live here; the caseworker and TL
//! route (rule 7's second half) is the tier 0 escalation of `casework`.
//!
//! "The same issue" (rules 5 to 7) is the earlier case the channel names, if it is this
//! customer's; otherwise the customer's own recent case on one of the complaint's categories
//! ([`same_issue`]).

use chrono::{DateTime, Months, Utc};

use crate::events::ComplaintReceived;
use crate::vocabulary::{
    About, Correspondence, RaisedBy, RejectionReason, ResolutionCode, Team, Tier,
};

/// A complaint may be raised up to this long after the customer's case closed (rule 2).
pub const TIME_LIMIT_MONTHS: u32 = 14;

/// A Resolution case closed this recently makes a Review possible; a Dissatisfaction case this
/// recent sends a new complaint on the same issue to Resolution (rules 5 to 7).
pub const ELIGIBILITY_MONTHS: u32 = 6;

/// What this system knows of the earlier case a complaint names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierCase {
    /// The case's reference.
    pub reference: String,
    /// The tier the case is at.
    pub tier: Tier,
    /// The team that owns it.
    pub team: Team,
    /// When its complaint was received.
    pub received_at: DateTime<Utc>,
    /// When it closed, if it has.
    pub closed_at: Option<DateTime<Utc>>,
    /// The customer's reference: a case is only ever "the same issue" for its own customer.
    pub customer_reference: String,
    /// Its categories, for the look-up by category.
    pub categories: Vec<String>,
}

/// The routing decision for one complaint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Routing {
    /// Not a complaint, or out of time: no case opens.
    Reject {
        /// The reason, as a code.
        reason: RejectionReason,
        /// The reason, in words.
        detail: String,
    },
    /// A case opens for the complaint, as [`Opening`] says.
    Open(Opening),
}

/// How a case opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    /// The tier the case opens at.
    pub tier: Tier,
    /// The team that owns it.
    pub team: Team,
    /// The earlier case it is linked to, by reference.
    pub linked_case: Option<String>,
    /// The Operations Director's office must be told at once (rule 3).
    pub high_profile: bool,
    /// An MP is involved (rule 4).
    pub parliamentary_contact: bool,
    /// Set when the case closes as soon as it opens (rule 6), with where it goes back to.
    pub closed_at_once: Option<ClosedAtOnce>,
    /// Official correspondence (rule 0): a correspondence case, not a complaint.
    pub correspondence: Option<Correspondence>,
    /// The rule that decided, for the timeline.
    pub rule: &'static str,
}

/// A case that opens only to be closed (a Review referral that is not eligible).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedAtOnce {
    /// Always `Rejected` at intake.
    pub resolution_code: ResolutionCode,
    /// Why, for the team.
    pub reason: String,
    /// The team the referral is returned to.
    pub returned_to: Team,
}

/// Routes `complaint` by process.md §3, given the earlier case on the same issue (see
/// [`same_issue`]).
pub fn route(complaint: &ComplaintReceived, earlier: Option<&EarlierCase>) -> Routing {
    // Rule 0: official correspondence is answered, not routed through the tiers.
    if let Some(kind) = complaint.correspondence {
        return Routing::Open(Opening {
            tier: Tier::Resolution,
            team: Team::ComplaintResolutionTeam,
            linked_case: None,
            high_profile: complaint.high_profile,
            parliamentary_contact: kind == Correspondence::MpToDg
                || complaint.raised_by == RaisedBy::Mp,
            closed_at_once: None,
            correspondence: Some(kind),
            rule: "0: official correspondence",
        });
    }
    // Rule 1: a disagreement with an appealable decision is not a complaint; nor, for this
    // process, is one about a contracted provider's service alone.
    if complaint.about == About::Decision {
        return Routing::Reject {
            reason: RejectionReason::AppealableDecision,
            detail: "a disagreement with a decision that carries review or appeal rights is \
                     handled as a dispute (mandatory reconsideration), not as a complaint"
                .into(),
        };
    }
    if complaint.about == About::Provider {
        return Routing::Reject {
            reason: RejectionReason::ProviderComplaint,
            detail: "a complaint about a contracted provider goes through the provider's own \
                     complaints process first; if the customer is still dissatisfied they can \
                     take it to the Independent Case Examiner"
                .into(),
        };
    }
    // Rule 2: out of time, unless an MP, ICE or the PHSO raised it.
    // (Checked arithmetic: a limit past the end of the calendar is never reached.)
    if let Some(closed_on) = complaint.customer_case_closed_on {
        let limit = closed_on.checked_add_months(Months::new(TIME_LIMIT_MONTHS));
        let late = limit.filter(|limit| complaint.received_at.date_naive() > *limit);
        if let (false, Some(limit)) = (complaint.raised_by.has_no_time_limit(), late) {
            return Routing::Reject {
                reason: RejectionReason::OutOfTime,
                detail: format!(
                    "raised more than {TIME_LIMIT_MONTHS} months after the case closed on \
                     {closed_on} (the limit was {limit})"
                ),
            };
        }
    }
    // Rule 3 does not choose the tier: it flags the case wherever it opens.
    let mut opening = tier_for(complaint, earlier);
    opening.high_profile = complaint.high_profile;
    Routing::Open(opening)
}

/// Rules 4 to 8: the tier, team and link.
fn tier_for(complaint: &ComplaintReceived, earlier: Option<&EarlierCase>) -> Opening {
    let open = |tier, team, rule| Opening {
        tier,
        team,
        linked_case: earlier.map(|e| e.reference.clone()),
        high_profile: false,
        parliamentary_contact: false,
        closed_at_once: None,
        correspondence: None,
        rule,
    };
    // (Checked arithmetic: a start before the calendar begins is the calendar's beginning.)
    let eligibility_start = complaint
        .received_at
        .checked_sub_months(Months::new(ELIGIBILITY_MONTHS))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);

    // Rule 4: MP correspondence goes to the CRT's specialist MP officers.
    if complaint.raised_by == RaisedBy::Mp {
        return Opening {
            parliamentary_contact: true,
            ..open(
                Tier::Resolution,
                Team::MpSpecialists,
                "4: MP correspondence",
            )
        };
    }
    // Rule 4a: ICE returns a complaint whose gateway check failed (the department's own
    // process was not completed) for a Review (seed 002, step 31); the PHSO's is the same
    // (design): the department's final answer comes from Review. The internal ICE team is told
    // when an ICE one closes.
    if matches!(complaint.raised_by, RaisedBy::Ice | RaisedBy::Phso) {
        return open(
            Tier::Review,
            Team::ComplaintReviewTeam,
            "4a: raised by ICE or the PHSO (Review)",
        );
    }
    // Rule 5: a Resolution case for the same issue closed in the last 6 months → Review.
    let recent_resolution = earlier.is_some_and(|e| {
        e.tier == Tier::Resolution
            && e.closed_at
                .is_some_and(|closed| closed >= eligibility_start)
    });
    if recent_resolution {
        return open(
            Tier::Review,
            Team::ComplaintReviewTeam,
            "5: Resolution case closed within 6 months",
        );
    }
    // Rule 6: a Review referral without such a case is rejected and returned.
    if complaint.review_requested {
        let (reason, returned_to) = match earlier {
            Some(e) if e.tier == Tier::Resolution && e.closed_at.is_none() => (
                format!("Resolution case {} is still open", e.reference),
                e.team,
            ),
            Some(e) if e.tier == Tier::Resolution => (
                format!(
                    "Resolution case {} closed more than 6 months ago",
                    e.reference
                ),
                e.team,
            ),
            Some(e) => (format!("{} is not a Resolution case", e.reference), e.team),
            None => (
                "no Resolution case for this issue closed in the last 6 months".to_owned(),
                Team::ComplaintResolutionTeam,
            ),
        };
        return Opening {
            closed_at_once: Some(ClosedAtOnce {
                resolution_code: ResolutionCode::Rejected,
                reason,
                returned_to,
            }),
            ..open(
                Tier::Review,
                Team::ComplaintReviewTeam,
                "6: Review referral without a recent Resolution case",
            )
        };
    }
    // Rule 7: a recent Dissatisfaction on the same issue → Resolution.
    let recent_dissatisfaction = earlier
        .is_some_and(|e| e.tier == Tier::Dissatisfaction && e.received_at >= eligibility_start);
    if recent_dissatisfaction {
        return open(
            Tier::Resolution,
            Team::ComplaintResolutionTeam,
            "7: Dissatisfaction on the same issue within 6 months",
        );
    }
    // Every allegation of staff behaviour goes to the CRT, except one where an apology on the
    // colleague's behalf is enough: that one a team leader owns at tier 0 (seed 000).
    if complaint.about == About::Staff {
        return if complaint.apology_suffices {
            open(
                Tier::Dissatisfaction,
                Team::TeamLeaders,
                "8: first point of contact (an apology suffices; a team leader owns staff complaints)",
            )
        } else {
            open(
                Tier::Resolution,
                Team::ComplaintResolutionTeam,
                "8: an allegation of staff behaviour goes to the Complaint Resolution Team",
            )
        };
    }
    open(
        Tier::Dissatisfaction,
        Team::OperationalCaseworkers,
        "8: first point of contact",
    )
}

/// Whether the internal ICE team is told when this case closes: a Review that ICE raised
/// because its gateway check failed (seed 002, step 31).
pub fn ice_is_told_on_closure(tier: Tier, raised_by: RaisedBy) -> bool {
    tier == Tier::Review && raised_by == RaisedBy::Ice
}

/// Which earlier case a complaint is about "the same issue" as, and what to note about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SameIssue<'a> {
    /// The earlier case, if any.
    pub case: Option<&'a EarlierCase>,
    /// For the timeline: how it was found, or why the named one was not used.
    pub note: Option<String>,
}

/// The earlier case on the same issue (process.md §3, rules 5 to 7): the one the channel
/// names, if this system has it and it is the same customer's; otherwise, from `candidates`
/// (the customer's own cases received or closed within the last 6 months, or still open), one
/// sharing a category with the complaint: a Resolution case closed within 6 months (rule 5),
/// else a Dissatisfaction case received within 6 months (rule 7), else, for a Review referral,
/// the latest Resolution case (so that rule 6 says why it is not eligible). Latest first.
pub fn same_issue<'a>(
    complaint: &ComplaintReceived,
    named: Option<&'a EarlierCase>,
    candidates: &'a [EarlierCase],
) -> SameIssue<'a> {
    let customer = &complaint.customer.reference;
    let mut note = None;
    match (complaint.earlier_case.as_deref(), named) {
        (Some(_), Some(case)) if case.customer_reference == *customer => {
            return SameIssue {
                case: Some(case),
                note: None,
            }
        }
        (Some(reference), Some(_)) => {
            note = Some(format!(
                "The earlier case named, {reference}, is another customer's: not linked"
            ))
        }
        (Some(reference), None) => {
            note = Some(format!("No complaint case {reference}: not linked"))
        }
        (None, _) => {}
    }
    let start = complaint
        .received_at
        .checked_sub_months(Months::new(ELIGIBILITY_MONTHS))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let on_a_category = |c: &&EarlierCase| {
        c.customer_reference == *customer
            && c.categories
                .iter()
                .any(|x| complaint.categories.contains(x))
    };
    let latest = |tier: Tier, eligible: &dyn Fn(&EarlierCase) -> bool| {
        candidates
            .iter()
            .filter(on_a_category)
            .filter(|c| c.tier == tier && eligible(c))
            .max_by_key(|c| (c.closed_at.unwrap_or(c.received_at), c.received_at))
    };
    let found = latest(Tier::Resolution, &|c| {
        c.closed_at.is_some_and(|at| at >= start)
    })
    .or_else(|| latest(Tier::Dissatisfaction, &|c| c.received_at >= start))
    .or_else(|| {
        complaint
            .review_requested
            .then(|| latest(Tier::Resolution, &|_| true))
            .flatten()
    });
    if let Some(case) = found {
        let found_note = format!(
            "Same issue: the customer's {} case {} on a shared category",
            case.tier, case.reference
        );
        note = Some(match note {
            Some(first) => format!("{first}. {found_note}"),
            None => found_note,
        });
    }
    SameIssue { case: found, note }
}

/// The opening of the case a lower one escalates to (process.md §4): tier 0 goes to the
/// Complaint Resolution Team (its MP specialists when an MP is involved), tier 1 to the Review
/// team; tier 2 goes no higher inside the organisation (ICE is signposted, not opened).
pub fn escalation(
    lower_reference: &str,
    lower_tier: Tier,
    parliamentary_contact: bool,
    high_profile: bool,
) -> Option<Opening> {
    let (tier, team) = match lower_tier {
        Tier::Dissatisfaction if parliamentary_contact => (Tier::Resolution, Team::MpSpecialists),
        Tier::Dissatisfaction => (Tier::Resolution, Team::ComplaintResolutionTeam),
        Tier::Resolution => (Tier::Review, Team::ComplaintReviewTeam),
        Tier::Review => return None,
    };
    Some(Opening {
        tier,
        team,
        linked_case: Some(lower_reference.to_owned()),
        high_profile,
        parliamentary_contact,
        closed_at_once: None,
        correspondence: None,
        rule: "escalation from the tier below",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::complaint_received::{Customer, PostalAddress};
    use crate::vocabulary::{Addressee, Channel, ContactRestriction, Region};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn complaint() -> ComplaintReceived {
        ComplaintReceived {
            customer: Customer {
                reference: "C1".into(),
                name: "Ada Lovelace".into(),
                address: PostalAddress {
                    lines: vec!["1 High Street".into(), "London".into()],
                    postcode: "SW1A 1AA".into(),
                },
                email: None,
                phone: None,
                region: Region::EnglandAndWales,
                contact_restriction: ContactRestriction::None,
                vulnerable: false,
                prefers_post: false,
            },
            received_at: at("2026-11-24T10:00:00Z"),
            channel: Channel::WebForm,
            raised_by: RaisedBy::Customer,
            about: About::Service,
            addressee: Addressee::BusinessInGeneral,
            categories: vec!["delay".into()],
            summary: "My payment is late.".into(),
            high_profile: false,
            pos: false,
            review_requested: false,
            earlier_case: None,
            customer_case_closed_on: None,
            staff_member: None,
            apology_suffices: false,
            provider: None,
            correspondence: None,
        }
    }

    fn earlier(tier: Tier, received: &str, closed: Option<&str>) -> EarlierCase {
        EarlierCase {
            reference: "EARLIER-1".into(),
            tier,
            team: Team::ComplaintResolutionTeam,
            received_at: at(received),
            closed_at: closed.map(at),
            customer_reference: "C1".into(),
            categories: vec!["delay".into()],
        }
    }

    fn opening(routing: Routing) -> Opening {
        match routing {
            Routing::Open(o) => o,
            other => panic!("expected a case to open, got {other:?}"),
        }
    }

    #[test]
    fn an_appealable_decision_is_refused_whoever_raises_it() {
        let mut c = complaint();
        c.about = About::Decision;
        c.raised_by = RaisedBy::Mp;
        assert!(matches!(
            route(&c, None),
            Routing::Reject {
                reason: RejectionReason::AppealableDecision,
                ..
            }
        ));
    }

    #[test]
    fn fourteen_months_after_closure_is_the_last_day() {
        let mut c = complaint();
        c.customer_case_closed_on = Some("2025-09-24".parse().unwrap());
        assert!(
            matches!(route(&c, None), Routing::Open(_)),
            "2026-11-24 is the last day"
        );
        c.customer_case_closed_on = Some("2025-09-23".parse().unwrap());
        assert!(matches!(
            route(&c, None),
            Routing::Reject {
                reason: RejectionReason::OutOfTime,
                ..
            }
        ));
    }

    #[test]
    fn mps_ice_and_phso_have_no_time_limit() {
        for raised_by in [RaisedBy::Mp, RaisedBy::Ice, RaisedBy::Phso] {
            let mut c = complaint();
            c.raised_by = raised_by;
            c.customer_case_closed_on = Some("2010-01-01".parse().unwrap());
            assert!(matches!(route(&c, None), Routing::Open(_)), "{raised_by}");
        }
    }

    #[test]
    fn mp_correspondence_goes_to_the_mp_specialists_at_tier_1() {
        let mut c = complaint();
        c.raised_by = RaisedBy::Mp;
        let o = opening(route(&c, None));
        assert_eq!((o.tier, o.team), (Tier::Resolution, Team::MpSpecialists));
        assert!(o.parliamentary_contact);
    }

    #[test]
    fn high_profile_flags_the_case_at_its_own_tier() {
        let mut c = complaint();
        c.high_profile = true;
        let o = opening(route(&c, None));
        assert_eq!(o.tier, Tier::Dissatisfaction);
        assert!(o.high_profile);
    }

    #[test]
    fn a_resolution_case_closed_within_six_months_leads_to_review() {
        let c = complaint();
        let e = earlier(
            Tier::Resolution,
            "2026-03-01T09:00:00Z",
            Some("2026-05-25T09:00:00Z"),
        );
        let o = opening(route(&c, Some(&e)));
        assert_eq!((o.tier, o.team), (Tier::Review, Team::ComplaintReviewTeam));
        assert_eq!(o.linked_case.as_deref(), Some("EARLIER-1"));
        assert_eq!(o.closed_at_once, None);
    }

    #[test]
    fn a_review_referral_without_a_recent_resolution_case_is_rejected_and_returned() {
        let mut c = complaint();
        c.review_requested = true;
        let stale = earlier(
            Tier::Resolution,
            "2025-01-01T09:00:00Z",
            Some("2026-05-23T09:00:00Z"),
        );
        let open_case = earlier(Tier::Resolution, "2026-11-01T09:00:00Z", None);
        for e in [Some(&stale), Some(&open_case), None] {
            let o = opening(route(&c, e));
            assert_eq!(o.tier, Tier::Review);
            let closed = o.closed_at_once.expect("closed at once");
            assert_eq!(closed.resolution_code, ResolutionCode::Rejected);
            assert_eq!(closed.returned_to, Team::ComplaintResolutionTeam);
        }
    }

    #[test]
    fn a_recent_dissatisfaction_leads_to_resolution() {
        let c = complaint();
        let recent = earlier(Tier::Dissatisfaction, "2026-06-01T09:00:00Z", None);
        let o = opening(route(&c, Some(&recent)));
        assert_eq!(
            (o.tier, o.team),
            (Tier::Resolution, Team::ComplaintResolutionTeam)
        );
        let old = earlier(Tier::Dissatisfaction, "2026-01-01T09:00:00Z", None);
        assert_eq!(opening(route(&c, Some(&old))).tier, Tier::Dissatisfaction);
    }

    #[test]
    fn a_staff_allegation_goes_to_the_crt_unless_an_apology_suffices() {
        let mut c = complaint();
        c.about = About::Staff;
        let o = opening(route(&c, None));
        assert_eq!(
            (o.tier, o.team),
            (Tier::Resolution, Team::ComplaintResolutionTeam)
        );
        c.apology_suffices = true;
        let o = opening(route(&c, None));
        assert_eq!((o.tier, o.team), (Tier::Dissatisfaction, Team::TeamLeaders));
        // An MP's allegation still goes to the MP specialists (rule 4 comes first).
        c.apology_suffices = false;
        c.raised_by = RaisedBy::Mp;
        assert_eq!(opening(route(&c, None)).team, Team::MpSpecialists);
    }

    #[test]
    fn otherwise_the_first_point_of_contact_resolves_it() {
        let o = opening(route(&complaint(), None));
        assert_eq!(
            (o.tier, o.team),
            (Tier::Dissatisfaction, Team::OperationalCaseworkers)
        );
    }

    #[test]
    fn official_correspondence_is_answered_not_routed_through_the_tiers() {
        for kind in Correspondence::ALL {
            let mut c = complaint();
            c.correspondence = Some(*kind);
            c.about = About::Decision;
            let o = opening(route(&c, None));
            assert_eq!(o.correspondence, Some(*kind));
            assert_eq!(o.team, Team::ComplaintResolutionTeam);
            assert_eq!(o.parliamentary_contact, *kind == Correspondence::MpToDg);
        }
    }

    #[test]
    fn a_provider_complaint_goes_to_the_provider_first_but_a_mixed_one_is_ours() {
        let mut c = complaint();
        c.about = About::Provider;
        c.raised_by = RaisedBy::Mp;
        assert!(matches!(
            route(&c, None),
            Routing::Reject {
                reason: RejectionReason::ProviderComplaint,
                ..
            }
        ));
        c.about = About::Mixed;
        c.raised_by = RaisedBy::Customer;
        assert_eq!(opening(route(&c, None)).tier, Tier::Dissatisfaction);
    }

    #[test]
    fn ice_and_the_phso_raise_a_review() {
        for raised_by in [RaisedBy::Ice, RaisedBy::Phso] {
            let mut c = complaint();
            c.raised_by = raised_by;
            let o = opening(route(&c, None));
            assert_eq!((o.tier, o.team), (Tier::Review, Team::ComplaintReviewTeam));
            assert_eq!(o.closed_at_once, None, "no eligibility check: {raised_by}");
        }
    }

    #[test]
    fn a_named_case_counts_only_when_it_is_the_same_customers() {
        let mut c = complaint();
        c.earlier_case = Some("EARLIER-1".into());
        let mut theirs = earlier(
            Tier::Resolution,
            "2026-03-01T09:00:00Z",
            Some("2026-05-25T09:00:00Z"),
        );
        let same = same_issue(&c, Some(&theirs), &[]);
        assert_eq!(same.case, Some(&theirs));
        theirs.customer_reference = "SOMEONE-ELSE".into();
        let other = same_issue(&c, Some(&theirs), &[]);
        assert_eq!(other.case, None);
        assert!(other.note.unwrap().contains("another customer's"));
    }

    #[test]
    fn without_a_named_case_the_customers_own_recent_case_on_a_category_is_found() {
        let c = complaint();
        let mut other_category = earlier(Tier::Dissatisfaction, "2026-10-01T09:00:00Z", None);
        other_category.categories = vec!["staff conduct".into()];
        let dissatisfaction = earlier(Tier::Dissatisfaction, "2026-09-01T09:00:00Z", None);
        let resolution = earlier(
            Tier::Resolution,
            "2026-02-01T09:00:00Z",
            Some("2026-07-01T09:00:00Z"),
        );
        let stale = earlier(
            Tier::Resolution,
            "2025-01-01T09:00:00Z",
            Some("2025-03-01T09:00:00Z"),
        );
        let all = [
            other_category.clone(),
            dissatisfaction.clone(),
            stale.clone(),
        ];
        assert_eq!(same_issue(&c, None, &all).case, Some(&all[1]));
        let all = [dissatisfaction, resolution, stale];
        let found = same_issue(&c, None, &all);
        assert_eq!(
            found.case,
            Some(&all[1]),
            "a Resolution case first (rule 5)"
        );
        assert_eq!(opening(route(&c, found.case)).tier, Tier::Review);
        assert_eq!(same_issue(&c, None, &[other_category]).case, None);
    }
}
