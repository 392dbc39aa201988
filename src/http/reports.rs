//! `GET /v1/reports/complaints?from=YYYY-MM-DD&to=YYYY-MM-DD[&format=json|csv]`: the report of
//! process.md §7 (see `src/reports.rs`), JSON by default; scope `reports:read`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use crate::app::App;
use crate::db::reports;
use crate::reports::period;
use crate::vocabulary::Scope;

/// The report, 400 with the reasons for a bad query, or 503 without the database.
pub async fn complaints(
    State(app): State<App>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    caller.require(Scope::ReportsRead)?;
    let (from, to, format) =
        parameters(&query).map_err(|reasons| ApiError::bad_request("bad_query", reasons))?;
    let mut conn = app
        .pool
        .get()
        .await
        .map_err(ApiError::database_unavailable)?;
    let report = reports::report(&mut conn, from, to)
        .await
        .map_err(ApiError::database_unavailable)?;
    Ok(if format == Format::Csv {
        (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            report.to_csv(),
        )
            .into_response()
    } else {
        Json(report).into_response()
    })
}

/// The two forms of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

/// The period's bounds (as [`period`] gives them) and the format from the query, or every
/// problem with them.
fn parameters(
    query: &HashMap<String, String>,
) -> Result<(DateTime<Utc>, DateTime<Utc>, Format), Vec<String>> {
    let mut reasons = Vec::new();
    let mut day = |name: &str| match query.get(name).map(|v| v.parse::<NaiveDate>()) {
        Some(Ok(day)) => Some(day),
        Some(Err(e)) => {
            reasons.push(format!("`{name}` is not a date (YYYY-MM-DD): {e}"));
            None
        }
        None => {
            reasons.push(format!("`{name}` is missing (YYYY-MM-DD)"));
            None
        }
    };
    let (from, to) = (day("from"), day("to"));
    let format = match query.get("format").map_or("json", String::as_str) {
        "json" => Format::Json,
        "csv" => Format::Csv,
        other => {
            reasons.push(format!("`format` is `{other}`: json or csv"));
            Format::Json
        }
    };
    if let Some(unknown) = query
        .keys()
        .find(|k| !matches!(k.as_str(), "from" | "to" | "format"))
    {
        reasons.push(format!("`{unknown}` is not a parameter of this report"));
    }
    match (from, to) {
        (Some(from), Some(to)) if reasons.is_empty() => {
            let (from, to) = period(from, to).map_err(|e| vec![e])?;
            Ok((from, to, format))
        }
        _ => Err(reasons),
    }
}
