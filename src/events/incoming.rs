//! Reading a message off the wire: bytes → JSON → CloudEvent → the typed payload its `type`
//! names, validated. Each step that fails gives a [`Refusal`] that says why, which goes into the
//! dead-letter header or the HTTP 400 body.

use std::sync::LazyLock;

use garde::Validate;
use regex::Regex;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::checks::{
    bounded, content_problems, Checks, MAX_MESSAGE_BYTES, MAX_PROBLEMS, MAX_PROBLEM_BYTES,
    MAX_REASON_BYTES,
};
use super::envelope::{dataschema_at, version_named, versions, CloudEvent, SPEC_VERSION};
use super::{
    ActionCompleted, CaseAllocated, CaseConferenceHeld, CategoriesChanged, ClientReplied,
    ClosureDecided, ComplaintReceived, ContactAttempted, CorrespondenceReplied,
    CustomerDissatisfied, DisputePlanAgreed, DisputePlanProposed, EscalationAuthorised,
    EvidenceRequested, ExternalStageRecorded, FeedbackReceived, HoldingReplySent,
    IceFinalReportRecorded, IceRedressPaid, MpInvolved, OutcomeDecided, RemedialActionRequested,
    ResolutionPlanAgreed, ResolutionPlanApproved, ResolutionPlanDisagreed, ResolutionPlanDrafted,
    ResolutionPlanProposed, ResolutionPlanRejected, ResolutionPlanSubmitted, SpecialPaymentMade,
    SystemicIssueActionRecorded, TaskDone, TeamLeaderDecided,
};

/// The events one worker reads (or one endpoint accepts): an enum with a variant per event
/// type, declared with [`event_set!`](crate::event_set).
pub trait EventSet: Sized + Send + Sync + 'static {
    /// The event types, also the routing keys to bind.
    const TYPES: &'static [&'static str];

    /// Types and validates the payload of an event of `event_type`, its dates against `checks`.
    fn parse(event_type: &str, data: Value, checks: &Checks) -> Result<Self, Refusal>;
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

        /// Serialises as the payload it holds: an accepted event forwarded as it came.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $($name::$variant(payload) => payload.serialize(serializer)),+
                }
            }
        }

        impl $crate::events::incoming::EventSet for $name {
            const TYPES: &'static [&'static str] = &[$($crate::events::$module::TYPE),+];

            fn parse(
                event_type: &str,
                data: serde_json::Value,
                checks: &$crate::events::checks::Checks,
            ) -> Result<Self, $crate::events::incoming::Refusal> {
                match event_type {
                    $($crate::events::$module::TYPE => {
                        $crate::events::incoming::parse_payload::<$payload>(event_type, data, checks)
                            .map($name::$variant)
                    })+
                    other => Err($crate::events::incoming::Refusal::unknown_type(other)),
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
        /// A compliment, suggestion or enquiry, from intake channels.
        FeedbackReceived(FeedbackReceived) = feedback_received,
        /// An MP became involved in a customer's complaint.
        MpInvolved(MpInvolved) = mp_involved,
        /// Official correspondence was answered.
        CorrespondenceReplied(CorrespondenceReplied) = correspondence_replied,
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
        /// A special payment of an agreed plan was paid.
        SpecialPaymentMade(SpecialPaymentMade) = special_payment_made,
        /// A member of staff marked a task done.
        TaskDone(TaskDone) = task_done,
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
        /// The customer is invited to send more evidence for a special payment.
        EvidenceRequested(EvidenceRequested) = evidence_requested,
        /// A case conference was held.
        CaseConferenceHeld(CaseConferenceHeld) = case_conference_held,
        /// The manager recorded what was done about a Systemic Log entry.
        SystemicIssueActionRecorded(SystemicIssueActionRecorded) = systemic_issue_action_recorded,
        /// ICE or the PHSO made contact or moved a stage on.
        ExternalStageRecorded(ExternalStageRecorded) = external_stage_recorded,
        /// A dispute's plan proposed in writing (CMSL5811).
        DisputePlanProposed(DisputePlanProposed) = dispute_plan_proposed,
        /// A dispute's plan agreed by phone (CMSL5812).
        DisputePlanAgreed(DisputePlanAgreed) = dispute_plan_agreed,
    }
}

/// Why a message was not accepted. Every reason names the field and the problem, never the
/// value a sender wrote there (it may be a customer's name or address), and is bounded in
/// length (it travels in a dead-letter header and an HTTP body).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Larger than any event could be.
    #[error("too large: {bytes} bytes; at most {max} bytes", max = MAX_MESSAGE_BYTES)]
    TooLarge {
        /// The message's size.
        bytes: usize,
    },
    /// The body is not JSON at all.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// JSON, but some value is out of bounds or holds a control character.
    #[error("refused content: {}", problems.join("; "))]
    BadContent {
        /// One line per problem, each starting with the value's path.
        problems: Vec<String>,
    },
    /// JSON, but not a CloudEvents 1.0 envelope.
    #[error("not a CloudEvent: {0}")]
    NotCloudEvent(String),
    /// A CloudEvent of a type no worker here handles.
    #[error("unknown event type `{0}`{suggestion}", suggestion = did_you_mean(.0))]
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

