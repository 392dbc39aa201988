//! `GET /v1/cases/{reference}/letters/{id}`: a letter exactly as it was sent (subject, text,
//! HTML, template version, channel, recipient, when); scope `cases:read`.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use uuid::Uuid;

use super::auth::Caller;
use super::cases::no_such_case;
use super::error::{ApiError, ApiResult};
use crate::app::App;
use crate::db::letters;
use crate::process::case_reference::parse_case_reference;
use crate::vocabulary::Scope;

/// The letter, or 404.
pub async fn get(
    State(app): State<App>,
    caller: Caller,
    Path((reference, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    caller.require(Scope::CasesRead)?;
    let reference = parse_case_reference(&reference).ok_or_else(no_such_case)?;
    let id = Uuid::parse_str(&id).map_err(|_| no_such_letter())?;
    let mut conn = app
        .pool
        .get()
        .await
        .map_err(ApiError::database_unavailable)?;
    let letter = letters::of_case(&mut conn, &reference, id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(no_such_letter)?;
    Ok(Json(letter).into_response())
}

/// The 404 for a letter id that is not one of the case's letters (or not an id at all).
fn no_such_letter() -> ApiError {
    ApiError::not_found("no letter with that id on that case")
}
