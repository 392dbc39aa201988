//! The one error answer of every HTTP route: a status, a short machine-readable `error` code and
//! human-readable `reasons`, as JSON (`{"error": "...", "reasons": ["..."]}`), with the header a
//! status asks for (`WWW-Authenticate` on 401, `Retry-After` on 429, `Location` on the
//! operations page's 303 to its sign-in form).
//!
//! Every refusal and failure of a route is an [`ApiError`], built by one of its named
//! constructors, so a code is spelt in one place. Client errors say what was wrong with the
//! request (naming the field, never echoing a value of a personal field). Failures on our side
//! ([`ApiError::internal`], [`ApiError::unavailable`]) are logged with a fresh error id and
//! answered with a fixed sentence and that id only — the caller never sees internal text (a
//! database message, a path, a broker error) — so an operator can find the log line from what
//! the caller reports. The log line carries the cause's message chain: database and broker
//! errors name statements, constraints and queues, never the values a request carried.
//!
//! The one answer that is not a success and not this shape is `/readyz`'s 503, which is the
//! same readiness report as its 200 (`{"database": …, "broker": …}`), for a load balancer.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tracing::error;
use uuid::Uuid;

use crate::vocabulary::Scope;

/// An HTTP error answer: status, code, reasons and at most one header.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    reasons: Vec<String>,
    header: Option<(HeaderName, HeaderValue)>,
}

/// What a route handler returns: a response, or the one error shape.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    fn new(status: StatusCode, code: &'static str, reasons: Vec<String>) -> Self {
        Self {
            status,
            code,
            reasons,
            header: None,
        }
    }

    fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.header = Some((name, value));
        self
    }

    /// 400: the request itself is wrong; `code` says what kind of wrong (`bad_query`,
    /// `schema_violation`, …) and `reasons` say how, one problem each.
    pub fn bad_request(code: &'static str, reasons: Vec<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, reasons)
    }

    /// 400 `unreadable_body`: the request body could not be read at all.
    pub fn unreadable_body() -> Self {
        Self::bad_request(
            "unreadable_body",
            vec!["the request body could not be read".into()],
        )
    }

    /// 401 `unauthorised` with `WWW-Authenticate: Bearer`: no token, or not a valid one;
    /// `reason` says which, without echoing the token.
    pub fn unauthorised(reason: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorised",
            vec![reason.into()],
        )
        .with_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"complaints\""),
        )
    }

    /// Whether this is the 401 of [`ApiError::unauthorised`] (the operations page answers it
    /// with its sign-in form instead).
    pub fn is_unauthorised(&self) -> bool {
        self.status == StatusCode::UNAUTHORIZED
    }

    /// 303 `sign_in` to `/ops/login`: a browser on the operations page without a valid session
    /// is sent to the sign-in form (the body says so for a client that does not follow).
    pub fn sign_in() -> Self {
        Self::new(
            StatusCode::SEE_OTHER,
            "sign_in",
            vec!["sign in at /ops/login with an API client's token".into()],
        )
        .with_header(header::LOCATION, HeaderValue::from_static("/ops/login"))
    }

    /// 403 `forbidden`: the client does not hold `scope`; the reason names it.
    pub fn forbidden(scope: Scope) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            vec![format!("this needs the scope `{scope}`")],
        )
    }

    /// 404 `not_found`: nothing by that name; `what` says what was looked for (no personal
    /// data, never the value asked for).
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", vec![what.into()])
    }

    /// 405 `method_not_allowed`: the route exists but not with that method.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            vec!["this route does not take that method".into()],
        )
    }

    /// 413 `body_too_large`: the body is over `http.body_limit_bytes`.
    pub fn body_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            vec!["the request body is over the size limit".into()],
        )
    }

    /// 429 `rate_limited` with `Retry-After`: the client is over its rate and may try again in
    /// `retry_after_secs`.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            vec![format!(
                "too many requests; try again in {retry_after_secs} s"
            )],
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from(retry_after_secs))
    }

    /// 503 `timeout`: the request was not answered within `http.request_timeout_ms`.
    pub fn timeout() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            vec!["the request took too long; try again later".into()],
        )
    }

    /// 503 `database_unavailable`: PostgreSQL could not be reached (no connection from the
    /// pool); see [`ApiError::unavailable`].
    pub fn database_unavailable(cause: impl Into<anyhow::Error>) -> Self {
        Self::unavailable("database_unavailable", cause)
    }

    /// 503 `broker_unavailable`: RabbitMQ could not be reached or did not confirm; see
    /// [`ApiError::unavailable`].
    pub fn broker_unavailable(cause: impl Into<anyhow::Error>) -> Self {
        Self::unavailable("broker_unavailable", cause)
    }

    /// 503 for a dependency we cannot reach, under `code`: the cause is logged under an error
    /// id, and only the id is answered.
    pub fn unavailable(code: &'static str, cause: impl Into<anyhow::Error>) -> Self {
        let id = log_with_id(code, &cause.into());
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            code,
            vec![format!("try again later; error id {id}")],
        )
    }

    /// 500 `internal` for a failure on our side that is not an outage (a query that failed, a
    /// template that did not render): logged under an error id, answered with the id only.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let id = log_with_id("internal", &cause.into());
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            vec![format!("something failed on our side; error id {id}")],
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
        let mut response = (self.status, Json(self.body())).into_response();
        if let Some((name, value)) = self.header {
            response.headers_mut().insert(name, value);
        }
        response
    }
}
