//! The letters worker: turns each `letter.requested` into a letter kept with the case exactly as
//! it will be sent, and starts its dispatch.
//!
//! It renders the letter (strict: a missing field refuses the request with `command.rejected`,
//! noted on the case, rather than sending a letter with a blank), keeps the text, HTML and
//! print forms with the template version, chooses email or post, and then either asks the email
//! worker to send it (`letter.email_requested`) or leaves it for its printer. A redelivered
//! request finds its letter already made and changes nothing.
//!
//! The printer ([`Printer`], a sender of [`super::sender`]) writes no file inside a
//! transaction: it claims letters awaiting print (committed), writes each one's print-ready PDF
//! to the dispatch directory under the letter's id (written aside and renamed into place, so the
//! print vendor never sees half a file and a retry overwrites rather than adds), then marks it
//! posted with `letter.ready_for_post` and `letter.sent` by post, once per letter.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use diesel_async::AsyncConnection;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use super::effects::{with_cases, Effects};
use super::poll::{self, Poller};
use super::sender::{self, count_repeat, BATCH};
use super::{Companion, Worker};
use crate::app::App;
use crate::db::cases::{self, CaseFacts};
use crate::db::letters::{self, Claimed, LetterRecord, NewLetter};
use crate::db::parties::Party;
use crate::events::{
    letter_email_requested, letter_ready_for_post, letter_sent, CloudEvent, LetterEmailRequested,
    LetterReadyForPost, LetterRequested, LetterSent,
};
use crate::letters::catalogue::spec;
use crate::letters::dispatch::{channel, Recipient};
use crate::letters::post::{
    addressee, letter_date, organisation, pdf_file, postal_address, PostRoom,
};
use crate::letters::render::{
    LetterContext, LetterError, Organisation, Regional, Rendered, Templates,
};
use crate::process::clocks::written_contact_only;
use crate::vocabulary::{DispatchChannel, LetterCode};

crate::event_set! {
    /// What the letters worker reads.
    pub enum LetterEvent {
        /// A letter to produce.
        LetterRequested(LetterRequested) = letter_requested,
    }
}

/// The letters worker's printer: hands each letter awaiting print to the [`PostRoom`] and
/// records it posted (a [`Poller`] on the `dispatch` channel, beside the worker's consumers).
#[derive(Clone)]
pub struct Printer {
    post_room: PostRoom,
}

impl Poller for Printer {
    const NAME: &'static str = "print";
    const CHANNEL: &'static str = letters::CHANNEL;

    async fn round(&self, app: &App, shutdown: &CancellationToken) -> anyhow::Result<usize> {
        self.print_round(app, shutdown).await
    }

    fn batch_size(&self, _app: &App) -> usize {
        BATCH as usize
    }

    async fn idle(&self, app: &App) -> Duration {
        sender::poll_interval(app)
    }
}

