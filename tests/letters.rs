//! Every standard letter renders from its template: a snapshot of each (text and HTML), strict
//! fields (missing, blank, wrong choice, extra), HTML escaping, and the print-ready PDF's page
//! size and address position.

use std::path::Path;

use complaints::letters::catalogue::LEAFLET;
use complaints::letters::pdf;
use complaints::letters::render::{
    LetterAddressee, LetterContext, Organisation, Regional, Templates,
};
use complaints::vocabulary::{LetterCode, Region};
use serde_json::json;

fn letters() -> Templates {
    Templates::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("templates"))
        .expect("templates compile")
}

fn context(code: LetterCode) -> LetterContext {
    LetterContext::example(
        code,
        Organisation {
            name: "Child Maintenance Service".into(),
            name_northern_ireland: "Northern Ireland Child Maintenance Service".into(),
            phone: "0800 000 0000".into(),
            signatory: "Complaint Resolution Team".into(),
        },
    )
}

#[test]
fn every_letter_renders_as_snapshotted() {
    let letters = letters();
    for code in LetterCode::ALL {
        let rendered = letters.render(*code, &context(*code)).expect("renders");
        assert!(!rendered.text.contains("{{"), "{code}");
        insta::assert_snapshot!(
            format!("{code}"),
            format!("Subject: {}\n\n{}", rendered.subject, rendered.text)
        );
        insta::assert_snapshot!(format!("{code}.html"), rendered.html);
    }
}

/// The variants a customer may receive besides the default: CMSL5701 closing the complaint,
/// the acknowledgements to a customer who may only be written to, and the Northern Ireland
/// wording.
#[test]
fn the_variants_render_as_snapshotted() {
    let letters = letters();
    let mut closed = context(LetterCode::Cmsl5701);
    closed.fields.insert("paragraph".into(), json!("closed"));
    let mut variants = vec![("CMSL5701-closed", LetterCode::Cmsl5701, closed)];
    for code in [
        LetterCode::Cmsl5700,
        LetterCode::Cmsl5842,
        LetterCode::Cmsl5829,
    ] {
        let mut written = context(code);
        written.contact_by_letter = true;
        variants.push((
            match code {
                LetterCode::Cmsl5700 => "CMSL5700-by-letter",
                LetterCode::Cmsl5842 => "CMSL5842-by-letter",
                _ => "CMSL5829-by-letter",
            },
            code,
            written,
        ));
    }
    let mut ni = context(LetterCode::Cmsl5807);
    ni.region = Regional::of(Region::NorthernIreland);
    ni.organisation = ni.organisation.in_region(Region::NorthernIreland);
    variants.push(("CMSL5807-northern-ireland", LetterCode::Cmsl5807, ni));
    for (name, code, ctx) in variants {
        let rendered = letters.render(code, &ctx).expect("renders");
        insta::assert_snapshot!(
            name,
            format!("Subject: {}\n\n{}", rendered.subject, rendered.text)
        );
    }
}

#[test]
fn written_only_and_staff_acknowledgements_promise_no_call() {
    let letters = letters();
    for code in [
        LetterCode::Cmsl5700,
        LetterCode::Cmsl5842,
        LetterCode::Cmsl5829,
    ] {
        let mut ctx = context(code);
        ctx.contact_by_letter = true;
        let text = letters.render(code, &ctx).unwrap().text;
        for call in ["call", "phone", "talk"] {
            assert!(!text.contains(call), "{code} says {call:?}:\n{text}");
        }
    }
}

#[test]
fn a_customer_never_phoned_is_never_told_we_tried_to_call() {
    let letters = letters();
    for code in LetterCode::ALL {
        let mut ctx = context(*code);
        ctx.contact_by_letter = true;
        if *code == LetterCode::Cmsl5801 {
            ctx.fields.insert("paragraph".into(), json!("LM_00009"));
        }
        let text = letters.render(*code, &ctx).unwrap().text;
        assert!(!text.contains("tried to call"), "{code}:\n{text}");
    }
}

