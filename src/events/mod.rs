//! The wire contract: every event type on `complaints.events`, its payload as a Rust type, and
//! the JSON Schemas in `schema/` generated from those types (so the two cannot drift).

pub mod action_completed;
pub mod actions_scheduled;
pub mod binding;
pub mod case_allocated;
pub mod case_closed;
pub mod case_conference_held;
pub mod case_escalated;
pub mod case_flagged_high_profile;
pub mod case_opened;
pub mod case_target_breached;
pub mod categories_changed;
pub mod checks;
pub mod client_replied;
pub mod closure_decided;
pub mod command_rejected;
pub mod complaint_received;
pub mod complaint_rejected;
pub mod contact_attempted;
pub mod correspondence_replied;
pub mod customer_dissatisfied;
pub mod dispute_opened;
pub mod dispute_plan_agreed;
pub mod dispute_plan_proposed;
pub mod envelope;
pub mod escalation_authorised;
pub mod evidence_requested;
pub mod external_stage_recorded;
pub mod feedback_received;
pub mod holding_reply_sent;
pub mod ice_final_report_recorded;
pub mod ice_redress_paid;
pub mod incoming;
pub mod letter_email_requested;
pub mod letter_ready_for_post;
pub mod letter_requested;
pub mod letter_sent;
pub mod mp_involved;
pub mod outcome_decided;
pub mod remedial_action_requested;
pub mod resolution_plan_agreed;
pub mod resolution_plan_approved;
pub mod resolution_plan_disagreed;
pub mod resolution_plan_drafted;
pub mod resolution_plan_proposed;
pub mod resolution_plan_rejected;
pub mod resolution_plan_submitted;
pub mod special_payment_made;
pub mod systemic_issue_action_recorded;
pub mod systemic_issue_recorded;
pub mod task_created;
pub mod task_done;
pub mod team_leader_decided;
pub mod timer_fired;

use std::collections::BTreeMap;

use schemars::{schema_for, JsonSchema, Schema};
use serde_json::{json, Value};

use crate::vocabulary::Category;

pub use action_completed::ActionCompleted;
pub use actions_scheduled::ActionsScheduled;
pub use case_allocated::CaseAllocated;
pub use case_closed::CaseClosed;
pub use case_conference_held::CaseConferenceHeld;
pub use case_escalated::CaseEscalated;
pub use case_flagged_high_profile::CaseFlaggedHighProfile;
pub use case_opened::CaseOpened;
pub use case_target_breached::CaseTargetBreached;
pub use categories_changed::CategoriesChanged;
pub use client_replied::ClientReplied;
pub use closure_decided::ClosureDecided;
pub use command_rejected::CommandRejected;
pub use complaint_received::ComplaintReceived;
pub use complaint_rejected::ComplaintRejected;
pub use contact_attempted::ContactAttempted;
pub use correspondence_replied::CorrespondenceReplied;
pub use customer_dissatisfied::CustomerDissatisfied;
pub use dispute_opened::DisputeOpened;
pub use dispute_plan_agreed::DisputePlanAgreed;
pub use dispute_plan_proposed::DisputePlanProposed;
pub use envelope::CloudEvent;
pub use escalation_authorised::EscalationAuthorised;
pub use evidence_requested::EvidenceRequested;
pub use external_stage_recorded::ExternalStageRecorded;
pub use feedback_received::FeedbackReceived;
pub use holding_reply_sent::HoldingReplySent;
pub use ice_final_report_recorded::IceFinalReportRecorded;
pub use ice_redress_paid::IceRedressPaid;
pub use letter_email_requested::LetterEmailRequested;
pub use letter_ready_for_post::LetterReadyForPost;
pub use letter_requested::LetterRequested;
pub use letter_sent::LetterSent;
pub use mp_involved::MpInvolved;
pub use outcome_decided::OutcomeDecided;
pub use remedial_action_requested::RemedialActionRequested;
pub use resolution_plan_agreed::ResolutionPlanAgreed;
pub use resolution_plan_approved::ResolutionPlanApproved;
pub use resolution_plan_disagreed::ResolutionPlanDisagreed;
pub use resolution_plan_drafted::ResolutionPlanDrafted;
pub use resolution_plan_proposed::ResolutionPlanProposed;
pub use resolution_plan_rejected::ResolutionPlanRejected;
pub use resolution_plan_submitted::ResolutionPlanSubmitted;
pub use special_payment_made::SpecialPaymentMade;
pub use systemic_issue_action_recorded::SystemicIssueActionRecorded;
pub use systemic_issue_recorded::SystemicIssueRecorded;
pub use task_created::TaskCreated;
pub use task_done::TaskDone;
pub use team_leader_decided::TeamLeaderDecided;
pub use timer_fired::TimerFired;

