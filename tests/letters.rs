//! Every standard letter renders from its template: a snapshot of each (text and HTML), strict
//! fields (missing, blank, wrong choice, extra), HTML escaping, and the print-ready PDF's page
//! size and address position.

use std::path::Path;

use complaints::letters::catalogue::LEAFLET;
use complaints::letters::pdf;
use complaints::letters::render::{LetterContext, Letters, Organisation};
use complaints::vocabulary::LetterCode;
use serde_json::json;

fn letters() -> Letters {
    Letters::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("templates"))
        .expect("templates compile")
}

fn context(code: LetterCode) -> LetterContext {
    LetterContext::example(
        code,
        Organisation {
            name: "Child Maintenance Service".into(),
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

#[test]
fn the_leaflet_goes_with_cmsl5807_and_the_paragraph_is_chosen() {
    let letters = letters();
    let mut ctx = context(LetterCode::Cmsl5807);
    let default = letters.render(LetterCode::Cmsl5807, &ctx).unwrap();
    assert!(default.text.contains(&format!("Enclosed: {LEAFLET}")));
    ctx.fields.insert("paragraph".into(), json!("TM09173"));
    let other = letters.render(LetterCode::Cmsl5807, &ctx).unwrap();
    assert_ne!(
        default.text, other.text,
        "TM 09172 and TM 09173 say different things"
    );
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
    let error = Letters::load(&dir).unwrap_err().to_string();
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
