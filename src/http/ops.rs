//! `/ops`: the live operations page. Per queue its depth, consumers, dead letters and work
//! handled over the last hour; the outbox backlog; timers overdue; the cases nearest their
//! response target and those past it, by tier and team; the refusals of the last day; the dead
//! letters with replay and discard (each through a confirmation page) and the record of those
//! actions. Server-rendered with handlebars from `templates/ops/` (compiled in); the live part
//! is fetched again every few seconds by a dozen lines of inline script, no build step.
//!
//! Access goes through one hook, [`authorise`]: an API client with the `ops` scope
//! (`complaints clients add NAME --scope ops`), by its token as a bearer token, or by a session
//! cookie set by signing in with it once at `/ops/login`.

use std::sync::OnceLock;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use chrono::{DateTime, Duration, Utc};
use handlebars::Handlebars;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::auth;
use super::error::{ApiError, ApiResult};
use crate::app::App;
use crate::broker::dead_letters::{self, Action, DeadLetter, Selection};
use crate::broker::stats::queue_stats;
use crate::db::{dead_letter_actions, ops, outbox, timers};
use crate::vocabulary::{Scope, Tier};
use crate::workers::QUEUES;

/// The session cookie's name.
const COOKIE: &str = "complaints_ops";
/// How often the page's live part refreshes.
const REFRESH_SECS: u64 = 5;
/// Dead letters shown per queue (the counts above the list are the queues' whole depth).
const LISTED_PER_QUEUE: u32 = 50;
/// The chart's bucket, in seconds, over the last hour.
const BUCKET_SECS: i32 = 300;
/// How often a process serving HTTP samples every queue's depth for the chart.
pub const DEPTH_SAMPLE_SECS: u64 = 30;
/// How long depth samples are kept.
const DEPTH_KEPT_HOURS: i64 = 2;

/// Samples every worker queue's depth into `queue_depths` every [`DEPTH_SAMPLE_SECS`] until
/// `shutdown`, so the page can show what arrived on each queue (handled plus the change in
/// depth) beside what was handled; forgets samples older than two hours. A sample that cannot
/// be taken (broker or database away) is skipped, never fatal.
pub async fn sample_queue_depths(app: App, shutdown: CancellationToken) {
    loop {
        if let Err(e) = sample_once(&app).await {
            debug!(error = %e, "queue depths not sampled this time");
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(std::time::Duration::from_secs(DEPTH_SAMPLE_SECS)) => {}
        }
    }
}

/// Takes one sample of every worker queue's depth.
pub async fn sample_once(app: &App) -> anyhow::Result<()> {
    let stats = queue_stats(&app.config.amqp_urls(), &app.topology, QUEUES).await?;
    let depths: Vec<(String, i64)> = stats
        .into_iter()
        .map(|s| (s.queue, i64::from(s.messages)))
        .collect();
    let now = app.clock.now();
    let mut conn = app.db().await?;
    ops::record_depths(&mut conn, now, &depths).await?;
    ops::prune_depths(&mut conn, now - Duration::hours(DEPTH_KEPT_HOURS)).await?;
    Ok(())
}

/// What arrived on a queue per bucket: what was handled plus how much the queue grew over the
/// bucket (its last depth sample in the bucket against the last one before it; the first sample
/// of the hour is the baseline), never below zero.
fn arrived_per_bucket(
    handled: &[i64],
    samples: &[(DateTime<Utc>, i64)],
    since: DateTime<Utc>,
) -> Vec<i64> {
    let mut last_in = vec![None; handled.len()];
    for (at, messages) in samples {
        let secs = (*at - since).num_seconds();
        if let Some(slot) = usize::try_from(secs / i64::from(BUCKET_SECS))
            .ok()
            .and_then(|i| last_in.get_mut(i))
        {
            *slot = Some(*messages);
        }
    }
    let mut before = samples.first().map(|(_, messages)| *messages);
    handled
        .iter()
        .zip(last_in)
        .map(|(h, last)| {
            let growth = match (before, last) {
                (Some(before), Some(last)) => last - before,
                _ => 0,
            };
            before = last.or(before);
            (h + growth).max(0)
        })
        .collect()
}