/// The caseworker's text for the fields of the letter a decision causes, by field name (see
/// the letter catalogue). Checked against the letter's needs before the decision is applied.
pub type LetterFields = BTreeMap<String, Value>;

/// Every schema file of `schema/`, by file name, as generated from the types: a type's version 1
/// as `<type>.schema.json`, a later version beside it as `<type>.v<version>.schema.json`.
pub fn schema_files() -> Vec<(String, Value)> {
    let mut files = vec![(
        "cloudevent.schema.json".to_owned(),
        schema_for!(CloudEvent<Value>).to_value(),
    )];
    files.push(typed::<ActionCompleted>(action_completed::TYPE));
    files.push(typed::<ActionsScheduled>(actions_scheduled::TYPE));
    files.push(typed::<CaseAllocated>(case_allocated::TYPE));
    files.push(typed::<CaseClosed>(case_closed::TYPE));
    files.push(typed::<CaseConferenceHeld>(case_conference_held::TYPE));
    files.push(typed::<CaseEscalated>(case_escalated::TYPE));
    files.push(typed::<CaseFlaggedHighProfile>(
        case_flagged_high_profile::TYPE,
    ));
    files.push(typed::<CaseOpened>(case_opened::TYPE));
    files.push(typed::<CaseTargetBreached>(case_target_breached::TYPE));
    files.push(typed::<CategoriesChanged>(categories_changed::TYPE));
    files.push(with_agreed_categories(categories_changed::TYPE, &files));
    files.push(typed::<ClientReplied>(client_replied::TYPE));
    files.push(typed::<ClosureDecided>(closure_decided::TYPE));
    files.push(typed::<CommandRejected>(command_rejected::TYPE));
    files.push(typed::<ComplaintReceived>(complaint_received::TYPE));
    files.push(with_agreed_categories(complaint_received::TYPE, &files));
    files.push(typed::<ComplaintRejected>(complaint_rejected::TYPE));
    files.push(typed::<ContactAttempted>(contact_attempted::TYPE));
    files.push(typed::<CorrespondenceReplied>(correspondence_replied::TYPE));
    files.push(typed::<CustomerDissatisfied>(customer_dissatisfied::TYPE));
    files.push(typed::<DisputeOpened>(dispute_opened::TYPE));
    files.push(typed::<DisputePlanAgreed>(dispute_plan_agreed::TYPE));
    files.push(typed::<DisputePlanProposed>(dispute_plan_proposed::TYPE));
    files.push(typed::<EscalationAuthorised>(escalation_authorised::TYPE));
    files.push(typed::<EvidenceRequested>(evidence_requested::TYPE));
    files.push(typed::<ExternalStageRecorded>(
        external_stage_recorded::TYPE,
    ));
    files.push(typed::<FeedbackReceived>(feedback_received::TYPE));
    files.push(typed::<HoldingReplySent>(holding_reply_sent::TYPE));
    files.push(typed::<IceFinalReportRecorded>(
        ice_final_report_recorded::TYPE,
    ));
    files.push(typed::<IceRedressPaid>(ice_redress_paid::TYPE));
    files.push(typed::<LetterEmailRequested>(letter_email_requested::TYPE));
    files.push(typed::<LetterReadyForPost>(letter_ready_for_post::TYPE));
    files.push(typed::<LetterRequested>(letter_requested::TYPE));
    files.push(typed::<LetterSent>(letter_sent::TYPE));
    files.push(typed::<MpInvolved>(mp_involved::TYPE));
    files.push(typed::<OutcomeDecided>(outcome_decided::TYPE));
    files.push(typed::<RemedialActionRequested>(
        remedial_action_requested::TYPE,
    ));
    files.push(typed::<ResolutionPlanAgreed>(resolution_plan_agreed::TYPE));
    files.push(typed::<ResolutionPlanApproved>(
        resolution_plan_approved::TYPE,
    ));
    files.push(typed::<ResolutionPlanDisagreed>(
        resolution_plan_disagreed::TYPE,
    ));
    files.push(typed::<ResolutionPlanDrafted>(
        resolution_plan_drafted::TYPE,
    ));
    files.push(typed::<ResolutionPlanProposed>(
        resolution_plan_proposed::TYPE,
    ));
    files.push(typed::<ResolutionPlanRejected>(
        resolution_plan_rejected::TYPE,
    ));
    files.push(typed::<ResolutionPlanSubmitted>(
        resolution_plan_submitted::TYPE,
    ));
    files.push(typed::<SpecialPaymentMade>(special_payment_made::TYPE));
    files.push(typed::<SystemicIssueActionRecorded>(
        systemic_issue_action_recorded::TYPE,
    ));
    files.push(typed::<SystemicIssueRecorded>(
        systemic_issue_recorded::TYPE,
    ));
    files.push(typed::<TaskCreated>(task_created::TYPE));
    files.push(typed::<TaskDone>(task_done::TYPE));
    files.push(typed::<TeamLeaderDecided>(team_leader_decided::TYPE));
    files.push(typed::<TimerFired>(timer_fired::TYPE));
    files
}