#[test]
fn northern_ireland_letters_name_nicms_and_the_ni_ombudsman() {
    let letters = letters();
    let mut ctx = context(LetterCode::Cmsl5800);
    let england = letters.render(LetterCode::Cmsl5800, &ctx).unwrap().text;
    assert!(england.contains("Parliamentary and Health Service Ombudsman"));
    ctx.region = Regional::of(Region::NorthernIreland);
    ctx.organisation = ctx.organisation.in_region(Region::NorthernIreland);
    let ni = letters.render(LetterCode::Cmsl5800, &ctx).unwrap().text;
    assert!(
        ni.contains("Northern Ireland Public Services Ombudsman"),
        "{ni}"
    );
    assert!(!ni.contains("Parliamentary and Health Service"), "{ni}");
    assert!(
        ni.contains("Northern Ireland Child Maintenance Service"),
        "signed by NICMS: {ni}"
    );
}

#[test]
fn the_salutation_is_title_and_surname_or_the_full_name() {
    let lines = ["1 High Street".to_owned()];
    let greet = |name: &str| LetterAddressee::new(name, &lines, "SW1A 1AA").salutation;
    assert_eq!(greet("Ms Jane Example"), "Ms Example");
    assert_eq!(greet("Dr. Amir Khan-Smith"), "Dr. Khan-Smith");
    assert_eq!(greet("Jane Example"), "Jane Example");
    assert_eq!(
        greet("Misty Example"),
        "Misty Example",
        "only a whole word is a title"
    );
    assert_eq!(greet("Mr Example"), "Mr Example");
}

#[test]
fn an_optional_field_left_out_leaves_its_part_out() {
    let letters = letters();
    let mut ctx = context(LetterCode::Cmsl5701);
    ctx.fields.remove("explanation");
    ctx.fields.remove("apology");
    let text = letters.render(LetterCode::Cmsl5701, &ctx).unwrap().text;
    assert!(
        !text.contains("What happened") && !text.contains("Our apology"),
        "{text}"
    );
    assert!(text.contains("[corrective_action: the caseworker's text]"));
    ctx.fields.remove("corrective_action");
    assert!(letters.render(LetterCode::Cmsl5701, &ctx).is_err());
}

#[test]
fn the_leaflet_goes_with_cmsl5807_and_the_paragraph_is_chosen() {
    let letters = letters();
    let mut ctx = context(LetterCode::Cmsl5807);
    let default = letters.render(LetterCode::Cmsl5807, &ctx).unwrap();
    assert!(default.text.contains(&format!("Enclosed: {LEAFLET}")));
    ctx.fields.insert("paragraph".into(), json!("TM09173"));
    let other = letters.render(LetterCode::Cmsl5807, &ctx).unwrap();
    // Seed 002's paragraphs, word for word.
    assert!(default.text.contains("However, we are confident that your complaint was handled in line with the regulations and policies set out under child support law, based on all the information that we're aware of about your circumstances"));
    assert!(other.text.contains("However, please be assured that we have followed a thorough complaint resolution process and investigated your concerns fully"));
    assert!(!other.text.contains("child support law"));
    let mut ctx = context(LetterCode::Cmsl5801);
    ctx.fields.insert("paragraph".into(), json!("LM_00009"));
    let not_reached = letters.render(LetterCode::Cmsl5801, &ctx).unwrap();
    assert!(not_reached.text.contains("could not reach you"));
}

#[test]
fn a_missing_blank_wrong_or_extra_field_is_an_error_never_a_blank() {
    let letters = letters();
    let code = LetterCode::Cmsl5801;
    let mut missing = context(code);
    missing.fields.remove("why_mistake");
    let error = letters.render(code, &missing).unwrap_err().to_string();
    assert!(
        error.contains("why_mistake") && error.contains("missing"),
        "{error}"
    );

    let mut blank = context(code);
    blank.fields.insert("corrective_action".into(), json!("  "));
    assert!(letters
        .render(code, &blank)
        .unwrap_err()
        .to_string()
        .contains("blank"));

    let mut wrong = context(code);
    wrong.fields.insert("paragraph".into(), json!("LM_99999"));
    assert!(letters
        .render(code, &wrong)
        .unwrap_err()
        .to_string()
        .contains("LM_00008"));

    let mut extra = context(code);
    extra.fields.insert("staff_name".into(), json!("x"));
    assert!(letters
        .render(code, &extra)
        .unwrap_err()
        .to_string()
        .contains("staff_name"));
}

