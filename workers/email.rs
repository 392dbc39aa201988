//! The email worker: sends letters by SMTP (lettre), HTML with a text alternative, and tells
//! teams what needs them.
//!
//! The consumer part reads `letter.email_requested` (the letter, kept by the letters worker,
//! is itself the request: an unknown letter id is refused) and the events teams must hear of
//! (tasks, breached response targets, high-profile cases), for which it writes one
//! notification row per event in the event's transaction. No email goes out from inside a
//! transaction: the sender part ([`Email::send_round`], run by [`EmailSender`]) claims
//! letters awaiting email and pending notifications, sends them over SMTP, `email.concurrency`
//! at a time over a pool of as many connections, then records each sent with its timeline
//! entry and `letter.sent` (see [`super::sender`]). A batch that rolls back therefore sends
//! nothing twice, and a crash between a send and its record repeats only the sends then in
//! flight (at most `email.concurrency`), with the same Message-IDs (`<letter-id@domain>`,
//! `<event-id@domain>`), so mail systems can fold them.
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
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::json;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::warn;
use uuid::Uuid;

use super::effects::{with_cases, Effects};
use super::poll::{self, Poller};
use super::sender::{self, count_repeat, BATCH};
use super::{Companion, Worker};
use crate::app::App;
use crate::backoff::Backoff;
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

/// The email worker: sends each letter or notification awaiting email over SMTP.
pub struct Email {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    server: Arc<str>,
    concurrency: usize,
    from: Mailbox,
    message_id_domain: String,
    teams: TeamAddresses,
}

/// The SMTP transport of the configuration: a pool of up to `email.concurrency` connections,
/// kept open between sends; credentials only when a user is set.
pub fn transport(config: &EmailConfig) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let builder = match config.tls {
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
        SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)?,
        SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host)?,
    };
    let pool = PoolConfig::new().max_size(u32::try_from(config.concurrency)?);
    let mut builder = builder
        .port(config.port)
        .timeout(Some(Duration::from_secs(10)))
        .pool_config(pool);
    if !config.username.is_empty() {
        builder = builder.credentials(Credentials::new(
            config.username.clone(),
            config.password.clone().unwrap_or_default(),
        ));
    }
    Ok(builder.build())
}

/// How a send ended.
#[derive(Clone)]
enum Outcome {
    Sent,
    Refused(String),
}

/// A letter or team notification claimed for sending.
enum Claim {
    Letter(Box<LetterRecord>),
    Notice(Notification),
}

impl Claim {
    fn case_id(&self) -> Uuid {
        match self {
            Claim::Letter(letter) => letter.case_id,
            Claim::Notice(notice) => notice.case_id,
        }
    }
}

/// A claim and how its send ended: `Err` when the server could not be reached or refused for
/// now.
type Finished = (Claim, anyhow::Result<Outcome>);

impl Worker for Email {
    const NAME: &'static str = "email";
    const LOCKS_CASES: bool = true;
    type Event = EmailEvent;

