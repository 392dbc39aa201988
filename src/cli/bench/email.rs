//! `complaints bench email --count N --concurrency C`: the email worker's sender against the
//! SMTP server of `[email]`, beside what that server itself accepts, measured in the same run.
//!
//! 1. **SMTP ceiling**: N letter emails sent straight over the worker's pooled lettre
//!    transport, C in flight at once, with no database: what the server accepts at C.
//! 2. **Email worker**: N letters kept awaiting email on one case (opened through intake, not
//!    timed); the email worker (`email.concurrency` = C) is timed from its start until every
//!    letter is recorded sent — claimed, sent, marked with its timeline entry and `letter.sent`.

use std::time::Instant;

use anyhow::Context;
use clap::Args;
use futures_util::StreamExt;
use lettre::{AsyncTransport, Message};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{complaints, publish_all, wait_for_count};
use crate::app::App;
use crate::db::letters::{self, NewLetter};
use crate::letters::render::{LetterContext, Rendered, Templates};
use crate::supervisor::{self, WorkerKind};
use crate::vocabulary::LetterCode;

/// Where the benchmark's letters go (the SMTP sink accepts any address but a bounce).
const RECIPIENT: &str = "jane.example@example.org";

/// Arguments of `complaints bench email`.
#[derive(Debug, Args)]
pub struct EmailArgs {
    /// Emails to send, first straight to the server, then through the email worker.
    #[arg(long, default_value_t = 2_000)]
    pub count: usize,
    /// Emails in flight at once (the worker's `email.concurrency`).
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
}

/// Runs the benchmark in `app`'s (scratch) database and namespace, whose `email.concurrency`
/// is `args.concurrency`, and prints its figures.
pub async fn run(app: &App, args: EmailArgs) -> anyhow::Result<()> {
    let EmailArgs { count, concurrency } = args;
    anyhow::ensure!(app.config.email.concurrency == concurrency);
    let config = &app.config.email;
    let server = format!("{}:{}", config.host, config.port);
    app.prepare().await?;
    let emails = render(app, count)?;

    eprintln!("SMTP ceiling: {count} emails straight to {server}, {concurrency} at a time…");
    let transport = crate::workers::email::transport(config)?;
    let from: lettre::message::Mailbox = config.from.parse()?;
    let messages: Vec<Message> = emails
        .iter()
        .map(|(_, letter)| message(&from, letter))
        .collect::<anyhow::Result<_>>()?;
    let started = Instant::now();
    let mut sends = futures_util::stream::iter(messages)
        .map(|m| transport.send(m))
        .buffer_unordered(concurrency);
    while let Some(sent) = sends.next().await {
        sent.with_context(|| {
            format!("sending to {server} (start an SMTP server there, e.g. python3 scripts/smtp_sink.py {} /tmp/mail)", config.port)
        })?;
    }
    let ceiling = started.elapsed();
    drop(sends);
    transport.shutdown().await;

    eprintln!("email worker: {count} letters awaiting email…");
    keep_letters(app, &emails).await?;
    let shutdown = CancellationToken::new();
    let mut workers = supervisor::start(app, &[WorkerKind::Email], None, &shutdown)?;
    let started = Instant::now();
    let mut conn = app.pool.get().await?;
    wait_for_count(count, "letters sent", async || {
        Ok(count as i64 - letters::count_unsent(&mut conn).await?)
    })
    .await?;
    let worker = started.elapsed();
    shutdown.cancel();
    while workers.join_next().await.is_some() {}

    let ceiling_rate = count as f64 / ceiling.as_secs_f64();
    let worker_rate = count as f64 / worker.as_secs_f64();
    println!("complaints bench email --count {count} --concurrency {concurrency}");
    println!(
        "  SMTP server's ceiling (raw lettre sends, pooled, {concurrency} at once): {ceiling_rate:>8.0} emails/s ({:.2} s)",
        ceiling.as_secs_f64()
    );
    println!(
        "  email worker (claim, send, record sent; {concurrency} at once):          {worker_rate:>8.0} emails/s ({:.2} s)",
        worker.as_secs_f64()
    );
    println!(
        "  ratio to the server's ceiling:                                      {:>7.0} %",
        100.0 * worker_rate / ceiling_rate
    );
    Ok(())
}

/// `count` letters rendered with placeholder text, every emailable code in turn.
fn render(app: &App, count: usize) -> anyhow::Result<Vec<(LetterCode, Rendered)>> {
    let config = &app.config.letters;
    let letters = Templates::load(std::path::Path::new(&config.templates_dir))?;
    let organisation = crate::letters::post::organisation(&app.config);
    let codes = LetterCode::ALL;
    (0..count)
        .map(|n| {
            let code = codes[n % codes.len()];
            let context = LetterContext::example(code, organisation.clone());
            Ok((code, letters.render(code, &context)?))
        })
        .collect()
}

/// A rendered letter's email as the worker sends it, to the benchmark's recipient.
fn message(from: &lettre::message::Mailbox, letter: &Rendered) -> anyhow::Result<Message> {
    crate::workers::email::letter_message(
        from,
        RECIPIENT,
        &letter.subject,
        (&letter.text, &letter.html),
        format!("<{}@bench.invalid>", Uuid::new_v4()),
    )
}

/// Opens one case through intake and keeps `emails` as its letters awaiting email, in one
/// transaction.
async fn keep_letters(app: &App, emails: &[(LetterCode, Rendered)]) -> anyhow::Result<()> {
    use diesel_async::AsyncConnection;
    let shutdown = CancellationToken::new();
    let mut workers = supervisor::start(app, &[WorkerKind::Intake], None, &shutdown)?;
    publish_all(&app.publisher, "complaint.received", &complaints(1)).await?;
    let mut conn = app.pool.get().await?;
    wait_for_count(1, "cases opened", async || {
        Ok(crate::db::bench::count_cases(&mut conn).await?)
    })
    .await?;
    shutdown.cancel();
    while workers.join_next().await.is_some() {}
    let reference = crate::db::bench::case_references(&mut conn)
        .await?
        .remove(0);
    let case = crate::db::cases::facts(&mut conn, std::slice::from_ref(&reference))
        .await?
        .remove(&reference)
        .context("the case just opened")?;
    let now = app.clock.now();
    conn.transaction::<_, anyhow::Error, _>(async |conn| {
        for (code, email) in emails {
            let letter = NewLetter {
                id: Uuid::now_v7(),
                case_id: case.id,
                code: code.as_str().into(),
                cause: Uuid::now_v7(),
                template_version: email.template_version.clone(),
                subject: email.subject.clone(),
                body_text: email.text.clone(),
                body_html: email.html.clone(),
                body_print: email.text.clone(),
                channel: "email".into(),
                recipient: RECIPIENT.into(),
                status: letters::AWAITING_EMAIL.into(),
                pdf_path: None,
                created_at: now,
                sent_at: None,
            };
            letters::insert(conn, &letter).await?;
        }
        Ok(())
    })
    .await
}