#[test]
fn html_escapes_what_the_caseworker_wrote() {
    let letters = letters();
    let mut ctx = context(LetterCode::Cmsl5800);
    ctx.fields
        .insert("update".into(), json!("<script>alert(1)</script> & more"));
    let rendered = letters.render(LetterCode::Cmsl5800, &ctx).unwrap();
    assert!(rendered
        .html
        .contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"));
    assert!(!rendered.html.contains("<script>"));
    assert!(
        rendered.text.contains("<script>alert(1)</script> & more"),
        "the text form is as written"
    );
}

#[test]
fn a_template_that_does_not_compile_is_named() {
    let dir = std::env::temp_dir().join(format!("templates-{}", uuid::Uuid::new_v4()));
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    for sub in ["letters", "partials"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        for entry in std::fs::read_dir(source.join(sub)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.join(sub).join(entry.file_name())).unwrap();
        }
    }
    std::fs::write(dir.join("letters/CMSL5806.hbs"), "Subject\n{{#if}}broken").unwrap();
    let error = Templates::load(&dir).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(error.contains("CMSL5806.hbs"), "{error}");
}

#[test]
fn the_pdf_is_a4_with_the_address_in_the_envelope_window() {
    let ctx = context(LetterCode::Cmsl5807);
    let rendered = letters()
        .render_for_print(LetterCode::Cmsl5807, &ctx)
        .unwrap();
    assert!(
        rendered.text.starts_with("Our reference"),
        "the PDF places the header and address itself"
    );
    let bytes = pdf::render(
        &[
            "Child Maintenance Service".into(),
            "24 November 2026".into(),
        ],
        &ctx.customer,
        &rendered.text,
    );
    let doc = lopdf::Document::load_mem(&bytes).expect("a valid PDF");
    let pages = doc.get_pages();
    let first = *pages.get(&1).expect("a first page");
    let page = doc.get_object(first).unwrap().as_dict().unwrap();
    let media_box: Vec<f32> = page
        .get(b"MediaBox")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_float().unwrap())
        .collect();
    assert!(
        (media_box[2] - 595.28).abs() < 0.1 && (media_box[3] - 841.89).abs() < 0.1,
        "A4: {media_box:?}"
    );

    // Where each line of text starts, by its text.
    let content = lopdf::content::Content::decode(&doc.get_page_content(first).unwrap()).unwrap();
    let mut placed: Vec<(f32, f32, String)> = Vec::new();
    let mut at = (0.0, 0.0);
    for op in &content.operations {
        match op.operator.as_str() {
            "Td" => {
                at = (
                    op.operands[0].as_float().unwrap(),
                    op.operands[1].as_float().unwrap(),
                )
            }
            "Tj" => placed.push((
                at.0,
                at.1,
                String::from_utf8_lossy(op.operands[0].as_str().unwrap()).into_owned(),
            )),
            _ => {}
        }
    }
    let mm = |pt: f32| pt * 25.4 / 72.0;
    let window = |text: &str| {
        let (x, y, _) = placed
            .iter()
            .find(|(_, _, t)| t == text)
            .unwrap_or_else(|| panic!("{text} is printed"));
        (mm(*x), 297.0 - mm(*y))
    };
    let (name_x, name_from_top) = window("Ms Jane Example");
    let (postcode_x, postcode_from_top) = window("SG11 2AA");
    assert!(
        (name_x - 24.6).abs() < 0.1,
        "24.6 mm from the left: {name_x}"
    );
    assert!((postcode_x - 24.6).abs() < 0.1);
    assert!(
        name_from_top > 39.5 && postcode_from_top < 39.5 + 26.8,
        "inside the window: {name_from_top}..{postcode_from_top}"
    );
    let address: Vec<&str> = placed
        .iter()
        .filter(|(x, _, _)| (mm(*x) - 24.6).abs() < 0.1)
        .map(|(_, _, t)| t.as_str())
        .take(5)
        .collect();
    assert_eq!(
        address,
        [
            "Ms Jane Example",
            "14 Station Road",
            "Little Hadham",
            "Ware",
            "SG11 2AA"
        ],
        "the postcode is the last line"
    );
}

