//! `GET /v1/reports/complaints?from=YYYY-MM-DD&to=YYYY-MM-DD[&format=json|csv]`: the report of
//! process.md §7 (see `src/reports.rs`), JSON by default; scope `reports:read`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;

use super::auth::Caller;
use super::error::ApiError;
use crate::app::App;
use crate::db::reports;
use crate::reports::period;
use crate::vocabulary::Scope;

/// The report, 400 with the reasons for a bad query, or 503 without the database.
pub async fn complaints(
    State(app): State<App>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Err(forbidden) = caller.require(Scope::ReportsRead) {
        return forbidden.into_response();
    }
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
    let format = query.get("format").map_or("json", String::as_str);
    if !matches!(format, "json" | "csv") {
        reasons.push(format!("`format` is `{format}`: json or csv"));
    }
    if let Some(unknown) = query
        .keys()
        .find(|k| !matches!(k.as_str(), "from" | "to" | "format"))
    {
        reasons.push(format!("`{unknown}` is not a parameter of this report"));
    }
    let bounds = match (from, to) {
        (Some(from), Some(to)) if reasons.is_empty() => period(from, to).map_err(|e| vec![e]),
        _ => Err(reasons),
    };
    let (from, to) = match bounds {
        Ok(bounds) => bounds,
        Err(reasons) => return ApiError::bad_request("bad_query", reasons).into_response(),
    };
    let report = async {
        let mut conn = app.pool.get().await?;
        anyhow::Ok(reports::report(&mut conn, from, to).await?)
    }
    .await;
    match report {
        Ok(report) if format == "csv" => (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            report.to_csv(),
        )
            .into_response(),
        Ok(report) => Json(report).into_response(),
        Err(e) => ApiError::unavailable("database_unavailable", &e).into_response(),
    }
}
