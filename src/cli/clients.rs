//! `complaints clients`: the API clients that may call the HTTP API (README "Security").
//! `add` prints the new client's bearer token once, alone on the last line of stdout; only a
//! hash of it is stored. `revoke` takes effect at once in every process (each request looks
//! the client up).

use clap::{Args, Subcommand};
use uuid::Uuid;

use crate::app::App;
use crate::auth::new_token;
use crate::db::clients;
use crate::vocabulary::Scope;

/// Arguments of `complaints clients`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
complaints clients add web-form --scope complaints:write\n  \
complaints clients add case-management --scope decisions:write --scope cases:read\n  \
complaints clients add prometheus --scope metrics:read\n  \
complaints clients list\n  complaints clients revoke web-form\n\n\
Scopes: complaints:write, decisions:write, cases:read, staff_complaints:read, reports:read, tasks:read, ops, metrics:read.\n\
Use the token as: curl -H \"Authorization: Bearer $TOKEN\" …")]
pub struct ClientsArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: ClientsAction,
}

/// What `complaints clients` does: add, list or revoke an API client.
#[derive(Debug, Subcommand)]
pub enum ClientsAction {
    /// Create a client and print its token (once: it cannot be shown again).
    Add {
        /// Its name (letters, digits, `.`, `_`, `-`; at most 64), stamped on every event it posts.
        name: String,
        /// A scope it holds; repeat for more.
        #[arg(long = "scope", required = true)]
        scopes: Vec<Scope>,
    },
    /// Names, scopes, when created and last used, and revocations (never tokens).
    List,
    /// Revoke the client of that name: its token stops working at once.
    Revoke {
        /// The client's name: stamped on every event it posts, and how `revoke` finds it.
        name: String,
    },
}

/// Adds, lists or revokes clients.
pub async fn clients(app: App, args: ClientsArgs) -> anyhow::Result<()> {
    crate::db::migrate(&app.config.database_url()).await?;
    let mut conn = app.pool.get().await?;
    let now = app.clock.now();
    match args.action {
        ClientsAction::Add { name, scopes } => {
            check_name(&name)?;
            let id = Uuid::now_v7();
            let token = new_token(id)?;
            let mut scopes: Vec<String> = scopes.iter().map(|s| s.as_str().to_owned()).collect();
            scopes.sort();
            scopes.dedup();
            let added =
                clients::add(&mut conn, id, &name, &scopes, &token.secret_sha256, now).await?;
            anyhow::ensure!(
                added,
                "a client named {name} exists already (revoke it first to replace its token)"
            );
            println!("client {name} added with scopes {}", scopes.join(", "));
            println!("its token (shown only now; keep it in a secret store):");
            println!("{}", token.token);
        }
        ClientsAction::List => {
            println!(
                "{:<32} {:<50} {:<20} {:<20} revoked",
                "name", "scopes", "created", "last used"
            );
            let minute = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M").to_string();
            for client in clients::list(&mut conn).await? {
                println!(
                    "{:<32} {:<50} {:<20} {:<20} {}",
                    client.name,
                    client.scopes.join(","),
                    minute(client.created_at),
                    client.last_used_at.map_or("never".into(), minute),
                    client.revoked_at.map_or("-".into(), minute),
                );
            }
        }
        ClientsAction::Revoke { name } => {
            anyhow::ensure!(
                clients::revoke(&mut conn, &name, now).await?,
                "no live client named {name}"
            );
            println!("client {name} revoked");
        }
    }
    Ok(())
}

/// A name is stamped on events and shown on timelines: plain characters only.
fn check_name(name: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')),
        "a client name is 1 to 64 letters, digits, `.`, `_` or `-`"
    );
    Ok(())
}