/// The lines of text a PDF page shows, each with where it starts (points from the bottom left).
fn placed_text(doc: &lopdf::Document, page: lopdf::ObjectId) -> Vec<(f32, f32, String)> {
    let content = lopdf::content::Content::decode(&doc.get_page_content(page).unwrap()).unwrap();
    let mut placed = Vec::new();
    let mut at = (0.0, 0.0);
    for op in &content.operations {
        match op.operator.as_str() {
            "Td" => {
                at = (
                    op.operands[0].as_float().unwrap(),
                    op.operands[1].as_float().unwrap(),
                )
            }
            "Tj" => placed.push((
                at.0,
                at.1,
                String::from_utf8_lossy(op.operands[0].as_str().unwrap()).into_owned(),
            )),
            _ => {}
        }
    }
    placed
}

#[test]
fn every_font_the_pdf_uses_is_embedded() {
    let ctx = context(LetterCode::Cmsl5800);
    let rendered = letters()
        .render_for_print(LetterCode::Cmsl5800, &ctx)
        .unwrap();
    let bytes = pdf::render(
        &["Child Maintenance Service".into()],
        &ctx.customer,
        &rendered.text,
    );
    let doc = lopdf::Document::load_mem(&bytes).expect("a valid PDF");
    let mut fonts = 0;
    for (_, page) in doc.get_pages() {
        for (name, font) in doc.get_page_fonts(page).unwrap() {
            fonts += 1;
            let descriptor = font
                .get(b"FontDescriptor")
                .and_then(|d| doc.get_object(d.as_reference()?))
                .and_then(|d| d.as_dict())
                .unwrap_or_else(|_| panic!("font {name:?} has a descriptor"));
            let file = ["FontFile", "FontFile2", "FontFile3"]
                .iter()
                .find_map(|key| descriptor.get(key.as_bytes()).ok())
                .unwrap_or_else(|| panic!("font {name:?} is embedded"));
            let stream = doc
                .get_object(file.as_reference().unwrap())
                .unwrap()
                .as_stream()
                .unwrap();
            assert!(stream.content.len() > 1_000, "the font file is there");
            let widths = font.get(b"Widths").unwrap().as_array().unwrap();
            assert_eq!(
                widths.len(),
                224,
                "a width for every character code 32..=255"
            );
        }
    }
    assert!(fonts > 0, "the PDF names its fonts");
    assert!(
        bytes.len() < 60_000,
        "a subset, not a whole font: {} bytes",
        bytes.len()
    );
}

#[test]
fn a_long_address_is_folded_into_the_window_never_outside_it() {
    let lines: Vec<String> = [
        "Flat 12, The Very Long Named Residential Building Overlooking The Old Railway Station",
        "Upper Floor",
        "14 Station Road",
        "Little Hadham",
        "Near Bishop's Stortford",
        "Ware",
    ]
    .iter()
    .map(|l| (*l).to_owned())
    .collect();
    let customer = LetterAddressee::new("Ms Jane Example", &lines, "SG11 2AA");
    assert_eq!(customer.lines().len(), 7, "GOV.UK Notify's seven lines");
    assert_eq!(customer.lines()[5], "Near Bishop's Stortford, Ware");
    assert_eq!(customer.lines()[6], "SG11 2AA", "the postcode is last");

    let bytes = pdf::render(&[], &customer, "Our reference: X");
    let doc = lopdf::Document::load_mem(&bytes).unwrap();
    let first = *doc.get_pages().get(&1).unwrap();
    let content = lopdf::content::Content::decode(&doc.get_page_content(first).unwrap()).unwrap();
    let size = content
        .operations
        .iter()
        .find(|op| op.operator == "Tf")
        .map(|op| op.operands[1].as_float().unwrap())
        .unwrap();
    let (left, top, width, height) = pdf::WINDOW_MM;
    let mm = |pt: f32| pt * 25.4 / 72.0;
    let address: Vec<(f32, f32, String)> = placed_text(&doc, first)
        .into_iter()
        .filter(|(x, _, _)| (mm(*x) - left).abs() < 0.1)
        .collect();
    assert_eq!(address.len(), 7);
    for (x, y, text) in &address {
        let from_top = 297.0 - mm(*y);
        assert!(
            from_top > top && from_top < top + height,
            "{text} inside the window vertically"
        );
        let right = mm(*x + pdf::text_width(text, size));
        assert!(
            right <= left + width,
            "{text} ends inside the window: {right} mm"
        );
    }
}
