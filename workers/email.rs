//! The email worker: sends letters by SMTP (lettre), HTML with a text alternative.
//!
//! Each letter has a stable Message-ID (`<letter-id@domain>`) and is sent only while it is
//! still awaiting email, under a row lock, so a redelivered request never sends it twice. An
//! unreachable server or a temporary refusal (4xx) is retried with backoff for
//! `email.retry_for_secs`; after that the request goes back to the queue. A permanent refusal
//! (5xx, e.g. no such mailbox) is recorded on the case and the letter goes by post instead.
//!
//! It also tells teams what needs them: tasks, breached response targets and high-profile cases
//! go as plain emails to the addresses of `[email.teams]`, each with a Message-ID made from the
//! event's id.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::json;
use tracing::warn;
use uuid::Uuid;

use super::effects::{with_cases, Effects};
use super::letters::{postal_address, PostRoom};
use super::Worker;
use crate::app::App;
use crate::backoff::Backoff;
use crate::config::{EmailConfig, SmtpTls, TeamAddresses};
use crate::db::cases::CaseFacts;
use crate::db::letters::{self, LetterRecord};
use crate::events::{
    letter_sent, CaseFlaggedHighProfile, CaseTargetBreached, CloudEvent, LetterEmailRequested,
    LetterSent, TaskCreated,
};
use crate::vocabulary::{Assignee, DispatchChannel, LetterCode};

crate::event_set! {
    /// What the email worker reads.
    pub enum EmailEvent {
        /// A letter to email.
        LetterEmailRequested(LetterEmailRequested) = letter_email_requested,
        /// A task for a team: tell it.
        TaskCreated(TaskCreated) = task_created,
        /// A breached response target: tell the team leader.
        CaseTargetBreached(CaseTargetBreached) = case_target_breached,
        /// A high-profile case: tell the Operations Director's office.
        CaseFlaggedHighProfile(CaseFlaggedHighProfile) = case_flagged_high_profile,
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
    teams: TeamAddresses,
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
            teams: config.teams.clone(),
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
        let mut effects = Effects::new(NAME, now);
        for (event, case) in &with_cases(conn, events, &mut effects).await? {
            let request = match &event.data {
                EmailEvent::LetterEmailRequested(request) => request,
                EmailEvent::TaskCreated(_)
                | EmailEvent::CaseTargetBreached(_)
                | EmailEvent::CaseFlaggedHighProfile(_) => {
                    let Some((to, subject, body)) = self.notification(case, &event.data) else {
                        continue;
                    };
                    let message_id = message_id(event.id, &self.message_id_domain);
                    match self
                        .send(self.plain(&to, &subject, &body, message_id))
                        .await?
                    {
                        Outcome::Sent => effects.note(
                            case,
                            format!("{subject}: emailed to {to}"),
                            json!({}),
                            event.id,
                        ),
                        Outcome::Refused(reason) => {
                            warn!(%to, %reason, "a team notification was refused");
                            effects.note(
                                case,
                                format!("{subject}: email to {to} refused: {reason}"),
                                json!({}),
                                event.id,
                            )
                        }
                    }
                    continue;
                }
            };
            let Some(letter) = letters::lock(conn, request.letter_id).await? else {
                effects.reject(event, format!("no letter {}", request.letter_id));
                continue;
            };
            if letter.status != letters::AWAITING_EMAIL {
                continue;
            }
            let code: LetterCode = letter.code.parse().map_err(anyhow::Error::msg)?;
            match self.send(self.letter(&letter)).await? {
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
    async fn send(&self, message: anyhow::Result<Message>) -> anyhow::Result<Outcome> {
        let message = match message {
            Ok(message) => message,
            Err(e) => return Ok(Outcome::Refused(format!("not a usable message: {e}"))),
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

    /// A team notification: what to say to whom.
    fn notification(
        &self,
        case: &CaseFacts,
        notice: &EmailEvent,
    ) -> Option<(String, String, String)> {
        let teams = &self.teams;
        let reference = &case.reference;
        let message = match notice {
            EmailEvent::TaskCreated(task) => {
                let to = match task.assignee {
                    Assignee::Caseworker => &teams.caseworker,
                    Assignee::TeamLeader => &teams.team_leader,
                    Assignee::Manager => &teams.manager,
                    Assignee::SpecialPaymentTeam => &teams.special_payment_team,
                    Assignee::ComplaintResolutionTeam => &teams.complaint_resolution_team,
                    Assignee::MpSpecialists => &teams.mp_specialists,
                    Assignee::ComplaintReviewTeam => &teams.complaint_review_team,
                };
                (to.clone(), format!("[{reference}] Task: {}", task.task), format!("Case {reference}: {}\n", task.task))
            }
            EmailEvent::CaseTargetBreached(breach) => (
                teams.team_leader.clone(),
                format!("[{reference}] Response target breached"),
                format!(
                    "Case {reference} has not met its response target of {} working days (deadline {}).\n",
                    breach.working_days,
                    breach.deadline.format("%Y-%m-%d %H:%M UTC")
                ),
            ),
            EmailEvent::CaseFlaggedHighProfile(flag) => (
                teams.operations_director_office.clone(),
                format!("[{reference}] High-profile complaint"),
                format!("Case {reference} was opened as high profile.\n\n{}\n", flag.summary),
            ),
            EmailEvent::LetterEmailRequested(_) => return None,
        };
        Some(message)
    }

    /// A plain-text email with a stable Message-ID.
    fn plain(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        message_id: String,
    ) -> anyhow::Result<Message> {
        Ok(Message::builder()
            .from(self.from.clone())
            .to(to.parse()?)
            .subject(subject)
            .message_id(Some(message_id))
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(body.to_owned()),
            )?)
    }

    /// The email of a letter: text and HTML alternatives, the letter's stable Message-ID.
    fn letter(&self, letter: &LetterRecord) -> anyhow::Result<Message> {
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
