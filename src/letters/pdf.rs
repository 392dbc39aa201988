//! The print-ready PDF of a postal letter: A4, with the address where a window envelope shows
//! it (24.6 mm from the left edge, 39.5 mm from the top, in a 95.4 × 26.8 mm window), at most
//! seven lines with the postcode last (GOV.UK Notify's limit; [`LetterAddressee`] folds longer
//! addresses), sized so every line fits inside the window, then the letter's text, wrapped to
//! the margins, over as many pages as it needs.
//!
//! The font is embedded, as print vendors and Notify require: DejaVu Sans (a free licence, see
//! `assets/fonts/LICENSE-DejaVu.txt`), cut down to the Windows-1252 characters the text is
//! written in and deflated, so a letter carries about 11 kB of font.

use std::sync::LazyLock;

use pdf_writer::types::FontFlags;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use super::render::LetterAddressee;

/// Points per millimetre.
const PT_PER_MM: f32 = 72.0 / 25.4;
/// A4 width and height, in points.
pub const A4: (f32, f32) = (210.0 * PT_PER_MM, 297.0 * PT_PER_MM);
/// The envelope window, in millimetres: left, top, width, height.
pub const WINDOW_MM: (f32, f32, f32, f32) = (24.6, 39.5, 95.4, 26.8);
/// The PostScript name of the embedded font.
pub const FONT_NAME: &str = "DejaVuSans";

const MARGIN_MM: f32 = 25.0;
const BODY_TOP_MM: f32 = 80.0;
const BOTTOM_MM: f32 = 20.0;
const BODY_SIZE: f32 = 10.0;
const BODY_LEADING: f32 = 13.0;
/// A little space kept clear inside the window's right edge.
const WINDOW_PADDING_MM: f32 = 2.0;

/// The font file: DejaVu Sans, Windows-1252 characters only.
static FONT_FILE: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-WinAnsi.ttf");

/// The font file as embedded: deflated once (about half its size).
static FONT_DEFLATED: LazyLock<Vec<u8>> = LazyLock::new(|| {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(FONT_FILE)
        .and_then(|()| encoder.finish())
        .expect("deflating into memory cannot fail")
});

/// What the PDF needs to know of the font: the width of each Windows-1252 code (in thousandths
/// of the font size) and the descriptor's metrics.
struct Metrics {
    widths: [f32; 256],
    ascent: f32,
    descent: f32,
    cap_height: f32,
    bbox: Rect,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let face = ttf_parser::Face::parse(FONT_FILE, 0).expect("the embedded font parses");
    let scale = 1000.0 / f32::from(face.units_per_em());
    let advance = |c: char| {
        face.glyph_index(c)
            .and_then(|g| face.glyph_hor_advance(g))
            .map_or(0.0, |w| f32::from(w) * scale)
    };
    let mut widths = [0.0; 256];
    for (code, width) in widths.iter_mut().enumerate() {
        if let Some(c) = from_win_ansi(code as u8) {
            *width = advance(c);
        }
    }
    let b = face.global_bounding_box();
    Metrics {
        widths,
        ascent: f32::from(face.ascender()) * scale,
        descent: f32::from(face.descender()) * scale,
        cap_height: f32::from(face.capital_height().unwrap_or(face.ascender())) * scale,
        bbox: Rect::new(
            f32::from(b.x_min) * scale,
            f32::from(b.y_min) * scale,
            f32::from(b.x_max) * scale,
            f32::from(b.y_max) * scale,
        ),
    }
});

/// Lays out a letter: header lines at the top right, the address in the window, the text below.
pub fn render(header: &[String], address: &LetterAddressee, text: &str) -> Vec<u8> {
    let mut pages: Vec<Content> = vec![Content::new()];
    let page_top = A4.1;

    // Header, top right.
    let header_x = 130.0 * PT_PER_MM;
    let mut y = page_top - 20.0 * PT_PER_MM;
    for line in header {
        write_line(&mut pages[0], header_x, y, 9.0, line);
        y -= 11.0;
    }

    // The address block, sized to fit the window in both directions.
    let lines = address.lines();
    let (window_left, window_top, window_width, window_height) = WINDOW_MM;
    let leading = (window_height * PT_PER_MM / lines.len() as f32).min(11.0);
    let widest = lines
        .iter()
        .map(|line| text_width(line, 1.0))
        .fold(0.0, f32::max);
    let room = (window_width - WINDOW_PADDING_MM) * PT_PER_MM;
    let size = (leading - 1.5)
        .min(10.0)
        .min(if widest > 0.0 { room / widest } else { 10.0 });
    let mut y = page_top - window_top * PT_PER_MM - size;
    for line in &lines {
        write_line(&mut pages[0], window_left * PT_PER_MM, y, size, line);
        y -= leading;
    }

    // The letter, wrapped to the margins, page after page.
    let left = MARGIN_MM * PT_PER_MM;
    let measure = A4.0 - 2.0 * left;
    let bottom = BOTTOM_MM * PT_PER_MM;
    let mut y = page_top - BODY_TOP_MM * PT_PER_MM;
    for paragraph_line in text.lines() {
        let wrapped = wrap(paragraph_line, |s| text_width(s, BODY_SIZE) <= measure);
        for line in if wrapped.is_empty() {
            vec![String::new()]
        } else {
            wrapped
        } {
            if y < bottom {
                pages.push(Content::new());
                y = page_top - MARGIN_MM * PT_PER_MM;
            }
            let page = pages.last_mut().expect("there is always a page");
            if !line.is_empty() {
                write_line(page, left, y, BODY_SIZE, &line);
            }
            y -= BODY_LEADING;
        }
    }
    assemble(pages)
}

