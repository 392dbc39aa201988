//! `/healthz` (the process answers) and `/readyz` (its database and broker answer too).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};

use crate::app::App;

/// Always 200 while the process runs.
pub async fn healthz() -> &'static str {
    "ok"
}

/// 200 when PostgreSQL and RabbitMQ both answer, 503 otherwise, saying which.
pub async fn readyz(State(app): State<App>) -> (StatusCode, Json<Value>) {
    let database = async {
        let mut conn = app.pool.get().await?;
        diesel::sql_query("SELECT 1").execute(&mut conn).await?;
        anyhow::Ok(())
    }
    .await;
    let broker = app.publisher.is_connected().await;
    let status = |ok: bool| if ok { "ok" } else { "unreachable" };
    let ready = database.is_ok() && broker;
    (
        if ready {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(json!({ "database": status(database.is_ok()), "broker": status(broker) })),
    )
}
