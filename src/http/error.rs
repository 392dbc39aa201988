//! The one error answer of every HTTP route: a status, a short machine-readable `error` code and
//! human-readable `reasons`, as JSON (`{"error": "...", "reasons": ["..."]}`).
//!
//! Client errors say what was wrong with the request (naming the field, never echoing a value of
//! a personal field). Failures on our side are logged with a fresh error id and answered with
//! that id only — the caller never sees internal text (a database message, a path, a broker
//! error) — so an operator can find the log line from what the caller reports.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tracing::error;
use uuid::Uuid;

/// An HTTP error answer: status, code and reasons.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    reasons: Vec<String>,
}

impl ApiError {
    /// An answer with any status, code and reasons. Prefer the named constructors.
    pub fn new(status: StatusCode, code: &'static str, reasons: Vec<String>) -> Self {
        Self {
            status,
            code,
            reasons,
        }
    }

    /// 400: the request itself is wrong; `reasons` say how, one problem each.
    pub fn bad_request(code: &'static str, reasons: Vec<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, reasons)
    }

    /// 404: nothing by that name; `what` says what was looked for (no personal data).
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", vec![what.into()])
    }

    /// 503 for a dependency we cannot reach (`database_unavailable`, `broker_unavailable`): the
    /// cause is logged under an error id, and only the id is answered.
    pub fn unavailable(code: &'static str, cause: &anyhow::Error) -> Self {
        let id = log_with_id(code, cause);
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            code,
            vec![format!("try again later; error id {id}")],
        )
    }

    /// 500 for a failure on our side that is not an outage: logged under an error id, answered
    /// with the id only.
    pub fn internal(cause: &anyhow::Error) -> Self {
        let id = log_with_id("internal", cause);
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            vec![format!("error id {id}")],
        )
    }

    /// The status this answer carries.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The JSON body this answer carries (`{"error": code, "reasons": [...]}`), for an answer
    /// that reports several results (a batch of events) each in the one shape.
    pub fn body(&self) -> serde_json::Value {
        json!({ "error": self.code, "reasons": self.reasons })
    }
}

/// Logs `cause` under a fresh error id and returns the id.
fn log_with_id(code: &str, cause: &anyhow::Error) -> Uuid {
    let id = Uuid::now_v7();
    error!(error_id = %id, code, error = %format!("{cause:#}"), "HTTP request failed on our side");
    id
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

/// What a route handler returns: a response, or the one error shape.
pub type ApiResult<T> = Result<T, ApiError>;
