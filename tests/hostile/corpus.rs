//! The hostile corpus: what an attacker, or a broken intake channel, might send. Each payload
//! is the sample complaint (or raw bytes) with one thing made hostile, and what must become of
//! it: refused with a reason of a given kind, or applied (valid, if odd).
//!
//! Every string in [`PERSONAL`] is personal data planted in the payloads: none may appear in a
//! refusal's reason, a dead-letter header, an HTTP answer or a log line.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

/// Personal data planted in hostile payloads; none may be echoed anywhere.
pub const PERSONAL: &[&str] = &[
    "Jane Secret-Person",
    "12 Private Road",
    "jane.secret@example.org",
    "injected@evil.example",
    "Zanzibar Quellington",
];

/// What must become of a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Refused, with a reason of this kind (`x-complaints-reason-kind`, the HTTP `error`).
    Refused(&'static str),
    /// Valid: applied (a case opens).
    Applied,
}

/// One hostile payload.
pub struct Hostile {
    /// What it tries.
    pub name: &'static str,
    /// The bytes sent.
    pub body: Vec<u8>,
    /// What must become of it.
    pub outcome: Outcome,
}

/// The sample complaint, received and sent now, with a fresh id and customer reference.
fn sample(n: usize) -> Value {
    let mut event = crate::common::complaint(&format!("CUST-HOSTILE-{n}"));
    event["time"] = json!(Utc::now());
    event
}

/// The sample with `change` applied.
fn complaint(n: usize, change: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut event = sample(n);
    change(&mut event);
    serde_json::to_vec(&event).expect("JSON")
}

