//! The letters worker: turns each `letter.requested` into a letter kept with the case exactly as
//! it will be sent, and starts its dispatch.
//!
//! It renders the letter (strict: a missing field refuses the request with `command.rejected`,
//! noted on the case, rather than sending a letter with a blank), keeps the text, HTML and
//! print forms with the template version, chooses email or post, and then either asks the email
//! worker to send it (`letter.email_requested`) or writes the print-ready PDF to the dispatch
//! directory (`letter.ready_for_post`, and `letter.sent` by post). A redelivered request finds
//! its letter already made and changes nothing.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Europe::London;
use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use super::effects::{with_cases, Effects};
use super::Worker;
use crate::app::App;
use crate::db::cases::CaseFacts;
use crate::db::letters::{self, NewLetter};
use crate::db::parties::Party;
use crate::events::{
    letter_email_requested, letter_ready_for_post, letter_sent, CloudEvent, LetterEmailRequested,
    LetterReadyForPost, LetterRequested, LetterSent,
};
use crate::letters::catalogue::spec;
use crate::letters::dispatch::{channel, Recipient};
use crate::letters::pdf;
use crate::letters::render::{Addressee, LetterContext, Letters, Organisation, Regional};
use crate::process::clocks::written_contact_only;
use crate::vocabulary::{DispatchChannel, LetterCode};

crate::event_set! {
    /// What the letters worker reads.
    pub enum LetterEvent {
        /// A letter to produce.
        LetterRequested(LetterRequested) = letter_requested,
    }
}

const NAME: &str = "letters";

/// Prints and posts letters: writes the PDF where the print vendor collects it.
#[derive(Clone)]
pub struct PostRoom {
    dispatch_dir: PathBuf,
    organisation: Organisation,
}

impl PostRoom {
    /// The post room of the app's configuration.
    pub fn new(app: &App) -> Self {
        Self {
            dispatch_dir: PathBuf::from(&app.config.letters.dispatch_dir),
            organisation: organisation(app),
        }
    }