/// The bars of a chart of `counts` per bucket, `what` naming them in each bar's label.
fn bars(counts: &[i64], what: &str) -> Vec<Bar> {
    let buckets = counts.len();
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    counts
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let h = if n == 0 { 1 } else { (n * 30 / max).max(2) };
            let minutes_ago = (buckets - i) * (BUCKET_SECS as usize / 60);
            Bar {
                x: i * 10,
                y: 31 - h,
                h,
                label: format!("{n} {what} in the 5 minutes from {minutes_ago} minutes ago"),
            }
        })
        .collect()
}

/// The routes of the page.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/ops", get(page))
        .route("/ops/live", get(live))
        .route("/ops/login", get(login_form).post(login))
        .route(
            "/ops/dead-letters/{worker}/{id}/{action}",
            get(confirm).post(act),
        )
}

/// Who is using the page, as [`authorise`] established.
#[derive(Debug, Clone)]
pub struct Operator {
    /// The name recorded with each dead-letter action: the API client's.
    pub name: String,
}

/// The one authorisation hook of `/ops`: an API client holding the `ops` scope, by its token
/// as `Authorization: Bearer`, or by the session cookie `/ops/login` set with it. Every
/// request checks the client again, so a revoked client is shut out at once. Without a valid
/// token or cookie the answer is [`ApiError::sign_in`] (303 to the sign-in form); a client
/// without the scope gets the 403, and a failed check its 503.
pub async fn authorise(app: &App, headers: &HeaderMap) -> ApiResult<Operator> {
    let from_cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned());
    let checked = match from_cookie {
        Some(token) if !headers.contains_key(header::AUTHORIZATION) => {
            let mut bearer = HeaderMap::new();
            let value = HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| ApiError::sign_in())?;
            bearer.insert(header::AUTHORIZATION, value);
            auth::authorise(app, &bearer, Scope::Ops).await
        }
        _ => auth::authorise(app, headers, Scope::Ops).await,
    };
    match checked {
        Ok(caller) => Ok(Operator { name: caller.name }),
        Err(refused) if refused.is_unauthorised() => Err(ApiError::sign_in()),
        Err(refused) => Err(refused),
    }
}

/// The page's handlebars templates, compiled in and registered once.
fn templates() -> &'static Handlebars<'static> {
    static TEMPLATES: OnceLock<Handlebars<'static>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let mut h = Handlebars::new();
        h.set_strict_mode(false);
        for (name, source) in [
            ("layout", include_str!("../../templates/ops/layout.hbs")),
            ("page", include_str!("../../templates/ops/page.hbs")),
            ("live", include_str!("../../templates/ops/live.hbs")),
            ("login", include_str!("../../templates/ops/login.hbs")),
            ("confirm", include_str!("../../templates/ops/confirm.hbs")),
        ] {
            h.register_template_string(name, source)
                .expect("the ops templates compile");
        }
        h
    })
}

/// Renders template `name` over `data`; a template that fails is a 500 (logged, never shown).
fn render(name: &str, data: &Value) -> ApiResult<String> {
    templates().render(name, data).map_err(ApiError::internal)
}

/// A whole page: `body` (already rendered) in the layout.
fn in_layout(title: &str, body: String, live: bool) -> ApiResult<Response> {
    let html = render(
        "layout",
        &json!({ "title": title, "body": body, "live": live, "refresh_ms": REFRESH_SECS * 1000 }),
    )?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response())
}

/// What an action left to say, from the redirect after it.
#[derive(Debug, Deserialize)]
struct Done {
    done: Option<String>,
    n: Option<usize>,
}