/// Every payload of the corpus.
pub fn corpus() -> Vec<Hostile> {
    use Outcome::{Applied, Refused};
    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };
    let secret = "Jane Secret-Person, 12 Private Road, AB1 2CD, jane.secret@example.org";
    vec![
        // Dates that once crashed every clock worker, and dates that would open breached cases.
        Hostile {
            name: "received_at at the end of chrono's calendar",
            body: complaint(next(), |e| {
                e["data"]["received_at"] = json!("+262142-12-31T00:00:00Z")
            }),
            outcome: Refused("schema_violation"),
        },
        Hostile {
            name: "received_at at the start of chrono's calendar",
            body: complaint(next(), |e| {
                e["data"]["received_at"] = json!("-262143-01-01T00:00:00Z")
            }),
            outcome: Refused("schema_violation"),
        },
        Hostile {
            name: "customer_case_closed_on at the end of the calendar",
            body: complaint(next(), |e| {
                e["data"]["customer_case_closed_on"] = json!("+262142-12-31")
            }),
            outcome: Refused("schema_violation"),
        },
        Hostile {
            name: "received_at a year ago (a case already breached)",
            body: complaint(next(), |e| {
                e["data"]["received_at"] = json!(Utc::now() - Duration::days(365))
            }),
            outcome: Refused("schema_violation"),
        },
        Hostile {
            name: "received_at tomorrow",
            body: complaint(next(), |e| {
                e["data"]["received_at"] = json!(Utc::now() + Duration::days(1))
            }),
            outcome: Refused("schema_violation"),
        },
        Hostile {
            name: "envelope time in the year 9999",
            body: complaint(next(), |e| e["time"] = json!("9999-12-31T00:00:00Z")),
            outcome: Refused("not_cloudevent"),
        },
        // Values whose refusal once echoed them whole, past the broker's frame size.
        Hostile {
            name: "a 200,000-character channel",
            body: complaint(next(), |e| {
                e["data"]["channel"] = json!("x".repeat(200_000))
            }),
            outcome: Refused("bad_content"),
        },
        Hostile {
            name: "a 200 KB type",
            body: complaint(next(), |e| e["type"] = json!("t".repeat(200_000))),
            outcome: Refused("bad_content"),
        },
        Hostile {
            name: "20,000 categories",
            body: complaint(next(), |e| {
                e["data"]["categories"] = json!(vec![""; 20_000])
            }),
            outcome: Refused("bad_content"),
        },
        Hostile {
            name: "900 empty categories (each a problem)",
            body: complaint(next(), |e| e["data"]["categories"] = json!(vec![""; 900])),
            outcome: Refused("schema_violation"),
        },
        Hostile {
            name: "a 1 MB source",
            body: complaint(next(), |e| e["source"] = json!("s".repeat(1_000_000))),
            outcome: Refused("bad_content"),
        },
        Hostile {
            name: "a 100-character subject",
            body: complaint(next(), |e| e["subject"] = json!("S".repeat(100))),
            outcome: Refused("not_cloudevent"),
        },
        // Refusals that once echoed personal data.
        Hostile {
            name: "the customer as one string of personal data",
            body: complaint(next(), |e| e["data"]["customer"] = json!(secret)),
            outcome: Refused("schema_violation"),
        },
        Hostile {
            name: "personal data in an enumerated field",
            body: complaint(next(), |e| e["data"]["channel"] = json!(secret)),
            outcome: Refused("schema_violation"),
        },
        Hostile {
            name: "personal data as the email address",
            body: complaint(next(), |e| e["data"]["customer"]["email"] = json!(secret)),
            outcome: Refused("schema_violation"),
        },
        // Control characters that once reached the letterhead, and a NUL the database refuses.
        Hostile {
            name: "header injection in the name",
            body: complaint(next(), |e| {
                e["data"]["customer"]["name"] =
                    json!("Jane\r\nBcc: injected@evil.example\r\n\r\n<b>body</b>")
            }),
            outcome: Refused("schema_violation"),
        },
        Hostile {
            name: "header injection in the email address",
            body: complaint(next(), |e| {
                e["data"]["customer"]["email"] =
                    json!("jane.secret@example.org\r\nBcc: injected@evil.example")
            }),
            outcome: Refused("schema_violation"),
        },
        Hostile {
            name: "a line break in an address line",
            body: complaint(next(), |e| {
                e["data"]["customer"]["address"]["lines"][0] =
                    json!("12 Private Road\nZanzibar Quellington")
            }),
            outcome: Refused("schema_violation"),
        },
        Hostile {
            name: "a right-to-left override in the name",
            body: complaint(next(), |e| {
                e["data"]["customer"]["name"] = json!("Zanzibar Quellington\u{202E}tsiL")
            }),
            outcome: Refused("schema_violation"),
        },
        Hostile {
            name: "a NUL in the summary",
            body: complaint(next(), |e| {
                e["data"]["summary"] = json!("late\u{0}payments")
            }),
            outcome: Refused("bad_content"),
        },
        Hostile {
            name: "a NUL in the name",
            body: complaint(next(), |e| {
                e["data"]["customer"]["name"] = json!("Zanzibar\u{0}Quellington")
            }),
            outcome: Refused("bad_content"),
        },
        Hostile {
            name: "a bell character in the summary",
            body: complaint(next(), |e| {
                e["data"]["summary"] = json!("late\u{7}payments")
            }),
            outcome: Refused("bad_content"),
        },
        // What was already refused cleanly, kept so that it stays so.
        Hostile {
            name: "not JSON",
            body: b"{\"specversion\": \"1.0\", \"id\": ".to_vec(),
            outcome: Refused("not_json"),
        },
        Hostile {
            name: "invalid UTF-8",
            body: b"{\"specversion\": \"1.0\", \"id\": \"\xff\xfe\"}".to_vec(),
            outcome: Refused("not_json"),
        },
        Hostile {
            name: "100,000-deep nesting",
            body: format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
            outcome: Refused("not_json"),
        },
        Hostile {
            name: "a wrong type for received_at",
            body: complaint(next(), |e| e["data"]["received_at"] = json!(5)),
            outcome: Refused("schema_violation"),
        },
        Hostile {
            name: "an unknown field",
            body: complaint(next(), |e| e["data"]["colour"] = json!("red")),
            outcome: Refused("schema_violation"),
        },
        Hostile {
            name: "another CloudEvents version",
            body: complaint(next(), |e| e["specversion"] = json!("0.3")),
            outcome: Refused("not_cloudevent"),
        },
        Hostile {
            name: "seven address lines",
            body: complaint(next(), |e| {
                e["data"]["customer"]["address"]["lines"] = json!(vec!["1 High Street"; 7])
            }),
            outcome: Refused("schema_violation"),
        },
        Hostile {
            name: "a 2 MB body",
            body: complaint(next(), |e| {
                e["data"]["padding"] = json!(vec!["p".repeat(10_000); 200])
            }),
            outcome: Refused("too_large"),
        },
        // Odd but valid: applied, and harmless.
        Hostile {
            name: "markup in the summary (escaped wherever it is shown)",
            body: complaint(next(), |e| {
                e["data"]["summary"] = json!("<script>alert('x')</script> my payment is late")
            }),
            outcome: Applied,
        },
        Hostile {
            name: "a path in the customer's reference",
            body: complaint(next(), |e| {
                e["data"]["customer"]["reference"] = json!("../../etc/passwd")
            }),
            outcome: Applied,
        },
    ]
}
