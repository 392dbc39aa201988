//! Hostile input: nothing a sender writes can crash, stall or forge anything.
//!
//! The corpus of [`hostile/corpus.rs`](hostile/corpus.rs) goes to a real `complaints run`
//! process over both HTTP and AMQP; each payload must be refused with a bounded reason of the
//! right kind (or applied, where valid), with no personal data in any reason or log line, and
//! the process must still be alive and healthy afterwards, with no case that should not exist.
//! Then: a panic in one batch is that batch's alone; a worker that stops takes the process down
//! with a non-zero exit; internal events cannot be forged; bad input on every route is a 4xx.

mod common;
#[path = "hostile/corpus.rs"]
mod corpus;

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};

use common::{
    case_count, case_opened_by, complaint, dead_letters_of, free_port, wait_for, OwnWorker, TestEnv,
};
use complaints::app::App;
use complaints::db::schema::timers;
use complaints::events::checks::{MAX_PROBLEM_BYTES, MAX_REASON_BYTES};
use complaints::events::{ClientReplied, CloudEvent};
use complaints::supervisor::WorkerKind;
use complaints::vocabulary::Scope;
use complaints::workers::Worker;
use corpus::{corpus, Outcome, PERSONAL};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{json, Value};

/// `complaints run` as a process of its own, logging at debug level to a file.
struct Process {
    child: Child,
    log: std::path::PathBuf,
    http: String,
}

impl Process {
    fn start(env: &TestEnv, args: &[&str], http_port: u16) -> Self {
        let log =
            std::env::temp_dir().join(format!("complaints-hostile-{}.log", uuid::Uuid::new_v4()));
        let config = &env.app.config;
        let child = Command::new(env!("CARGO_BIN_EXE_complaints"))
            .arg("run")
            .args(args)
            .env("COMPLAINTS__DATABASE__URL", &config.database.url)
            .env("COMPLAINTS__AMQP__NAMESPACE", &config.amqp.namespace)
            .env(
                "COMPLAINTS__AMQP__DELIVERY_LIMIT",
                config.amqp.delivery_limit.to_string(),
            )
            .env("COMPLAINTS__HTTP__LISTEN", format!("127.0.0.1:{http_port}"))
            .env("COMPLAINTS__EMAIL__PORT", config.email.port.to_string())
            .env(
                "COMPLAINTS__LETTERS__TEMPLATES_DIR",
                &config.letters.templates_dir,
            )
            .env(
                "COMPLAINTS__LETTERS__DISPATCH_DIR",
                &config.letters.dispatch_dir,
            )
            .env("RUST_LOG", "debug")
            .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
            .stdout(Stdio::null())
            .spawn()
            .expect("complaints run starts");
        Self {
            child,
            log,
            http: format!("http://127.0.0.1:{http_port}"),
        }
    }

    fn alive(&mut self) -> bool {
        self.child
            .try_wait()
            .expect("the process can be asked")
            .is_none()
    }

    /// Stops the process (SIGTERM), returns its log.
    fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
        let logs = std::fs::read_to_string(&self.log).unwrap_or_default();
        let _ = std::fs::remove_file(&self.log);
        logs
    }
}

