//! PostgreSQL through diesel-async: the connection pool, the migrations, and one storage module
//! per table family. Handlers never hold SQL of their own; they call these.

pub mod bench;
pub mod cases;
pub mod casework;
pub mod clients;
pub mod dead_letter_actions;
pub mod disputes;
pub mod event_status;
pub mod feedback;

pub mod inbox;
pub mod letters;
pub mod listener;
pub mod notifications;
pub mod ops;
pub mod outbox;
pub mod parties;
pub mod rejected_complaints;
pub mod reports;
pub mod schema;
pub mod scratch;
pub mod simulated_clock;
pub mod special_payments;
pub mod staff;
pub mod systemic_log;
pub mod tasks;
pub mod timeline;
pub mod timers;
pub mod turns;

use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::AsyncPgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// `column = 'value'` written into the statement's text instead of bound, for the claims that
/// read a partial index (`… WHERE state = 'pending'`). The planner uses such an index only where
/// it sees the value itself; a statement kept prepared may be planned once for any value (a
/// generic plan, which PostgreSQL keeps when it costs no more than the others did, as on a new
/// system's small tables), and with a bound value that plan reads the whole table on every
/// round. `column` is a qualified name and `value` one of our constants, never input.
pub(crate) fn equals_constant(
    column: &'static str,
    value: &'static str,
) -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    debug_assert!(value.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
    diesel::dsl::sql(&format!("{column} = '{value}'"))
}

/// The migrations of `migrations/`, compiled in.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Every process's pool of connections.
pub type DbPool = Pool<AsyncPgConnection>;

/// A connection taken from the [`DbPool`].
pub type PooledConnection = diesel_async::pooled_connection::deadpool::Object<AsyncPgConnection>;

/// Any key will do, as long as every `complaints` process uses the same one: it keeps two
/// processes starting at once from applying the same migration twice.
const MIGRATION_LOCK: i64 = 0x636f_6d70_6c61_696e;

/// Builds the pool; connections are opened when first needed.
pub fn pool(url: &str, size: usize) -> anyhow::Result<DbPool> {
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
    Ok(Pool::builder(manager).max_size(size).build()?)
}

/// Creates the database `url` names if the server does not have it yet, so that a fresh
/// server needs no manual step. Returns whether it was created.
pub async fn ensure_database(url: &str) -> anyhow::Result<bool> {
    use diesel::sql_types::Text;
    use diesel_async::{AsyncConnection, RunQueryDsl};

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }

    let name = database_name(url);
    let mut admin = AsyncPgConnection::establish(&scratch::with_database(url, "postgres")).await?;
    let found: Count =
        diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
            .bind::<Text, _>(&name)
            .get_result(&mut admin)
            .await?;
    if found.n > 0 {
        return Ok(false);
    }
    diesel::sql_query(format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\"")))
        .execute(&mut admin)
        .await?;
    Ok(true)
}

/// The database name in a PostgreSQL URL.
fn database_name(url: &str) -> String {
    let without_query = url.split('?').next().unwrap_or(url);
    let after_scheme = without_query
        .split_once("://")
        .map_or(without_query, |(_, rest)| rest);
    after_scheme
        .split_once('/')
        .map_or("postgres", |(_, db)| db)
        .to_owned()
}

/// Applies the migrations not yet applied and returns their names. Diesel's migration harness
/// is synchronous, so it runs on a blocking thread over an async connection wrapper.
pub async fn migrate(url: &str) -> anyhow::Result<Vec<String>> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
        use diesel::{Connection, RunQueryDsl};
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)?;
        diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
            .execute(&mut conn)?;
        let applied: Vec<String> = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?
            .iter()
            .map(ToString::to_string)
            .collect();
        diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
            .execute(&mut conn)?;
        Ok(applied)
    })
    .await?
}
