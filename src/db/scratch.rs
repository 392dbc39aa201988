//! Throwaway databases: the benchmark and the tests each create their own, migrate it, and drop
//! it afterwards, so they run beside each other and beside a real deployment and leave nothing
//! behind.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

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