/// `; did you mean `case.allocated`?` when an accepted event type is a likely misspelling of
/// `event_type` (at most a quarter of its letters differ), else nothing.
fn did_you_mean(event_type: &str) -> String {
    Accepted::TYPES
        .iter()
        .map(|known| (strsim::damerau_levenshtein(event_type, known), known))
        .filter(|(distance, known)| *distance > 0 && *distance * 4 <= known.len().max(4))
        .min()
        .map_or_else(String::new, |(_, known)| {
            format!("; did you mean `{known}`?")
        })
}

impl Refusal {
    /// A short label for metrics and headers.
    pub fn kind(&self) -> &'static str {
        match self {
            Refusal::TooLarge { .. } => "too_large",
            Refusal::NotJson(_) => "not_json",
            Refusal::BadContent { .. } => "bad_content",
            Refusal::NotCloudEvent(_) => "not_cloudevent",
            Refusal::UnknownType(_) => "unknown_type",
            Refusal::SchemaViolation { .. } => "schema_violation",
        }
    }

    /// The reason as one line of at most 1 KB, for a dead-letter header or a log line.
    pub fn reason(&self) -> String {
        bounded(&self.to_string(), MAX_REASON_BYTES)
    }

    /// The reasons one by one, for an HTTP answer.
    pub fn problems(&self) -> Vec<String> {
        match self {
            Refusal::SchemaViolation { problems, .. } | Refusal::BadContent { problems } => {
                problems.clone()
            }
            other => vec![other.reason()],
        }
    }

    /// An event type no worker reads, named (bounded) in the refusal.
    pub fn unknown_type(event_type: &str) -> Self {
        Refusal::UnknownType(bounded(event_type, 128))
    }

    pub(crate) fn not_cloud_event(problem: impl AsRef<str>) -> Self {
        Refusal::NotCloudEvent(bounded(
            &without_values(problem.as_ref()),
            MAX_PROBLEM_BYTES,
        ))
    }
}

/// Bounds a list of problems: each at most [`MAX_PROBLEM_BYTES`], at most [`MAX_PROBLEMS`]
/// listed and the rest counted.
fn bounded_problems(problems: impl IntoIterator<Item = String>) -> Vec<String> {
    let all: Vec<String> = problems.into_iter().collect();
    let mut listed: Vec<String> = all
        .iter()
        .take(MAX_PROBLEMS)
        .map(|p| bounded(&without_values(p), MAX_PROBLEM_BYTES))
        .collect();
    if all.len() > MAX_PROBLEMS {
        listed.push(format!("… and {} more", all.len() - MAX_PROBLEMS));
    }
    listed
}

/// A parser's message with the values it quotes taken out: serde says `invalid type: string
/// "Jane Example, 1 High Street", expected …`, which would put a customer's details into a
/// dead-letter header, a log line and an HTTP answer. Field names and the expected values stay.
pub fn without_values(message: &str) -> String {
    static QUOTED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"(?s)(string|character) "(?:[^"\\]|\\.)*""#).expect("valid"));
    static VARIANT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?s)unknown variant `.*?`(, expected|, there are no variants)").expect("valid")
    });
    static UNKNOWN_FIELD: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?s)unknown field `(.*?)`, expected").expect("valid"));
    let message = QUOTED.replace_all(message, "a $1");
    let message = VARIANT.replace_all(&message, "unknown value$1");
    UNKNOWN_FIELD
        .replace_all(&message, |c: &regex::Captures| {
            format!("unknown field `{}`, expected", bounded(&c[1], 64))
        })
        .into_owned()
}

/// The `type` of an event: dot-separated lower-case words (`complaint.received`).
fn is_event_type(text: &str) -> bool {
    static TYPE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$").expect("a valid pattern")
    });
    text.len() <= 128 && TYPE.is_match(text)
}

/// Reads the envelope, leaving `data` untyped: the message's size, then JSON, then the bounds
/// every value is held to, then the CloudEvents attributes.
pub fn parse_envelope(body: &[u8]) -> Result<CloudEvent<Value>, Refusal> {
    envelope_from_json(parse_json(body)?)
}

