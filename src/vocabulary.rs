//! The words of the domain that events, rules and storage share: tiers, channels, who raised a
//! complaint, what it is about, regions, contact restrictions, resolution codes.
//!
//! Each is an enum whose wire and database form is its snake_case name (see [`as_str`]), so a
//! value reads the same in an event, a table and a log line.
//!
//! [`as_str`]: Tier::as_str

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Declares a domain enum with its snake_case wire name and `as_str`/`FromStr` over that name.
macro_rules! domain_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire and database name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    other => Err(format!("unknown {} `{other}`", stringify!($name))),
                }
            }
        }
    };
}

domain_enum! {
    /// The organisation's own tiers; each tier is its own case, linked to the one before.
    Tier {
        /// Tier 0, issue resolution at the first point of contact.
        Dissatisfaction = "dissatisfaction",
        /// Tier 1, the Complaint Resolution Team.
        Resolution = "resolution",
        /// Tier 2, the Complaint Review Team.
        Review = "review",
    }
}

impl Tier {
    /// The tier's number as the procedures count them.
    pub fn number(self) -> i16 {
        match self {
            Tier::Dissatisfaction => 0,
            Tier::Resolution => 1,
            Tier::Review => 2,
        }
    }

    /// The tier with that number.
    pub fn from_number(n: i16) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.number() == n)
    }

    /// The prefix of its case references: DIS-, RES-, REV-.
    pub fn reference_prefix(self) -> &'static str {
        match self {
            Tier::Dissatisfaction => "DIS",
            Tier::Resolution => "RES",
            Tier::Review => "REV",
        }
    }
}

domain_enum! {
    /// How the complaint reached the organisation.
    Channel {
        /// A phone call.
        Phone = "phone",
        /// A letter (scanned).
        Letter = "letter",
        /// An email.
        Email = "email",
        /// The online form.
        WebForm = "web_form",
        /// Face to face.
        InPerson = "in_person",
    }
}

domain_enum! {
    /// Who raised the complaint.
    RaisedBy {
        /// The customer themself.
        Customer = "customer",
        /// Someone acting for the customer.
        Representative = "representative",
        /// A Member of Parliament.
        Mp = "mp",
        /// The Independent Case Examiner.
        Ice = "ice",
        /// The Parliamentary and Health Service Ombudsman.
        Phso = "phso",
    }
}

impl RaisedBy {
    /// MPs, ICE and the PHSO may raise a complaint however long ago the case closed.
    pub fn has_no_time_limit(self) -> bool {
        matches!(self, RaisedBy::Mp | RaisedBy::Ice | RaisedBy::Phso)
    }
}

domain_enum! {
    /// What the complaint is about.
    About {
        /// The service received.
        Service = "service",
        /// A member of staff's behaviour (confidential).
        Staff = "staff",
        /// A contracted provider.
        Provider = "provider",
        /// Both the department and a provider.
        Mixed = "mixed",
        /// A decision that carries review or appeal rights: not a complaint.
        Decision = "decision",
    }
}

domain_enum! {
    /// To whom the complaint was addressed.
    #[derive(Default)]
    Addressee {
        /// The organisation itself.
        Organisation = "organisation",
        /// A Minister.
        Minister = "minister",
        /// The chief executive.
        ChiefExecutive = "chief_executive",
        /// Treat Official correspondence.
        TreatOfficial = "treat_official",
        /// No one in particular: the default.
        #[default]
        BusinessInGeneral = "business_in_general",
    }
}

domain_enum! {
    /// The region whose bank holidays count against the customer's working-day clocks.
    Region {
        /// England and Wales.
        EnglandAndWales = "england_and_wales",
        /// Scotland.
        Scotland = "scotland",
        /// Northern Ireland.
        NorthernIreland = "northern_ireland",
    }
}

domain_enum! {
    /// How the organisation may contact the customer.
    #[derive(Default)]
    ContactRestriction {
        /// Any channel.
        #[default]
        None = "none",
        /// Writing only (Unreasonable Persistent Customer Contact, vexatious customers).
        WrittenOnly = "written_only",
    }
}

domain_enum! {
    /// Why a complaint was refused at intake.
    RejectionReason {
        /// A disagreement with a decision that has its own review or appeal route.
        AppealableDecision = "appealable_decision",
        /// Raised more than 14 months after the customer's case closed.
        OutOfTime = "out_of_time",
    }
}

domain_enum! {
    /// How a case ended.
    ResolutionCode {
        /// The referral was not eligible (a Review with no recent Resolution case).
        Rejected = "Rejected",
        /// Closed with no action (e.g. no reply to CMSL5800).
        NoActionTaken = "No Action Taken",
        /// The customer only asked a question.
        AnsweredEnquiry = "Answered Enquiry",
        /// Actions done and the customer content.
        ActionsCompleteClientOk = "Actions Complete – Client OK",
        /// Actions done and the customer still not content.
        ActionsCompleteClientNotOk = "Actions Complete – Client Not OK",
        /// Not resolved at this tier; escalated.
        Unresolved = "Unresolved",
    }
}