/// `GET /ops`: the whole page, with a line saying what the last action did.
async fn page(
    State(app): State<App>,
    headers: HeaderMap,
    Query(done): Query<Done>,
) -> ApiResult<Response> {
    authorise(&app, &headers).await?;
    let live = live_html(&app).await?;
    let done = match (done.done.as_deref(), done.n) {
        (Some("replayed"), Some(n)) => Some(format!(
            "Replayed {n} dead letter(s): back on complaints.events."
        )),
        (Some("discarded"), Some(n)) => Some(format!("Discarded {n} dead letter(s).")),
        _ => None,
    };
    let body = render("page", &json!({ "live": live, "done": done }))?;
    in_layout("Operations", body, true)
}

/// `GET /ops/live`: the live part alone, which the page fetches every [`REFRESH_SECS`].
async fn live(State(app): State<App>, headers: HeaderMap) -> ApiResult<Response> {
    authorise(&app, &headers).await?;
    let html = live_html(&app).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response())
}

/// A bar of a queue's chart.
#[derive(Serialize)]
struct Bar {
    x: usize,
    y: i64,
    h: i64,
    label: String,
}

/// A moment as the page shows it, to the second in UTC.
fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The live part of the page.
async fn live_html(app: &App) -> ApiResult<String> {
    let now = app.clock.now();
    let hour_ago = now - Duration::hours(1);
    let stats = queue_stats(&app.config.amqp_urls(), &app.topology, QUEUES)
        .await
        .map_err(ApiError::broker_unavailable)?;
    let letters = dead_letters::list(
        &app.config.amqp_urls(),
        &app.topology,
        QUEUES,
        &Selection {
            limit: Some(LISTED_PER_QUEUE),
            ..Selection::default()
        },
    )
    .await
    .map_err(ApiError::broker_unavailable)?;
    let mut conn = app.db().await.map_err(ApiError::database_unavailable)?;
    let handled = ops::handled_per_bucket(&mut conn, hour_ago, BUCKET_SECS)
        .await
        .map_err(ApiError::internal)?;
    let last = ops::last_handled(&mut conn, now - Duration::days(1))
        .await
        .map_err(ApiError::internal)?;
    let outbox_pending = outbox::count_unsent(&mut conn)
        .await
        .map_err(ApiError::internal)?;
    let grace = Duration::milliseconds(app.config.scheduler.overdue_grace_ms as i64);
    let timer_counts = timers::counts(&mut conn, now, now - grace)
        .await
        .map_err(ApiError::internal)?;
    let teams = timers::breach_counts(&mut conn, now + Duration::days(1))
        .await
        .map_err(ApiError::internal)?;
    let nearest = timers::nearest_targets(&mut conn, 10)
        .await
        .map_err(ApiError::internal)?;
    let refused = ops::refused_since(&mut conn, now - Duration::days(1), 50)
        .await
        .map_err(ApiError::internal)?;
    let actions = dead_letter_actions::latest(&mut conn, 10)
        .await
        .map_err(ApiError::internal)?;
    let depths = ops::depths_since(&mut conn, hour_ago)
        .await
        .map_err(ApiError::internal)?;
    let (last_fired, last_published) = ops::last_fired_and_published(&mut conn)
        .await
        .map_err(ApiError::internal)?;
    drop(conn);

    let buckets = (3600 / BUCKET_SECS) as usize;
    let queues: Vec<Value> = QUEUES
        .iter()
        .map(|spec| {
            let queue = app.topology.queue(spec.worker);
            let dead = app.topology.dead_letter_queue(spec.worker);
            let main = stats.iter().find(|s| s.queue == queue);
            let dead_letters = stats
                .iter()
                .find(|s| s.queue == dead)
                .map_or(0, |s| s.messages);
            let mut counts = vec![0i64; buckets];
            for b in handled.iter().filter(|b| b.worker == spec.worker) {
                if let Some(slot) = usize::try_from(b.bucket)
                    .ok()
                    .and_then(|i| counts.get_mut(i))
                {
                    *slot += b.handled;
                }
            }
            let samples: Vec<(DateTime<Utc>, i64)> = depths
                .iter()
                .filter(|(q, _, _)| *q == queue)
                .map(|(_, at, messages)| (*at, *messages))
                .collect();
            let arrived = arrived_per_bucket(&counts, &samples, hour_ago);
            json!({
                "worker": spec.worker,
                "queue": queue,
                "messages": main.map_or(0, |s| s.messages),
                "consumers": main.map_or(0, |s| s.consumers),
                "dead_letters": dead_letters,
                "handled": counts.iter().sum::<i64>(),
                "bars": bars(&counts, "handled"),
                "arrived": arrived.iter().sum::<i64>(),
                "arrived_bars": bars(&arrived, "arrived"),
                "chart_width": buckets * 10,
                "last_handled": last.iter().find(|l| l.worker == spec.worker)
                    .and_then(|l| l.at).map_or_else(|| "not in the last day".to_owned(), time),
            })
        })
        .collect();
    let letters: Vec<Value> = letters.iter().map(letter_json).collect();
    let teams_json: Vec<Value> = teams
        .iter()
        .map(|c| {
            json!({
                "tier": Tier::from_number(c.tier).map_or("unknown", Tier::as_str),
                "team": c.team, "near": c.near, "breached": c.breached,
            })
        })
        .collect();
    let nearest_json: Vec<Value> = nearest
        .iter()
        .map(|t| {
            let left = t.deadline - now;
            let left = if left.num_seconds() < 0 {
                format!("past by {}d {}h", -left.num_days(), (-left.num_hours()) % 24)
            } else {
                format!("{}d {}h", left.num_days(), left.num_hours() % 24)
            };
            json!({ "reference": t.reference, "team": t.handling_team, "deadline": time(t.deadline), "left": left })
        })
        .collect();
    let refused_json: Vec<Value> = refused
        .iter()
        .map(|r| json!({ "at": time(r.at), "refusal": r.refusal, "event_type": r.event_type, "case": r.case, "reason": r.reason }))
        .collect();
    let actions_json: Vec<Value> = actions
        .iter()
        .map(|a| json!({ "at": time(a.at), "actor": a.actor, "action": a.action, "worker": a.worker, "dead_letter_id": a.dead_letter_id }))
        .collect();
    render(
        "live",
        &json!({
            "now": time(now),
            "simulated": app.config.clock.simulated,
            "refresh_secs": REFRESH_SECS,
            "last_fired": last_fired.map_or_else(|| "never".to_owned(), time),
            "last_published": last_published.map_or_else(|| "never".to_owned(), time),
            "dead_letter_total": stats.iter().filter(|s| s.dead_letter).map(|s| s.messages).sum::<u32>(),
            "outbox_pending": outbox_pending,
            "outbox_bad": outbox_pending > 1000,
            "timers_overdue": timer_counts.overdue,
            "breached_total": teams.iter().map(|c| c.breached).sum::<i64>(),
            "near_total": teams.iter().map(|c| c.near).sum::<i64>(),
            "queues": queues,
            "dead_letters": letters,
            "teams": teams_json,
            "nearest": nearest_json,
            "refused_count": refused.len(),
            "refused": refused_json,
            "actions": actions_json,
        }),
    )
}

