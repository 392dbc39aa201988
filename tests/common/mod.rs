//! What every integration test stands on: a scratch database, a scratch broker namespace, the
//! real workers started in-process exactly as `complaints run` starts them, an observer queue
//! that sees the events the system emits, and waiting for a condition with a deadline.
//!
//! Each test's database and namespace are removed when its [`TestEnv`] is stopped or dropped,
//! so tests run in parallel and leave nothing behind.
#![allow(dead_code)] // each test binary uses its own part of these helpers

pub mod auth;
pub mod casework;
pub mod staff;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use complaints::app::App;
use complaints::broker::topology::long_string;
use complaints::config::{Config, DEFAULT_TOML};
use complaints::db::cases::CaseRecord;
use complaints::db::schema::cases;
use complaints::db::scratch::ScratchDatabase;
use complaints::events::CloudEvent;
use complaints::supervisor::{self, WorkerKind};
use complaints::workers::QUEUES;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use figment::providers::{Format, Toml};
use figment::Figment;
use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions,
    QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, Consumer};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// How long any condition may take before a test fails.
pub const DEADLINE: Duration = Duration::from_secs(30);
/// How often a waiting observer checks that its connection is still up.
const POLL: Duration = Duration::from_secs(1);

/// The sample complaint of the README and `complaints up`.
pub const SAMPLE: &str = include_str!("../../schema/examples/complaint.received.json");

/// A running system under test.
pub struct TestEnv {
    /// The shared dependencies the workers run with.
    pub app: App,
    /// Where the HTTP server listens, when it runs.
    pub http: Option<SocketAddr>,
    scratch: Option<ScratchDatabase>,
    observers: Vec<String>,
    shutdown: CancellationToken,
    tasks: JoinSet<anyhow::Result<()>>,
}

/// The configuration a test runs with: the defaults, the environment, then its own database
/// and namespace, and short waits.
pub fn test_config(database_url: &str) -> Config {
    let mut config = Config::from_layers(
        Figment::from(Toml::string(DEFAULT_TOML)),
        complaints::config::env_layer(),
    )
    .expect("the default configuration loads");
    config.database.url = database_url.to_owned();
    config.amqp.namespace = format!("test-{}", Uuid::new_v4().simple());
    config.relay.poll_interval_ms = 200;
    config.amqp.delivery_limit = 3;
    config.letters.templates_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates").into();
    config.letters.dispatch_dir = std::env::temp_dir()
        .join(format!("complaints-dispatch-{}", Uuid::new_v4().simple()))
        .display()
        .to_string();
    config.email.port = free_port();
    config
}

impl TestEnv {
    /// Starts `kinds` over a fresh database and namespace.
    pub async fn start(kinds: &[WorkerKind]) -> Self {
        Self::start_with(kinds, |_| {}).await
    }

    /// Starts `kinds` with the simulated clock, which [`TestEnv::advance`] moves.
    pub async fn start_simulated(kinds: &[WorkerKind]) -> Self {
        Self::start_with(kinds, |config| config.clock.simulated = true).await
    }

    /// Starts `kinds` with a configuration `adjust` has changed.
    pub async fn start_with(kinds: &[WorkerKind], adjust: impl FnOnce(&mut Config)) -> Self {
        let mut base = test_config("postgres://postgres@127.0.0.1:5432/postgres");
        adjust(&mut base);
        let scratch = ScratchDatabase::from_template(&base.database_url(), "complaints_test")
            .await
            .expect("PostgreSQL is running (scripts/services starts it)");
        let mut config = base;
        config.database.url = scratch.url.clone();
        let app = App::new(config).expect("app");
        app.prepare()
            .await
            .expect("RabbitMQ is running (scripts/services starts it)");
        staff::import_fixture(&app).await;
        let shutdown = CancellationToken::new();
        let (listener, http) = if kinds.contains(&WorkerKind::Http) {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
            let addr = listener.local_addr().expect("bound");
            (Some(listener), Some(addr))
        } else {
            (None, None)
        };
        let tasks = supervisor::start(&app, kinds, listener, &shutdown).expect("workers start");
        Self {
            app,
            http,
            scratch: Some(scratch),
            observers: Vec::new(),
            shutdown,
            tasks,
        }
    }

