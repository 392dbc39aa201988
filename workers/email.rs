//! The email worker: sends letters by SMTP (lettre), HTML with a text alternative, and tells
//! teams what needs them.
//!
//! The consumer part reads `letter.email_requested` (the letter, kept by the letters worker,
//! is itself the request: an unknown letter id is refused) and the events teams must hear of
//! (tasks, breached response targets, high-profile cases), for which it writes one
//! notification row per event in the event's transaction. No email goes out from inside a
//! transaction: the sender part ([`EmailWorker::send_round`], run by [`EmailSender`]) claims
//! letters awaiting email and pending notifications, sends each over SMTP, then records it
//! sent with its timeline entry and `letter.sent` (see [`super::sender`]). A batch that rolls
//! back therefore sends nothing twice, and a crash between a send and its record repeats only
//! that send, with the same Message-ID (`<letter-id@domain>`, `<event-id@domain>`), so mail
//! systems can fold it.
//!
//! An unreachable server or a temporary refusal (4xx) gives the claims back and the sender
//! retries with backoff until the server is back. A permanent refusal (5xx, e.g. no such
//! mailbox) is recorded on the case and the letter goes by post instead (the letters worker's
//! printer writes its PDF).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tracing::warn;
use uuid::Uuid;

use super::effects::{with_cases, Effects};
use super::poll::{self, Poller};
use super::sender::{self, count_repeat, BATCH};
use super::{Companion, Worker};
use crate::app::App;
use crate::config::{EmailConfig, SmtpTls, TeamAddresses};
use crate::db::cases::{self, CaseFacts};
use crate::db::letters::{self, Claimed, LetterRecord};
use crate::db::notifications::{self, Notification};
use crate::events::{
    letter_sent, CaseFlaggedHighProfile, CaseTargetBreached, CloudEvent, LetterEmailRequested,
    LetterSent, TaskCreated,
};
use crate::letters::post::postal_address;
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
    teams: TeamAddresses,
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

    /// With an SMTP transport built from `[email]`.
    fn build(app: &App) -> anyhow::Result<Self> {
        let config = &app.config.email;
        Ok(Self {
            transport: transport(config)?,
            server: format!("{}:{}", config.host, config.port),
            from: config.from.parse()?,
            message_id_domain: config.message_id_domain.clone(),
            teams: config.teams.clone(),
        })
    }

    /// The sender, sharing the worker's SMTP transport.
    fn companions(self: &Arc<Self>, app: &App, shutdown: &CancellationToken) -> Vec<Companion> {
        let sender = poll::run(EmailSender(self.clone()), app.clone(), shutdown.clone());
        vec![Box::pin(sender)]
    }

    async fn apply(
        &self,
        conn: &mut AsyncPgConnection,
        events: &[&CloudEvent<EmailEvent>],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut effects = Effects::new(NAME, now);
        let mut notices = Vec::new();
        for (event, case) in &with_cases(conn, events, &mut effects).await? {
            if let EmailEvent::LetterEmailRequested(request) = &event.data {
                if !letters::exists(conn, request.letter_id).await? {
                    effects.reject(event, format!("no letter {}", request.letter_id));
                }
                continue;
            }
            if let Some((recipient, subject, body)) = self.notification(case, &event.data) {
                notices.push(Notification {
                    id: event.id,
                    case_id: case.id,
                    recipient,
                    subject,
                    body,
                    created_at: now,
                });
            }
        }
        notifications::insert(conn, &notices).await?;
        Ok(effects.write(conn).await?)
    }
}

/// The email worker's sender: sends what the worker queued (a [`Poller`] on the `dispatch`
/// channel, beside the worker's consumers, sharing its SMTP transport).
pub struct EmailSender(Arc<EmailWorker>);

impl Poller for EmailSender {
    const NAME: &'static str = "email";
    const CHANNEL: &'static str = letters::CHANNEL;

    async fn round(&self, app: &App, shutdown: &CancellationToken) -> anyhow::Result<usize> {
        self.0.send_round(app, shutdown).await
    }

