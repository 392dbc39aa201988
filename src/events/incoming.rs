//! Reading a message off the wire: bytes → JSON → CloudEvent → the typed payload its `type`
//! names, validated. Each step that fails gives a [`Refusal`] that says why, which goes into the
//! dead-letter header or the HTTP 400 body.

use garde::Validate;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::envelope::{CloudEvent, SPEC_VERSION};
use super::{
    ActionCompleted, CaseAllocated, CategoriesChanged, ClientReplied, ClosureDecided,
    ComplaintReceived, ContactAttempted, CustomerDissatisfied, DisputePlanAgreed,
    DisputePlanProposed, EscalationAuthorised, ExternalStageRecorded, HoldingReplySent,
    IceFinalReportRecorded, IceRedressPaid, OutcomeDecided, RemedialActionRequested,
    ResolutionPlanAgreed, ResolutionPlanApproved, ResolutionPlanDisagreed, ResolutionPlanDrafted,
    ResolutionPlanProposed, ResolutionPlanRejected, ResolutionPlanSubmitted, TeamLeaderDecided,
};

/// The events one worker reads (or one endpoint accepts): an enum with a variant per event
/// type, declared with [`event_set!`](crate::event_set).
pub trait EventSet: Sized + Send + Sync + 'static {
    /// The event types, also the routing keys to bind.
    const TYPES: &'static [&'static str];

    /// Types and validates the payload of an event of `event_type`.
    fn parse(event_type: &str, data: Value) -> Result<Self, Refusal>;
}

/// Declares an enum of event payloads and its [`EventSet`] implementation:
///
/// ```ignore
/// event_set! {
///     /// What the acknowledgement worker reads.
///     pub enum AcknowledgementEvent {
///         CaseOpened(CaseOpened) = case_opened,
///         ContactAttempted(ContactAttempted) = contact_attempted,
///     }
/// }
/// ```
///
/// where each `= module` names the module of `crate::events` whose `TYPE` the variant carries.
#[macro_export]
macro_rules! event_set {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident($payload:ty) = $module:ident),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        // An event is parsed once into its variant and moved along; boxing the large payloads
        // (a complaint) would only add an allocation per message.
        #[allow(clippy::large_enum_variant)]
        $vis enum $name {
            $($(#[$vmeta])* $variant($payload)),+
        }

        impl $crate::events::incoming::EventSet for $name {
            const TYPES: &'static [&'static str] = &[$($crate::events::$module::TYPE),+];

            fn parse(
                event_type: &str,
                data: serde_json::Value,
            ) -> Result<Self, $crate::events::incoming::Refusal> {
                match event_type {
                    $($crate::events::$module::TYPE => {
                        $crate::events::incoming::parse_payload::<$payload>(event_type, data)
                            .map($name::$variant)
                    })+
                    other => Err($crate::events::incoming::Refusal::UnknownType(other.to_owned())),
                }
            }
        }
    };
}

crate::event_set! {
    /// Events the system accepts from outside: complaints from intake channels and the
    /// decisions staff record in a case-management front end. Everything else on the exchange
    /// is emitted by the system itself.
    pub enum Accepted {
        /// From intake channels.
        ComplaintReceived(ComplaintReceived) = complaint_received,
        /// A contact attempt.
        ContactAttempted(ContactAttempted) = contact_attempted,
        /// The customer replied.
        ClientReplied(ClientReplied) = client_replied,
        /// A plan was agreed.
        ResolutionPlanAgreed(ResolutionPlanAgreed) = resolution_plan_agreed,
        /// A holding reply was sent.
        HoldingReplySent(HoldingReplySent) = holding_reply_sent,
        /// An action is done.
        ActionCompleted(ActionCompleted) = action_completed,
        /// Another team was asked for a remedy.
        RemedialActionRequested(RemedialActionRequested) = remedial_action_requested,
        /// ICE reported.
        IceFinalReportRecorded(IceFinalReportRecorded) = ice_final_report_recorded,
        /// ICE redress was paid.
        IceRedressPaid(IceRedressPaid) = ice_redress_paid,
        /// A team leader allocated a case.
        CaseAllocated(CaseAllocated) = case_allocated,
        /// The reasons and a resolution plan were recorded.
        ResolutionPlanDrafted(ResolutionPlanDrafted) = resolution_plan_drafted,
        /// A plan went for approval.
        ResolutionPlanSubmitted(ResolutionPlanSubmitted) = resolution_plan_submitted,
        /// A plan was approved.
        ResolutionPlanApproved(ResolutionPlanApproved) = resolution_plan_approved,
        /// A plan was rejected.
        ResolutionPlanRejected(ResolutionPlanRejected) = resolution_plan_rejected,
        /// A plan was put to the customer.
        ResolutionPlanProposed(ResolutionPlanProposed) = resolution_plan_proposed,
        /// The customer disagreed with a plan.
        ResolutionPlanDisagreed(ResolutionPlanDisagreed) = resolution_plan_disagreed,
        /// The finding of a Resolution or Review case.
        OutcomeDecided(OutcomeDecided) = outcome_decided,
        /// The customer is not content.
        CustomerDissatisfied(CustomerDissatisfied) = customer_dissatisfied,
        /// A tier 0 team leader's decision.
        TeamLeaderDecided(TeamLeaderDecided) = team_leader_decided,
        /// The G7 authorised a referral to tier 1.
        EscalationAuthorised(EscalationAuthorised) = escalation_authorised,
        /// Categories corrected.
        CategoriesChanged(CategoriesChanged) = categories_changed,
        /// A caseworker closes a case.
        ClosureDecided(ClosureDecided) = closure_decided,
        /// ICE or the PHSO made contact or moved a stage on.
        ExternalStageRecorded(ExternalStageRecorded) = external_stage_recorded,
        /// A dispute's plan proposed in writing (CMSL5811).
        DisputePlanProposed(DisputePlanProposed) = dispute_plan_proposed,
        /// A dispute's plan agreed by phone (CMSL5812).
        DisputePlanAgreed(DisputePlanAgreed) = dispute_plan_agreed,
    }
}