    /// Moves the simulated clock forward with the `complaints clock advance` command, run as a
    /// process of its own, as an operator would.
    pub fn advance(&self, duration: &str) {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_complaints"))
            .args(["clock", "advance", duration])
            .env("COMPLAINTS__DATABASE__URL", &self.app.config.database.url)
            .env(
                "COMPLAINTS__AMQP__NAMESPACE",
                &self.app.config.amqp.namespace,
            )
            .env("COMPLAINTS__CLOCK__SIMULATED", "true")
            .env("COMPLAINTS__LOG__LEVEL", "warn")
            .output()
            .expect("the binary runs");
        assert!(
            output.status.success(),
            "complaints clock advance {duration}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Runs the `complaints` binary with `args` against this test's database and namespace, as
    /// an operator would, and returns its output.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_complaints"))
            .args(args)
            .env("COMPLAINTS__DATABASE__URL", &self.app.config.database.url)
            .env(
                "COMPLAINTS__AMQP__NAMESPACE",
                &self.app.config.amqp.namespace,
            )
            .env("COMPLAINTS__LOG__LEVEL", "warn")
            .output()
            .expect("the binary runs")
    }

    /// Runs the `complaints` binary as [`TestEnv::cli`] does, asserts it succeeded and returns
    /// what it printed.
    pub fn cli_ok(&self, args: &[&str]) -> String {
        let output = self.cli(args);
        assert!(
            output.status.success(),
            "complaints {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("the output is UTF-8")
    }

    /// Waits until this process's clock shows at least `at` (it follows the database's offset
    /// through a notification).
    pub async fn clock_reaches(&self, at: chrono::DateTime<chrono::Utc>) {
        wait_for("the simulated clock to move", || async {
            (self.app.clock.now() >= at).then_some(())
        })
        .await;
    }

    /// A database connection.
    pub async fn conn(
        &self,
    ) -> diesel_async::pooled_connection::deadpool::Object<AsyncPgConnection> {
        self.app.pool.get().await.expect("a database connection")
    }

    /// The base URL of the HTTP server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.http.expect("the HTTP server runs"))
    }

    /// Publishes raw bytes with `routing_key`, waiting for the confirm, to the exchange of that
    /// type: `complaints.events` as an intake channel would (no validation on this side), or
    /// `complaints.internal` for a type the system emits, as the system would.
    pub async fn publish_raw(&self, routing_key: &str, body: &[u8]) {
        let exchange = self.app.topology.exchange_for(routing_key);
        self.publish_to(&exchange, routing_key, body).await;
    }

    /// Publishes `body` to `exchange` under `routing_key`, whatever the type.
    pub async fn publish_to(&self, exchange: &str, routing_key: &str, body: &[u8]) {
        self.publish_with(exchange, routing_key, body, FieldTable::default())
            .await;
    }

    /// Puts `body` straight into `worker`'s dead-letter queue with the reason headers a worker
    /// writes, as if it had been dead-lettered with reason `kind`: `reason`.
    pub async fn dead_letter_directly(&self, worker: &str, body: &[u8], kind: &str, reason: &str) {
        let mut headers = FieldTable::default();
        headers.insert(
            complaints::broker::consumer::REASON_HEADER.into(),
            long_string(reason),
        );
        headers.insert(
            complaints::broker::consumer::REASON_KIND_HEADER.into(),
            long_string(kind),
        );
        let topology = &self.app.topology;
        self.publish_with(
            &topology.dead_letter_exchange(),
            &topology.queue(worker),
            body,
            headers,
        )
        .await;
    }

    /// Publishes persistently with `headers` and waits for the broker's confirm.
    async fn publish_with(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        headers: FieldTable,
    ) {
        let connection = amqp(&self.app).await;
        let channel = connection.create_channel().await.expect("channel");
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .expect("confirms");
        channel
            .basic_publish(
                exchange.into(),
                routing_key.into(),
                BasicPublishOptions::default(),
                body,
                BasicProperties::default()
                    .with_delivery_mode(2)
                    .with_headers(headers),
            )
            .await
            .expect("publish")
            .await
            .expect("confirm");
        connection.close(200, "done".into()).await.expect("close");
    }

    /// Publishes a CloudEvent under its own type as the routing key.
    pub async fn publish(&self, event: &Value) {
        let body = serde_json::to_vec(event).expect("JSON");
        self.publish_raw(event["type"].as_str().expect("a type"), &body)
            .await;
    }

    /// An observer of the events the system emits (on the exchange of each type); its queue is
    /// deleted with the environment.
    pub async fn observe(&mut self, event_types: &[&str]) -> Observer {
        let observer = Observer::bind(&self.app, event_types).await;
        self.observers.push(observer.queue.clone());
        observer
    }

    /// Stops the workers and removes the database and namespace.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        while self.tasks.join_next().await.is_some() {}
        let scratch = self.scratch.take().expect("not stopped twice");
        cleanup(
            self.app.clone(),
            scratch,
            std::mem::take(&mut self.observers),
        )
        .await;
    }
}

