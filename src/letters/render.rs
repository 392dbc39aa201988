//! Rendering letters from `templates/`: handlebars in strict mode, so a missing field is an
//! error and never a blank in a letter. Each letter template is written once, as text; the
//! HTML form is made from it (paragraphs, `# ` headings, everything escaped). A template that
//! does not compile stops the start-up, naming its file.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use handlebars::Handlebars;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::catalogue::{check_fields, spec};
use crate::vocabulary::{LetterCode, Region};

/// Why letters cannot be loaded or a letter cannot be rendered.
#[derive(Debug, thiserror::Error)]
pub enum LetterError {
    /// A template file could not be read.
    #[error("reading the letter template {path}: {source}")]
    Read {
        /// The template file that could not be read.
        path: PathBuf,
        /// The error reading it.
        source: std::io::Error,
    },
    /// A template does not compile.
    #[error("the letter template {path} does not compile: {message}")]
    Compile {
        /// The template file that does not compile.
        path: PathBuf,
        /// The compiler's message.
        message: String,
    },
    /// The caseworker's fields do not fit the letter.
    #[error("letter {code}: {problem}")]
    Fields {
        /// The letter whose fields do not fit.
        code: LetterCode,
        /// What is missing or wrong.
        problem: String,
    },
    /// Rendering failed (a field the template uses is missing).
    #[error("letter {code} cannot be rendered: {message}")]
    Render {
        /// The letter that could not be rendered.
        code: LetterCode,
        /// The renderer's message.
        message: String,
    },
}

/// The organisation as letters present it.
#[derive(Debug, Clone, Serialize)]
pub struct Organisation {
    /// The organisation's name as letters give it.
    pub name: String,
    /// Its name on letters to customers in Northern Ireland (seed 002: "CMG to be NICMS in
    /// NI").
    pub name_northern_ireland: String,
    /// The phone number customers call.
    pub phone: String,
    /// Who signs letters.
    pub signatory: String,
}

impl Organisation {
    /// The organisation as letters to a customer in `region` name it.
    pub fn in_region(&self, region: Region) -> Self {
        let mut organisation = self.clone();
        if region == Region::NorthernIreland {
            organisation.name.clone_from(&self.name_northern_ireland);
        }
        organisation
    }
}

/// The person a letter is addressed to (the customer), as the envelope window shows them and
/// the letter greets them. Not to be confused with [`crate::vocabulary::Addressee`], the office
/// a complaint was addressed to (a Minister, the chief executive, …).
#[derive(Debug, Clone, Serialize)]
pub struct LetterAddressee {
    /// Full name, with the title when one is known (`Ms Jane Example`).
    pub name: String,
    /// Address lines above the postcode, at most [`MAX_ADDRESS_LINES`].
    pub address_lines: Vec<String>,
    /// The postcode, the window's last line.
    pub postcode: String,
    /// How the letter greets them: title and surname (`Ms Example`), or the full name when no
    /// title is known (`Jane Example`).
    pub salutation: String,
}

/// The most lines an address may take between the name and the postcode: GOV.UK Notify prints
/// seven lines in the envelope window (address lines 1 to 7), the name first and the postcode
/// last.
pub const MAX_ADDRESS_LINES: usize = 5;

/// Titles a name may begin with; a name that begins with one is greeted by title and surname.
const TITLES: &[&str] = &[
    "Mr",
    "Mrs",
    "Ms",
    "Miss",
    "Mx",
    "Dr",
    "Prof",
    "Professor",
    "Sir",
    "Dame",
    "Lady",
    "Lord",
    "Rev",
    "Revd",
    "Reverend",
];

impl LetterAddressee {
    /// The addressee `name` at `lines` and `postcode`. Lines beyond [`MAX_ADDRESS_LINES`] are
    /// folded into the last one, separated by commas, so the address never runs out of the
    /// envelope window.
    pub fn new(name: &str, lines: &[String], postcode: &str) -> Self {
        let mut address_lines: Vec<String> = lines
            .iter()
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect();
        if address_lines.len() > MAX_ADDRESS_LINES {
            let rest = address_lines.split_off(MAX_ADDRESS_LINES - 1);
            address_lines.push(rest.join(", "));
        }
        Self {
            name: name.trim().to_owned(),
            address_lines,
            postcode: postcode.trim().to_owned(),
            salutation: salutation(name),
        }
    }

