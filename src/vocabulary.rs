//! The words of the domain that events, rules and storage share: tiers, channels, who raised a
//! complaint, what it is about, regions, contact restrictions, resolution codes.
//!
//! Each is an enum whose wire and database form is its snake_case name (see [`as_str`]), so a
//! value reads the same in an event, a table and a log line.
//!
//! [`as_str`]: Tier::as_str

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{SmallInt, Text};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A value that is not one of its type's names, read from an event or from the database. One
/// policy everywhere: the value is refused with this error, never dropped or replaced by a
/// default. Read from a row, diesel's error names the column ("Error deserializing field
/// 'contact_restriction'") and this, its source, names the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {type_name} `{value}`")]
pub struct UnknownValue {
    /// The domain type the value should have been (`ContactRestriction`).
    pub type_name: &'static str,
    /// The value as found, cut to 100 characters.
    pub value: String,
}

impl UnknownValue {
    fn new(type_name: &'static str, value: &str) -> Self {
        Self {
            type_name,
            value: value.chars().take(100).collect(),
        }
    }
}

/// Declares a domain enum with its snake_case wire name and `as_str`/`FromStr` over that name.
macro_rules! domain_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema,
            AsExpression, FromSqlRow,
        )]
        #[diesel(sql_type = Text)]
        $(#[$meta])*
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
                    other => Err(UnknownValue::new(stringify!($name), other).to_string()),
                }
            }
        }

        /// A value compares equal to its wire name (`Status::Closed == "Closed"`).
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl ToSql<Text, Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                <str as ToSql<Text, Pg>>::to_sql(self.as_str(), out)
            }
        }

        /// A stored value this version does not know is an error (diesel adds the column's
        /// name), never a default: see [`UnknownValue`].
        impl FromSql<Text, Pg> for $name {
            fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
                let text = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
                match text.as_str() {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(Box::new(UnknownValue::new(stringify!($name), &text))),
                }
            }
        }
    };
}

domain_enum! {
    /// The organisation's own tiers; each tier is its own case, linked to the one before.
    /// Named in events by its word, stored as its number (a `smallint`).
    #[diesel(sql_type = SmallInt)]
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

impl ToSql<SmallInt, Pg> for Tier {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        ToSql::<SmallInt, Pg>::to_sql(&self.number(), &mut out.reborrow())
    }
}

/// A tier number this version does not know is an error naming the number, never a default.
impl FromSql<SmallInt, Pg> for Tier {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        let n = <i16 as FromSql<SmallInt, Pg>>::from_sql(bytes)?;
        Tier::from_number(n).ok_or_else(|| UnknownValue::new("Tier", &n.to_string()).into())
    }
}

domain_enum! {
    /// What a record in `cases` is: a complaint at one of the tiers, or a dispute about an
    /// appealable decision (not a complaint: process.md §1, rule 1), kept as a case is so that
    /// its letters, timeline and clocks work the same way.
    CaseKind {
        /// A complaint case at tier 0, 1 or 2.
        Complaint = "complaint",
        /// A dispute opened from a complaint refused as an appealable decision.
        Dispute = "dispute",
        /// Official correspondence (POS, MP to DG, Treat Official): answered, not complained
        /// about, so no tier's procedure, signposting or escalation (seed 001).
        Correspondence = "correspondence",
    }
}

domain_enum! {
    /// The kinds of official correspondence (seed 001, process.md §1): each is answered by the
    /// Complaint Resolution Team, with no signposting and no escalation route.
    Correspondence {
        /// Private Office correspondence: a written reply for a Director's signature, within
        /// 20 working days.
        Pos = "pos",
        /// A letter from an MP to the Director General: the handler signs the reply.
        MpToDg = "mp_to_dg",
        /// "Treat Official": the handler replies in writing or by phone.
        TreatOfficial = "treat_official",
    }
}

domain_enum! {
    /// Feedback that is not a complaint (process.md §1): recorded and counted, no case, no
    /// clocks.
    FeedbackKind {
        /// Praise for a specific part of the service; credits the team (and member of staff)
        /// praised.
        Compliment = "compliment",
        /// An idea for improving the service.
        Suggestion = "suggestion",
        /// The customer is only asking about something; answered as normal business.
        Enquiry = "enquiry",
    }
}