domain_enum! {
    /// The team that owns a case.
    Team {
        /// Operational caseworkers and their team leaders (tier 0).
        OperationalCaseworkers = "operational_caseworkers",
        /// Team leaders: owners of staff-behaviour complaints at tier 0.
        TeamLeaders = "team_leaders",
        /// The Complaint Resolution Team (tier 1).
        ComplaintResolutionTeam = "complaint_resolution_team",
        /// The CRT's specialist MP officers (tier 1, parliamentary contact).
        MpSpecialists = "mp_specialists",
        /// The Complaint and Correspondence Review Team (tier 2).
        ComplaintReviewTeam = "complaint_review_team",
    }
}

domain_enum! {
    /// The clocks of process.md §5. Each runs on a case, is set by the event that starts it,
    /// cancelled by the event that meets it, and otherwise fired by a scheduler.
    ClockKind {
        /// Tier 1: initial contact within 48 hours of receipt.
        Acknowledgement = "acknowledgement",
        /// Tier 2: CMSL5829 within 2 working days when no phone contact is made.
        ReviewAcknowledgement = "review_acknowledgement",
        /// Tier 0: 14 days for the customer to reply to CMSL5700.
        DissatisfactionReplyWindow = "dissatisfaction_reply_window",
        /// 15 working days from receipt (20 for POS cases).
        ResponseTarget = "response_target",
        /// 7 days after CMSL5800: no reply closes the case `No Action Taken`.
        WaitAfterCmsl5800 = "wait_after_cmsl5800",
        /// 7 days after CMSL5801: the caseworker chases or proceeds.
        WaitAfterCmsl5801 = "wait_after_cmsl5801",
        /// 14 days after CMSL5805: the review closes.
        WaitAfterCmsl5805 = "wait_after_cmsl5805",
        /// A resolution action's agreed due date: a reminder.
        ActionDue = "action_due",
        /// Two working days past an action's due date: escalation to the manager.
        ActionOverdue = "action_overdue",
        /// A remedial action asked of another team (1 week simple, 2 weeks complex): a reminder.
        RemedialAction = "remedial_action",
        /// Two working days past a remedial action's deadline: escalation to the manager.
        RemedialActionOverdue = "remedial_action_overdue",
        /// ICE redress to be paid within 4 weeks of the final report.
        IceRedress = "ice_redress",
    }
}

domain_enum! {
    /// How a member of staff tried to reach the customer.
    ContactMethod {
        /// A phone call.
        Phone = "phone",
        /// A letter.
        Letter = "letter",
        /// A text message.
        Sms = "sms",
        /// An email.
        Email = "email",
    }
}

domain_enum! {
    /// How hard a remedial action asked of another team is (1 week simple, 2 weeks complex).
    Complexity {
        /// Due within 1 week.
        Simple = "simple",
        /// Due within 2 weeks.
        Complex = "complex",
    }
}

domain_enum! {
    /// Who a task or notification is for.
    Assignee {
        /// The case's caseworker or case manager.
        Caseworker = "caseworker",
        /// The team leader.
        TeamLeader = "team_leader",
        /// The manager.
        Manager = "manager",
    }
}

domain_enum! {
    /// How a letter went out.
    DispatchChannel {
        /// By email.
        Email = "email",
        /// By post.
        Post = "post",
    }
}

domain_enum! {
    /// The standard letters (process.md §6).
    LetterCode {
        /// Tier 0: we would like more information about your feedback.
        Cmsl5700 = "CMSL5700",
        /// Tier 0: thank you for getting in touch (proposed or completed actions).
        Cmsl5701 = "CMSL5701",
        /// Tier 1: keeping you informed (the resolution team will contact you); also the
        /// tier 1 acknowledgement when no contact is made within 48 hours (design).
        Cmsl5842 = "CMSL5842",
        /// Tier 2: keeping you informed (review received, not reached by phone).
        Cmsl5829 = "CMSL5829",
        /// Tier 2: no further action; signposts ICE.
        Cmsl5800 = "CMSL5800",
        /// Tier 2: the action plan.
        Cmsl5801 = "CMSL5801",
        /// Tier 2: the plan goes ahead although the customer disagreed.
        Cmsl5803 = "CMSL5803",
        /// Tier 2: the plan is revised.
        Cmsl5804 = "CMSL5804",
        /// Tier 2: resolved, not reached by phone.
        Cmsl5805 = "CMSL5805",
        /// Tier 2: resolved, the customer agreed closure.
        Cmsl5806 = "CMSL5806",
        /// Tier 2: closed although the customer disagreed (with leaflet CMSB0011).
        Cmsl5807 = "CMSL5807",
        /// Dispute action plan, not reached by phone.
        Cmsl5811 = "CMSL5811",
        /// Dispute action plan agreed by phone.
        Cmsl5812 = "CMSL5812",
    }
}
