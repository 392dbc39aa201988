//! `POST /v1/events`: intake over HTTP. The body must be a CloudEvent of an accepted type that
//! meets its schema; it is then published to `complaints.events` exactly as sent, and the
//! answer (202 with the event id) comes only after the broker confirmed it.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tracing::warn;

use super::error::ApiError;
use crate::app::App;
use crate::broker::publisher::Outgoing;
use crate::events::incoming::{check_accepted, Refusal};

/// Validates and publishes one event.
pub async fn post(State(app): State<App>, body: Bytes) -> Response {
    let envelope = match check_accepted(&body, &app.checks()) {
        Ok(envelope) => envelope,
        Err(refusal) => return refused(&refusal),
    };
    let message = Outgoing {
        routing_key: &envelope.event_type,
        body: &body,
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