impl Drop for TestEnv {
    /// A test that panicked still cleans up, on a thread of its own since Drop cannot await.
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(scratch) = self.scratch.take() {
            let app = self.app.clone();
            let observers = std::mem::take(&mut self.observers);
            let _ = std::thread::spawn(move || {
                tokio::runtime::Runtime::new()
                    .expect("runtime")
                    .block_on(cleanup(app, scratch, observers))
            })
            .join();
        }
    }
}

async fn cleanup(app: App, scratch: ScratchDatabase, observers: Vec<String>) {
    let _ = std::fs::remove_dir_all(&app.config.letters.dispatch_dir);
    if let Ok(connection) =
        complaints::broker::connect(&app.config.amqp_urls(), "test-cleanup").await
    {
        if let Ok(channel) = connection.create_channel().await {
            for queue in observers {
                let _ = channel
                    .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
                    .await;
            }
            let _ = app.topology.delete(&channel, QUEUES).await;
        }
        let _ = connection.close(200, "cleaned".into()).await;
    }
    app.pool.close();
    let _ = scratch.drop_database().await;
}

/// A fresh broker connection.
pub async fn amqp(app: &App) -> Connection {
    complaints::broker::connect(&app.config.amqp_urls(), "test")
        .await
        .expect("RabbitMQ is running")
}

/// A queue of its own bound to the events exchange, read by the test. Durable (quorum), so it
/// keeps what it saw across a broker restart; deleted by [`Observer::close`].
pub struct Observer {
    connection: Connection,
    queue: String,
    consumer: Consumer,
    urls: Vec<String>,
}

impl Observer {
    async fn bind(app: &App, event_types: &[&str]) -> Self {
        let queue = format!(
            "{}.observer.{}",
            app.topology.events_exchange(),
            Uuid::new_v4().simple()
        );
        let connection = amqp(app).await;
        let channel = connection.create_channel().await.expect("channel");
        let mut args = FieldTable::default();
        args.insert("x-queue-type".into(), long_string("quorum"));
        channel
            .queue_declare(
                queue.as_str().into(),
                QueueDeclareOptions {
                    durable: true,
                    ..Default::default()
                },
                args,
            )
            .await
            .expect("observer queue");
        for event_type in event_types {
            // A pattern (`#`, `letter.*`) may match types of both exchanges.
            let exchanges = if event_type.contains(['#', '*']) {
                vec![
                    app.topology.events_exchange(),
                    app.topology.internal_exchange(),
                ]
            } else {
                vec![app.topology.exchange_for(event_type)]
            };
            for exchange in exchanges {
                channel
                    .queue_bind(
                        queue.as_str().into(),
                        exchange.into(),
                        (*event_type).into(),
                        QueueBindOptions::default(),
                        FieldTable::default(),
                    )
                    .await
                    .expect("bind");
            }
        }
        let consumer = consume(&channel, &queue).await;
        Self {
            connection,
            queue,
            consumer,
            urls: app.config.amqp_urls(),
        }
    }