/// The schema of a whole CloudEvent whose `type` is `event_type` and whose data is `T`.
fn typed<T: JsonSchema>(event_type: &str) -> (String, Value) {
    let mut schema: Schema = schema_for!(CloudEvent<T>);
    schema.insert("$id".into(), json!(envelope::dataschema(event_type)));
    schema.insert("title".into(), json!(event_type));
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        props.insert(
            "type".into(),
            json!({ "const": event_type, "description": "The event type, also the routing key." }),
        );
    }
    (format!("{event_type}.schema.json"), schema.to_value())
}

/// Version [`envelope::AGREED_CATEGORIES`] of `event_type` (already among `files` at version
/// 1): the same schema but for `categories`, an array of the agreed names ([`Category`]), with
/// its own `$id`. The payload's definition is renamed `<Payload>V2` so that a document can hold
/// both versions.
fn with_agreed_categories(event_type: &str, files: &[(String, Value)]) -> (String, Value) {
    let version = envelope::AGREED_CATEGORIES;
    let v1 = format!("{event_type}.schema.json");
    let mut schema = files
        .iter()
        .find(|(name, _)| *name == v1)
        .map(|(_, schema)| schema.clone())
        .expect("version 1 is generated first");
    schema["$id"] = json!(envelope::dataschema_at(event_type, version));
    let data = &mut schema["properties"]["data"]["$ref"];
    let name = data
        .as_str()
        .and_then(|r| r.strip_prefix("#/$defs/"))
        .expect("the payload is a definition")
        .to_owned();
    let renamed = format!("{name}V{version}");
    *data = json!(format!("#/$defs/{renamed}"));
    let defs = schema["$defs"]
        .as_object_mut()
        .expect("a schema with definitions");
    let mut payload = defs.remove(&name).expect("the payload's definition");
    payload["properties"]["categories"]["items"] = json!({ "$ref": "#/$defs/Category" });
    payload["properties"]["categories"]["description"] = json!(
        "The categories, at least one, each a name of the agreed list (`Category`); any other \
         is refused (version 1 took free text)."
    );
    defs.insert(renamed, payload);
    let mut category = schema_for!(Category).to_value();
    if let Some(category) = category.as_object_mut() {
        category.remove("$schema");
    }
    defs.insert("Category".into(), category);
    (format!("{event_type}.v{version}.schema.json"), schema)
}

/// Renders a schema as it is checked in: pretty JSON with a final newline.
pub fn render_schema(schema: &Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).expect("a JSON value always serialises");
    text.push('\n');
    text
}