impl Printer {
    /// One round of the printer: up to [`BATCH`] times, claims one letter awaiting print
    /// (committed), writes its PDF, marks it posted with its events (committed). One at a
    /// time, so a printer that dies leaves at most the one file in hand claimed. Returns how
    /// many it printed; fails, having given the claim back, when a file cannot be written.
    pub async fn print_round(
        &self,
        app: &App,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<usize> {
        let mut pooled = app.pool.get().await?;
        let conn: &mut AsyncPgConnection = &mut pooled;
        let lease = sender::lease(app);
        let mut done = 0;
        while done < BATCH as usize && !shutdown.is_cancelled() {
            let (claimed, cases, customers) = conn
                .transaction::<_, diesel::result::Error, _>(async |conn| {
                    let claimed = letters::claim(conn, letters::AWAITING_PRINT, 1, lease)
                        .await?
                        .pop();
                    let ids: Vec<Uuid> = claimed.iter().map(|c| c.row.case_id).collect();
                    let cases = cases::facts_by_id(conn, &ids).await?;
                    let customers = letters::addressees(conn, &ids).await?;
                    Ok((claimed, cases, customers))
                })
                .await?;
            let Some(Claimed {
                row: letter,
                taken_over,
            }) = claimed
            else {
                break;
            };
            let (Some(case), Some(customer)) =
                (cases.get(&letter.case_id), customers.get(&letter.case_id))
            else {
                anyhow::bail!("letter {} has no case or customer", letter.id);
            };
            if taken_over {
                count_repeat("print");
                warn!(letter_id = %letter.id, attempts = letter.attempts, "an earlier claim on this letter lapsed: printing it again");
            }
            match self.post_room.print(&letter, customer) {
                Ok(path) => {
                    self.posted(conn, case, &letter, &path, app.clock.now())
                        .await?
                }
                Err(e) => {
                    letters::release(conn, letter.id, &e.to_string()).await?;
                    return Err(e.into());
                }
            }
            done += 1;
        }
        Ok(done)
    }

    /// Records a letter's PDF handed to the print vendor, once: its status, a timeline entry,
    /// `letter.ready_for_post` and `letter.sent` by post, together.
    async fn posted(
        &self,
        conn: &mut AsyncPgConnection,
        case: &CaseFacts,
        letter: &LetterRecord,
        path: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let code: LetterCode = letter.code.parse().map_err(anyhow::Error::msg)?;
        let file = pdf_file(letter.id);
        let marked = conn
            .transaction::<_, anyhow::Error, _>(async |conn| {
                if !letters::mark_posted(conn, letter.id, path, now).await? {
                    return Ok(false);
                }
                let mut effects = Effects::new(Letters::NAME, now);
                effects.note(
                    case,
                    format!("Letter {code} ready for post ({file})"),
                    json!({ "letter_id": letter.id, "channel": "post" }),
                    letter.cause,
                );
                effects.emit(
                    case,
                    letter_ready_for_post::TYPE,
                    LetterReadyForPost {
                        letter_id: letter.id,
                        code,
                        file: file.clone(),
                        enclosures: spec(code)
                            .enclosures
                            .iter()
                            .map(|e| (*e).to_owned())
                            .collect(),
                    },
                );
                effects.emit(
                    case,
                    letter_sent::TYPE,
                    LetterSent {
                        code,
                        channel: DispatchChannel::Post,
                    },
                );
                effects.write(conn).await?;
                Ok(true)
            })
            .await?;
        if marked {
            metrics::counter!("complaints_letters_sent_total", "code" => code.as_str(), "channel" => "post").increment(1);
        }
        Ok(())
    }
}

/// The letters worker: renders each requested letter, keeps it, and starts its email or post.
pub struct Letters {
    templates: Templates,
    organisation: Organisation,
    printer: Printer,
}

impl Worker for Letters {
    const NAME: &'static str = "letters";
    const LOCKS_CASES: bool = true;
    type Event = LetterEvent;

    /// With the templates of `letters.templates_dir`, every one compiled (or the start fails).
    fn build(app: &App) -> anyhow::Result<Self> {
        let dir = Path::new(&app.config.letters.templates_dir);
        Ok(Self {
            templates: Templates::load(dir)?,
            organisation: organisation(&app.config),
            printer: Printer {
                post_room: PostRoom::new(&app.config),
            },
        })
    }

    /// Runs the printer beside it: the PDFs of letters awaiting print, into the dispatch directory.
    fn companions(self: &Arc<Self>, app: &App, shutdown: &CancellationToken) -> Vec<Companion> {
        let printer = poll::run(self.printer.clone(), app.clone(), shutdown.clone());
        vec![Box::pin(printer)]
    }

