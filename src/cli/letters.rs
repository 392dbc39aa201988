//! `complaints letters preview CODE --case REF`: a letter rendered for a case, as it would be
//! sent, printed and not sent.

use std::collections::BTreeMap;
use std::path::Path;

use clap::{Args, Subcommand};
use serde_json::Value;

use crate::app::App;
use crate::db::{cases, letters};
use crate::letters::post::organisation;
use crate::letters::render::Templates;
use crate::vocabulary::LetterCode;
use crate::workers::letters::letter_context;

/// Arguments of `complaints letters`.
#[derive(Debug, Args)]
pub struct LettersArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: LettersAction,
}

/// What `complaints letters` does with the letters kept for a case.
#[derive(Debug, Subcommand)]
pub enum LettersAction {
    /// Print a letter rendered for a case (nothing is stored or sent).
    #[command(
        after_help = "Examples:\n  complaints letters preview CMSL5842 --case RES-2026-000042\n  \
complaints letters preview CMSL5800 --case REV-2026-000007 --field update='We have checked your account.'\n  \
complaints letters preview CMSL5807 --case REV-2026-000007 --field paragraph=TM09172 --field update=… --html"
    )]
    Preview {
        /// The letter code, e.g. CMSL5842.
        code: String,
        /// The reference of the case whose letters to act on.
        #[arg(long = "case")]
        case_reference: String,
        /// A caseworker field, NAME=TEXT (repeat for each field the letter needs).
        #[arg(long = "field", value_parser = parse_field)]
        fields: Vec<(String, String)>,
        /// Print the HTML form instead of the text.
        #[arg(long)]
        html: bool,
    },
}

fn parse_field(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("`{s}` is not NAME=TEXT"))
}

/// Runs a letters action.
pub async fn letters(app: App, args: LettersArgs) -> anyhow::Result<()> {
    let LettersAction::Preview {
        code,
        case_reference,
        fields,
        html,
    } = args.action;
    let code: LetterCode = code.parse().map_err(anyhow::Error::msg)?;
    let templates = Templates::load(Path::new(&app.config.letters.templates_dir))?;
    let mut conn = app.pool.get().await?;
    let facts = cases::facts(&mut conn, std::slice::from_ref(&case_reference)).await?;
    let case = facts
        .get(&case_reference)
        .ok_or_else(|| anyhow::anyhow!("no case {case_reference}"))?;
    let customer = letters::addressees(&mut conn, &[case.id])
        .await?
        .remove(&case.id)
        .ok_or_else(|| anyhow::anyhow!("case {case_reference} has no customer"))?;
    let fields: BTreeMap<String, Value> = fields
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let context = letter_context(
        code,
        case,
        &customer,
        &organisation(&app.config),
        fields,
        app.clock.now(),
    );
    let rendered = templates.render(code, &context)?;
    if html {
        print!("{}", rendered.html);
    } else {
        println!(
            "Subject: {}\nTemplate version: {}\n\n{}",
            rendered.subject, rendered.template_version, rendered.text
        );
    }
    Ok(())
}
