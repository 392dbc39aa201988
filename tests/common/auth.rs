//! API clients for tests: a token with the scopes a test needs, and an HTTP client that sends
//! it, so a test calls the API as an authenticated caller would.

use complaints::auth::new_token;
use complaints::db::clients;
use complaints::vocabulary::Scope;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use uuid::Uuid;

use super::TestEnv;

impl TestEnv {
    /// Adds an API client named `name` with `scopes` (as `complaints clients add` does) and
    /// returns its bearer token.
    pub async fn client_token(&self, name: &str, scopes: &[Scope]) -> String {
        let id = Uuid::now_v7();
        let token = new_token(id).expect("a token");
        let scopes: Vec<String> = scopes.iter().map(|s| s.as_str().to_owned()).collect();
        let mut conn = self.conn().await;
        assert!(
            clients::add(
                &mut conn,
                id,
                name,
                &scopes,
                &token.secret_sha256,
                self.app.clock.now()
            )
            .await
            .expect("insert the client"),
            "a client named {name} exists already"
        );
        token.token
    }

    /// An HTTP client that sends the token of a new API client holding every scope: what
    /// tests of behaviour behind the API use (tests of access control use
    /// [`TestEnv::client_token`] with the scopes they mean).
    pub async fn http_client(&self) -> reqwest::Client {
        let token = self
            .client_token(&format!("test-{}", Uuid::new_v4().simple()), Scope::ALL)
            .await;
        authorised(&token)
    }
}

/// An HTTP client that sends `token` as its bearer token on every request.
pub fn authorised(token: &str) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    let mut value = HeaderValue::from_str(&format!("Bearer {token}")).expect("a header value");
    value.set_sensitive(true);
    headers.insert(AUTHORIZATION, value);
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("an HTTP client")
}
