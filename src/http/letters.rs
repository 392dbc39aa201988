//! `GET /v1/cases/{reference}/letters/{id}`: a letter exactly as it was sent (subject, text,
//! HTML, template version, channel, recipient, when).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use uuid::Uuid;

use crate::app::App;
use crate::db::letters;

/// The letter, or 404.
pub async fn get(State(app): State<App>, Path((reference, id)): Path<(String, Uuid)>) -> Response {
    let found = async {
        let mut conn = app.pool.get().await?;
        anyhow::Ok(letters::of_case(&mut conn, &reference, id).await?)
    }
    .await;
    match found {
        Ok(Some(letter)) => Json(letter).into_response(),
        Ok(None) => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "not_found", "reasons": [format!("no letter {id} on case {reference}")] })),
        )
            .into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "error": "database_unavailable", "reasons": [format!("{e:#}")] })),
        )
            .into_response(),
    }
}
