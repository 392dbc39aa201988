//! `GET /v1/events/{id}`: what happened to an event (pending, applied, refused or
//! dead-lettered), for an intake channel or a front end that posted it.

use axum::extract::{Path, State};
use axum::Json;
use uuid::Uuid;

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use crate::app::App;
use crate::event_status::{event_status, EventStatus};
use crate::vocabulary::Scope;

/// The event's status, for a client that may post events (`complaints:write` or
/// `decisions:write`); 400 when the id is not a UUID.
pub async fn get(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<EventStatus>> {
    caller
        .require(Scope::ComplaintsWrite)
        .or_else(|_| caller.require(Scope::DecisionsWrite))?;
    let id = Uuid::parse_str(id.trim()).map_err(|_| {
        ApiError::bad_request("invalid_event_id", vec!["an event id is a UUID".into()])
    })?;
    event_status(&app, id)
        .await
        .map(Json)
        .map_err(|e| ApiError::unavailable("status_unavailable", e))
}
