//! `POST /v1/events`: intake over HTTP. The caller must hold the scope of the event's type
//! (`complaints:write` for `complaint.received`, `decisions:write` for a decision), checked
//! before anything else about the event; the body must be a CloudEvent of an accepted type that
//! meets its schema. It is then stamped with the caller's name (`authclient`, replacing any the
//! sender wrote) and published to `complaints.events`, and the answer (202 with the event id)
//! comes only after the broker confirmed it.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tracing::warn;

use super::auth::Caller;
use super::error::ApiError;
use crate::app::App;
use crate::broker::publisher::Outgoing;
use crate::events::incoming::{check_accepted, parse_envelope, Accepted, EventSet, Refusal};
use crate::events::{complaint_received, feedback_received};
use crate::vocabulary::Scope;

/// The scope needed to post an event of `event_type`; `None` for a type not accepted from
/// outside at all (refused 400 `unknown_type`).
pub fn scope_to_post(event_type: &str) -> Option<Scope> {
    if [complaint_received::TYPE, feedback_received::TYPE].contains(&event_type) {
        Some(Scope::ComplaintsWrite)
    } else if Accepted::TYPES.contains(&event_type) {
        Some(Scope::DecisionsWrite)
    } else {
        None
    }
}

/// Validates, stamps and publishes one event.
pub async fn post(
    State(app): State<App>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return body_refused(&rejection),
    };
    match parse_envelope(&body) {
        Ok(envelope) => {
            if let Some(scope) = scope_to_post(&envelope.event_type) {
                if let Err(forbidden) = caller.require(scope) {
                    return forbidden.into_response();
                }
            }
        }
        Err(refusal) => return refused(&refusal),
    }
    let mut envelope = match check_accepted(&body, &app.checks()) {
        Ok(envelope) => envelope,
        Err(refusal) => return refused(&refusal),
    };
    envelope.authclient = Some(caller.name);
    let stamped = match serde_json::to_vec(&envelope) {
        Ok(stamped) => stamped,
        Err(e) => return ApiError::internal(&e.into()).into_response(),
    };
    let message = Outgoing {
        routing_key: &envelope.event_type,
        body: &stamped,
        message_id: envelope.id,
    };
    match app.publisher.publish_confirmed(&[message]).await {
        Ok(()) => (
            StatusCode::ACCEPTED,
            Json(json!({ "id": envelope.id, "type": envelope.event_type })),
        )
            .into_response(),
        Err(e) => {
            warn!(event_id = %envelope.id, "could not publish an event received over HTTP");
            ApiError::unavailable("broker_unavailable", &e.into()).into_response()
        }
    }
}

/// 400 with the refusal's kind and one reason per problem (bounded, never echoing a value).
fn refused(refusal: &Refusal) -> Response {
    ApiError::bad_request(refusal.kind(), refusal.problems()).into_response()
}

/// 413 for a body over `http.body_limit_bytes`, 400 for one that could not be read.
fn body_refused(rejection: &BytesRejection) -> Response {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            vec!["the request body is over the size limit".into()],
        )
        .into_response()
    } else {
        ApiError::bad_request(
            "unreadable_body",
            vec!["the request body could not be read".into()],
        )
        .into_response()
    }
}
