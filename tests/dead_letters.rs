//! `complaints dead-letters`: an operator lists the dead letters, reads one with personal data
//! masked, replays one that can now be applied (its case opens), sees one that fails again come
//! back with the new reason, discards the rest, and every action is on record.

mod common;

use common::{case_opened_by, complaint, wait_for, TestEnv};
use complaints::db::dead_letter_actions;
use complaints::supervisor::WorkerKind;
use serde_json::{json, Value};

/// `dead-letters list --json`, parsed.
fn list(env: &TestEnv) -> Vec<Value> {
    let output = env.cli(&["dead-letters", "list", "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_listed_masked_replayed_and_discarded_on_record() {
    let env = TestEnv::start(&[WorkerKind::Intake]).await;
    env.publish_raw("complaint.received", b"this is not JSON {")
        .await;
    let mut bad_postcode = complaint("CUST-DL-1");
    bad_postcode["data"]["customer"]["name"] = json!("Jane Testperson");
    bad_postcode["data"]["customer"]["address"]["postcode"] = json!("NOT A POSTCODE");
    env.publish(&bad_postcode).await;
    let bad_id = bad_postcode["id"].as_str().unwrap().to_owned();

    let letters = wait_for("two dead letters listed", || async {
        let letters = list(&env);
        (letters.len() == 2).then_some(letters)
    })
    .await;
    let mut kinds: Vec<_> = letters
        .iter()
        .map(|l| l["reason_kind"].as_str().unwrap().to_owned())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["not_json", "schema_violation"]);
    let schema = letters.iter().find(|l| l["id"] == bad_id.as_str()).unwrap();
    assert_eq!(schema["type"], "complaint.received");
    assert_eq!(schema["queue"], "intake");
    assert_eq!(schema["attempts"], 1);
    assert!(schema["when"].is_string(), "{schema}");
    assert!(schema["reason"].as_str().unwrap().contains("postcode"));

    let shown = env.cli(&["dead-letters", "show", &bad_id]);
    let shown = String::from_utf8(shown.stdout).unwrap();
    assert!(shown.contains("schema_violation"), "{shown}");
    assert!(!shown.contains("Testperson"), "masked by default: {shown}");
    let unmasked = env.cli(&["dead-letters", "show", &bad_id, "--unmasked"]);
    assert!(String::from_utf8(unmasked.stdout)
        .unwrap()
        .contains("Jane Testperson"));

    // A complaint that reached the delivery limit while the database was down: replayed, it opens its case.
    let good = complaint("CUST-DL-2");
    let good_id = good["id"].as_str().unwrap().to_owned();
    env.dead_letter_directly(
        "intake",
        &serde_json::to_vec(&good).unwrap(),
        "delivery_limit",
        "database unavailable",
    )
    .await;
    let replayed = env.cli(&["dead-letters", "replay", &good_id, "--by", "ops-alice"]);
    assert!(
        replayed.status.success(),
        "{}",
        String::from_utf8_lossy(&replayed.stderr)
    );
    assert!(String::from_utf8_lossy(&replayed.stdout).contains("replayed 1/1"));
    case_opened_by(&env, &good_id).await;

    // The unreadable one fails again: back in the dead-letter queue, with its reason, attempt 2.
    let again = env.cli(&[
        "dead-letters",
        "replay",
        "--reason-kind",
        "not_json",
        "--by",
        "ops-alice",
    ]);
    assert!(again.status.success());
    wait_for("the unreadable message back, attempt 2", || async {
        list(&env)
            .iter()
            .any(|l| l["reason_kind"] == "not_json" && l["attempts"] == 2)
            .then_some(())
    })
    .await;

    let discarded = env.cli(&["dead-letters", "discard", "--all", "--by", "ops-bob"]);
    assert!(discarded.status.success());
    assert!(list(&env).is_empty());
    let nothing = env.cli(&["dead-letters", "replay", "--all"]);
    assert!(
        !nothing.status.success(),
        "nothing left to replay is an error"
    );

    let mut conn = env.conn().await;
    let record = dead_letter_actions::latest(&mut conn, 10).await.unwrap();
    let summary: Vec<_> = record
        .iter()
        .rev()
        .map(|a| (a.actor.as_str(), a.action.as_str(), a.reason_kind.as_str()))
        .collect();
    assert_eq!(summary.len(), 4, "{summary:?}");
    assert_eq!(summary[0], ("ops-alice", "replayed", "delivery_limit"));
    assert_eq!(summary[1], ("ops-alice", "replayed", "not_json"));
    assert!(summary[2..]
        .iter()
        .all(|(who, what, _)| *who == "ops-bob" && *what == "discarded"));
    drop(conn);
    env.stop().await;
}