/// What the page shows of a dead letter.
fn letter_json(letter: &DeadLetter) -> Value {
    json!({
        "id": letter.id,
        "worker": letter.worker,
        "event_type": letter.event_type.as_deref().unwrap_or("unknown"),
        "reason": letter.reason,
        "reason_kind": letter.reason_kind,
        "when": letter.dead_lettered_at.map_or_else(|| "unknown".to_owned(), time),
        "attempts": letter.attempts,
    })
}

/// `GET /ops/login`: the sign-in form.
async fn login_form() -> ApiResult<Response> {
    in_layout("Sign in", render("login", &json!({}))?, false)
}

/// The sign-in form's field.
#[derive(Deserialize)]
struct Login {
    token: String,
}

/// `POST /ops/login`: with a token of a client holding `ops`, the session cookie and a redirect
/// to the page; otherwise the form again, saying it failed (401).
async fn login(State(app): State<App>, Form(form): Form<Login>) -> ApiResult<Response> {
    let token = form.token.trim();
    let mut bearer = HeaderMap::new();
    let signed_in = match HeaderValue::from_str(&format!("Bearer {token}")) {
        Ok(value) => {
            bearer.insert(header::AUTHORIZATION, value);
            authorise(&app, &bearer).await.is_ok()
        }
        Err(_) => false,
    };
    if !signed_in {
        let body = render("login", &json!({ "failed": true }))?;
        let mut response = in_layout("Sign in", body, false)?;
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(response);
    }
    // The cookie carries the client's token to /ops only, never to script (HttpOnly) or to
    // another site (SameSite=Strict); each request checks it again.
    let cookie = format!("{COOKIE}={token}; Path=/ops; HttpOnly; SameSite=Strict; Max-Age=43200");
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/ops")).into_response())
}