    /// With an SMTP transport built from `[email]`.
    fn build(app: &App) -> anyhow::Result<Self> {
        let config = &app.config.email;
        Ok(Self {
            transport: transport(config)?,
            server: format!("{}:{}", config.host, config.port).into(),
            concurrency: config.concurrency,
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

    /// Refuses a letter email request naming no kept letter, and keeps one notification for
    /// each event a team must hear of; the sender does the sending.
    async fn apply(
        &self,
        conn: &mut AsyncPgConnection,
        events: &[&CloudEvent<EmailEvent>],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut effects = Effects::new(Email::NAME, now);
        let found = with_cases(conn, events, &mut effects).await?;
        refuse_unknown_letters(conn, &found, &mut effects).await?;
        let notices: Vec<Notification> = found
            .iter()
            .filter_map(|(event, case)| self.notification(event, case, now))
            .collect();
        notifications::insert(conn, &notices).await?;
        Ok(effects.write(conn).await?)
    }
}

/// Refuses each `letter.email_requested` whose letter is not kept.
async fn refuse_unknown_letters(
    conn: &mut AsyncPgConnection,
    found: &[(&CloudEvent<EmailEvent>, CaseFacts)],
    effects: &mut Effects,
) -> anyhow::Result<()> {
    let requested = |event: &CloudEvent<EmailEvent>| match &event.data {
        EmailEvent::LetterEmailRequested(request) => Some(request.letter_id),
        _ => None,
    };
    let ids: Vec<Uuid> = found.iter().filter_map(|(e, _)| requested(e)).collect();
    let kept = letters::existing(conn, &ids).await?;
    for (event, _) in found {
        if let Some(id) = requested(event).filter(|id| !kept.contains(id)) {
            effects.reject(event, format!("no letter {id}"));
        }
    }
    Ok(())
}

/// The email worker's sender: sends what the worker queued (a [`Poller`] on the `dispatch`
/// channel, beside the worker's consumers, sharing its SMTP transport).
pub struct EmailSender(Arc<Email>);

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

impl Email {
    /// One round of the sender, until nothing more awaits email or `shutdown`: keeps up to
    /// `email.concurrency` sends in flight, each over a pooled connection. Whenever a quarter of
    /// them (at least one) have finished it **claims** as many more (committed; letters and
    /// notifications in turn) and starts **sending** them, while a recorder, on a connection of
    /// its own, **records** the finished ones together (committed). So a sender that dies
    /// leaves at most `email.concurrency` sends claimed but unrecorded. Returns how many it
    /// claimed; fails, having given back the claims whose sends could not reach the server and
    /// recorded the rest, when the server cannot be reached.
    pub async fn send_round(
        &self,
        app: &App,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<usize> {
        let stop = shutdown.child_token();
        let (finished, to_record) = tokio::sync::mpsc::unbounded_channel();
        let (claimed, recorded) = tokio::join!(self.send_all(app, &stop, finished), async {
            let outcome = self.record_all(app, to_record, shutdown).await;
            if outcome.is_err() {
                stop.cancel();
            }
            outcome
        });
        recorded?;
        claimed
    }

    /// Claims and sends until nothing more awaits email or `stop`, handing each finished send
    /// to the recorder; returns how many it claimed.
    async fn send_all(
        &self,
        app: &App,
        stop: &CancellationToken,
        finished: tokio::sync::mpsc::UnboundedSender<Finished>,
    ) -> anyhow::Result<usize> {
        let mut pooled = app.pool.get().await?;
        let conn: &mut AsyncPgConnection = &mut pooled;
        let mut sending: JoinSet<Finished> = JoinSet::new();
        let (mut claimed, mut more, mut failure) = (0, true, None);
        let refill_at = (self.concurrency / 4).max(1);
        loop {
            let room = self.concurrency - sending.len();
            let claiming = more && failure.is_none() && !stop.is_cancelled();
            if claiming && (room >= refill_at || sending.is_empty()) {
                match self.claim(conn, app, room, claimed % 2 == 0).await {
                    Ok(claims) => {
                        more = claims.len() == room;
                        claimed += claims.len();
                        for claim in claims {
                            self.start_sending(&mut sending, claim);
                        }
                    }
                    Err(e) => failure = Some(e),
                }
            }
            let Some(first) = sending.join_next().await else {
                break;
            };
            // The recorder stops only after this loop ends (it drops the sender).
            let _ = finished.send(first?);
            while let Some(next) = sending.try_join_next() {
                let _ = finished.send(next?);
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(claimed),
        }
    }

    /// Records finished sends as they come, all those waiting together, until the sending
    /// ends; fails with the first failure, once everything handed to it is recorded.
    async fn record_all(
        &self,
        app: &App,
        mut to_record: tokio::sync::mpsc::UnboundedReceiver<Finished>,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<()> {
        let mut pooled: Option<crate::db::PooledConnection> = None;
        let mut failure = None;
        while let Some(first) = to_record.recv().await {
            let mut finished = vec![first];
            while let Ok(next) = to_record.try_recv() {
                finished.push(next);
            }
            if let Some(e) = self
                .record_until_done(app, &mut pooled, &finished, shutdown)
                .await
            {
                failure.get_or_insert(e);
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Records `finished`, trying again with backoff while the database is away, so that what
    /// was sent is recorded before anything else is claimed rather than sent again once its
    /// claims lapse (only the process dying loses it). Returns the sends' own failure, or the
    /// database's when shutdown comes first.
    async fn record_until_done(
        &self,
        app: &App,
        pooled: &mut Option<crate::db::PooledConnection>,
        finished: &[Finished],
        shutdown: &CancellationToken,
    ) -> Option<anyhow::Error> {
        let mut backoff = Backoff::default();
        loop {
            let recorded = async {
                let conn = match pooled {
                    Some(conn) => conn,
                    None => pooled.insert(app.pool.get().await?),
                };
                self.record(conn, finished, app.clock.now()).await
            }
            .await;
            let e = match recorded {
                Ok(send_failure) => return send_failure,
                Err(e) if shutdown.is_cancelled() => return Some(e),
                Err(e) => e,
            };
            let wait = backoff.next_wait();
            warn!(error = %format!("{e:#}"), ?wait, "could not record sent emails; retrying");
            *pooled = None;
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Claims up to `limit` letters awaiting email and pending notifications (`letters_first`,
    /// or notifications first), and commits the claims.
    async fn claim(
        &self,
        conn: &mut AsyncPgConnection,
        app: &App,
        limit: usize,
        letters_first: bool,
    ) -> anyhow::Result<Vec<Claim>> {
        let lease = sender::lease(app);
        let limit = limit as i64;
        let (claimed_letters, notices) = conn
            .transaction::<_, diesel::result::Error, _>(async |conn| {
                if letters_first {
                    let l = letters::claim(conn, letters::AWAITING_EMAIL, limit, lease).await?;
                    let n = notifications::claim(conn, limit - l.len() as i64, lease).await?;
                    Ok((l, n))
                } else {
                    let n = notifications::claim(conn, limit, lease).await?;
                    let room = limit - n.len() as i64;
                    let l = letters::claim(conn, letters::AWAITING_EMAIL, room, lease).await?;
                    Ok((l, n))
                }
            })
            .await?;
        let mut claims = Vec::with_capacity(claimed_letters.len() + notices.len());
        for Claimed { row, taken_over } in claimed_letters {
            if taken_over {
                count_repeat("email");
                warn!(letter_id = %row.id, attempts = row.attempts, "an earlier claim on this letter lapsed: sending it again");
            }
            claims.push(Claim::Letter(Box::new(row)));
        }
        for Claimed { row, taken_over } in notices {
            if taken_over {
                count_repeat("email");
                warn!(notification_id = %row.id, "an earlier claim on this notification lapsed: sending it again");
            }
            claims.push(Claim::Notice(row));
        }
        Ok(claims)
    }

    /// Starts sending a claim's email on its own task, so it goes on while others are claimed
    /// and recorded.
    fn start_sending(&self, sending: &mut JoinSet<Finished>, claim: Claim) {
        let message = match &claim {
            Claim::Letter(letter) => self.letter(letter),
            Claim::Notice(notice) => self.plain(
                &notice.recipient,
                &notice.subject,
                &notice.body,
                message_id(notice.id, &self.message_id_domain),
            ),
        };
        let (transport, server) = (self.transport.clone(), self.server.clone());
        sending.spawn(async move {
            let outcome = send(&transport, &server, message).await;
            (claim, outcome)
        });
    }

    /// Records finished sends together: each letter sent with its timeline entry and
    /// `letter.sent`, each refused one switched to post, each notification's outcome; the claims
    /// whose sends failed given back. Fails with the first such failure, once all is recorded.
    async fn record(
        &self,
        conn: &mut AsyncPgConnection,
        finished: &[Finished],
        now: DateTime<Utc>,
    ) -> Result<Option<anyhow::Error>, anyhow::Error> {
        let mut failure = None;
        conn.transaction::<_, anyhow::Error, _>(async |conn| {
            let case_ids: Vec<Uuid> = finished.iter().map(|(claim, _)| claim.case_id()).collect();
            let cases = cases::facts_by_id(conn, &case_ids).await?;
            let case_of = |id: Uuid| {
                cases
                    .get(&id)
                    .ok_or_else(|| anyhow::anyhow!("no case {id} for a claimed email"))
            };
            let mut effects = Effects::new(Email::NAME, now);
            let mut sent = Vec::new();
            for (claim, outcome) in finished {
                match (claim, outcome) {
                    (Claim::Letter(letter), Ok(Outcome::Sent)) => {
                        let case = case_of(letter.case_id)?;
                        sent.push(((**letter).clone(), case));
                    }
                    (Claim::Letter(letter), Ok(Outcome::Refused(reason))) => {
                        let case = case_of(letter.case_id)?;
                        refused(conn, case, letter, reason, &mut effects).await?
                    }
                    (Claim::Notice(notice), Ok(outcome)) => {
                        let case = case_of(notice.case_id)?;
                        notified(conn, case, notice, outcome.clone(), &mut effects).await?
                    }
                    (Claim::Letter(letter), Err(e)) => {
                        letters::release(conn, letter.id, &e.to_string()).await?;
                        failure.get_or_insert(anyhow::anyhow!("{e:#}"));
                    }
                    (Claim::Notice(notice), Err(e)) => {
                        notifications::release(conn, notice.id, &e.to_string()).await?;
                        failure.get_or_insert(anyhow::anyhow!("{e:#}"));
                    }
                }
            }
            emailed(conn, &sent, &mut effects).await?;
            Ok(effects.write(conn).await?)
        })
        .await?;
        Ok(failure)
    }

    /// The team notification an event causes: what to say to whom (none for a letter).
    fn notification(
        &self,
        event: &CloudEvent<EmailEvent>,
        case: &CaseFacts,
        now: DateTime<Utc>,
    ) -> Option<Notification> {
        let teams = &self.teams;
        let reference = &case.reference;
        let (recipient, subject, body) = match &event.data {
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
        Some(Notification {
            id: event.id,
            case_id: case.id,
            recipient,
            subject,
            body,
            created_at: now,
        })
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

    /// The email of a letter, with the letter's stable Message-ID.
    fn letter(&self, letter: &LetterRecord) -> anyhow::Result<Message> {
        letter_message(
            &self.from,
            &letter.recipient,
            &letter.subject,
            (&letter.body_text, &letter.body_html),
            message_id(letter.id, &self.message_id_domain),
        )
    }
}

/// A letter as an email: its text and HTML forms as alternatives. The email worker sends
/// exactly this; the benchmarks send it too, so they measure the same message.
pub fn letter_message(
    from: &Mailbox,
    to: &str,
    subject: &str,
    (text, html): (&str, &str),
    message_id: String,
) -> anyhow::Result<Message> {
    Ok(Message::builder()
        .from(from.clone())
        .to(to.parse()?)
        .subject(subject)
        .message_id(Some(message_id))
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text.to_owned()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html.to_owned()),
                ),
        )?)
}

/// Sends once over the pooled transport: `Err` when the server could not be reached or
/// refused for now (4xx), so the sender backs off and tries again later.
async fn send(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    server: &str,
    message: anyhow::Result<Message>,
) -> anyhow::Result<Outcome> {
    let message = match message {
        Ok(message) => message,
        Err(e) => return Ok(Outcome::Refused(format!("not a usable message: {e}"))),
    };
    match transport.send(message).await {
        Ok(_) => Ok(Outcome::Sent),
        Err(e) if e.is_permanent() => Ok(Outcome::Refused(e.to_string())),
        Err(e) => {
            metrics::counter!("complaints_email_retries_total", "server" => server.to_owned())
                .increment(1);
            // This error is logged by the sender loop: its reply code only, since a server's
            // reply text may quote the recipient's address.
            let why = e
                .status()
                .map_or_else(|| e.to_string(), |code| format!("it replied {code}"));
            anyhow::bail!("SMTP server {server} unavailable: {why}")
        }
    }
}

/// Records letters emailed: each one's status, a timeline entry and `letter.sent` (once: a
/// letter already recorded is left as it is).
async fn emailed(
    conn: &mut AsyncPgConnection,
    sent: &[(LetterRecord, &CaseFacts)],
    effects: &mut Effects,
) -> anyhow::Result<()> {
    let ids: Vec<Uuid> = sent.iter().map(|(letter, _)| letter.id).collect();
    let marked = letters::mark_sent(conn, &ids, effects.now()).await?;
    for &(ref letter, case) in sent.iter().filter(|(l, _)| marked.contains(&l.id)) {
        let code: LetterCode = letter.code.parse().map_err(anyhow::Error::msg)?;
        effects.note(
            case,
            format!("Letter {code} sent by email to {}", mask(&letter.recipient)),
            json!({ "letter_id": letter.id, "channel": "email" }),
            letter.cause,
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
    Ok(())
}

/// Records a letter's email refused for good: noted on the case, the letter to go by post.
async fn refused(
    conn: &mut AsyncPgConnection,
    case: &CaseFacts,
    letter: &LetterRecord,
    reason: &str,
    effects: &mut Effects,
) -> anyhow::Result<()> {
    let code: LetterCode = letter.code.parse().map_err(anyhow::Error::msg)?;
    metrics::counter!("complaints_letters_failed_total", "code" => code.as_str()).increment(1);
    let customer = letters::addressees(conn, &[case.id])
        .await?
        .remove(&case.id)
        .ok_or_else(|| anyhow::anyhow!("case {} has no customer", case.reference))?;
    if letters::switch_to_post(conn, letter.id, &postal_address(&customer), reason).await? {
        effects.note(
            case,
            format!(
                "Email of letter {code} to {} refused: {reason}; sending by post",
                mask(&letter.recipient)
            ),
            json!({ "letter_id": letter.id, "error": reason }),
            letter.cause,
        );
    }
    Ok(())
}

/// Records how a team notification's send ended, with a timeline entry.
async fn notified(
    conn: &mut AsyncPgConnection,
    case: &CaseFacts,
    notice: &Notification,
    outcome: Outcome,
    effects: &mut Effects,
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
    if notifications::finish(conn, notice.id, status, error, effects.now()).await? {
        effects.note(case, entry, json!({}), notice.id);
    }
    Ok(())
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
