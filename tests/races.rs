//! No lost update across processes: two `complaints run` processes (competing consumers, two
//! schedulers) apply decisions and timer expiries to the same cases at once, and every case
//! ends as one-at-a-time application would leave it. Each decision reads the case's state and
//! writes it back whole, so without the case's row lock one process's write would undo the
//! other's (an allocation lost under a categories change made from the state before it). And
//! one consumer's overlapping batches keep each case's events in the order they were published,
//! and never wait on each other for a lock their cases share; a batch a deadlock rolls back goes
//! again whole.

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::casework::{decision, mp};
use common::{case_opened_by, complaint, dead_letters_of, wait_for_within, OwnWorker, TestEnv};
use complaints::app::App;
use complaints::db::schema::{cases, inbox, outbox};
use complaints::events::{ClientReplied, CloudEvent};
use complaints::supervisor::WorkerKind;
use complaints::workers::{runner, Worker};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

const CASES: usize = 100;
/// What the test compares: allocated to, status, stage, categories.
type CaseState = (Option<String>, String, String, Vec<String>);

const LIMIT: Duration = Duration::from_secs(120);

/// `complaints run` processes of this test, killed with it.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn run(env: &TestEnv) -> Child {
    Command::new(env!("CARGO_BIN_EXE_complaints"))
        .args([
            "run",
            "--workers",
            "intake,acknowledgement,casework,deadlines,escalation,scheduler,outbox-relay",
        ])
        .env("COMPLAINTS__DATABASE__URL", &env.app.config.database.url)
        .env(
            "COMPLAINTS__AMQP__NAMESPACE",
            &env.app.config.amqp.namespace,
        )
        .env(
            "COMPLAINTS__AMQP__DELIVERY_LIMIT",
            env.app.config.amqp.delivery_limit.to_string(),
        )
        .env("COMPLAINTS__CLOCK__SIMULATED", "true")
        // One event per transaction, so two processes interleave on the same case.
        .env("COMPLAINTS__INTAKE__BATCH_SIZE", "1")
        .env("COMPLAINTS__LOG__LEVEL", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("the binary runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_the_same_cases_lose_no_update() {
    let env = TestEnv::start_simulated(&[]).await;
    // The directory of the tests, with the hundred case managers the cases are allocated to.
    let mut directory = common::staff::FIXTURE.to_owned();
    for i in 0..CASES {
        directory.push_str(&format!(
            "cm-{i:03},Complaint Resolution Team,case_manager,HEO,true\n"
        ));
    }
    let members = complaints::staff::parse_csv(&directory).expect("a valid directory");
    let mut conn = env.conn().await;
    complaints::db::staff::import(&mut conn, &members, env.app.clock.now())
        .await
        .expect("import the directory");
    drop(conn);
    let _processes = Processes(vec![run(&env), run(&env)]);

    let mut references = Vec::with_capacity(CASES);
    let mut opening = Vec::with_capacity(CASES);
    for i in 0..CASES {
        let mut event = complaint(&format!("CUST-RACE-{i:03}"));
        mp(&mut event["data"]);
        opening.push(event["id"].as_str().unwrap().parse::<Uuid>().unwrap());
        env.publish(&event).await;
    }
    let mut conn = env.conn().await;
    wait_for_within("every case opened", LIMIT, || async {
        let found: Vec<String> = cases::table
            .filter(cases::cause.eq_any(&opening))
            .select(cases::reference)
            .load(&mut env.conn().await)
            .await
            .unwrap();
        (found.len() == CASES).then_some(())
    })
    .await;
    for id in &opening {
        references.push(
            cases::table
                .filter(cases::cause.eq(id))
                .select(cases::reference)
                .first::<String>(&mut conn)
                .await
                .unwrap(),
        );
    }

    // Each case: an allocation and a categories change back to back (in either order), while
    // the clock jumps past every response target so the deadlines worker records breaches.
    let mut decisions = Vec::new();
    for (i, reference) in references.iter().enumerate() {
        let allocated = decision(
            reference,
            "case.allocated",
            json!({ "to": format!("cm-{i:03}"), "by": "tl-1" }),
        );
        let recategorised = decision(
            reference,
            "categories.changed",
            json!({ "categories": ["delay"], "by": "cm1" }),
        );
        let pair = if i % 2 == 0 {
            [allocated, recategorised]
        } else {
            [recategorised, allocated]
        };
        for event in pair {
            decisions.push(event["id"].as_str().unwrap().parse::<Uuid>().unwrap());
            env.publish(&event).await;
        }
    }
    env.advance("40d");

    wait_for_within("every decision applied", LIMIT, || async {
        let applied: i64 = inbox::table
            .filter(inbox::worker.eq("casework"))
            .filter(inbox::event_id.eq_any(&decisions))
            .count()
            .get_result(&mut env.conn().await)
            .await
            .unwrap();
        (applied == decisions.len() as i64).then_some(())
    })
    .await;
    wait_for_within("every breach recorded", LIMIT, || async {
        let breached: i64 = cases::table
            .filter(cases::reference.eq_any(&references))
            .filter(cases::target_breached_at.is_not_null())
            .count()
            .get_result(&mut env.conn().await)
            .await
            .unwrap();
        (breached == CASES as i64).then_some(())
    })
    .await;

    // One at a time, either order gives: allocated to its caseworker, In Progress at
    // Investigation, categories corrected; neither decision refused.
    let rows: Vec<(String, CaseState)> = cases::table
        .filter(cases::reference.eq_any(&references))
        .select((
            cases::reference,
            (
                cases::allocated_to,
                cases::status,
                cases::stage,
                cases::categories,
            ),
        ))
        .load(&mut conn)
        .await
        .unwrap();
    let mut lost = Vec::new();
    for (reference, state) in rows {
        let i = references.iter().position(|r| *r == reference).unwrap();
        let expected = (
            Some(format!("cm-{i:03}")),
            "In Progress".to_owned(),
            "Investigation".to_owned(),
            vec!["delay".to_owned()],
        );
        if state != expected {
            lost.push((reference, state));
        }
    }
    assert!(lost.is_empty(), "updates lost: {lost:?}");
    let refused: i64 = outbox::table
        .filter(outbox::event_type.eq("command.rejected"))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(refused, 0, "no decision refused");
    drop(conn);
    drop(_processes);
    env.stop().await;
}

complaints::event_set! {
    /// What the test's sequencing worker reads: replies, each naming a case and carrying a step.
    enum SequenceEvent {
        Replied(ClientReplied) = client_replied,
    }
}

/// A case worker that reads what it has seen of each case and writes it back with the step
/// appended, as casework reads a case's state and writes the next; it panics on the step
/// `panic`. Batches of three, so each batch's cases are also the next one's.
struct Sequenced;

impl Worker for Sequenced {
    const NAME: &'static str = "sequenced";
    const FROM_OUTSIDE: bool = true;
    const LOCKS_CASES: bool = true;
    const BATCH_SIZE: usize = 3;
    const BATCH_WAIT_MS: u64 = 50;
    const PREFETCH: u16 = 6;
    type Event = SequenceEvent;

    fn build(_app: &App) -> anyhow::Result<Self> {
        Ok(Sequenced)
    }

    async fn apply(
        &self,
        conn: &mut AsyncPgConnection,
        events: &[&CloudEvent<SequenceEvent>],
        _now: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<()> {
        for event in events {
            let SequenceEvent::Replied(reply) = &event.data;
            let step = reply.summary.as_deref().unwrap_or_default();
            if step == "panic" {
                panic!("a bug in the worker");
            }
            let reference = event.subject.as_deref().unwrap_or_default();
            let seen: Seen =
                diesel::sql_query("SELECT seen FROM test_sequence WHERE reference = $1")
                    .bind::<Text, _>(reference)
                    .get_result(conn)
                    .await?;
            diesel::sql_query("UPDATE test_sequence SET seen = $2 WHERE reference = $1")
                .bind::<Text, _>(reference)
                .bind::<Text, _>(format!("{}{step},", seen.seen))
                .execute(conn)
                .await?;
        }
        Ok(())
    }
}

#[derive(QueryableByName)]
struct Seen {
    #[diesel(sql_type = Text)]
    seen: String,
}

/// One consumer overlaps its batches (the next begins once this one holds its cases' locks),
/// yet each case's events apply in the order they were published: with batches of three over
/// four cases, every batch shares cases with the next, and a panic in the first batch rolls it
/// back while the next is in flight; the next rolls back too and goes again after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_batches_apply_each_cases_events_in_order() {
    const STEPS: usize = 6;
    let env = TestEnv::start(&[WorkerKind::Intake]).await;
    let mut references = Vec::new();
    for i in 0..4 {
        let event = complaint(&format!("CUST-SEQ-{i}"));
        env.publish(&event).await;
        references.push(
            case_opened_by(&env, event["id"].as_str().unwrap())
                .await
                .reference,
        );
    }
    let mut conn = env.conn().await;
    diesel::sql_query(
        "CREATE TABLE test_sequence (reference text PRIMARY KEY, seen text NOT NULL)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    for reference in &references {
        diesel::sql_query("INSERT INTO test_sequence VALUES ($1, '')")
            .bind::<Text, _>(reference)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let mut sequenced = OwnWorker::declare::<Sequenced>(&env.app).await;

    // Every event queued before the worker starts, so its batches are full.
    for step in 1..=STEPS {
        for (i, reference) in references.iter().enumerate() {
            let summary = if step == 1 && i == 1 {
                "panic".to_owned()
            } else {
                step.to_string()
            };
            env.publish(&json!({
                "specversion": "1.0", "id": Uuid::now_v7().to_string(), "type": "client.replied",
                "source": "urn:test", "time": chrono::Utc::now(), "subject": reference,
                "data": { "channel": "letter", "summary": summary }
            }))
            .await;
        }
    }
    sequenced.run(Sequenced);
    let letters = dead_letters_of(&env, Sequenced::NAME, 1).await;
    assert_eq!(letters[0].reason_kind.as_deref(), Some("panic"));
    let applied = (STEPS * references.len() - 1) as i64;
    wait_for_within("every other event applied", LIMIT, || async {
        let claimed: i64 = inbox::table
            .filter(inbox::worker.eq(Sequenced::NAME))
            .count()
            .get_result(&mut env.conn().await)
            .await
            .unwrap();
        (claimed == applied).then_some(())
    })
    .await;

    let all: String = (1..=STEPS).map(|step| format!("{step},")).collect();
    for (i, reference) in references.iter().enumerate() {
        let seen: Seen = diesel::sql_query("SELECT seen FROM test_sequence WHERE reference = $1")
            .bind::<Text, _>(reference)
            .get_result(&mut conn)
            .await
            .unwrap();
        let expected = if i == 1 {
            all[2..].to_owned()
        } else {
            all.clone()
        };
        assert_eq!(
            seen.seen, expected,
            "{reference}'s events in the order published"
        );
    }
    sequenced.stop().await;
    drop(conn);
    env.stop().await;
}

/// The lock every batch of the [`Shared`] worker takes, as casework takes a category's.
const SHARED_LOCK: i64 = 42;

/// How many times the [`Shared`] worker applied a batch, rolled back or not.
static SHARED_APPLIES: AtomicUsize = AtomicUsize::new(0);

/// A case worker that, like casework on the Systemic Log, takes a lock shared by other cases
/// (here one advisory lock) after [`runner::after_the_batch_before`]. Its first batch works on
/// until the second has got as far as it can (holds the shared lock or waits), then takes the
/// lock itself.
struct Shared;

impl Worker for Shared {
    const NAME: &'static str = "shared";
    const FROM_OUTSIDE: bool = true;
    const LOCKS_CASES: bool = true;
    const BATCH_SIZE: usize = 3;
    const BATCH_WAIT_MS: u64 = 50;
    const PREFETCH: u16 = 6;
    type Event = SequenceEvent;

    fn build(_app: &App) -> anyhow::Result<Self> {
        Ok(Shared)
    }

    async fn apply(
        &self,
        conn: &mut AsyncPgConnection,
        events: &[&CloudEvent<SequenceEvent>],
        _now: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<()> {
        SHARED_APPLIES.fetch_add(1, Ordering::SeqCst);
        let slow = events.iter().any(|event| {
            let SequenceEvent::Replied(reply) = &event.data;
            reply.summary.as_deref() == Some("slow")
        });
        if slow {
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while !another_at_the_shared_lock(conn).await? && std::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        runner::after_the_batch_before(conn).await?;
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<BigInt, _>(SHARED_LOCK)
            .execute(conn)
            .await?;
        Ok(())
    }
}

/// Whether another transaction of this database holds the shared lock or waits for an advisory
/// lock (the batch before's turn).
async fn another_at_the_shared_lock(conn: &mut AsyncPgConnection) -> anyhow::Result<bool> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        found: bool,
    }
    let found: Found = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
         WHERE d.datname = current_database() AND l.locktype = 'advisory' \
           AND l.pid <> pg_backend_pid() \
           AND (NOT l.granted OR (l.classid = 0 AND l.objid = $1 AND l.objsubid = 1))) AS found",
    )
    .bind::<BigInt, _>(SHARED_LOCK)
    .get_result(conn)
    .await?;
    Ok(found.found)
}

