//! `GET /v1/cases/{reference}`: a case with its customer and its timeline (scope `cases:read`).
//! On a complaint about a member of staff, what staff wrote (outcome reasons, notes, objections)
//! is shown only to a client that also holds `staff_complaints:read`; others see each such
//! entry's label with the text withheld.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use crate::app::App;
use crate::db::cases;
use crate::process::case_reference::parse_case_reference;
use crate::vocabulary::Scope;

/// The case, or 404 (also for anything that cannot be a case reference).
pub async fn get(
    State(app): State<App>,
    caller: Caller,
    Path(reference): Path<String>,
) -> ApiResult<Response> {
    caller.require(Scope::CasesRead)?;
    let reference = parse_case_reference(&reference).ok_or_else(no_such_case)?;
    let mut conn = app
        .pool
        .get()
        .await
        .map_err(ApiError::database_unavailable)?;
    let case = cases::find_by_reference(&mut conn, &reference)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(no_such_case)?;
    if case.is_staff_complaint() && !caller.holds(Scope::StaffComplaintsRead) {
        Ok(Json(case.with_written_withheld()).into_response())
    } else {
        Ok(Json(case).into_response())
    }
}

/// The 404 for a reference with no case; it does not echo what was asked.
pub(super) fn no_such_case() -> ApiError {
    ApiError::not_found("no case with that reference")
}