/// Why a message was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The body is not JSON at all.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// JSON, but not a CloudEvents 1.0 envelope.
    #[error("not a CloudEvent: {0}")]
    NotCloudEvent(String),
    /// A CloudEvent of a type no worker here handles.
    #[error("unknown event type `{0}`")]
    UnknownType(String),
    /// The payload does not meet its type's schema; each entry names the field.
    #[error("fails the schema of `{event_type}`: {}", problems.join("; "))]
    SchemaViolation {
        /// The event type whose schema was applied.
        event_type: String,
        /// One line per problem, each starting with the field's path.
        problems: Vec<String>,
    },
}

impl Refusal {
    /// A short label for metrics and headers.
    pub fn kind(&self) -> &'static str {
        match self {
            Refusal::NotJson(_) => "not_json",
            Refusal::NotCloudEvent(_) => "not_cloudevent",
            Refusal::UnknownType(_) => "unknown_type",
            Refusal::SchemaViolation { .. } => "schema_violation",
        }
    }
}

/// Reads the envelope, leaving `data` untyped.
pub fn parse_envelope(body: &[u8]) -> Result<CloudEvent<Value>, Refusal> {
    let json: Value = serde_json::from_slice(body).map_err(|e| Refusal::NotJson(e.to_string()))?;
    let envelope: CloudEvent<Value> = serde_path_to_error::deserialize(json)
        .map_err(|e| Refusal::NotCloudEvent(format!("{}: {}", e.path(), e.inner())))?;
    if envelope.specversion != SPEC_VERSION {
        return Err(Refusal::NotCloudEvent(format!(
            "specversion is `{}`, only `{SPEC_VERSION}` is spoken",
            envelope.specversion
        )));
    }
    Ok(envelope)
}

/// Types and validates an envelope's payload as the event set `E`.
pub fn parse_data<E: EventSet>(envelope: CloudEvent<Value>) -> Result<CloudEvent<E>, Refusal> {
    let data = E::parse(&envelope.event_type, envelope.data)?;
    Ok(CloudEvent {
        specversion: envelope.specversion,
        id: envelope.id,
        event_type: envelope.event_type,
        source: envelope.source,
        time: envelope.time,
        subject: envelope.subject,
        datacontenttype: envelope.datacontenttype,
        data,
    })
}

/// Types and validates one payload of `event_type`.
pub fn parse_payload<T>(event_type: &str, data: Value) -> Result<T, Refusal>
where
    T: DeserializeOwned + Validate<Context = ()>,
{
    let violation = |problems: Vec<String>| Refusal::SchemaViolation {
        event_type: event_type.to_owned(),
        problems,
    };
    let payload: T = serde_path_to_error::deserialize(data).map_err(|e| {
        let path = e.path().to_string();
        let at = if path == "." {
            "data".to_owned()
        } else {
            format!("data.{path}")
        };
        violation(vec![format!("{at}: {}", e.inner())])
    })?;
    payload.validate().map_err(|report| {
        violation(
            report
                .iter()
                .map(|(path, error)| format!("data.{path}: {error}"))
                .collect(),
        )
    })?;
    Ok(payload)
}

/// Checks a message from outside: a CloudEvent of an [`Accepted`] type whose payload meets its
/// schema. Returns the envelope, untouched, for publishing.
pub fn check_accepted(body: &[u8]) -> Result<CloudEvent<Value>, Refusal> {
    let envelope = parse_envelope(body)?;
    Accepted::parse(&envelope.event_type, envelope.data.clone())?;
    Ok(envelope)
}
