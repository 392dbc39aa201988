//! The print-ready PDF of a postal letter: A4, with the address where a window envelope shows
//! it (24.6 mm from the left edge, 39.5 mm from the top, in a 95.4 × 26.8 mm window), the
//! postcode as its last line, then the letter's text, wrapped, over as many pages as it needs.
//! Helvetica, one of the fonts every PDF reader has, so nothing is embedded.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use super::render::Addressee;

/// Points per millimetre.
const PT_PER_MM: f32 = 72.0 / 25.4;
/// A4 width and height, in points.
pub const A4: (f32, f32) = (210.0 * PT_PER_MM, 297.0 * PT_PER_MM);
/// The envelope window, in millimetres: left, top, width, height.
pub const WINDOW_MM: (f32, f32, f32, f32) = (24.6, 39.5, 95.4, 26.8);

const MARGIN_MM: f32 = 25.0;
const BODY_TOP_MM: f32 = 80.0;
const BOTTOM_MM: f32 = 20.0;
const BODY_SIZE: f32 = 10.0;
const BODY_LEADING: f32 = 13.0;
/// Characters per body line: Helvetica at 10 pt averages about 5 pt a character over the
/// 160 mm between the margins.
const WRAP: usize = 88;

/// Lays out a letter: header lines at the top right, the address in the window, the text below.
pub fn render(header: &[String], address: &Addressee, text: &str) -> Vec<u8> {
    let mut pages: Vec<Content> = vec![Content::new()];
    let page_top = A4.1;

    // Header, top right.
    let header_x = 130.0 * PT_PER_MM;
    let mut y = page_top - 20.0 * PT_PER_MM;
    for line in header {
        write_line(&mut pages[0], header_x, y, 9.0, line);
        y -= 11.0;
    }

    // The address block, sized to fit the window whatever the number of lines.
    let lines: Vec<&str> = std::iter::once(address.name.as_str())
        .chain(address.address_lines.iter().map(String::as_str))
        .chain(std::iter::once(address.postcode.as_str()))
        .collect();
    let (window_left, window_top, _, window_height) = WINDOW_MM;
    let leading = (window_height * PT_PER_MM / lines.len() as f32).min(11.0);
    let size = (leading - 1.5).min(10.0);
    let mut y = page_top - window_top * PT_PER_MM - size;
    for line in &lines {
        write_line(&mut pages[0], window_left * PT_PER_MM, y, size, line);
        y -= leading;
    }

    // The letter, wrapped, page after page.
    let left = MARGIN_MM * PT_PER_MM;
    let bottom = BOTTOM_MM * PT_PER_MM;
    let mut y = page_top - BODY_TOP_MM * PT_PER_MM;
    for paragraph_line in text.lines() {
        let wrapped = wrap(paragraph_line, WRAP);
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

/// Writes one line of text with its baseline at (`x`, `y`).
fn write_line(content: &mut Content, x: f32, y: f32, size: f32, text: &str) {
    content.begin_text();
    content.set_font(Name(b"F1"), size);
    content.next_line(x, y);
    content.show(Str(&win_ansi(text)));
    content.end_text();
}

/// Puts the pages into a PDF document.
fn assemble(pages: Vec<Content>) -> Vec<u8> {
    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let font_id = Ref::new(3);
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(4 + 2 * i as i32))
        .collect();
    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id)
        .kids(page_ids.iter().copied())
        .count(pages.len() as i32);
    pdf.type1_font(font_id)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
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

/// Wraps a line at word boundaries to at most `width` characters.
fn wrap(line: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in line.split_whitespace() {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
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

/// Text in the Windows-1252 encoding the standard fonts use; what it cannot show becomes `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '£' => 0xA3,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            'é' => 0xE9,
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_at_word_boundaries() {
        let wrapped = wrap("one two three four five", 9);
        assert_eq!(wrapped, ["one two", "three", "four five"]);
        assert!(wrap("", 10).is_empty());
    }

    #[test]
    fn typographic_characters_survive() {
        assert_eq!(
            win_ansi("£5 – it’s"),
            [0xA3, b'5', b' ', 0x96, b' ', b'i', b't', 0x92, b's']
        );
    }
}
