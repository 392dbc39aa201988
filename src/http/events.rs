//! `POST /v1/events`: intake over HTTP, in each content mode of the CloudEvents HTTP binding.
//!
//! - **Structured** (`Content-Type: application/cloudevents+json`, the event as the body) and
//!   **binary** (`ce-` headers, the data as the body, `Content-Type: application/json`): one
//!   event; 202 with its id once the broker confirmed it, or the one JSON error.
//! - **Batched** (`Content-Type: application/cloudevents-batch+json`, a JSON array of at most
//!   [`MAX_BATCH`] structured events): 200 with a result per event, in order — 202 and the id
//!   for each one published, the error of a single post (400, 403) for each one refused. The
//!   accepted ones are published together and answered once the broker confirmed them all.
//!
//! For each event the caller must hold the scope of its type (`complaints:write` for
//! `complaint.received`, `decisions:write` for a decision), checked before anything else about
//! it; it must then be a CloudEvent of an accepted type that meets its schema. It is stamped with
//! the caller's name (`authclient`, replacing any the sender wrote) and published to
//! `complaints.events` in structured mode, whatever mode it came in.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use tracing::warn;
use uuid::Uuid;

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use crate::app::App;
use crate::broker::publisher::Outgoing;
use crate::events::binding::{read_envelope, Message};
use crate::events::incoming::{check_envelope, parse_envelope, Accepted, EventSet, Refusal};
use crate::events::CloudEvent;
use crate::events::{complaint_received, feedback_received};
use crate::vocabulary::Scope;

/// Most events one batch may hold.
pub const MAX_BATCH: usize = 100;

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

/// Reads the request in its content mode, then accepts and publishes its event or events.
pub async fn post(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let body = body.map_err(|rejection| body_refused(&rejection))?;
    let message = Message::from_http(&headers, &body);
    if message.is_batch() {
        return post_batch(&app, &caller, &body).await;
    }
    let event = accept(&app, &caller, read_envelope(&message))?;
    publish(&app, std::slice::from_ref(&event)).await?;
    Ok((StatusCode::ACCEPTED, Json(event.answer())).into_response())
}

/// A batch: each event accepted or refused on its own, the accepted ones published together.
async fn post_batch(app: &App, caller: &Caller, body: &[u8]) -> ApiResult<Response> {
    let items = batch_items(body)?;
    let outcomes: Vec<Result<Stamped, ApiError>> = items
        .iter()
        .map(|item| {
            let bytes = serde_json::to_vec(item).expect("a JSON value always serialises");
            accept(app, caller, parse_envelope(&bytes))
        })
        .collect();
    let accepted: Vec<Stamped> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().ok().cloned())
        .collect();
    publish(app, &accepted).await?;
    let results: Vec<Value> = outcomes
        .iter()
        .map(|outcome| match outcome {
            Ok(event) => {
                let mut answer = event.answer();
                answer["status"] = json!(StatusCode::ACCEPTED.as_u16());
                answer
            }
            Err(refused) => {
                let mut answer = refused.body();
                answer["status"] = json!(refused.status().as_u16());
                answer
            }
        })
        .collect();
    Ok(Json(json!({
        "accepted": accepted.len(),
        "refused": results.len() - accepted.len(),
        "results": results,
    }))
    .into_response())
}

/// The events of a batch body: a JSON array of 1 to [`MAX_BATCH`] items.
fn batch_items(body: &[u8]) -> Result<Vec<Value>, ApiError> {
    let not_a_batch = |why: &str| ApiError::bad_request("not_cloudevent_batch", vec![why.into()]);
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(items)) if !items.is_empty() && items.len() <= MAX_BATCH => Ok(items),
        Ok(Value::Array(_)) => Err(not_a_batch(&format!(
            "a batch holds 1 to {MAX_BATCH} events"
        ))),
        Ok(_) | Err(_) => Err(not_a_batch(
            "an `application/cloudevents-batch+json` body is a JSON array of structured CloudEvents",
        )),
    }
}

/// An event accepted from a caller, stamped with its name, ready to publish.
#[derive(Debug, Clone)]
struct Stamped {
    id: Uuid,
    event_type: String,
    body: Vec<u8>,
}

impl Stamped {
    /// What the caller is told of it: the id, the type, and where to follow it.
    fn answer(&self) -> Value {
        json!({
            "id": self.id,
            "type": self.event_type,
            "status_url": format!("/v1/events/{}", self.id),
        })
    }
}

/// Checks one read event: the caller's scope for its type first, then its type's schema; then
/// stamps it with the caller's name.
fn accept(
    app: &App,
    caller: &Caller,
    read: Result<CloudEvent<Value>, Refusal>,
) -> Result<Stamped, ApiError> {
    let mut envelope = read.map_err(|refusal| refused(&refusal))?;
    if let Some(scope) = scope_to_post(&envelope.event_type) {
        caller.require(scope)?;
    }
    check_envelope(&envelope, &app.checks()).map_err(|refusal| refused(&refusal))?;
    envelope.authclient = Some(caller.name.clone());
    let body = serde_json::to_vec(&envelope).map_err(ApiError::internal)?;
    Ok(Stamped {
        id: envelope.id,
        event_type: envelope.event_type,
        body,
    })
}

/// Publishes the events with confirms; 503 when the broker did not take them all.
async fn publish(app: &App, events: &[Stamped]) -> Result<(), ApiError> {
    if events.is_empty() {
        return Ok(());
    }
    let messages: Vec<Outgoing> = events
        .iter()
        .map(|event| Outgoing {
            routing_key: &event.event_type,
            body: &event.body,
            message_id: event.id,
        })
        .collect();
    app.publisher
        .publish_confirmed(&messages)
        .await
        .map_err(|e| {
            warn!(
                events = events.len(),
                first_event_id = %events[0].id,
                "could not publish events received over HTTP"
            );
            ApiError::broker_unavailable(e)
        })
}

/// 400 with the refusal's kind and one reason per problem (bounded, never echoing a value).
fn refused(refusal: &Refusal) -> ApiError {
    ApiError::bad_request(refusal.kind(), refusal.problems())
}

/// 413 for a body over `http.body_limit_bytes`, 400 for one that could not be read.
fn body_refused(rejection: &BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::body_too_large()
    } else {
        ApiError::unreadable_body()
    }
}
