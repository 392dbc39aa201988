//! `GET /v1/events/{id}`: what happened to an event (pending, applied, refused or
//! dead-lettered), for an intake channel or a front end that posted it.

use axum::extract::{Path, State};
use axum::Json;
use uuid::Uuid;

use super::error::{ApiError, ApiResult};
use crate::app::App;
use crate::event_status::{event_status, EventStatus};

/// The event's status; 400 when the id is not a UUID.
pub async fn get(State(app): State<App>, Path(id): Path<String>) -> ApiResult<Json<EventStatus>> {
    let id = Uuid::parse_str(id.trim()).map_err(|_| {
        ApiError::bad_request("invalid_event_id", vec!["an event id is a UUID".into()])
    })?;
    event_status(&app, id)
        .await
        .map(Json)
        .map_err(|e| ApiError::unavailable("status_unavailable", &e))
}