/// A body as JSON, within the size any message may have.
pub(crate) fn parse_json(body: &[u8]) -> Result<Value, Refusal> {
    if body.len() > MAX_MESSAGE_BYTES {
        return Err(Refusal::TooLarge { bytes: body.len() });
    }
    serde_json::from_slice(body)
        .map_err(|e| Refusal::NotJson(bounded(&without_values(&e.to_string()), 300)))
}

/// Reads an envelope from JSON already parsed: the bounds every value is held to, then the
/// CloudEvents attributes.
pub(crate) fn envelope_from_json(json: Value) -> Result<CloudEvent<Value>, Refusal> {
    let problems = content_problems(&json);
    if !problems.is_empty() {
        return Err(Refusal::BadContent {
            problems: bounded_problems(problems),
        });
    }
    let envelope: CloudEvent<Value> = serde_path_to_error::deserialize(json)
        .map_err(|e| Refusal::not_cloud_event(format!("{}: {}", e.path(), e.inner())))?;
    check_attributes(&envelope)?;
    Ok(envelope)
}

/// The CloudEvents attributes within their bounds: the version spoken, a well-formed type, a
/// source and subject of sane length on one line, a JSON content type, a plausible time.
fn check_attributes(envelope: &CloudEvent<Value>) -> Result<(), Refusal> {
    let one_line = |text: &str, max: usize| {
        !text.is_empty() && text.chars().count() <= max && !text.chars().any(char::is_control)
    };
    if envelope.specversion != SPEC_VERSION {
        return Err(Refusal::not_cloud_event(format!(
            "specversion: only `{SPEC_VERSION}` is spoken"
        )));
    }
    if !is_event_type(&envelope.event_type) {
        return Err(Refusal::not_cloud_event(
            "type: dot-separated lower-case words (e.g. `complaint.received`), at most 128 characters",
        ));
    }
    if !one_line(&envelope.source, 1024) {
        return Err(Refusal::not_cloud_event(
            "source: one line of 1 to 1024 characters (e.g. `urn:channel:web-form`)",
        ));
    }
    if let Some(subject) = &envelope.subject {
        if !one_line(subject, 64) {
            return Err(Refusal::not_cloud_event(
                "subject: a case reference (one line, at most 64 characters)",
            ));
        }
    }
    if let Some(content_type) = &envelope.datacontenttype {
        if !content_type.starts_with("application/json") || content_type.len() > 128 {
            return Err(Refusal::not_cloud_event(
                "datacontenttype: only `application/json` is spoken",
            ));
        }
    }
    if version_named(&envelope.event_type, envelope.dataschema.as_deref()).is_none() {
        let read: Vec<String> = versions(&envelope.event_type)
            .iter()
            .map(|&v| format!("`{}`", dataschema_at(&envelope.event_type, v)))
            .collect();
        return Err(Refusal::not_cloud_event(format!(
            "dataschema: this system reads {} for `{}` (or no dataschema)",
            read.join(" or "),
            envelope.event_type
        )));
    }
    let year = chrono::Datelike::year(&envelope.time);
    if !(2000..2100).contains(&year) {
        return Err(Refusal::not_cloud_event(
            "time: must lie between the years 2000 and 2099",
        ));
    }
    Ok(())
}

/// The checks an envelope's payload is read against: `checks` at the version of its type's
/// schema the envelope's `dataschema` names (version 1 when it names none). Every reader of an
/// event from outside — the workers off the broker, `POST /v1/events`, `complaints publish` —
/// types its payload under these, so a version means the same over HTTP and AMQP.
fn checks_for<T>(envelope: &CloudEvent<T>, checks: &Checks) -> Checks {
    let version = version_named(&envelope.event_type, envelope.dataschema.as_deref());
    // `check_attributes` refused a version not read before any payload is typed.
    checks.at_version(version.unwrap_or(checks.schema_version))
}

/// Types and validates an envelope's payload as the event set `E`, against the version of its
/// schema the envelope names.
pub fn parse_data<E: EventSet>(
    envelope: CloudEvent<Value>,
    checks: &Checks,
) -> Result<CloudEvent<E>, Refusal> {
    let checks = checks_for(&envelope, checks);
    let data = E::parse(&envelope.event_type, envelope.data, &checks)?;
    Ok(CloudEvent {
        specversion: envelope.specversion,
        id: envelope.id,
        event_type: envelope.event_type,
        source: envelope.source,
        time: envelope.time,
        subject: envelope.subject,
        datacontenttype: envelope.datacontenttype,
        dataschema: envelope.dataschema,
        authclient: envelope.authclient,
        data,
    })
}