/// Two overlapping batches of different cases that both take a lock other cases share: the
/// second takes it only after the first has committed. Were it to take it first, the first
/// would wait for the second to end and the second for the first to commit, until
/// PostgreSQL's deadlock detector rolled one back: here, each batch is applied once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_batches_never_wait_on_each_other_for_a_shared_lock() {
    let env = TestEnv::start(&[WorkerKind::Intake]).await;
    let mut references = Vec::new();
    for i in 0..6 {
        let event = complaint(&format!("CUST-SHARED-{i}"));
        env.publish(&event).await;
        references.push(
            case_opened_by(&env, event["id"].as_str().unwrap())
                .await
                .reference,
        );
    }
    let mut shared = OwnWorker::declare::<Shared>(&env.app).await;
    // Queued before the worker starts: two full batches of three cases each, none shared.
    for (i, reference) in references.iter().enumerate() {
        let summary = if i == 0 { "slow" } else { "step" };
        env.publish(&json!({
            "specversion": "1.0", "id": Uuid::now_v7().to_string(), "type": "client.replied",
            "source": "urn:test", "time": chrono::Utc::now(), "subject": reference,
            "data": { "channel": "letter", "summary": summary }
        }))
        .await;
    }
    shared.run(Shared);
    wait_for_within("every event applied", LIMIT, || async {
        let claimed: i64 = inbox::table
            .filter(inbox::worker.eq(Shared::NAME))
            .count()
            .get_result(&mut env.conn().await)
            .await
            .unwrap();
        (claimed == references.len() as i64).then_some(())
    })
    .await;
    assert_eq!(
        AtomicUsize::load(&SHARED_APPLIES, Ordering::SeqCst),
        2,
        "each batch applied once, none rolled back to go again"
    );
    shared.stop().await;
    env.stop().await;
}

