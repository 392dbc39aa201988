//! `GET /v1/cases/{reference}`: a case with its customer and its timeline.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::app::App;
use crate::db::cases;

/// The case, or 404.
pub async fn get(State(app): State<App>, Path(reference): Path<String>) -> Response {
    let found = async {
        let mut conn = app.pool.get().await?;
        anyhow::Ok(cases::find_by_reference(&mut conn, &reference).await?)
    }
    .await;
    match found {
        Ok(Some(case)) => Json(case).into_response(),
        Ok(None) => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "not_found", "reasons": [format!("no case {reference}")] })),
        )
            .into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "error": "database_unavailable", "reasons": [format!("{e:#}")] })),
        )
            .into_response(),
    }
}