/// The dead letter of a confirmation or action path, and the action.
async fn find(app: &App, worker: &str, id: &str, action: &str) -> ApiResult<(DeadLetter, Action)> {
    let action = match action {
        "replay" => Action::Replay,
        "discard" => Action::Discard,
        _ => return Err(ApiError::not_found("no such action")),
    };
    if !QUEUES.iter().any(|q| q.worker == worker) {
        return Err(ApiError::not_found("no such queue"));
    }
    let selection = Selection {
        worker: Some(worker.to_owned()),
        id: Some(id.to_owned()),
        ..Selection::default()
    };
    let letter = dead_letters::list(&app.config.amqp_urls(), &app.topology, QUEUES, &selection)
        .await
        .map_err(ApiError::broker_unavailable)?
        .into_iter()
        .next()
        .ok_or_else(|| {
            ApiError::not_found("no such dead letter (already replayed or discarded?)")
        })?;
    Ok((letter, action))
}

/// `GET /ops/dead-letters/{worker}/{id}/{action}`: the page confirming a replay or discard.
async fn confirm(
    State(app): State<App>,
    headers: HeaderMap,
    Path((worker, id, action)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    authorise(&app, &headers).await?;
    let (letter, action) = find(&app, &worker, &id, &action).await?;
    let (verb, explanation) = match action {
        Action::Replay => ("Replay", "It goes back to complaints.events under its event type; if it fails again it returns to the dead letters with the new reason."),
        Action::Discard => ("Discard", "It is removed for good: the event it carries will never be applied."),
    };
    let verb_lower = if action == Action::Replay {
        "replay"
    } else {
        "discard"
    };
    let body = render(
        "confirm",
        &json!({
            "letter": letter_json(&letter),
            "verb": verb,
            "action": verb_lower,
            "discard": action == Action::Discard,
            "explanation": explanation,
        }),
    )?;
    in_layout(&format!("{verb} a dead letter"), body, false)
}

/// `POST /ops/dead-letters/{worker}/{id}/{action}`: replays or discards the dead letter,
/// records who did it, and redirects to the page saying what was done.
async fn act(
    State(app): State<App>,
    headers: HeaderMap,
    Path((worker, id, action)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let operator = authorise(&app, &headers).await?;
    let (_, action) = find(&app, &worker, &id, &action).await?;
    let selection = Selection {
        worker: Some(worker),
        id: Some(id),
        ..Selection::default()
    };
    let done = dead_letters::act_and_record(&app, &selection, action, &operator.name, |_, _, _| {})
        .await
        .map_err(ApiError::broker_unavailable)?;
    Ok(Redirect::to(&format!(
        "/ops?done={}&n={}",
        action.past_tense(),
        done.len()
    ))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_arrived_is_what_was_handled_plus_the_growth() {
        let since: DateTime<Utc> = "2026-11-27T10:00:00Z".parse().unwrap();
        let at = |min: i64, n: i64| (since + Duration::minutes(min), n);
        // 0 waiting, then 3 (across a bucket boundary), then 1 after 4 were handled.
        let samples = [at(4, 0), at(6, 3), at(12, 1)];
        let handled = [0, 0, 4, 0];
        assert_eq!(arrived_per_bucket(&handled, &samples, since), [0, 3, 2, 0]);
        assert_eq!(arrived_per_bucket(&handled, &[], since), handled);
    }
}