/// No personal data planted by the corpus in `text`.
fn assert_no_personal_data(what: &str, text: &str) {
    for secret in PERSONAL {
        assert!(!text.contains(secret), "{secret:?} is in {what}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_payload_is_refused_with_a_bounded_reason_over_http_and_amqp() {
    let env = TestEnv::start(&[]).await;
    let mut process = Process::start(&env, &[], free_port());
    let token = env.client_token("hostile-channel", Scope::ALL).await;
    let http = common::auth::authorised(&token);
    wait_for("the process to answer", || async {
        let ok = http.get(format!("{}/readyz", process.http)).send().await;
        ok.is_ok_and(|r| r.status().is_success()).then_some(())
    })
    .await;

    let corpus = corpus();
    let mut applied = 0;
    // Over HTTP: the answer says why, briefly, and never echoes a personal value.
    for hostile in &corpus {
        let over_body_limit = hostile.body.len() > env.app.config.http.body_limit_bytes;
        // A connection the server closes under an oversized upload is not reused.
        let client = if over_body_limit {
            common::auth::authorised(&token)
        } else {
            http.clone()
        };
        let answer = client
            .post(format!("{}/v1/events", process.http))
            .header("content-type", "application/cloudevents+json")
            .body(hostile.body.clone())
            .send()
            .await;
        // Over HTTP, a body past `http.body_limit_bytes` is refused before it is read: a 413,
        // or the connection closed under a client still sending.
        if over_body_limit {
            if let Ok(answer) = answer {
                assert_eq!(answer.status().as_u16(), 413, "{}", hostile.name);
            }
            continue;
        }
        let answer = answer.unwrap();
        let status = answer.status().as_u16();
        let text = answer.text().await.unwrap();
        match hostile.outcome {
            Outcome::Applied => {
                assert_eq!(status, 202, "{}: {text}", hostile.name);
                applied += 1;
            }
            Outcome::Refused("too_large") => {
                assert!(matches!(status, 400 | 413), "{}: {status}", hostile.name)
            }
            Outcome::Refused(kind) => {
                assert_eq!(status, 400, "{}: {text}", hostile.name);
                let body: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(body["error"], kind, "{}: {text}", hostile.name);
                let reasons = body["reasons"].as_array().unwrap();
                assert!(
                    reasons.len() <= 21,
                    "{}: {} reasons",
                    hostile.name,
                    reasons.len()
                );
                for reason in reasons {
                    let reason = reason.as_str().unwrap();
                    assert!(
                        reason.len() <= MAX_PROBLEM_BYTES.max(MAX_REASON_BYTES),
                        "{}: {reason}",
                        hostile.name
                    );
                }
            }
        }
        assert_no_personal_data(&format!("the HTTP answer to {}", hostile.name), &text);
    }

    // Over AMQP: each refused payload reaches the intake worker's dead-letter queue, unchanged,
    // with a bounded reason of the right kind; the valid ones open cases.
    for hostile in &corpus {
        env.publish_raw("complaint.received", &hostile.body).await;
    }
    let refused: Vec<_> = corpus
        .iter()
        .filter(|h| h.outcome != Outcome::Applied)
        .collect();
    let letters = dead_letters_of(&env, "intake", refused.len()).await;
    let by_body: HashMap<&[u8], &corpus::Hostile> =
        refused.iter().map(|h| (h.body.as_slice(), *h)).collect();
    for letter in &letters {
        let hostile = by_body
            .get(letter.body.as_slice())
            .expect("each dead letter is a corpus payload, unchanged");
        let Outcome::Refused(kind) = hostile.outcome else {
            unreachable!()
        };
        assert_eq!(
            letter.reason_kind.as_deref(),
            Some(kind),
            "{}",
            hostile.name
        );
        let reason = letter.reason.as_deref().expect("a reason");
        assert!(
            reason.len() <= MAX_REASON_BYTES,
            "{}: {} bytes",
            hostile.name,
            reason.len()
        );
        assert_no_personal_data(&format!("the dead letter of {}", hostile.name), reason);
    }

    // Alive, healthy and still working: one more complaint opens its case; only the valid
    // payloads opened cases (once each: the same event id came over both transports), and no
    // letter file was written for anything refused.
    let fine = complaint("CUST-AFTER-THE-STORM");
    let answer = http
        .post(format!("{}/v1/events", process.http))
        .json(&fine)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 202);
    case_opened_by(&env, fine["id"].as_str().unwrap()).await;
    wait_for("the valid payloads' cases and no other", || async {
        (case_count(&env).await == applied + 1).then_some(())
    })
    .await;
    assert!(process.alive(), "the process survived the corpus");
    let health = http
        .get(format!("{}/healthz", process.http))
        .send()
        .await
        .unwrap();
    assert!(health.status().is_success());
    let dispatched = std::fs::read_dir(&env.app.config.letters.dispatch_dir)
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(dispatched, 0, "no letter was printed for anything refused");

    let logs = process.stop();
    assert!(logs.contains("dead-lettering"), "the refusals were logged");
    assert_no_personal_data("the logs", &logs);
    env.stop().await;
}

complaints::event_set! {
    /// What the test's panicking worker reads.
    enum PanicEvent {
        Replied(ClientReplied) = client_replied,
    }
}

/// A worker that panics on a reply whose summary is `panic`, and otherwise applies (claims) what it reads.
struct Panicky;

impl Worker for Panicky {
    const NAME: &'static str = "panicky";
    // It reads the replies the test publishes from outside, as a deciding worker does.
    const FROM_OUTSIDE: bool = true;
    type Event = PanicEvent;

    fn build(_app: &App) -> anyhow::Result<Self> {
        Ok(Panicky)
    }

    async fn apply(
        &self,
        _conn: &mut AsyncPgConnection,
        events: &[&CloudEvent<PanicEvent>],
        _now: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<()> {
        for event in events {
            let PanicEvent::Replied(reply) = &event.data;
            if reply.summary.as_deref() == Some("panic") {
                panic!("a bug in the worker");
            }
        }
        Ok(())
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many events the panicking worker has applied (their ids claimed in its inbox).
async fn applied_by_panicky(env: &TestEnv) -> i64 {
    let mut conn = env.conn().await;
    let claimed: Count =
        diesel::sql_query("SELECT count(*) AS n FROM inbox WHERE worker = 'panicky'")
            .get_result(&mut conn)
            .await
            .unwrap();
    claimed.n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_is_its_batchs_alone_and_the_worker_lives_on() {
    let env = TestEnv::start(&[]).await;
    let mut panicky = OwnWorker::declare::<Panicky>(&env.app).await;
    panicky.run(Panicky);

    let reply = |summary: &str| {
        json!({
            "specversion": "1.0", "id": uuid::Uuid::now_v7().to_string(), "type": "client.replied",
            "source": "urn:test", "time": chrono::Utc::now(), "subject": "RES-2026-000001",
            "data": { "channel": "letter", "summary": summary }
        })
    };
    let poison = reply("panic");
    let good: Vec<Value> = (0..5).map(|_| reply("thanks")).collect();
    env.publish(&good[0]).await;
    env.publish(&poison).await;
    for event in &good[1..] {
        env.publish(event).await;
    }

    let letters = dead_letters_of(&env, "panicky", 1).await;
    assert_eq!(letters[0].reason_kind.as_deref(), Some("panic"));
    let body: Value = serde_json::from_slice(&letters[0].body).unwrap();
    assert_eq!(
        body["id"], poison["id"],
        "only the panicking message is dead-lettered"
    );
    let reason = letters[0].reason.as_deref().unwrap();
    assert!(reason.contains("error id"), "{reason}");
    // Every good message was applied (its id claimed), and no connection was left holding a
    // transaction open.
    wait_for("the good replies applied", || async {
        (applied_by_panicky(&env).await == 5).then_some(())
    })
    .await;
    let mut conn = env.conn().await;
    let stuck: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND state = 'idle in transaction'",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    assert_eq!(stuck.n, 0, "no connection left idle in a transaction");
    assert!(panicky.is_running(), "the consumer goes on after a panic");

    // And it still works.
    let after = reply("and again");
    env.publish(&after).await;
    wait_for("the next reply applied", || async {
        (applied_by_panicky(&env).await == 6).then_some(())
    })
    .await;
    panicky.stop().await;
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_stops_by_itself_stops_the_process_with_a_failure() {
    let env = TestEnv::start(&[]).await;
    // The HTTP worker cannot listen on a port that is taken, and stops.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut process = Process::start(&env, &["--workers", "http,intake"], port);
    let child = std::sync::Mutex::new(&mut process.child);
    let status = wait_for("the process to exit", || {
        let exited = child.lock().unwrap().try_wait().unwrap();
        async move { exited }
    })
    .await;
    assert!(
        !status.success(),
        "a non-zero exit, so a service manager restarts it: {status}"
    );
    let logs = process.stop();
    assert!(logs.contains("a worker stopped by itself"), "{logs}");
    drop(taken);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_events_cannot_be_forged() {
    let env = TestEnv::start(&[
        WorkerKind::Intake,
        WorkerKind::Deadlines,
        WorkerKind::Acknowledgement,
        WorkerKind::OutboxRelay,
        WorkerKind::Http,
    ])
    .await;
    // An MP's complaint opens a Resolution case with its acknowledgement and response clocks.
    let mut event = complaint("CUST-FORGERY");
    event["data"]["raised_by"] = json!("mp");
    env.publish(&event).await;
    let case = case_opened_by(&env, event["id"].as_str().unwrap()).await;
    let pending = || async {
        let mut conn = env.conn().await;
        timers::table
            .filter(timers::case_id.eq(case.id))
            .filter(timers::state.eq("pending"))
            .count()
            .get_result::<i64>(&mut conn)
            .await
            .unwrap()
    };
    wait_for("both clocks running", || async {
        (pending().await == 2).then_some(())
    })
    .await;

    let forged = |event_type: &str, data: Value| {
        serde_json::to_vec(&json!({
            "specversion": "1.0", "id": uuid::Uuid::now_v7().to_string(), "type": event_type,
            "source": "urn:complaints", "time": chrono::Utc::now(), "subject": case.reference,
            "data": data
        }))
        .unwrap()
    };
    let closed = forged(
        "case.closed",
        json!({ "case_reference": case.reference, "resolution_code": "Rejected", "reason": "forged" }),
    );
    // Over HTTP the type is refused; over AMQP a channel can only reach `complaints.events`,
    // where no queue takes `case.closed`: the broker returns it, unrouted.
    let answer = env
        .http_client()
        .await
        .post(env.url("/v1/events"))
        .body(closed.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let events_exchange = env.app.topology.events_exchange();
    assert!(
        !common::routed(&env, &events_exchange, "case.closed", &closed).await,
        "no queue takes case.closed from the public exchange"
    );

    // Even published on the internal exchange (by someone holding the workers' own rights),
    // a case.closed for an open case or a timer.fired for a clock that did not fire changes
    // nothing and is dead-lettered with its reason.
    env.publish(&serde_json::from_slice::<Value>(&closed).unwrap())
        .await;
    let fired = forged(
        "timer.fired",
        json!({ "case_reference": case.reference, "clock": "acknowledgement", "key": "",
                "deadline": chrono::Utc::now(), "due_at": chrono::Utc::now() }),
    );
    env.publish(&serde_json::from_slice::<Value>(&fired).unwrap())
        .await;
    // The deadlines worker reads both; the acknowledgement worker reads timer.fired.
    for (worker, n) in [("deadlines", 2), ("acknowledgement", 1)] {
        for letter in dead_letters_of(&env, worker, n).await {
            assert_eq!(
                letter.reason_kind.as_deref(),
                Some("contradicts_database"),
                "{worker}"
            );
        }
    }
    assert_eq!(pending().await, 2, "both clocks still run");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_on_every_route_is_a_client_error() {
    let env = TestEnv::start(&[WorkerKind::Http]).await;
    let http = env.http_client().await;
    for path in [
        "/v1/cases/%00",
        "/v1/cases/RES-2026-000001%00",
        "/v1/cases/..%2F..%2Fetc%2Fpasswd",
        "/v1/cases/RES-2026-000001/letters/%00",
        "/v1/cases/RES-2026-000001/letters/not-a-uuid",
        "/v1/reports/complaints?from=%00&to=2026-01-01",
    ] {
        let answer = http.get(env.url(path)).send().await.unwrap();
        let status = answer.status();
        assert!(status.is_client_error(), "{path}: {status}");
        let body: Value = answer.json().await.unwrap();
        assert!(body["error"].is_string(), "{path}: the JSON error shape");
    }
    env.stop().await;
}
