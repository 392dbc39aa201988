//! `GET /v1/tasks?team=…&state=open|done|cancelled[&limit=N]`: tasks, oldest first (scope
//! `tasks:read`). Without `team`, every team's; without `state`, the open ones.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::Json;
use serde_json::{json, Value};

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use crate::app::App;
use crate::db::tasks;
use crate::vocabulary::Scope;

/// How many tasks one answer lists unless `limit` says fewer or more (at most [`MAX_LIMIT`]).
const DEFAULT_LIMIT: i64 = 200;
/// The most one answer lists.
const MAX_LIMIT: i64 = 1000;

/// The tasks, or 400 naming the bad parameter.
pub async fn list(
    State(app): State<App>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    caller.require(Scope::TasksRead)?;
    let (team, state, limit) =
        parameters(&query).map_err(|reasons| ApiError::bad_request("bad_query", reasons))?;
    let mut conn = app
        .pool
        .get()
        .await
        .map_err(ApiError::database_unavailable)?;
    let tasks = tasks::list(&mut conn, team, state, limit)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(json!({ "tasks": tasks })))
}

/// `team`, `state` and `limit` from the query, or every problem with them.
fn parameters(query: &HashMap<String, String>) -> Result<(Option<&str>, &str, i64), Vec<String>> {
    let mut reasons = Vec::new();
    let state = query.get("state").map_or(tasks::OPEN, String::as_str);
    if !tasks::STATES.contains(&state) {
        reasons.push(format!("`state` is one of {}", tasks::STATES.join(", ")));
    }
    let limit = match query.get("limit").map(|l| l.parse::<i64>()) {
        None => DEFAULT_LIMIT,
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            reasons.push(format!("`limit` is a number from 1 to {MAX_LIMIT}"));
            0
        }
    };
    let team = query.get("team").map(String::as_str);
    if team.is_some_and(|t| t.is_empty() || t.len() > 100) {
        reasons.push("`team` is a team's name, e.g. complaint_resolution_team".into());
    }
    if query
        .keys()
        .any(|k| !["team", "state", "limit"].contains(&k.as_str()))
    {
        reasons.push("the parameters are `team`, `state` and `limit`".into());
    }
    if reasons.is_empty() {
        Ok((team, state, limit))
    } else {
        Err(reasons)
    }
}