/// The width of `text` set at `size` points, in points.
pub fn text_width(text: &str, size: f32) -> f32 {
    let metrics = &*METRICS;
    win_ansi(text)
        .iter()
        .map(|&code| metrics.widths[usize::from(code)])
        .sum::<f32>()
        * size
        / 1000.0
}

/// Writes one line of text with its baseline at (`x`, `y`).
fn write_line(content: &mut Content, x: f32, y: f32, size: f32, text: &str) {
    content.begin_text();
    content.set_font(Name(b"F1"), size);
    content.next_line(x, y);
    content.show(Str(&win_ansi(text)));
    content.end_text();
}

/// Puts the pages and the embedded font into a PDF document.
fn assemble(pages: Vec<Content>) -> Vec<u8> {
    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let font_id = Ref::new(3);
    let descriptor_id = Ref::new(4);
    let font_file_id = Ref::new(5);
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(6 + 2 * i as i32))
        .collect();
    let metrics = &*METRICS;
    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id)
        .kids(page_ids.iter().copied())
        .count(pages.len() as i32);

    // A simple TrueType font in the WinAnsi encoding, its file embedded (FontFile2).
    let mut font = pdf.indirect(font_id).dict();
    font.pair(Name(b"Type"), Name(b"Font"));
    font.pair(Name(b"Subtype"), Name(b"TrueType"));
    font.pair(Name(b"BaseFont"), Name(FONT_NAME.as_bytes()));
    font.pair(Name(b"FirstChar"), 32);
    font.pair(Name(b"LastChar"), 255);
    font.insert(Name(b"Widths"))
        .array()
        .items(metrics.widths[32..].iter().copied());
    font.pair(Name(b"Encoding"), Name(b"WinAnsiEncoding"));
    font.pair(Name(b"FontDescriptor"), descriptor_id);
    font.finish();
    pdf.font_descriptor(descriptor_id)
        .name(Name(FONT_NAME.as_bytes()))
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(metrics.bbox)
        .italic_angle(0.0)
        .ascent(metrics.ascent)
        .descent(metrics.descent)
        .cap_height(metrics.cap_height)
        .stem_v(80.0)
        .font_file2(font_file_id);
    pdf.stream(font_file_id, &FONT_DEFLATED)
        .filter(pdf_writer::Filter::FlateDecode)
        .pair(Name(b"Length1"), FONT_FILE.len() as i32);

    for (content, page_id) in pages.into_iter().zip(&page_ids) {
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, A4.0, A4.1));
        page.parent(tree_id);
        page.contents(content_id);
        page.resources().fonts().pair(Name(b"F1"), font_id);
        page.finish();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

/// Wraps a line at word boundaries into lines that `fits` (a word too long for a line has one
/// to itself).
fn wrap(line: &str, fits: impl Fn(&str) -> bool) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in line.split_whitespace() {
        if !current.is_empty() && !fits(&format!("{current} {word}")) {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// The Windows-1252 characters at 0x80..=0x9F (`None` where the code page has none).
const WIN_ANSI_HIGH: [Option<char>; 32] = [
    Some('€'),
    None,
    Some('‚'),
    Some('ƒ'),
    Some('„'),
    Some('…'),
    Some('†'),
    Some('‡'),
    Some('ˆ'),
    Some('‰'),
    Some('Š'),
    Some('‹'),
    Some('Œ'),
    None,
    Some('Ž'),
    None,
    None,
    Some('‘'),
    Some('’'),
    Some('“'),
    Some('”'),
    Some('•'),
    Some('–'),
    Some('—'),
    Some('˜'),
    Some('™'),
    Some('š'),
    Some('›'),
    Some('œ'),
    None,
    Some('ž'),
    Some('Ÿ'),
];

/// The character Windows-1252 code `code` stands for.
fn from_win_ansi(code: u8) -> Option<char> {
    match code {
        0x20..=0x7E | 0xA0..=0xFF => Some(char::from(code)),
        0x80..=0x9F => WIN_ANSI_HIGH[usize::from(code - 0x80)],
        _ => None,
    }
}

/// Text in the Windows-1252 encoding the font is embedded for; what it cannot show becomes `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' | '\u{A0}'..='ÿ' => c as u8,
            _ => WIN_ANSI_HIGH
                .iter()
                .position(|&high| high == Some(c))
                .map_or(b'?', |i| 0x80 + i as u8),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_at_word_boundaries() {
        let wrapped = wrap("one two three four five", |s| s.chars().count() <= 9);
        assert_eq!(wrapped, ["one two", "three", "four five"]);
        assert!(wrap("", |_| true).is_empty());
    }

    #[test]
    fn typographic_characters_survive() {
        assert_eq!(
            win_ansi("£5 – it’s é"),
            [0xA3, b'5', b' ', 0x96, b' ', b'i', b't', 0x92, b's', b' ', 0xE9]
        );
        assert_eq!(win_ansi("€ ✓"), [0x80, b' ', b'?']);
    }

    #[test]
    fn every_character_the_text_may_use_has_a_glyph() {
        for code in 0x20..=0xFFu8 {
            if let Some(c) = from_win_ansi(code) {
                assert!(
                    METRICS.widths[usize::from(code)] > 0.0 || c == '\u{A0}',
                    "{c:?} has no width"
                );
            }
        }
    }
}
