//! Access control over HTTP (README "Security"): API clients made with `complaints clients`,
//! 401 without a valid token, 403 without the scope, revocation at once, the client's name
//! stamped on what it posts, and the limits every route shares (body size, rate, time).

mod common;

use common::auth::authorised;
use common::{case_opened_by, complaint, TestEnv};
use complaints::supervisor::WorkerKind;
use complaints::vocabulary::Scope;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Asserts the answer is `status` with the one JSON error shape and `code`; returns its reasons.
async fn error_of(response: reqwest::Response, status: u16, code: &str) -> Vec<String> {
    assert_eq!(response.status().as_u16(), status);
    let body: Value = response.json().await.expect("a JSON error body");
    assert_eq!(body["error"], code, "{body}");
    body["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .map(|r| r.as_str().expect("a reason").to_owned())
        .collect()
}

/// A request to each protected route.
fn routes(env: &TestEnv) -> Vec<(reqwest::Method, String, Scope)> {
    use reqwest::Method;
    vec![
        (Method::POST, env.url("/v1/events"), Scope::ComplaintsWrite),
        (
            Method::GET,
            env.url("/v1/cases/DIS-2026-000001"),
            Scope::CasesRead,
        ),
        (
            Method::GET,
            env.url("/v1/cases/DIS-2026-000001/letters/0190d4a2-8f4c-7a4e-9c1a-6a5b4c3d2e1f"),
            Scope::CasesRead,
        ),
        (
            Method::GET,
            env.url("/v1/reports/complaints?from=2026-01-01&to=2026-01-31"),
            Scope::ReportsRead,
        ),
        (
            Method::GET,
            env.url("/v1/tasks?team=complaint_resolution_team&state=open"),
            Scope::TasksRead,
        ),
        (Method::GET, env.url("/metrics"), Scope::MetricsRead),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_but_health_needs_a_valid_token_with_its_scope() {
    let env = TestEnv::start(&[WorkerKind::Http]).await;
    let anonymous = reqwest::Client::new();
    for path in ["/healthz", "/readyz"] {
        let open = anonymous.get(env.url(path)).send().await.unwrap();
        assert_eq!(open.status(), StatusCode::OK, "{path} stays open");
    }
    // A client holding none of the scopes the routes need.
    let ops_only = authorised(&env.client_token("ops-console", &[Scope::Ops]).await);
    let forged = authorised(
        "cmpl_0190d4a28f4c7a4e9c1a6a5b4c3d2e1f_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    );
    for (method, url, scope) in routes(&env) {
        let body = serde_json::to_vec(&complaint("C")).unwrap();
        let no_token = anonymous
            .request(method.clone(), &url)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            no_token.headers()["www-authenticate"],
            "Bearer realm=\"complaints\"",
            "{url}"
        );
        error_of(no_token, 401, "unauthorised").await;
        let unknown = forged
            .request(method.clone(), &url)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert!(unknown.headers().contains_key("www-authenticate"));
        error_of(unknown, 401, "unauthorised").await;
        let wrong_scope = ops_only
            .request(method, &url)
            .body(body)
            .send()
            .await
            .unwrap();
        let reasons = error_of(wrong_scope, 403, "forbidden").await;
        assert_eq!(
            reasons,
            [format!("this needs the scope `{scope}`")],
            "{url}"
        );
    }
    // The operations page sends a browser without a session to its sign-in form, in the same
    // error shape; a client without the `ops` scope is refused like anywhere else.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let sign_in = no_redirects.get(env.url("/ops")).send().await.unwrap();
    assert_eq!(sign_in.headers()["location"], "/ops/login");
    error_of(sign_in, 303, "sign_in").await;
    let not_ops = authorised(&env.client_token("reader", &[Scope::CasesRead]).await);
    let refused = not_ops.get(env.url("/ops/live")).send().await.unwrap();
    error_of(refused, 403, "forbidden").await;
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_made_on_the_command_line_works_until_it_is_revoked() {
    let mut env = TestEnv::start(&[
        WorkerKind::Intake,
        WorkerKind::OutboxRelay,
        WorkerKind::Http,
    ])
    .await;
    let mut observer = env.observe(&["complaint.received"]).await;
    let stdout = env.cli_ok(&["clients", "add", "web-form", "--scope", "complaints:write"]);
    let token = stdout.lines().last().expect("the token, on the last line");
    assert!(
        token.starts_with("cmpl_") && !token.contains(' '),
        "{stdout}"
    );
    let web_form = authorised(token);

    // Its name is stamped on what it posts, over whatever the sender wrote.
    let mut event = complaint("CUST-ACCESS-1");
    event["authclient"] = json!("case-management");
    let accepted = web_form
        .post(env.url("/v1/events"))
        .json(&event)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), StatusCode::ACCEPTED);
    let published = observer.next().await;
    assert_eq!(published.id.to_string(), event["id"].as_str().unwrap());
    assert_eq!(published.authclient.as_deref(), Some("web-form"));
    let case = case_opened_by(&env, event["id"].as_str().unwrap()).await;

    // On the case's timeline, next to the event (read by a client that may read cases).
    let reader = env.http_client().await;
    let view: Value = reader
        .get(env.url(&format!("/v1/cases/{}", case.reference)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["timeline"][0]["detail"]["authclient"], "web-form");
    assert_eq!(view["timeline"][0]["event_id"], event["id"]);

    // It may post complaints, not decisions: refused before anything is published.
    let mut decisions = env.observe(&["resolution_plan.approved"]).await;
    let decision = common::casework::decision(
        &case.reference,
        "resolution_plan.approved",
        json!({ "approver": "special_payment_team", "amount_pence": 500000, "by": "spt-1" }),
    );
    let refused = web_form
        .post(env.url("/v1/events"))
        .json(&decision)
        .send()
        .await
        .unwrap();
    let reasons = error_of(refused, 403, "forbidden").await;
    assert_eq!(reasons, ["this needs the scope `decisions:write`"]);
    // Nor may it read the case.
    let read = web_form
        .get(env.url(&format!("/v1/cases/{}", case.reference)))
        .send()
        .await
        .unwrap();
    error_of(read, 403, "forbidden").await;

    // Listed without its token; revoked in another process, refused here at once.
    let listed = env.cli_ok(&["clients", "list"]);
    assert!(listed.contains("web-form") && listed.contains("complaints:write"));
    assert!(!listed.contains(token), "never a token in the list");
    env.cli_ok(&["clients", "revoke", "web-form"]);
    let after = web_form
        .post(env.url("/v1/events"))
        .json(&complaint("CUST-ACCESS-2"))
        .send()
        .await
        .unwrap();
    error_of(after, 401, "unauthorised").await;

    // The decision never reached the exchange: the one event seen after it is a marker
    // published afterwards.
    let marker = common::casework::decision(
        &case.reference,
        "resolution_plan.approved",
        json!({ "approver": "team_leader", "amount_pence": 0, "by": "tl-1" }),
    );
    env.publish(&marker).await;
    assert_eq!(
        decisions.next().await.id.to_string(),
        marker["id"].as_str().unwrap()
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_may_be_public_when_configured() {
    let env = TestEnv::start_with(&[WorkerKind::Http], |c| c.http.metrics_public = true).await;
    let scraped = reqwest::get(env.url("/metrics")).await.unwrap();
    assert_eq!(scraped.status(), StatusCode::OK);
    // Everything else still needs a token.
    let cases = reqwest::get(env.url("/v1/cases/DIS-2026-000001"))
        .await
        .unwrap();
    error_of(cases, 401, "unauthorised").await;
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_fast_clients_and_unknown_routes_get_the_json_error() {
    let env = TestEnv::start_with(&[WorkerKind::Http], |c| {
        c.http.body_limit_bytes = 4096;
        c.http.rate_limit_per_second = 1;
        c.http.rate_limit_burst = 3;
    })
    .await;
    let http = env.http_client().await;
    let mut big = complaint("C");
    big["data"]["summary"] = json!("x".repeat(8192));
    let too_big = http
        .post(env.url("/v1/events"))
        .json(&big)
        .send()
        .await
        .unwrap();
    error_of(too_big, 413, "body_too_large").await;

    let missing = http.get(env.url("/v2/nothing")).send().await.unwrap();
    error_of(missing, 404, "not_found").await;
    let wrong_method = http.delete(env.url("/v1/events")).send().await.unwrap();
    error_of(wrong_method, 405, "method_not_allowed").await;

    // The burst of 3 is spent by now (one request above and these): the next is refused.
    let mut limited = None;
    for _ in 0..10 {
        let response = http
            .get(env.url("/v1/cases/DIS-2026-000001"))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(response);
            break;
        }
    }
    let limited = limited.expect("a client over its rate is refused");
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    error_of(limited, 429, "rate_limited").await;
    // Another client has its own allowance.
    let other = env.http_client().await;
    let fine = other.get(env.url("/healthz")).send().await.unwrap();
    assert_eq!(fine.status(), StatusCode::OK);
    let own = other
        .get(env.url("/v1/reports/complaints?from=2026-01-01&to=2026-01-31"))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_its_time_is_answered_with_the_json_error() {
    let env = TestEnv::start_with(&[WorkerKind::Http], |c| c.http.request_timeout_ms = 1).await;
    let http = env.http_client().await;
    // Authenticating alone is a database round trip, and /metrics reads every queue.
    let slow = http.get(env.url("/metrics")).send().await.unwrap();
    error_of(slow, 503, "timeout").await;
    env.stop().await;
}
