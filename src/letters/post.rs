//! The post room: a postal letter's print-ready PDF, written where the print vendor collects
//! it, and how the customer is addressed on paper. The letters worker's printer
//! (`workers/letters.rs`) decides when; this is what it writes.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use chrono_tz::Europe::London;
use uuid::Uuid;

use super::pdf;
use super::render::{LetterAddressee, Organisation};
use crate::config::Config;
use crate::db::letters::LetterRecord;
use crate::db::parties::Party;

/// Prints and posts letters: writes the PDF where the print vendor collects it.
#[derive(Clone)]
pub struct PostRoom {
    dispatch_dir: PathBuf,
    organisation: Organisation,
}

impl PostRoom {
    /// The post room of the configuration (`letters.dispatch_dir`).
    pub fn new(config: &Config) -> Self {
        Self {
            dispatch_dir: PathBuf::from(&config.letters.dispatch_dir),
            organisation: organisation(config),
        }
    }

    /// Writes the PDF of a letter under its stable name ([`pdf_file`]): aside first, then
    /// renamed into place, so the file the print vendor sees is whole and writing it again
    /// replaces it. Returns its path.
    pub fn print(&self, letter: &LetterRecord, customer: &Party) -> std::io::Result<String> {
        let file = pdf_file(letter.id);
        // Northern Ireland's customers hear from NICMS.
        let organisation = self.organisation.in_region(customer.region);
        let header = [organisation.name, letter_date(letter.created_at)];
        let bytes = pdf::render(&header, &addressee(customer), &letter.body_print);
        std::fs::create_dir_all(&self.dispatch_dir)?;
        let partial = self.dispatch_dir.join(format!(".{file}.partial"));
        let written = std::fs::write(&partial, bytes)
            .and_then(|()| std::fs::rename(&partial, self.dispatch_dir.join(&file)));
        if written.is_err() {
            // Best effort: the vendor ignores partial files, the next attempt rewrites it.
            let _ = std::fs::remove_file(&partial);
        }
        written.map(|()| self.path(&file))
    }

    /// The path of a posted letter's PDF.
    pub fn path(&self, file: &str) -> String {
        self.dispatch_dir.join(file).display().to_string()
    }
}

/// The file name of a letter's PDF in the dispatch directory: its id, so a reprint replaces it.
pub fn pdf_file(letter_id: Uuid) -> String {
    format!("{letter_id}.pdf")
}

/// The organisation as letters show it (`[letters]`).
pub fn organisation(config: &Config) -> Organisation {
    let letters = &config.letters;
    Organisation {
        name: letters.organisation_name.clone(),
        name_northern_ireland: letters.organisation_name_northern_ireland.clone(),
        phone: letters.organisation_phone.clone(),
        signatory: letters.signatory.clone(),
    }
}

/// A letter's date as the UK writes it: `24 November 2026`.
pub fn letter_date(now: DateTime<Utc>) -> String {
    now.with_timezone(&London).format("%-d %B %Y").to_string()
}

/// The customer as letters address them (an address too long for the envelope window folded).
pub fn addressee(customer: &Party) -> LetterAddressee {
    LetterAddressee::new(&customer.name, &customer.address_lines, &customer.postcode)
}

/// The postal address on one line, as printed.
pub fn postal_address(customer: &Party) -> String {
    addressee(customer).lines().join(", ")
}