    fn batch_size(&self, _app: &App) -> usize {
        BATCH as usize
    }

    async fn idle(&self, app: &App) -> Duration {
        sender::poll_interval(app)
    }
}

impl EmailWorker {
    /// One round of the sender: up to [`BATCH`] times, claims one letter awaiting email or
    /// one pending notification (committed; letters and notifications in turn), sends it,
    /// records it (committed). One at a time, so a sender that dies leaves at most the one send
    /// in flight claimed. Returns how many it sent or recorded refused; fails, having given
    /// the claim back, when the server cannot be reached.
    pub async fn send_round(
        &self,
        app: &App,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<usize> {
        let lease = sender::lease(app);
        let mut pooled = app.pool.get().await?;
        let conn: &mut AsyncPgConnection = &mut pooled;
        let mut done = 0;
        while done < BATCH as usize && !shutdown.is_cancelled() {
            let letters_first = done % 2 == 0;
            let (letter, notice, cases) = conn
                .transaction::<_, diesel::result::Error, _>(async |conn| {
                    let mut letter = None;
                    let mut notice = None;
                    if letters_first {
                        letter = letters::claim(conn, letters::AWAITING_EMAIL, 1, lease)
                            .await?
                            .pop();
                    }
                    if letter.is_none() {
                        notice = notifications::claim(conn, 1, lease).await?.pop();
                    }
                    if letter.is_none() && notice.is_none() && !letters_first {
                        letter = letters::claim(conn, letters::AWAITING_EMAIL, 1, lease)
                            .await?
                            .pop();
                    }
                    let ids: Vec<Uuid> = letter
                        .iter()
                        .map(|c: &Claimed<LetterRecord>| c.row.case_id)
                        .chain(notice.iter().map(|c: &Claimed<Notification>| c.row.case_id))
                        .collect();
                    let cases = cases::facts_by_id(conn, &ids).await?;
                    Ok((letter, notice, cases))
                })
                .await?;
            if let Some(Claimed {
                row: letter,
                taken_over,
            }) = letter
            {
                let case = cases
                    .get(&letter.case_id)
                    .ok_or_else(|| anyhow::anyhow!("letter {} has no case", letter.id))?;
                if taken_over {
                    count_repeat("email");
                    warn!(letter_id = %letter.id, attempts = letter.attempts, "an earlier claim on this letter lapsed: sending it again");
                }
                match self.send(self.letter(&letter)).await {
                    Ok(Outcome::Sent) => self.sent(conn, case, &letter, app.clock.now()).await?,
                    Ok(Outcome::Refused(reason)) => {
                        self.refused(conn, case, &letter, &reason, app.clock.now())
                            .await?
                    }
                    Err(e) => {
                        letters::release(conn, letter.id, &e.to_string()).await?;
                        return Err(e);
                    }
                }
            } else if let Some(Claimed {
                row: notice,
                taken_over,
            }) = notice
            {
                let case = cases
                    .get(&notice.case_id)
                    .ok_or_else(|| anyhow::anyhow!("notification {} has no case", notice.id))?;
                if taken_over {
                    count_repeat("email");
                    warn!(notification_id = %notice.id, "an earlier claim on this notification lapsed: sending it again");
                }
                let message = self.plain(
                    &notice.recipient,
                    &notice.subject,
                    &notice.body,
                    message_id(notice.id, &self.message_id_domain),
                );
                match self.send(message).await {
                    Ok(outcome) => {
                        self.notified(conn, case, &notice, outcome, app.clock.now())
                            .await?
                    }
                    Err(e) => {
                        notifications::release(conn, notice.id, &e.to_string()).await?;
                        return Err(e);
                    }
                }
            } else {
                break;
            }
            done += 1;
        }
        Ok(done)
    }

    /// Records a letter emailed: its status, a timeline entry and `letter.sent`, together.
    async fn sent(
        &self,
        conn: &mut AsyncPgConnection,
        case: &CaseFacts,
        letter: &LetterRecord,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let code: LetterCode = letter.code.parse().map_err(anyhow::Error::msg)?;
        conn.transaction::<_, anyhow::Error, _>(async |conn| {
            if !letters::mark_sent(conn, letter.id, now).await? {
                return Ok(());
            }
            let mut effects = Effects::new(NAME, now);
            effects.note(
                case,
                format!("Letter {code} sent by email to {}", mask(&letter.recipient)),
                json!({ "letter_id": letter.id, "channel": "email" }),
                letter.requested_by_event,
            );
            effects.emit(
                case,
                letter_sent::TYPE,
                LetterSent {
                    code,
                    channel: DispatchChannel::Email,
                },
            );
            Ok(effects.write(conn).await?)
        })
        .await?;
        metrics::counter!("complaints_letters_sent_total", "code" => code.as_str(), "channel" => "email")
            .increment(1);
        Ok(())
    }

    /// Records a letter's email refused for good: noted on the case, the letter to go by post.
    async fn refused(
        &self,
        conn: &mut AsyncPgConnection,
        case: &CaseFacts,
        letter: &LetterRecord,
        reason: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let code: LetterCode = letter.code.parse().map_err(anyhow::Error::msg)?;
        metrics::counter!("complaints_letters_failed_total", "code" => code.as_str()).increment(1);
        conn.transaction::<_, anyhow::Error, _>(async |conn| {
            let customer = letters::addressees(conn, &[case.id])
                .await?
                .remove(&case.id)
                .ok_or_else(|| anyhow::anyhow!("case {} has no customer", case.reference))?;
            if !letters::switch_to_post(conn, letter.id, &postal_address(&customer), reason).await?
            {
                return Ok(());
            }
            let mut effects = Effects::new(NAME, now);
            effects.note(
                case,
                format!(
                    "Email of letter {code} to {} refused: {reason}; sending by post",
                    mask(&letter.recipient)
                ),
                json!({ "letter_id": letter.id, "error": reason }),
                letter.requested_by_event,
            );
            Ok(effects.write(conn).await?)
        })
        .await
    }

    /// Records how a team notification's send ended, with a timeline entry.
    async fn notified(
        &self,
        conn: &mut AsyncPgConnection,
        case: &CaseFacts,
        notice: &Notification,
        outcome: Outcome,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let (status, error, entry) = match &outcome {
            Outcome::Sent => (
                notifications::SENT,
                None,
                format!("{}: emailed to {}", notice.subject, notice.recipient),
            ),
            Outcome::Refused(reason) => {
                warn!(notification_id = %notice.id, %reason, "a team notification was refused");
                (
                    notifications::REFUSED,
                    Some(reason.as_str()),
                    format!(
                        "{}: email to {} refused: {reason}",
                        notice.subject, notice.recipient
                    ),
                )
            }
        };
        conn.transaction::<_, anyhow::Error, _>(async |conn| {
            if notifications::finish(conn, notice.id, status, error, now).await? {
                let mut effects = Effects::new(NAME, now);
                effects.note(case, entry, json!({}), notice.id);
                effects.write(conn).await?;
            }
            Ok(())
        })
        .await
    }

    /// Sends once: `Err` when the server could not be reached or refused for now (4xx), so the
    /// sender backs off and tries again later.
    async fn send(&self, message: anyhow::Result<Message>) -> anyhow::Result<Outcome> {
        let message = match message {
            Ok(message) => message,
            Err(e) => return Ok(Outcome::Refused(format!("not a usable message: {e}"))),
        };
        match self.transport.send(message).await {
            Ok(_) => Ok(Outcome::Sent),
            Err(e) if e.is_permanent() => Ok(Outcome::Refused(e.to_string())),
            Err(e) => {
                metrics::counter!("complaints_email_retries_total", "server" => self.server.clone())
                    .increment(1);
                // This error is logged by the sender loop: its reply code only, since a
                // server's reply text may quote the recipient's address.
                let why = e
                    .status()
                    .map_or_else(|| e.to_string(), |code| format!("it replied {code}"));
                anyhow::bail!("SMTP server {} unavailable: {why}", self.server)
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
                    Assignee::IceTeam => &teams.ice_team,
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