    /// The next event seen, or a panic at the deadline. Each delivery is acked only once it is
    /// read, so a broker restart requeues what was in flight instead of losing it (a test that
    /// counts events collects them in a set, since a requeued one may come twice).
    pub async fn next(&mut self) -> CloudEvent<Value> {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let poll = (Instant::now() + POLL).min(deadline);
            match tokio::time::timeout_at(poll, self.consumer.next()).await {
                Ok(Some(Ok(delivery))) => {
                    let event = serde_json::from_slice(&delivery.data).expect("a CloudEvent");
                    if delivery
                        .acker
                        .ack(BasicAckOptions::default())
                        .await
                        .is_err()
                    {
                        // The connection went between delivery and ack: the broker requeues
                        // it and it comes again after the reconnect.
                        self.reconnect().await;
                        continue;
                    }
                    return event;
                }
                Ok(_) => self.reconnect().await,
                // A consumer whose connection died does not always end its stream: look.
                Err(_) if !self.connection.status().connected() => self.reconnect().await,
                Err(_) if Instant::now() >= deadline => {
                    panic!("no event on {} within {DEADLINE:?}", self.queue)
                }
                Err(_) => {}
            }
        }
    }

    /// The next `n` events.
    pub async fn take(&mut self, n: usize) -> Vec<CloudEvent<Value>> {
        let mut events = Vec::with_capacity(n);
        for _ in 0..n {
            events.push(self.next().await);
        }
        events
    }

    /// After a broker restart the consumer ends; the durable queue kept what it had.
    async fn reconnect(&mut self) {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Ok(connection) = complaints::broker::connect(&self.urls, "test-observer").await {
                if let Ok(channel) = connection.create_channel().await {
                    self.consumer = consume(&channel, &self.queue).await;
                    self.connection = connection;
                    return;
                }
            }
            assert!(Instant::now() < deadline, "the broker did not come back");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

async fn consume(channel: &lapin::Channel, queue: &str) -> Consumer {
    channel
        .basic_consume(
            queue.into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("consume")
}

/// Waits until `probe` gives `Some`, checking every 25 ms; panics at [`DEADLINE`] with `what`.
pub async fn wait_for<T, F, Fut>(what: &str, probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    wait_for_within(what, DEADLINE, probe).await
}

/// Waits until `probe` gives `Some`, checking every 25 ms; panics after `limit` with `what`.
pub async fn wait_for_within<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The sample complaint with a fresh event id, received and sent just now, and `customer` as
/// the customer's reference.
pub fn complaint(customer: &str) -> Value {
    let mut event: Value = serde_json::from_str(SAMPLE).expect("the sample is JSON");
    event["id"] = Value::String(Uuid::now_v7().to_string());
    event["time"] = serde_json::json!(chrono::Utc::now());
    event["data"]["received_at"] = serde_json::json!(chrono::Utc::now());
    event["data"]["customer"]["reference"] = Value::String(customer.to_owned());
    event
}

/// The case a `complaint.received` event opened, once it exists.
pub async fn case_opened_by(env: &TestEnv, event_id: &str) -> CaseRecord {
    let event_id: Uuid = event_id.parse().expect("a uuid");
    wait_for("the case to be committed", || async {
        let mut conn = env.conn().await;
        cases::table
            .filter(cases::cause.eq(event_id))
            .select(CaseRecord::as_select())
            .first(&mut conn)
            .await
            .optional()
            .expect("query")
    })
    .await
}

/// How many cases exist.
pub async fn case_count(env: &TestEnv) -> i64 {
    let mut conn = env.conn().await;
    cases::table
        .count()
        .get_result(&mut conn)
        .await
        .expect("count")
}

/// A message read off a dead-letter queue.
#[derive(Debug)]
pub struct DeadLetter {
    /// The body, unchanged.
    pub body: Vec<u8>,
    /// The `x-complaints-reason` header, when the worker dead-lettered it.
    pub reason: Option<String>,
    /// The `x-complaints-reason-kind` header.
    pub reason_kind: Option<String>,
    /// The broker's own reason (`delivery_limit`, …), when the broker dead-lettered it.
    pub death_reason: Option<String>,
}

/// The next `n` messages of the intake queue's dead-letter queue.
pub async fn dead_letters(env: &TestEnv, n: usize) -> Vec<DeadLetter> {
    dead_letters_of(env, "intake", n).await
}

/// The next `n` messages of `worker`'s dead-letter queue.
pub async fn dead_letters_of(env: &TestEnv, worker: &str, n: usize) -> Vec<DeadLetter> {
    let connection = amqp(&env.app).await;
    let channel = connection.create_channel().await.expect("channel");
    let queue = env.app.topology.dead_letter_queue(worker);
    let mut consumer = consume(&channel, &queue).await;
    let deadline = Instant::now() + DEADLINE;
    let mut found = Vec::with_capacity(n);
    while found.len() < n {
        let delivery = match tokio::time::timeout_at(deadline, consumer.next()).await {
            Ok(Some(Ok(d))) => d,
            other => panic!(
                "{} of {n} dead letters within {DEADLINE:?}: {other:?}",
                found.len()
            ),
        };
        let headers = delivery.properties.headers().clone().unwrap_or_default();
        let text = |key: &str| match headers.inner().get(key) {
            Some(lapin::types::AMQPValue::LongString(s)) => Some(s.to_string()),
            _ => None,
        };
        let death_reason = match headers.inner().get("x-death") {
            Some(lapin::types::AMQPValue::FieldArray(deaths)) => {
                deaths.as_slice().first().and_then(|d| match d {
                    lapin::types::AMQPValue::FieldTable(t) => match t.inner().get("reason") {
                        Some(lapin::types::AMQPValue::LongString(s)) => Some(s.to_string()),
                        _ => None,
                    },
                    _ => None,
                })
            }
            _ => None,
        };
        found.push(DeadLetter {
            body: delivery.data.clone(),
            reason: text("x-complaints-reason"),
            reason_kind: text("x-complaints-reason-kind"),
            death_reason,
        });
    }
    connection.close(200, "read".into()).await.expect("close");
    found
}

/// Closes a case directly in the database, as if it had closed at `closed_at`: how tests set up
/// a customer's earlier case that closed months ago, which no decision made now can do.
pub async fn close_case_at(env: &TestEnv, case_id: Uuid, closed_at: chrono::DateTime<chrono::Utc>) {
    let mut conn = env.conn().await;
    diesel::update(cases::table.find(case_id))
        .set((
            cases::status.eq("Closed"),
            cases::resolution_code.eq("Actions Complete – Client Not OK"),
            cases::closed_at.eq(closed_at),
        ))
        .execute(&mut conn)
        .await
        .expect("close the case");
}

/// Whether a message published to `exchange` under `routing_key` reaches any queue: published
/// as mandatory, so the broker returns it when no queue takes it.
pub async fn routed(env: &TestEnv, exchange: &str, routing_key: &str, body: &[u8]) -> bool {
    let connection = amqp(&env.app).await;
    let channel = connection.create_channel().await.expect("channel");
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .expect("confirms");
    let confirmation = channel
        .basic_publish(
            exchange.into(),
            routing_key.into(),
            BasicPublishOptions {
                mandatory: true,
                ..Default::default()
            },
            body,
            BasicProperties::default(),
        )
        .await
        .expect("publish")
        .await
        .expect("confirm");
    connection.close(200, "done".into()).await.expect("close");
    matches!(confirmation, lapin::Confirmation::Ack(None))
}

/// A loopback port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A real SMTP server (aiosmtpd, `scripts/smtp_sink.py`) on loopback, keeping each
/// message it accepts as a file; refuses recipients containing "bounce" with a 550.
pub struct SmtpServer {
    child: std::process::Child,
    /// Where the messages are.
    pub dir: std::path::PathBuf,
}

impl SmtpServer {
    /// Starts the server on `port` and waits until it listens.
    pub fn start(port: u16) -> Self {
        use std::io::BufRead;
        let dir = std::env::temp_dir().join(format!("complaints-smtp-{}", Uuid::new_v4().simple()));
        let mut child = std::process::Command::new("python3")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/smtp_sink.py"))
            .arg(port.to_string())
            .arg(&dir)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs (scripts/test installs aiosmtpd)");
        let stdout = child.stdout.take().expect("stdout");
        let mut first = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut first)
            .expect("the server says something");
        assert_eq!(
            first.trim(),
            "ready",
            "the SMTP server started (is aiosmtpd installed?)"
        );
        Self { child, dir }
    }

    /// The messages received so far, oldest first, as raw text.
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<(u64, std::path::PathBuf)> = std::fs::read_dir(&self.dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter_map(|p| Some((p.file_stem()?.to_str()?.parse().ok()?, p)))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
            .into_iter()
            .map(|(_, p)| std::fs::read_to_string(p).expect("a message file"))
            .collect()
    }

    /// Waits until `n` messages have arrived and returns them.
    pub async fn wait_for_messages(&self, n: usize) -> Vec<String> {
        wait_for(&format!("{n} emails"), || async {
            let messages = self.messages();
            (messages.len() >= n).then_some(messages)
        })
        .await
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A worker a test defines for itself (not in the registry, so [`TestEnv::stop`] does not
/// remove its queues): its queues declared, its consumer run as `complaints run` runs one, then
/// stopped and its queues removed.
pub struct OwnWorker {
    app: App,
    name: &'static str,
    connection: Connection,
    shutdown: CancellationToken,
    running: Option<tokio::task::JoinHandle<()>>,
}

impl OwnWorker {
    /// Declares `W`'s queue (bound to its events) and its dead-letter queue.
    pub async fn declare<W: complaints::workers::Worker>(app: &App) -> Self {
        let connection = amqp(app).await;
        let spec = complaints::workers::queue_spec::<W>();
        app.topology.declare(&connection, &[spec]).await.unwrap();
        Self {
            app: app.clone(),
            name: W::NAME,
            connection,
            shutdown: CancellationToken::new(),
            running: None,
        }
    }

    /// Starts `worker`'s consumer.
    pub fn run<W: complaints::workers::Worker>(&mut self, worker: W) {
        self.running = Some(tokio::spawn(complaints::workers::runner::run(
            std::sync::Arc::new(worker),
            self.app.clone(),
            self.shutdown.clone(),
        )));
    }

    /// Whether its consumer still runs.
    pub fn is_running(&self) -> bool {
        self.running.as_ref().is_some_and(|r| !r.is_finished())
    }

    /// Stops its consumer and removes its two queues.
    pub async fn stop(self) {
        self.shutdown.cancel();
        if let Some(running) = self.running {
            running.await.unwrap();
        }
        let channel = self.connection.create_channel().await.unwrap();
        for queue in [
            self.app.topology.queue(self.name),
            self.app.topology.dead_letter_queue(self.name),
        ] {
            channel
                .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
                .await
                .unwrap();
        }
        self.connection.close(200, "done".into()).await.unwrap();
    }
}