    async fn apply(
        &self,
        conn: &mut AsyncPgConnection,
        events: &[&CloudEvent<LetterEvent>],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut effects = Effects::new(Letters::NAME, now);
        let requests = with_cases(conn, events, &mut effects).await?;
        let case_ids: Vec<Uuid> = requests.iter().map(|(_, case)| case.id).collect();
        let customers = letters::addressees(conn, &case_ids).await?;
        for request in &requests {
            let customer = &customers[&request.1.id];
            self.produce(conn, request, customer, &mut effects).await?;
        }
        Ok(effects.write(conn).await?)
    }
}

impl Letters {
    /// Renders, keeps and dispatches one letter: a letter that cannot be rendered is refused
    /// and noted; a redelivered request finds its letter kept and changes nothing.
    async fn produce(
        &self,
        conn: &mut AsyncPgConnection,
        (event, case): &(&CloudEvent<LetterEvent>, CaseFacts),
        customer: &Party,
        effects: &mut Effects,
    ) -> anyhow::Result<()> {
        let LetterEvent::LetterRequested(request) = &event.data;
        let code = request.code;
        let (email, print) = match self.render(case, customer, request, effects.now()) {
            Ok(forms) => forms,
            Err(e) => {
                metrics::counter!("complaints_letters_failed_total", "code" => code.as_str())
                    .increment(1);
                effects.note(
                    case,
                    format!("Letter {code} could not be produced: {e}"),
                    json!({}),
                    event.id,
                );
                effects.reject(event, e.to_string());
                return Ok(());
            }
        };
        metrics::counter!("complaints_letters_rendered_total", "code" => code.as_str())
            .increment(1);
        let how = channel(
            Recipient {
                email: customer.email.as_deref(),
                prefers_post: customer.prefers_post,
                restriction: customer.contact_restriction,
            },
            spec(code).enclosures,
        );
        let (recipient, status) = match how {
            DispatchChannel::Email => (
                customer.email.clone().unwrap_or_default(),
                letters::AWAITING_EMAIL,
            ),
            DispatchChannel::Post => (postal_address(customer), letters::AWAITING_PRINT),
        };
        let letter = NewLetter {
            id: Uuid::now_v7(),
            case_id: case.id,
            code: code.as_str().into(),
            cause: event.id,
            template_version: email.template_version.clone(),
            subject: email.subject.clone(),
            body_text: email.text,
            body_html: email.html,
            body_print: print.text,
            channel: how.as_str().into(),
            recipient,
            status: status.into(),
            pdf_path: None,
            created_at: effects.now(),
            sent_at: None,
        };
        if letters::insert(conn, &letter).await? {
            produced(effects, case, &letter, code, how);
        }
        Ok(())
    }

    /// The letter's email and print forms.
    fn render(
        &self,
        case: &CaseFacts,
        customer: &Party,
        request: &LetterRequested,
        now: DateTime<Utc>,
    ) -> Result<(Rendered, Rendered), LetterError> {
        let code = request.code;
        let fields = request.fields.clone();
        let context = letter_context(code, case, customer, &self.organisation, fields, now);
        let email = self.templates.render(code, &context)?;
        Ok((email, self.templates.render_for_print(code, &context)?))
    }
}

/// Notes a kept letter on its case and, for email, asks the email worker to send it (a postal
/// one waits for the printer).
fn produced(
    effects: &mut Effects,
    case: &CaseFacts,
    letter: &NewLetter,
    code: LetterCode,
    how: DispatchChannel,
) {
    let by = match how {
        DispatchChannel::Email => "email",
        DispatchChannel::Post => "post",
    };
    effects.note(
        case,
        format!("Letter {code} “{}” produced, to go by {by}", letter.subject),
        json!({ "letter_id": letter.id, "template_version": letter.template_version }),
        letter.cause,
    );
    if how == DispatchChannel::Email {
        let requested = LetterEmailRequested {
            letter_id: letter.id,
            code,
        };
        effects.emit(case, letter_email_requested::TYPE, requested);
    }
}

/// Everything letter `code` to `customer` on `case` may show: the regional wording of the
/// customer's region, and whether they may only be written to (a staff complaint or a
/// written-only customer).
pub fn letter_context(
    code: LetterCode,
    case: &CaseFacts,
    customer: &Party,
    organisation: &Organisation,
    fields: std::collections::BTreeMap<String, serde_json::Value>,
    now: DateTime<Utc>,
) -> LetterContext {
    let letter_spec = spec(code);
    LetterContext {
        date: letter_date(now),
        reference: case.reference.clone(),
        customer: addressee(customer),
        organisation: organisation.in_region(case.region),
        contact_by_letter: written_contact_only(case.about, case.contact_restriction),
        region: Regional::of(case.region),
        fields,
        days: letter_spec.days,
        enclosures: letter_spec
            .enclosures
            .iter()
            .map(|e| (*e).to_owned())
            .collect(),
        print: false,
    }
}
