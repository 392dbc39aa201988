//! Who is calling: every route but `/healthz` and `/readyz` needs a bearer token of an API
//! client (`complaints clients add`) holding the route's scope (README "Security").
//!
//! - no token, a malformed or unknown one, or a revoked client's: 401 with
//!   `WWW-Authenticate: Bearer` and the JSON error;
//! - a client without the scope needed: 403 whose reason names the scope;
//! - a client over its rate (`http.rate_limit_per_second`, `http.rate_limit_burst`): 429 with
//!   `Retry-After`.
//!
//! The client is looked up in the database on every request, so `complaints clients revoke`
//! takes effect at once in every process. A route takes a [`Caller`] (authenticated) and calls
//! [`Caller::require`]; a route whose scope depends on configuration calls [`authorise`]. Every
//! refusal is an [`ApiError`] (`unauthorised`, `forbidden`, `rate_limited`, or
//! `database_unavailable` when the client cannot be looked up).

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tracing::debug;

use super::error::ApiError;
use crate::app::App;
use crate::auth::{parse_token, secret_matches};
use crate::config::HttpConfig;
use crate::db::clients;
use crate::vocabulary::Scope;

/// An authenticated API client.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The client's name, stamped on the events it posts (`authclient`).
    pub name: String,
    scopes: Vec<Scope>,
}

impl Caller {
    /// Whether the client holds `scope`.
    pub fn holds(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// `Ok` when the client holds `scope`; otherwise the 403 that names it.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(ApiError::forbidden(scope))
        }
    }
}

/// Per-client request rates, shared by every request of the process.
#[derive(Clone)]
pub struct RateLimits(Arc<DefaultKeyedRateLimiter<String>>);

impl RateLimits {
    /// The limits of `http.rate_limit_per_second` and `http.rate_limit_burst`.
    pub fn new(config: &HttpConfig) -> Self {
        let per_second = NonZeroU32::new(config.rate_limit_per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(config.rate_limit_burst).unwrap_or(NonZeroU32::MIN);
        Self(Arc::new(RateLimiter::keyed(
            Quota::per_second(per_second).allow_burst(burst),
        )))
    }

    /// `Ok` when `client` may make a request now; otherwise the 429 saying when it may.
    fn check(&self, client: &str) -> Result<(), ApiError> {
        self.0.check_key(&client.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::rate_limited((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
        })
    }
}

impl FromRequestParts<App> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        let limits = parts.extensions.get::<RateLimits>().cloned();
        let caller = authenticate(app, &parts.headers).await?;
        if let Some(limits) = limits {
            limits.check(&caller.name)?;
        }
        Ok(caller)
    }
}

/// Authenticates the request and checks it holds `scope`: for a route that decides at run time
/// whether it needs one (`/metrics`), and for routes outside this module (the ops endpoints:
/// `authorise(&app, &headers, Scope::Ops).await?`).
pub async fn authorise(app: &App, headers: &HeaderMap, scope: Scope) -> Result<Caller, ApiError> {
    let caller = authenticate(app, headers).await?;
    caller.require(scope)?;
    Ok(caller)
}

/// The client whose bearer token the request carries, or the 401 (or the 503 when the
/// database cannot say).
async fn authenticate(app: &App, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let Some(token) = bearer(headers) else {
        return Err(ApiError::unauthorised(
            "send an API client's token: Authorization: Bearer <token>",
        ));
    };
    let invalid = || ApiError::unauthorised("that is not a valid token");
    let Some((id, secret)) = parse_token(token) else {
        return Err(invalid());
    };
    let mut conn = app
        .pool
        .get()
        .await
        .map_err(ApiError::database_unavailable)?;
    let credential = clients::live(&mut conn, id)
        .await
        .map_err(ApiError::database_unavailable)?;
    let Some(credential) = credential.filter(|c| secret_matches(secret, &c.secret_sha256)) else {
        debug!(client_id = %id, "a request with an unknown or revoked token");
        return Err(invalid());
    };
    if let Err(e) = clients::touch(&mut conn, id, app.clock.now()).await {
        debug!(error = %e, "could not record when a client was last used");
    }
    Ok(Caller {
        name: credential.name,
        scopes: credential
            .scopes
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect(),
    })
}

/// The token of an `Authorization: Bearer <token>` header (the scheme in any case, RFC 7235).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}