    /// Writes the PDF of a letter (named by its id, so writing it again is harmless) and
    /// records its posting: `letter.ready_for_post`, `letter.sent` by post, a timeline entry.
    /// Returns the file name.
    #[allow(clippy::too_many_arguments)]
    pub fn post(
        &self,
        case: &CaseFacts,
        customer: &Party,
        letter_id: Uuid,
        code: LetterCode,
        printed_text: &str,
        now: DateTime<Utc>,
        cause: Uuid,
        effects: &mut Effects,
    ) -> std::io::Result<String> {
        let file = pdf_file(letter_id);
        let organisation = self.organisation.in_region(case.region);
        let header = [organisation.name, letter_date(now)];
        let bytes = pdf::render(&header, &addressee(customer), printed_text);
        std::fs::create_dir_all(&self.dispatch_dir)?;
        std::fs::write(self.dispatch_dir.join(&file), bytes)?;
        let enclosures: Vec<String> = spec(code)
            .enclosures
            .iter()
            .map(|e| (*e).to_owned())
            .collect();
        effects.note(
            case,
            format!("Letter {code} ready for post ({file})"),
            json!({ "letter_id": letter_id, "channel": "post" }),
            cause,
        );
        effects.emit(
            case,
            letter_ready_for_post::TYPE,
            LetterReadyForPost {
                letter_id,
                code,
                file: file.clone(),
                enclosures,
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
        metrics::counter!("complaints_letters_sent_total", "code" => code.as_str(), "channel" => "post").increment(1);
        Ok(file)
    }

    /// The path of a posted letter's PDF.
    pub fn path(&self, file: &str) -> String {
        self.dispatch_dir.join(file).display().to_string()
    }
}

/// The letters worker.
pub struct LettersWorker {
    letters: Arc<Letters>,
    post_room: PostRoom,
}

impl LettersWorker {
    /// The worker, with the app's templates and post room.
    pub fn new(app: &App, letters: Arc<Letters>) -> Self {
        Self {
            letters,
            post_room: PostRoom::new(app),
        }
    }
}

impl Worker for LettersWorker {
    const NAME: &'static str = NAME;
    type Event = LetterEvent;

    async fn apply(
        &self,
        conn: &mut AsyncPgConnection,
        events: &[&CloudEvent<LetterEvent>],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut effects = Effects::new(NAME, now);
        let requests = with_cases(conn, events, &mut effects).await?;
        let case_ids: Vec<Uuid> = requests.iter().map(|(_, case)| case.id).collect();
        let customers = letters::addressees(conn, &case_ids).await?;
        for (event, case) in &requests {
            let LetterEvent::LetterRequested(request) = &event.data;
            let customer = &customers[&case.id];
            self.produce(conn, case, customer, request, event, now, &mut effects)
                .await?;
        }
        Ok(effects.write(conn).await?)
    }
}

impl LettersWorker {
    /// Renders, keeps and dispatches one letter.
    #[allow(clippy::too_many_arguments)]
    async fn produce(
        &self,
        conn: &mut AsyncPgConnection,
        case: &CaseFacts,
        customer: &Party,
        request: &LetterRequested,
        event: &CloudEvent<LetterEvent>,
        now: DateTime<Utc>,
        effects: &mut Effects,
    ) -> anyhow::Result<()> {
        let cause = event.id;
        let code = request.code;
        let letter_spec = spec(code);
        let context = letter_context(
            code,
            case,
            customer,
            &self.post_room.organisation,
            request.fields.clone(),
            now,
        );
        let rendered = self
            .letters
            .render(code, &context)
            .and_then(|email| Ok((email, self.letters.render_for_print(code, &context)?)));
        let (email, print) = match rendered {
            Ok(forms) => forms,
            Err(e) => {
                metrics::counter!("complaints_letters_failed_total", "code" => code.as_str())
                    .increment(1);
                effects.note(
                    case,
                    format!("Letter {code} could not be produced: {e}"),
                    json!({}),
                    cause,
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
                restriction: customer.contact_restriction.parse().unwrap_or_default(),
            },
            letter_spec.enclosures,
        );
        let letter_id = Uuid::now_v7();
        let mut letter = NewLetter {
            id: letter_id,
            case_id: case.id,
            code: code.as_str().into(),
            requested_by_event: cause,
            template_version: email.template_version.clone(),
            subject: email.subject.clone(),
            body_text: email.text.clone(),
            body_html: email.html.clone(),
            body_print: print.text.clone(),
            channel: how.as_str().into(),
            recipient: String::new(),
            status: String::new(),
            pdf_path: None,
            created_at: now,
            sent_at: None,
        };
        match how {
            DispatchChannel::Email => {
                letter.recipient = customer.email.clone().unwrap_or_default();
                letter.status = letters::AWAITING_EMAIL.into();
                if letters::insert(conn, &letter).await? {
                    effects.note(
                        case,
                        format!("Letter {code} “{}” produced, to go by email", email.subject),
                        json!({ "letter_id": letter_id, "template_version": email.template_version }),
                        cause,
                    );
                    effects.emit(
                        case,
                        letter_email_requested::TYPE,
                        LetterEmailRequested { letter_id, code },
                    );
                }
            }
            DispatchChannel::Post => {
                letter.recipient = postal_address(customer);
                letter.status = letters::READY_FOR_POST.into();
                letter.sent_at = Some(now);
                letter.pdf_path = Some(self.post_room.path(&pdf_file(letter_id)));
                if letters::insert(conn, &letter).await? {
                    self.post_room.post(
                        case,
                        customer,
                        letter_id,
                        code,
                        &print.text,
                        now,
                        cause,
                        effects,
                    )?;
                }
            }
        }
        Ok(())
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

/// The file name of a letter's PDF in the dispatch directory.
fn pdf_file(letter_id: Uuid) -> String {
    format!("{letter_id}.pdf")
}

/// The organisation as letters show it.
pub fn organisation(app: &App) -> Organisation {
    Organisation {
        name: app.config.letters.organisation_name.clone(),
        name_northern_ireland: app
            .config
            .letters
            .organisation_name_northern_ireland
            .clone(),
        phone: app.config.letters.organisation_phone.clone(),
        signatory: app.config.letters.signatory.clone(),
    }
}

/// A letter's date as the UK writes it: `24 November 2026`.
pub fn letter_date(now: DateTime<Utc>) -> String {
    now.with_timezone(&London).format("%-d %B %Y").to_string()
}

/// The customer as letters address them (an address too long for the envelope window folded).
fn addressee(customer: &Party) -> Addressee {
    Addressee::new(&customer.name, &customer.address_lines, &customer.postcode)
}

/// The postal address on one line, as printed.
pub fn postal_address(customer: &Party) -> String {
    addressee(customer).lines().join(", ")
}