/// How many times the [`Contended`] worker applied a batch.
static CONTENDED_APPLIES: AtomicUsize = AtomicUsize::new(0);

/// A worker whose first transaction PostgreSQL ends with a deadlock (SQLSTATE 40P01), as two
/// transactions of other workers waiting on each other would; it applies every later one.
struct Contended;

impl Worker for Contended {
    const NAME: &'static str = "contended";
    const FROM_OUTSIDE: bool = true;
    const BATCH_SIZE: usize = 4;
    const BATCH_WAIT_MS: u64 = 50;
    const PREFETCH: u16 = 4;
    type Event = SequenceEvent;

    fn build(_app: &App) -> anyhow::Result<Self> {
        Ok(Contended)
    }

    async fn apply(
        &self,
        conn: &mut AsyncPgConnection,
        _events: &[&CloudEvent<SequenceEvent>],
        _now: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<()> {
        if CONTENDED_APPLIES.fetch_add(1, Ordering::SeqCst) == 0 {
            diesel::sql_query(
                "DO $$ BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END $$",
            )
            .execute(conn)
            .await?;
        }
        Ok(())
    }
}

/// A batch that a deadlock rolls back is no message's fault: it is applied whole once more, in
/// one transaction, not message by message (a transaction each, as a poisoned batch is).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_rolled_back_by_a_deadlock_goes_again_whole() {
    let env = TestEnv::start(&[]).await;
    let mut contended = OwnWorker::declare::<Contended>(&env.app).await;
    for _ in 0..Contended::BATCH_SIZE {
        env.publish(&json!({
            "specversion": "1.0", "id": Uuid::now_v7().to_string(), "type": "client.replied",
            "source": "urn:test", "time": chrono::Utc::now(), "subject": "RES-2026-000001",
            "data": { "channel": "letter", "summary": "thanks" }
        }))
        .await;
    }
    contended.run(Contended);
    wait_for_within("every event applied", LIMIT, || async {
        let claimed: i64 = inbox::table
            .filter(inbox::worker.eq(Contended::NAME))
            .count()
            .get_result(&mut env.conn().await)
            .await
            .unwrap();
        (claimed == Contended::BATCH_SIZE as i64).then_some(())
    })
    .await;
    assert_eq!(
        AtomicUsize::load(&CONTENDED_APPLIES, Ordering::SeqCst),
        2,
        "the batch rolled back by the deadlock, then applied whole"
    );
    contended.stop().await;
    env.stop().await;
}