    /// Every line of the address as printed: the name, the address lines, the postcode.
    pub fn lines(&self) -> Vec<&str> {
        std::iter::once(self.name.as_str())
            .chain(self.address_lines.iter().map(String::as_str))
            .chain(std::iter::once(self.postcode.as_str()))
            .collect()
    }
}

/// "Ms Example" for "Ms Jane Example" (a known title, then the surname); the name as given
/// when it starts with no known title ("Jane Example").
pub fn salutation(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    match words.as_slice() {
        [title, .., surname]
            if TITLES
                .iter()
                .any(|t| t.eq_ignore_ascii_case(title.trim_end_matches('.'))) =>
        {
            format!("{title} {surname}")
        }
        _ => words.join(" "),
    }
}

/// What differs between the regions' letters beyond the organisation's name (seed 004: "PHSO –
/// NI Ombudsman in Northern Ireland"; seed 002's "CMG to be NICMS in NI" is
/// [`Organisation::in_region`]). One template set uses these.
#[derive(Debug, Clone, Serialize)]
pub struct Regional {
    /// The customer lives in Northern Ireland.
    pub northern_ireland: bool,
    /// The ombudsman after ICE: the Parliamentary and Health Service Ombudsman, or in Northern
    /// Ireland the Northern Ireland Public Services Ombudsman.
    pub ombudsman: &'static str,
}

impl Regional {
    /// The wording for a customer in `region`.
    pub fn of(region: Region) -> Self {
        match region {
            Region::NorthernIreland => Self {
                northern_ireland: true,
                ombudsman: "the Northern Ireland Public Services Ombudsman",
            },
            Region::EnglandAndWales | Region::Scotland => Self {
                northern_ireland: false,
                ombudsman: "the Parliamentary and Health Service Ombudsman (PHSO)",
            },
        }
    }
}

/// Everything a letter template may use.
#[derive(Debug, Clone, Serialize)]
pub struct LetterContext {
    /// The letter's date, e.g. `24 November 2026`.
    pub date: String,
    /// The case reference every letter quotes.
    pub reference: String,
    /// The customer the letter is addressed to: name and address for the window, salutation.
    pub customer: LetterAddressee,
    /// The organisation the letter is from: its name, phone number and signatory.
    pub organisation: Organisation,
    /// The caseworker's text.
    pub fields: BTreeMap<String, Value>,
    /// "Within X days", for the letters that state it.
    pub days: Option<u32>,
    /// The leaflets and forms enclosed, by name, listed at the letter's foot.
    pub enclosures: Vec<String>,
    /// The customer may only be written to (a staff-behaviour complaint, or a written-only
    /// customer): letters promise a letter, never a call.
    pub contact_by_letter: bool,
    /// The wording that depends on the customer's region (Northern Ireland's bodies).
    pub region: Regional,
    /// Rendering for print: the header and address are laid out by the PDF, not the text.
    pub print: bool,
}

impl LetterContext {
    /// A sample customer and case with placeholder text in every field `code` needs, from
    /// `organisation`: what snapshots and benchmarks render.
    pub fn example(code: LetterCode, organisation: Organisation) -> Self {
        let spec = spec(code);
        Self {
            date: "24 November 2026".into(),
            reference: "RES-2026-000042".into(),
            customer: LetterAddressee::new(
                "Ms Jane Example",
                &[
                    "14 Station Road".into(),
                    "Little Hadham".into(),
                    "Ware".into(),
                ],
                "SG11 2AA",
            ),
            organisation,
            fields: super::catalogue::example_fields(code),
            days: spec.days,
            enclosures: spec.enclosures.iter().map(|e| (*e).to_owned()).collect(),
            contact_by_letter: false,
            region: Regional::of(Region::EnglandAndWales),
            print: false,
        }
    }
}

/// A rendered letter, as it will be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The email subject / letter title.
    pub subject: String,
    /// The text form (the printed letter and the email's text part).
    pub text: String,
    /// The HTML form (the email's HTML part).
    pub html: String,
    /// The version of the templates it came from (a digest of their source).
    pub template_version: String,
}

/// The compiled templates.
pub struct Templates {
    registry: Handlebars<'static>,
    versions: HashMap<LetterCode, String>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("versions", &self.versions)
            .finish()
    }
}

