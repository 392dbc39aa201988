//! Throwaway databases: the benchmark and the tests each create their own and drop it
//! afterwards, so they run beside each other and beside a real deployment.
//!
//! The benchmark migrates its database ([`ScratchDatabase::create`]). The tests, which make
//! hundreds, copy a template instead ([`ScratchDatabase::from_template`]), as crates.io's
//! `test-db` crate does: the template is migrated once per server and per set of migrations
//! (its name carries their digest, so a changed migration builds a new one), and
//! `CREATE DATABASE … TEMPLATE` copies it in a fraction of the time migrating takes. Templates
//! stay on the server between runs; one whose migrations are gone can be dropped by hand.

use std::time::Duration;

use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// The template every test database is copied from: the migrations' digest (from `build.rs`)
/// names it.
pub const TEMPLATE: &str = concat!("complaints_template_", env!("MIGRATIONS_DIGEST"));

/// The advisory lock held while a template is built, so two test processes starting at once do
/// not both build it (any key will do that no other lock uses).
const TEMPLATE_LOCK: i64 = 0x7465_6d70_6c61_7465;

/// How long a freshly migrated template may take to lose its last connection.
const SESSIONS_END: Duration = Duration::from_secs(10);

/// A database created for one run.
#[derive(Debug)]
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    /// Its connection URL.
    pub url: String,
}

impl ScratchDatabase {
    /// Creates an empty database named `<prefix>_<random>` on the server of `base_url` and
    /// applies the migrations.
    pub async fn create(base_url: &str, prefix: &str) -> anyhow::Result<Self> {
        let name = format!("{prefix}_{}", Uuid::new_v4().simple());
        let admin_url = with_database(base_url, "postgres");
        let mut admin = AsyncPgConnection::establish(&admin_url).await?;
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await?;
        let url = with_database(base_url, &name);
        super::migrate(&url).await?;
        Ok(Self {
            admin_url,
            name,
            url,
        })
    }

    /// Creates an empty database named `<prefix>_<random>` as a copy of the migrated
    /// [`TEMPLATE`], building the template first when this server has none for these
    /// migrations.
    pub async fn from_template(base_url: &str, prefix: &str) -> anyhow::Result<Self> {
        let admin_url = with_database(base_url, "postgres");
        let mut admin = AsyncPgConnection::establish(&admin_url).await?;
        if !exists(&mut admin, TEMPLATE).await? {
            build_template(&mut admin, base_url).await?;
        }
        let name = format!("{prefix}_{}", Uuid::new_v4().simple());
        diesel::sql_query(format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{TEMPLATE}\""
        ))
        .execute(&mut admin)
        .await?;
        let url = with_database(base_url, &name);
        Ok(Self {
            admin_url,
            name,
            url,
        })
    }

    /// Drops the database, closing any connection still open to it.
    pub async fn drop_database(self) -> anyhow::Result<()> {
        let mut admin = AsyncPgConnection::establish(&self.admin_url).await?;
        diesel::sql_query(format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin)
        .await?;
        Ok(())
    }
}

/// Whether the server has a database named `name`.
async fn exists(admin: &mut AsyncPgConnection, name: &str) -> anyhow::Result<bool> {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        found: bool,
    }
    let found: Found =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS found")
            .bind::<Text, _>(name)
            .get_result(admin)
            .await?;
    Ok(found.found)
}

/// Builds [`TEMPLATE`] under the advisory lock: migrated under a working name and renamed only
/// once complete, so a run that dies half way leaves no template that looks finished. The
/// template refuses connections, so nothing changes it and copying it never finds it in use.
async fn build_template(admin: &mut AsyncPgConnection, base_url: &str) -> anyhow::Result<()> {
    diesel::sql_query(format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
        .execute(admin)
        .await?;
    let built = async {
        // Another process may have built it while this one waited for the lock.
        if exists(admin, TEMPLATE).await? {
            return anyhow::Ok(());
        }
        let building = format!("{TEMPLATE}_building");
        for statement in [
            format!("DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"),
            format!("CREATE DATABASE \"{building}\""),
        ] {
            diesel::sql_query(statement).execute(admin).await?;
        }
        super::migrate(&with_database(base_url, &building)).await?;
        sessions_end(admin, &building).await?;
        for statement in [
            format!("ALTER DATABASE \"{building}\" WITH ALLOW_CONNECTIONS false"),
            format!("ALTER DATABASE \"{building}\" RENAME TO \"{TEMPLATE}\""),
        ] {
            diesel::sql_query(statement).execute(admin).await?;
        }
        Ok(())
    }
    .await;
    diesel::sql_query(format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"))
        .execute(admin)
        .await?;
    built
}

/// Waits until no session is connected to `database` (the server ends a session a moment
/// after its client closes it), which renaming it needs.
async fn sessions_end(admin: &mut AsyncPgConnection, database: &str) -> anyhow::Result<()> {
    #[derive(diesel::QueryableByName)]
    struct Sessions {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let deadline = tokio::time::Instant::now() + SESSIONS_END;
    loop {
        let sessions: Sessions =
            diesel::sql_query("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1")
                .bind::<Text, _>(database)
                .get_result(admin)
                .await?;
        if sessions.n == 0 {
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "{database} still has {} sessions after {SESSIONS_END:?}",
            sessions.n
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `url` with its database name replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (without_query, query) = match url.split_once('?') {
        Some((u, q)) => (u, Some(q)),
        None => (url, None),
    };
    let authority_end = without_query
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| without_query[start..].find('/').map(|j| start + j))
        .unwrap_or(without_query.len());
    let mut out = format!("{}/{database}", &without_query[..authority_end]);
    if let Some(q) = query {
        out = format!("{out}?{q}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_only_the_database_name() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/complaints", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=require", "x"),
            "postgres://u@h/x?sslmode=require"
        );
    }
}