domain_enum! {
    /// Who signs the reply to official correspondence (seed 001).
    Signatory {
        /// The handler signs and sends it (MP to DG, Treat Official).
        Handler = "handler",
        /// A Director signs it (POS).
        Director = "director",
    }
}

domain_enum! {
    /// Where a dispute stands (process.md §6, seed 004 CMSL5811 / CMSL5812).
    DisputeStage {
        /// Opened from the refused complaint; no plan yet.
        Received = "Dispute Received",
        /// A plan was proposed by CMSL5811 to a customer not reached by phone.
        PlanProposed = "Plan Proposed",
        /// The customer agreed the plan by phone; CMSL5812 confirmed it.
        PlanAgreed = "Plan Agreed",
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
    /// The agreed complaint categories (seed 003, standard 5.3: "we have agreed complaint
    /// categories"), a controlled list so that the Systemic Log and the report count like with
    /// like: free text would split one subject over many spellings. The list itself is
    /// **(design)**: the seeds require one without giving it.
    Category {
        /// The case took too long.
        Delay = "delay",
        /// A payment was wrong, late or missing.
        Payments = "payments",
        /// A calculation was wrong.
        Calculation = "calculation",
        /// Post was lost or never arrived.
        LostPost = "lost_post",
        /// Wrong or misleading information or advice.
        WrongInformation = "wrong_information",
        /// Calls, letters or messages not answered or returned.
        Communication = "communication",
        /// A member of staff's behaviour.
        StaffConduct = "staff_conduct",
        /// Enforcement action.
        Enforcement = "enforcement",
        /// Reasonable adjustments and accessibility.
        Accessibility = "accessibility",
        /// Personal data mishandled.
        DataProtection = "data_protection",
        /// A contracted provider's service.
        Provider = "provider",
        /// Anything the other categories do not describe.
        Other = "other",
    }
}

#[cfg(test)]
mod category_tests {
    use super::Category;

    #[test]
    fn an_agreed_category_is_recognised_whatever_its_spelling() {
        for text in ["lost_post", "Lost post", " LOST-POST ", "lost  post"] {
            assert_eq!(
                Category::recognise(text),
                Some(Category::LostPost),
                "{text}"
            );
        }
        assert_eq!(Category::recognise("post lost"), None);
        assert_eq!(
            Category::normalise(&["Delay".into(), "delay".into(), "my own words".into()]),
            ["delay", "my own words"]
        );
    }
}

impl Category {
    /// The agreed category `text` names, whatever its case, spacing or hyphens
    /// (`"Lost post"`, `"lost-post"` → `LostPost`).
    pub fn recognise(text: &str) -> Option<Category> {
        let words: Vec<String> = text
            .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        words.join("_").parse().ok()
    }

    /// Categories as the case keeps them: each agreed one by its name, any other as written.
    /// (Event version 1 takes free text; only agreed categories count on the Systemic Log.)
    pub fn normalise(categories: &[String]) -> Vec<String> {
        let mut kept: Vec<String> = Vec::with_capacity(categories.len());
        for text in categories {
            let name =
                Category::recognise(text).map_or_else(|| text.clone(), |c| c.as_str().into());
            if !kept.contains(&name) {
                kept.push(name);
            }
        }
        kept
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
        /// About a contracted provider's service alone: the provider's own complaints
        /// process comes first, then ICE (seed 003).
        ProviderComplaint = "provider_complaint",
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
        /// Who handles disputes of a refused complaint (design: the procedures name no team).
        DisputeResolution = "dispute_resolution",
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
        /// A dispute: the 7 days CMSL5811 gives the customer to object to the proposed plan.
        DisputeReply = "dispute_reply",
        /// A dispute: the days CMSL5812 promised to take the agreed steps in.
        DisputeActionDue = "dispute_action_due",
        /// Tiers 1 and 2: the days the customer was given to send more evidence for a special
        /// payment; when they run out, the case manager decides on what they have.
        EvidenceWait = "evidence_wait",
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
        /// The manager (for a tier 0 referral, the G7 business-as-usual manager).
        Manager = "manager",
        /// The Special Payment Team: payments beyond delegated authority.
        SpecialPaymentTeam = "special_payment_team",
        /// The Complaint Resolution Team: a case escalated to tier 1.
        ComplaintResolutionTeam = "complaint_resolution_team",
        /// The CRT's specialist MP officers: an MP case escalated to tier 1.
        MpSpecialists = "mp_specialists",
        /// The Complaint Review Team: a case escalated to tier 2.
        ComplaintReviewTeam = "complaint_review_team",
        /// The internal ICE team: a Review raised by a failed ICE gateway check has closed
        /// (seed 002, step 31).
        IceTeam = "ice_team",
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

domain_enum! {
    /// Where a case is in its tier's procedure (process.md §4). The procedures name most of
    /// these; `Investigation` and `Escalate to Review` are the project's words (design).
    Stage {
        /// Tiers 0 and 2: the case has just opened.
        AcknowledgeIssue = "Acknowledge Issue",
        /// Tier 1: the case has just opened.
        AcknowledgeComplaint = "Acknowledge Complaint",
        /// Tiers 1 and 2: allocated and being investigated (design).
        Investigation = "Investigation",
        /// The resolution plan's actions are being carried out.
        ResolutionAction = "Resolution Action",
        /// Tier 0: the customer is not content; the team leader decides.
        EscalateToTeamLeader = "Escalate to Team Leader",
        /// Tier 0: escalated to a Resolution case.
        EscalateToResolution = "Escalate to Resolution",
        /// Tier 1: escalated to a Review case (design).
        EscalateToReview = "Escalate to Review",
    }
}

domain_enum! {
    /// A case's status.
    Status {
        /// Opened, waiting for a team leader to allocate it.
        PendingAssignment = "Pending Assignment",
        /// Being worked.
        InProgress = "In Progress",
        /// Waiting for a team leader's (or the Special Payment Team's, or a G7's) decision.
        PendingApproval = "Pending Approval",
        /// Ended, with a resolution code.
        Closed = "Closed",
    }
}

domain_enum! {
    /// A case's sub-status: the step within its status. Tier 2 names most of them; the tier 0
    /// TL step and the Special Payment Team and G7 steps are the project's (design).
    SubStatus {
        /// Being worked.
        InProgress = "In Progress",
        /// A resolution plan is being drafted.
        DraftActionPlan = "Draft Action Plan",
        /// Tier 0: the customer is not content; the team leader decides.
        PendingApprovalTl = "Pending Approval – TL",
        /// The plan includes financial redress and waits for the team leader.
        PendingTlApproval = "Pending TL Approval",
        /// The payment is beyond delegated authority and waits for the Special Payment Team.
        PendingSpecialPaymentTeam = "Pending Special Payment Team",
        /// Tier 0: a referral to tier 1 waits for the G7 manager's authorisation.
        PendingG7Authorisation = "Pending G7 Authorisation",
        /// The plan is approved and can be put to the customer.
        Approved = "Approved",
        /// The plan was rejected and goes back to drafting.
        Rejected = "Rejected",
        /// The plan's actions are being carried out.
        UndertakeActionsPrescribed = "Undertake Actions Prescribed",
        /// Waiting for the customer.
        Wait = "Wait",
        /// Closed.
        Complete = "Complete",
    }
}

domain_enum! {
    /// The finding of a Resolution or Review case (process.md §4).
    Outcome {
        /// The complaint was right.
        Upheld = "upheld",
        /// Partly right.
        PartUpheld = "part_upheld",
        /// Not right.
        NotUpheld = "not_upheld",
        /// Tier 2 only: right to complain, but what was already done is enough.
        Justified = "justified",
    }
}

domain_enum! {
    /// The kinds of action a resolution plan may hold (process.md §4, §7).
    ActionKind {
        /// Putting right what went wrong.
        CorrectiveAction = "corrective_action",
        /// An apology.
        Apology = "apology",
        /// An explanation of what happened.
        Explanation = "explanation",
        /// Information the customer needs.
        Information = "information",
        /// An assurance of remedial action.
        Assurance = "assurance",
        /// A special payment: needs the team leader's approval, and the Special Payment
        /// Team's beyond delegated authority.
        FinancialRedress = "financial_redress",
        /// A refund of the application fee.
        ApplicationFeeRefund = "application_fee_refund",
        /// A payment to the customer's admin account.
        AdminAccountPayment = "admin_account_payment",
        /// A change to the customer's circumstances on record.
        ChangeOfCircumstances = "change_of_circumstances",
    }
}

domain_enum! {
    /// The kind of a special payment, which sets the delegated limit (process.md §4, tier 1
    /// step 5).
    PaymentKind {
        /// Reimbursing an actual financial loss: up to £250 within delegated authority.
        ActualFinancialLoss = "actual_financial_loss",
        /// A consolatory payment: up to £100 within delegated authority.
        Consolatory = "consolatory",
    }
}

domain_enum! {
    /// Who approves a resolution plan with financial redress.
    Approver {
        /// The team leader, within delegated authority.
        TeamLeader = "team_leader",
        /// The Special Payment Team, beyond it.
        SpecialPaymentTeam = "special_payment_team",
    }
}

domain_enum! {
    /// The team leader's decision on a tier 0 case whose customer is not content (process.md
    /// §4, tier 0 step 5).
    TeamLeaderDecision {
        /// Agreement reached: the actions go ahead and the case closes.
        AgreementReached = "agreement_reached",
        /// Agreement, but the customer wants a small consolatory payment: a "non complaint
        /// consolatory payment referral only" to tier 1.
        ConsolatoryPaymentReferral = "consolatory_payment_referral",
        /// The team leader cannot resolve it: referral to tier 1.
        CannotResolve = "cannot_resolve",
    }
}

domain_enum! {
    /// What a case conference decided (seed 001: "whether you can take the additional steps to
    /// resolve the complaint").
    ConferenceDecision {
        /// A little more work can resolve it: the caseworker takes the steps agreed.
        AdditionalSteps = "additional_steps",
        /// Nothing more would resolve it: the case goes on as it stands.
        NoFurtherSteps = "no_further_steps",
    }
}

domain_enum! {
    /// Where a customer is pointed next when they are told the outcome.
    Signposting {
        /// Tier 1 outcomes signpost the Review.
        Review = "review",
        /// Tier 2 outcomes signpost the Independent Case Examiner.
        Ice = "ice",
    }
}

domain_enum! {
    /// The independent bodies beyond the organisation's tiers, whose contacts and stages the
    /// system records (it does not run their investigations).
    ExternalBody {
        /// The Independent Case Examiner (tier 3).
        Ice = "ice",
        /// The Parliamentary and Health Service Ombudsman (tier 4).
        Phso = "phso",
    }
}

domain_enum! {
    /// A stage at ICE or the PHSO, in the order they happen. ICE's three are the ICE
    /// procedure's; the PHSO's are the project's (design).
    ExternalStage {
        /// The body asked the organisation about the case (the first contact).
        Contacted = "contacted",
        /// ICE mediates: no finding, no fee.
        Resolution = "resolution",
        /// ICE proposes a remedy from the evidence: no finding, no fee.
        Settlement = "settlement",
        /// ICE or the PHSO investigates and reports.
        InvestigationReport = "investigation_report",
        /// The final report is issued.
        FinalReport = "final_report",
    }
}

domain_enum! {
    /// What a member of staff wrote with a decision, kept on the case's timeline as written
    /// (issue 12 point 12): each kind is an entry `"<label>: <text>"` whose detail names the
    /// kind under `written`, so a reader not allowed the text is shown the label alone.
    Written {
        /// The reasons for a finding (`outcome.decided`).
        OutcomeReasons = "outcome_reasons",
        /// Why the customer is not content (`customer.dissatisfied`).
        DissatisfactionReason = "dissatisfaction_reason",
        /// The customer's objection to a proposed plan (`resolution_plan.disagreed`).
        Objection = "objection",
        /// Why an approver rejected a plan (`resolution_plan.rejected`).
        RejectionReason = "rejection_reason",
        /// What ICE said or asked (`external_stage.recorded`).
        IceNote = "ice_note",
        /// What the PHSO said or asked (`external_stage.recorded`).
        PhsoNote = "phso_note",
        /// What the customer's reply said (`client.replied`).
        CustomerReply = "customer_reply",
        /// What another team is asked to put right (`remedial_action.requested`).
        RemedialAction = "remedial_action",
        /// The evidence the customer is invited to send (`evidence.requested`).
        EvidenceRequested = "evidence_requested",
        /// A case conference's notes (`case_conference.held`).
        CaseConferenceNotes = "case_conference_notes",
        /// A substantive holding reply's text (`holding_reply.sent`).
        HoldingReply = "holding_reply",
        /// The action taken on a Systemic Log entry (`systemic_issue.action_recorded`).
        SystemicAction = "systemic_action",
        /// What was done for a task marked done (`task.done`).
        TaskNote = "task_note",
    }
}

impl Written {
    /// The words the timeline entry starts with, before the text.
    pub fn label(self) -> &'static str {
        match self {
            Written::OutcomeReasons => "Reasons for the outcome",
            Written::DissatisfactionReason => "Why the customer is not content",
            Written::Objection => "The customer's objection to the plan",
            Written::RejectionReason => "Why the plan was rejected",
            Written::IceNote => "ICE's note",
            Written::PhsoNote => "The PHSO's note",
            Written::CustomerReply => "The customer's reply",
            Written::RemedialAction => "Remedial action asked for",
            Written::EvidenceRequested => "Evidence asked for",
            Written::CaseConferenceNotes => "Case conference notes",
            Written::HoldingReply => "Substantive holding reply sent",
            Written::SystemicAction => "Action taken on systemic issue",
            Written::TaskNote => "Task done",
        }
    }
}

domain_enum! {
    /// What an API client may do over HTTP (README "Security"). A client holds one or more.
    Scope {
        /// Post `complaint.received`: what an intake channel may do.
        ComplaintsWrite = "complaints:write",
        /// Post the decision events of case management.
        DecisionsWrite = "decisions:write",
        /// Read cases and their letters (`GET /v1/cases/…`).
        CasesRead = "cases:read",
        /// Read what caseworkers wrote on a complaint about a member of staff (without it,
        /// `GET /v1/cases/…` withholds that text: process.md §3, staff-behaviour complaints).
        StaffComplaintsRead = "staff_complaints:read",
        /// Read reports (`GET /v1/reports/…`).
        ReportsRead = "reports:read",
        /// Read the teams' task lists (`GET /v1/tasks`).
        TasksRead = "tasks:read",
        /// The operations endpoints (dead letters, replay).
        Ops = "ops",
        /// Scrape `/metrics` (unless `http.metrics_public = true`).
        MetricsRead = "metrics:read",
    }
}

domain_enum! {
    /// A role a member of staff holds in the staff directory (`complaints staff import`); each
    /// decision may be made only by holders of the roles the process allows for it.
    StaffRole {
        /// Handles tier 0 cases and carries out plans.
        Caseworker = "caseworker",
        /// Allocates, approves plans, decides at tier 0.
        TeamLeader = "team_leader",
        /// The G7 manager: authorises escalation from tier 0, approves beyond a team leader's
        /// grade.
        G7Manager = "g7_manager",
        /// Handles Resolution (tier 1) cases.
        CaseManager = "case_manager",
        /// Handles Review (tier 2) cases.
        Reviewer = "reviewer",
        /// Approves payments beyond delegated authority.
        SpecialPaymentTeam = "special_payment_team",
        /// Handles MPs' complaints at tier 1.
        MpSpecialist = "mp_specialist",
    }
}

impl Grade {
    /// Whether this grade is `other` or above it.
    pub fn at_least(self, other: Grade) -> bool {
        let rank = |g: Grade| Grade::ALL.iter().position(|x| *x == g);
        rank(self) >= rank(other)
    }
}

domain_enum! {
    /// A civil service grade, as the staff directory records it, lowest first.
    Grade {
        /// Administrative Officer.
        Ao = "AO",
        /// Executive Officer.
        Eo = "EO",
        /// Higher Executive Officer.
        Heo = "HEO",
        /// Senior Executive Officer.
        Seo = "SEO",
        /// Grade 7.
        G7 = "G7",
        /// Grade 6.
        G6 = "G6",
        /// Senior Civil Service.
        Scs = "SCS",
    }
}