/// Types and validates one payload of `event_type`.
pub fn parse_payload<T>(event_type: &str, data: Value, checks: &Checks) -> Result<T, Refusal>
where
    T: DeserializeOwned + Validate<Context = Checks>,
{
    let violation = |problems: Vec<String>| Refusal::SchemaViolation {
        event_type: event_type.to_owned(),
        problems: bounded_problems(problems),
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
    payload.validate_with(checks).map_err(|report| {
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
pub fn check_accepted(body: &[u8], checks: &Checks) -> Result<CloudEvent<Value>, Refusal> {
    let envelope = parse_envelope(body)?;
    check_envelope(&envelope, checks)?;
    Ok(envelope)
}

/// Checks an envelope already read: an [`Accepted`] type whose payload meets the version of
/// its schema the envelope names.
pub fn check_envelope(envelope: &CloudEvent<Value>, checks: &Checks) -> Result<(), Refusal> {
    let checks = checks_for(envelope, checks);
    Accepted::parse(&envelope.event_type, envelope.data.clone(), &checks).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_messages_lose_the_values_they_quote() {
        let said =
            r#"invalid type: string "Jane Secret, 12 Private Road", expected struct Customer"#;
        assert_eq!(
            without_values(said),
            "invalid type: a string, expected struct Customer"
        );
        let said = "unknown variant `Jane Secret`, expected one of `web_form`, `phone`";
        assert_eq!(
            without_values(said),
            "unknown value, expected one of `web_form`, `phone`"
        );
        let long = format!("unknown field `{}`, expected one of `a`", "x".repeat(500));
        assert!(without_values(&long).len() < 120);
    }

    #[test]
    fn refusals_are_bounded() {
        let refusal = Refusal::SchemaViolation {
            event_type: "complaint.received".into(),
            problems: bounded_problems(
                (0..5000).map(|i| format!("data.x[{i}]: {}", "y".repeat(2000))),
            ),
        };
        assert!(refusal.reason().len() <= MAX_REASON_BYTES);
        assert_eq!(refusal.problems().len(), MAX_PROBLEMS + 1);
        assert!(refusal
            .problems()
            .iter()
            .all(|p| p.len() <= MAX_PROBLEM_BYTES));
        let huge = format!("{{\"type\": \"{}\"}}", "a".repeat(200_000));
        assert!(parse_envelope(huge.as_bytes()).unwrap_err().reason().len() <= MAX_REASON_BYTES);
    }
}

#[cfg(test)]
mod version_tests {
    use serde_json::{json, Value};

    use super::*;

    /// A v1 complaint as a sender wrote it, with `categories`, at `dataschema` (none: `None`).
    fn complaint(dataschema: Option<&str>, categories: Value) -> (Vec<u8>, Checks) {
        let sent = include_bytes!("../../schema/compat/v1/complaint.received.json");
        let mut event: Value = serde_json::from_slice(sent).unwrap();
        event["data"]["categories"] = categories;
        match dataschema {
            Some(named) => event["dataschema"] = json!(named),
            None => drop(event.as_object_mut().unwrap().remove("dataschema")),
        }
        let sent_at = event["time"].as_str().unwrap().parse().unwrap();
        (
            serde_json::to_vec(&event).unwrap(),
            Checks::new(sent_at, 31),
        )
    }

    #[test]
    fn version_2_takes_only_the_agreed_categories_by_name() {
        const V1: &str = "urn:complaints:schema:complaint.received:v1";
        const V2: &str = "urn:complaints:schema:complaint.received:v2";
        for at in [Some(V1), None] {
            let (sent, checks) = complaint(at, json!(["delay", "Stuff", "Lost post"]));
            assert!(check_accepted(&sent, &checks).is_ok(), "{at:?}");
        }
        let (sent, checks) = complaint(Some(V2), json!(["delay", "lost_post"]));
        assert!(check_accepted(&sent, &checks).is_ok());
        let (sent, checks) = complaint(Some(V2), json!(["delay", "Stuff", "Lost post"]));
        let refusal = check_accepted(&sent, &checks).unwrap_err();
        assert_eq!(refusal.kind(), "schema_violation");
        let agreed = "is not an agreed category: version 2 takes one of delay, payments, calculation, lost_post, wrong_information, communication, staff_conduct, enforcement, accessibility, data_protection, provider, other";
        assert_eq!(
            refusal.problems(),
            [
                format!("data.categories[1]: {agreed}"),
                format!("data.categories[2]: {agreed}")
            ]
        );
        assert!(!refusal.reason().contains("Stuff"), "{refusal}");
    }
}

#[cfg(test)]
mod did_you_mean_tests {
    use super::Refusal;

    #[test]
    fn a_misspelt_type_gets_a_suggestion_and_a_strange_one_does_not() {
        assert_eq!(
            Refusal::UnknownType("case.alocated".into()).to_string(),
            "unknown event type `case.alocated`; did you mean `case.allocated`?"
        );
        assert_eq!(
            Refusal::UnknownType("complaint.misfiled".into()).to_string(),
            "unknown event type `complaint.misfiled`"
        );
    }
}
