//! API clients (`api_clients`): added, listed and revoked by `complaints clients`, looked up on
//! every HTTP request, so a revocation takes effect at once in every process.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;

use super::schema::api_clients;

/// A client as `complaints clients list` shows it (never its token or hash).
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = api_clients, check_for_backend(diesel::pg::Pg))]
pub struct ClientRecord {
    /// The client's name, unique, stamped on what it posts.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<String>,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When it last made a request (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What a request's authentication needs of a live client.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_clients, check_for_backend(diesel::pg::Pg))]
pub struct Credential {
    /// The client's name, stamped on the events it posts (`authclient`).
    pub name: String,
    /// What it may do.
    pub scopes: Vec<String>,
    /// SHA-256 of its token's secret.
    pub secret_sha256: Vec<u8>,
}

/// Adds a client; `Ok(false)` when a live client already has that name.
pub async fn add(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    name: &str,
    scopes: &[String],
    secret_sha256: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let inserted = diesel::insert_into(api_clients::table)
        .values((
            api_clients::id.eq(id),
            api_clients::name.eq(name),
            api_clients::scopes.eq(scopes),
            api_clients::secret_sha256.eq(secret_sha256),
            api_clients::created_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

/// Every client, live and revoked, by name.
pub async fn list(conn: &mut AsyncPgConnection) -> QueryResult<Vec<ClientRecord>> {
    api_clients::table
        .order((api_clients::name, api_clients::created_at))
        .select(ClientRecord::as_select())
        .load(conn)
        .await
}

/// Revokes the live client of that name; `Ok(false)` when there is none.
pub async fn revoke(
    conn: &mut AsyncPgConnection,
    name: &str,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let revoked = diesel::update(
        api_clients::table
            .filter(api_clients::name.eq(name))
            .filter(api_clients::revoked_at.is_null()),
    )
    .set(api_clients::revoked_at.eq(now))
    .execute(conn)
    .await?;
    Ok(revoked > 0)
}

/// The live (not revoked) client with that id.
pub async fn live(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Credential>> {
    api_clients::table
        .find(id)
        .filter(api_clients::revoked_at.is_null())
        .select(Credential::as_select())
        .first(conn)
        .await
        .optional()
}

/// Records that the client was used at `now`, at most once a minute (one write per client per
/// minute, however busy it is).
pub async fn touch(conn: &mut AsyncPgConnection, id: Uuid, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(
        api_clients::table.find(id).filter(
            api_clients::last_used_at
                .is_null()
                .or(api_clients::last_used_at.lt(now - Duration::minutes(1))),
        ),
    )
    .set(api_clients::last_used_at.eq(now))
    .execute(conn)
    .await?;
    Ok(())
}
