//! `complaints schema`: the JSON Schemas of `schema/` and the AsyncAPI and OpenAPI documents
//! beside them are generated from the event types ([`crate::contract`]); this writes them, or
//! checks that the checked-in files are what the code generates.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::contract;
use crate::events::render_schema;

/// Arguments of `complaints schema`.
#[derive(Debug, Args)]
#[command(
    after_help = "Run `complaints schema --write` after changing an event type, and commit \
schema/ with the change; the test suite fails while they differ."
)]
pub struct SchemaArgs {
    /// The directory of the schema files.
    #[arg(long, default_value = "schema")]
    pub dir: PathBuf,
    /// Write the files instead of checking them.
    #[arg(long)]
    pub write: bool,
}

/// Writes or checks.
pub fn schema(args: SchemaArgs) -> anyhow::Result<()> {
    let mut stale = Vec::new();
    for (name, schema) in contract::files() {
        let path = args.dir.join(&name);
        let expected = render_schema(&schema);
        if args.write {
            std::fs::create_dir_all(&args.dir)?;
            std::fs::write(&path, expected)
                .with_context(|| format!("writing {}", path.display()))?;
            println!("wrote {}", path.display());
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(expected.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    if !stale.is_empty() {
        anyhow::bail!(
            "these schema files differ from the event types: {}; run `complaints schema --write`",
            stale.join(", ")
        );
    }
    if !args.write {
        println!("schema files match the event types");
    }
    Ok(())
}