impl Templates {
    /// Compiles `dir/partials/*.hbs` and `dir/letters/<CODE>.hbs` for every letter code.
    pub fn load(dir: &Path) -> Result<Self, LetterError> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        // Letters are text; the HTML form is escaped as a whole when it is made.
        registry.register_escape_fn(handlebars::no_escape);
        let mut partial_digest = Sha256::new();
        let partials_dir = dir.join("partials");
        let mut partials: Vec<PathBuf> = std::fs::read_dir(&partials_dir)
            .map_err(|source| LetterError::Read {
                path: partials_dir.clone(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "hbs"))
            .collect();
        partials.sort();
        for path in partials {
            let source = read(&path)?;
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_owned();
            partial_digest.update(name.as_bytes());
            partial_digest.update(source.as_bytes());
            registry
                .register_partial(&name, source)
                .map_err(|e| compile_error(&path, e))?;
        }
        let mut versions = HashMap::new();
        for code in LetterCode::ALL {
            let path = dir.join("letters").join(format!("{code}.hbs"));
            let source = read(&path)?;
            let mut digest = partial_digest.clone();
            digest.update(source.as_bytes());
            let version: String = digest
                .finalize()
                .iter()
                .take(6)
                .map(|b| format!("{b:02x}"))
                .collect();
            registry
                .register_template_string(code.as_str(), source)
                .map_err(|e| compile_error(&path, e))?;
            versions.insert(*code, version);
        }
        Ok(Self { registry, versions })
    }

    /// Renders `code` for `context`, refusing missing or invalid caseworker fields.
    pub fn render(
        &self,
        code: LetterCode,
        context: &LetterContext,
    ) -> Result<Rendered, LetterError> {
        self.render_as(code, context, false)
    }

    /// Renders `code` for print: as [`render`](Self::render), without the header and address
    /// block, which [`pdf::render`](super::pdf::render) places where the envelope shows them.
    pub fn render_for_print(
        &self,
        code: LetterCode,
        context: &LetterContext,
    ) -> Result<Rendered, LetterError> {
        self.render_as(code, context, true)
    }

    fn render_as(
        &self,
        code: LetterCode,
        context: &LetterContext,
        print: bool,
    ) -> Result<Rendered, LetterError> {
        let context = LetterContext {
            print,
            ..context.clone()
        };
        let context = &context;
        check_fields(spec(code), &context.fields)
            .map_err(|problem| LetterError::Fields { code, problem })?;
        let rendered =
            self.registry
                .render(code.as_str(), context)
                .map_err(|e| LetterError::Render {
                    code,
                    message: e.to_string(),
                })?;
        let (subject, body) = rendered.split_once('\n').unwrap_or((&rendered, ""));
        let marked = tidy(body);
        Ok(Rendered {
            subject: subject.trim().to_owned(),
            html: to_html(subject.trim(), &marked),
            text: marked
                .lines()
                .map(|line| line.strip_prefix("# ").unwrap_or(line))
                .collect::<Vec<_>>()
                .join("\n")
                + "\n",
            template_version: self.versions[&code].clone(),
        })
    }
}

fn read(path: &Path) -> Result<String, LetterError> {
    std::fs::read_to_string(path).map_err(|source| LetterError::Read {
        path: path.to_owned(),
        source,
    })
}

fn compile_error(path: &Path, error: handlebars::TemplateError) -> LetterError {
    LetterError::Compile {
        path: path.to_owned(),
        message: error.to_string(),
    }
}

/// Trims trailing spaces and runs of blank lines left by template logic.
fn tidy(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut blank = 0;
    for line in body.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() && blank > 0 {
            out.push('\n');
        }
        blank = 0;
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The HTML form of a letter's text: blank-line-separated paragraphs, `# ` headings.
fn to_html(subject: &str, text: &str) -> String {
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n",
        escape(subject)
    );
    for block in text.split("\n\n").map(str::trim).filter(|b| !b.is_empty()) {
        if let Some(heading) = block.strip_prefix("# ") {
            html += &format!("<h2>{}</h2>\n", escape(heading));
        } else {
            let lines: Vec<String> = block.lines().map(escape).collect();
            html += &format!("<p>{}</p>\n", lines.join("<br>\n"));
        }
    }
    html + "</body>\n</html>\n"
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
