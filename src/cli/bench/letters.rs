//! `complaints bench letters --count N --concurrency C`: letters rendered per second (email
//! and print forms and a PDF each), then emails sent per second to the configured SMTP server,
//! C at a time. Needs neither the database nor the broker.

use std::time::Instant;

use anyhow::Context;
use clap::Args;

use crate::config::Config;

/// Arguments of `complaints bench letters`.
#[derive(Debug, Args)]
pub struct LettersArgs {
    /// Letters to render and emails to send.
    #[arg(long, default_value_t = 2_000)]
    pub count: usize,
    /// Emails in flight at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
}

/// Renders and emails letters; needs neither the database nor the broker.
pub async fn run(config: &Config, args: LettersArgs) -> anyhow::Result<()> {
    let LettersArgs { count, concurrency } = args;
    use crate::letters::render::{LetterContext, Templates};
    use crate::vocabulary::LetterCode;
    use lettre::AsyncTransport;

    let letters = Templates::load(std::path::Path::new(&config.letters.templates_dir))?;
    let organisation = crate::letters::post::organisation(config);
    let context = |code: LetterCode| LetterContext::example(code, organisation.clone());
    let codes = LetterCode::ALL;
    eprintln!("rendering {count} letters (email and print forms, and a PDF each)…");
    let rendering = Instant::now();
    let mut emails = Vec::with_capacity(count);
    for n in 0..count {
        let code = codes[n % codes.len()];
        let ctx = context(code);
        let email = letters.render(code, &ctx)?;
        let print = letters.render_for_print(code, &ctx)?;
        let header = [ctx.organisation.name.clone(), ctx.date.clone()];
        std::hint::black_box(crate::letters::pdf::render(
            &header,
            &ctx.customer,
            &print.text,
        ));
        emails.push(email);
    }
    let render_time = rendering.elapsed();

    eprintln!(
        "sending {count} emails to {}:{}, {concurrency} at a time…",
        config.email.host, config.email.port
    );
    let mut builder =
        lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous(&config.email.host)
            .port(config.email.port);
    if config.email.tls != crate::config::SmtpTls::None {
        anyhow::bail!(
            "the letters benchmark sends to a local SMTP server without TLS (email.tls = \"none\")"
        );
    }
    builder = builder
        .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(concurrency as u32));
    let transport = builder.build();
    let from: lettre::message::Mailbox = config.email.from.parse()?;
    let sending = Instant::now();
    let mut sent = 0;
    for window in emails.chunks(concurrency.max(1)) {
        let sends = window.iter().map(|letter| {
            let message = crate::workers::email::letter_message(
                &from,
                "jane.example@example.org",
                &letter.subject,
                (&letter.text, &letter.html),
                format!("<{}@bench.invalid>", uuid::Uuid::new_v4()),
            );
            let transport = &transport;
            async move { transport.send(message?).await.map_err(anyhow::Error::from) }
        });
        for result in futures_util::future::join_all(sends).await {
            result.with_context(|| {
                format!(
                    "sending to {}:{} (start an SMTP server there, e.g. python3 scripts/smtp_sink.py {} /tmp/mail)",
                    config.email.host, config.email.port, config.email.port
                )
            })?;
            sent += 1;
        }
    }
    let send_time = sending.elapsed();
    println!("complaints bench letters --count {count} --concurrency {concurrency}");
    println!(
        "  rendered (text + HTML + print text + PDF): {:>8.0} letters/s ({:.2} s)",
        count as f64 / render_time.as_secs_f64(),
        render_time.as_secs_f64()
    );
    println!(
        "  emailed over SMTP to {}:{}:        {:>8.0} emails/s ({:.2} s)",
        config.email.host,
        config.email.port,
        sent as f64 / send_time.as_secs_f64(),
        send_time.as_secs_f64()
    );
    Ok(())
}
