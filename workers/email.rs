//! The email worker: sends letters by SMTP (lettre), HTML with a text alternative.
//!
//! Each letter has a stable Message-ID (`<letter-id@domain>`) and is sent only while it is
//! still awaiting email, under a row lock, so a redelivered request never sends it twice. An
//! unreachable server or a temporary refusal (4xx) is retried with backoff for
//! `email.retry_for_secs`; after that the request goes back to the queue. A permanent refusal
//! (5xx, e.g. no such mailbox) is recorded on the case and the letter goes by post instead.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::json;
use tracing::warn;
use uuid::Uuid;

use super::effects::{case_of, cases_named, Effects};
use super::letters::{postal_address, PostRoom};
use super::Worker;
use crate::app::App;
use crate::backoff::Backoff;
use crate::config::{EmailConfig, SmtpTls};
use crate::db::letters::{self, LetterRecord};
use crate::events::{letter_sent, CloudEvent, LetterEmailRequested, LetterSent};
use crate::vocabulary::{DispatchChannel, LetterCode};

crate::event_set! {
    /// What the email worker reads.
    pub enum EmailEvent {
        /// A letter to email.
        LetterEmailRequested(LetterEmailRequested) = letter_email_requested,
    }
}

const NAME: &str = "email";

/// The email worker.
pub struct EmailWorker {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    server: String,
    from: Mailbox,
    message_id_domain: String,
    retry_for: Duration,
    post_room: PostRoom,
}

impl EmailWorker {
    /// The worker, with an SMTP transport built from `[email]`.
    pub fn new(app: &App) -> anyhow::Result<Self> {
        let config = &app.config.email;
        Ok(Self {
            transport: transport(config)?,
            server: format!("{}:{}", config.host, config.port),
            from: config.from.parse()?,
            message_id_domain: config.message_id_domain.clone(),
            retry_for: Duration::from_secs(config.retry_for_secs),
            post_room: PostRoom::new(app),
        })
    }
}

/// The SMTP transport of the configuration; credentials only when a user is set.
fn transport(config: &EmailConfig) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let builder = match config.tls {
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
        SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)?,
        SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host)?,
    };
    let mut builder = builder
        .port(config.port)
        .timeout(Some(Duration::from_secs(10)));
    if !config.username.is_empty() {
        builder = builder.credentials(Credentials::new(
            config.username.clone(),
            config.password.clone().unwrap_or_default(),
        ));
    }
    Ok(builder.build())
}

/// How a send ended.
enum Outcome {
    Sent,
    Refused(String),
}

impl Worker for EmailWorker {
    const NAME: &'static str = NAME;
    type Event = EmailEvent;

    async fn apply(
        &self,
        conn: &mut AsyncPgConnection,
        events: &[&CloudEvent<EmailEvent>],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let cases = cases_named(conn, events).await?;
        let mut effects = Effects::new(NAME, now);
        for &event in events {
            let Some(case) = case_of(&cases, event, &mut effects) else {
                continue;
            };
            let EmailEvent::LetterEmailRequested(request) = &event.data;
            let Some(letter) = letters::lock(conn, request.letter_id).await? else {
                effects.reject(event, format!("no letter {}", request.letter_id));
                continue;
            };
            if letter.status != letters::AWAITING_EMAIL {
                continue;
            }
            let code: LetterCode = letter.code.parse().map_err(anyhow::Error::msg)?;
            match self.send(&letter).await? {
                Outcome::Sent => {
                    letters::mark_sent(conn, letter.id, now).await?;
                    effects.note(
                        case,
                        format!("Letter {code} sent by email to {}", mask(&letter.recipient)),
                        json!({ "letter_id": letter.id, "channel": "email" }),
                        event.id,
                    );
                    effects.emit(
                        case,
                        letter_sent::TYPE,
                        LetterSent {
                            code,
                            channel: DispatchChannel::Email,
                        },
                    );
                    metrics::counter!("complaints_letters_sent_total", "code" => code.as_str(), "channel" => "email")
                        .increment(1);
                }
                Outcome::Refused(reason) => {
                    metrics::counter!("complaints_letters_failed_total", "code" => code.as_str())
                        .increment(1);
                    let customer = letters::addressees(conn, &[case.id])
                        .await?
                        .remove(&case.id);
                    let customer = customer.ok_or_else(|| {
                        anyhow::anyhow!("case {} has no customer", case.reference)
                    })?;
                    effects.note(
                        case,
                        format!(
                            "Email of letter {code} to {} refused: {reason}; sending by post",
                            mask(&letter.recipient)
                        ),
                        json!({ "letter_id": letter.id, "error": reason }),
                        event.id,
                    );
                    let file = self.post_room.post(
                        case,
                        &customer,
                        letter.id,
                        code,
                        &letter.body_print,
                        now,
                        event.id,
                        &mut effects,
                    )?;
                    letters::switch_to_post(
                        conn,
                        letter.id,
                        &self.post_room.path(&file),
                        &postal_address(&customer),
                        &reason,
                        now,
                    )
                    .await?;
                }
            }
        }
        Ok(effects.write(conn).await?)
    }
}

impl EmailWorker {
    /// Sends, retrying what may pass; `Err` when the server stayed unreachable.
    async fn send(&self, letter: &LetterRecord) -> anyhow::Result<Outcome> {
        let message = match self.message(letter) {
            Ok(message) => message,
            Err(e) => return Ok(Outcome::Refused(format!("not a usable address: {e}"))),
        };
        let started = Instant::now();
        let mut backoff = Backoff::default();
        loop {
            match self.transport.send(message.clone()).await {
                Ok(_) => return Ok(Outcome::Sent),
                Err(e) if e.is_permanent() => return Ok(Outcome::Refused(e.to_string())),
                Err(e) => {
                    metrics::counter!("complaints_email_retries_total", "server" => self.server.clone()).increment(1);
                    if started.elapsed() > self.retry_for {
                        anyhow::bail!(
                            "SMTP server {} unavailable for {:?}: {e}",
                            self.server,
                            self.retry_for
                        );
                    }
                    let wait = backoff.next_wait();
                    warn!(server = %self.server, error = %e, ?wait, "sending email failed; retrying");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// The email of a letter: text and HTML alternatives, the letter's stable Message-ID.
    fn message(&self, letter: &LetterRecord) -> anyhow::Result<Message> {
        Ok(Message::builder()
            .from(self.from.clone())
            .to(letter.recipient.parse()?)
            .subject(&letter.subject)
            .message_id(Some(message_id(letter.id, &self.message_id_domain)))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(letter.body_text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(letter.body_html.clone()),
                    ),
            )?)
    }
}

/// The Message-ID of a letter: the same on every attempt.
pub fn message_id(letter_id: Uuid, domain: &str) -> String {
    format!("<{letter_id}@{domain}>")
}

/// An address as the timeline and logs show it: `j***@example.org`.
fn mask(address: &str) -> String {
    match address.split_once('@') {
        Some((user, domain)) => format!("{}***@{domain}", user.chars().next().unwrap_or('*')),
        None => "***".into(),
    }
}
