//! The chaos suite's experiments (issue 9), run by `scripts/chaos [--full]`, which starts a
//! RabbitMQ node and a PostgreSQL cluster of its own and passes their addresses and the
//! commands that break them in `CHAOS_*` variables. Ignored by `cargo test`: nothing here may
//! touch the machine's shared services.
//!
//! Each experiment runs `complaints run` (every worker, as a process of its own) over a fresh
//! database and broker namespace, with an SMTP server that records every message, publishes
//! complaints (each with an email address or by post, a mix of tiers and categories), moves the
//! simulated clock so the acknowledgement letters fall due, and injects one fault. Then it
//! checks that every complaint has exactly one case, that no letter is rendered, posted or
//! emailed twice (emails counted by Message-ID at the SMTP server, repeats only within the bound
//! of one send in flight per sender stopped dead), that nothing is left unsent, that every poison
//! message is dead-lettered with its reason, and how long the system took to recover after the
//! fault ended. It prints a table and fails when any bound is broken.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, test_config, SmtpServer};
use complaints::app::App;
use complaints::broker::consumer::REASON_HEADER;
use complaints::broker::publisher::Outgoing;
use complaints::config::Config;
use complaints::db::letters as stored_letters;
use complaints::db::notifications;
use complaints::db::outbox as stored_outbox;
use complaints::db::schema::{cases, letters, notifications as notices, outbox};
use complaints::db::scratch::ScratchDatabase;
use complaints::workers::email::message_id;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use lapin::options::{BasicAckOptions, BasicGetOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use serde_json::{json, Value};
use uuid::Uuid;

const CATEGORIES: [&str; 5] = [
    "delay",
    "payments",
    "lost_post",
    "staff_conduct",
    "calculation",
];

/// What `scripts/chaos` set up.
struct Rig {
    amqp_url: String,
    /// The three nodes of `scripts/cluster`, for the cluster experiment.
    cluster_urls: Vec<String>,
    database_url: String,
    full: bool,
    logs: PathBuf,
    report: PathBuf,
}

impl Rig {
    fn from_env() -> Self {
        let var = |name: &str| {
            std::env::var(name).unwrap_or_else(|_| {
                panic!("{name} is set by scripts/chaos, which runs this suite on its own services")
            })
        };
        Self {
            amqp_url: var("CHAOS_AMQP_URL"),
            cluster_urls: std::env::var("CHAOS_CLUSTER_URLS")
                .map(|list| list.split(' ').map(str::to_owned).collect())
                .unwrap_or_default(),
            database_url: var("CHAOS_DATABASE_URL"),
            full: var("CHAOS_MODE") == "full",
            logs: var("CHAOS_LOGS").into(),
            report: var("CHAOS_REPORT").into(),
        }
    }

    /// Complaints per experiment.
    fn complaints(&self, fault: Fault) -> usize {
        if fault == Fault::ClusterNodesKilled {
            return if self.full { 10_000 } else { 1_000 };
        }
        if self.full {
            3000
        } else {
            300
        }
    }
}

/// Runs the fault command `scripts/chaos` put in variable `name` (a shell function it exported).
fn fault_command(name: &str) {
    fault_command_line(&std::env::var(name).expect("set by scripts/chaos"));
}

/// Runs a shell command line, which must succeed.
fn fault_command_line(command: &str) {
    let status = Command::new("bash")
        .args(["-c", command])
        .stdout(Stdio::null())
        .status()
        .expect("bash runs");
    assert!(status.success(), "{command} failed");
}

/// Runs the fault command in variable `name` for cluster node `node`.
fn fault_command_with(name: &str, node: u8) {
    let command = std::env::var(name).expect("set by scripts/chaos");
    fault_command_line(&format!("{command} {node}"));
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    WorkerKilledMidIntake,
    WorkerKilledMidEmail,
    BrokerKilled,
    DatabaseStopped,
    SmtpDown,
    TwoProcesses,
    DuplicatesAndPoison,
    /// On a three-node cluster with two processes: a node neither process is connected to is
    /// killed and restarted, then the node both are connected to.
    ClusterNodesKilled,
}

impl Fault {
    const ALL: [Fault; 7] = [
        Fault::WorkerKilledMidIntake,
        Fault::WorkerKilledMidEmail,
        Fault::BrokerKilled,
        Fault::DatabaseStopped,
        Fault::SmtpDown,
        Fault::TwoProcesses,
        Fault::DuplicatesAndPoison,
    ];

    fn name(self) -> &'static str {
        match self {
            Fault::WorkerKilledMidIntake => "kill -9 worker mid-intake",
            Fault::WorkerKilledMidEmail => "kill -9 worker mid-email",
            Fault::BrokerKilled => "kill -9 RabbitMQ 10 s",
            Fault::DatabaseStopped => "PostgreSQL stopped (immediate) 20 s",
            Fault::SmtpDown => "SMTP server down",
            Fault::TwoProcesses => "two complaints run processes",
            Fault::DuplicatesAndPoison => "duplicates (AMQP, HTTP) and poison",
            Fault::ClusterNodesKilled => {
                "3-node cluster, 2 processes: kill -9 an idle node, then theirs"
            }
        }
    }

    /// Emails that may go twice: one send in flight per sender stopped dead (killed, or its
    /// database gone between the send and its record).
    fn repeat_bound(self) -> usize {
        match self {
            Fault::WorkerKilledMidIntake | Fault::WorkerKilledMidEmail | Fault::DatabaseStopped => {
                1
            }
            _ => 0,
        }
    }
}

/// One experiment's running system.
struct System<'r> {
    rig: &'r Rig,
    name: &'static str,
    config: Config,
    app: App,
    scratch: Option<ScratchDatabase>,
    processes: Vec<Child>,
    spawned: usize,
}

impl Drop for System<'_> {
    fn drop(&mut self) {
        for child in &mut self.processes {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl<'r> System<'r> {
    async fn new(rig: &'r Rig, fault: Fault) -> Self {
        let scratch = ScratchDatabase::create(&rig.database_url, "complaints_chaos")
            .await
            .expect("the chaos cluster runs");
        let mut config = test_config(&scratch.url);
        if fault == Fault::ClusterNodesKilled {
            assert_eq!(
                rig.cluster_urls.len(),
                3,
                "scripts/chaos starts the cluster"
            );
            config.amqp.urls = rig.cluster_urls.clone();
        } else {
            config.amqp.url = Some(rig.amqp_url.clone());
        }
        config.clock.simulated = true;
        config.letters.claim_lease_secs = 10;
        let app = App::new(config.clone()).expect("app");
        app.prepare().await.expect("the chaos node runs");
        let name = fault.name();
        Self {
            rig,
            name,
            config,
            app,
            scratch: Some(scratch),
            processes: Vec::new(),
            spawned: 0,
        }
    }

    /// Starts another `complaints run` with every worker; returns its HTTP port.
    fn spawn(&mut self) -> u16 {
        let http = free_port();
        self.spawned += 1;
        let log = std::fs::File::create(self.rig.logs.join(format!(
            "{}-{}.log",
            self.name.replace([' ', '(', ')'], "-"),
            self.spawned
        )))
        .expect("a log file");
        let c = &self.config;
        let child = Command::new(env!("CARGO_BIN_EXE_complaints"))
            .arg("run")
            .env("COMPLAINTS__DATABASE__URL", &c.database.url)
            .env_remove("COMPLAINTS__AMQP__URL")
            .env("COMPLAINTS__AMQP__URLS", toml_list(c.amqp.nodes()))
            .env("COMPLAINTS__AMQP__NAMESPACE", &c.amqp.namespace)
            .env(
                "COMPLAINTS__AMQP__DELIVERY_LIMIT",
                c.amqp.delivery_limit.to_string(),
            )
            .env("COMPLAINTS__CLOCK__SIMULATED", "true")
            .env("COMPLAINTS__EMAIL__PORT", c.email.port.to_string())
            .env("COMPLAINTS__LETTERS__DISPATCH_DIR", &c.letters.dispatch_dir)
            .env(
                "COMPLAINTS__LETTERS__TEMPLATES_DIR",
                &c.letters.templates_dir,
            )
            .env(
                "COMPLAINTS__LETTERS__CLAIM_LEASE_SECS",
                c.letters.claim_lease_secs.to_string(),
            )
            .env(
                "COMPLAINTS__RELAY__POLL_INTERVAL_MS",
                c.relay.poll_interval_ms.to_string(),
            )
            .env("COMPLAINTS__HTTP__LISTEN", format!("127.0.0.1:{http}"))
            .env("COMPLAINTS__LOG__LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the binary runs");
        self.processes.push(child);
        http
    }

    /// `kill -9` of the first process, and a new one in its place.
    fn kill_and_restart(&mut self) {
        let mut child = self.processes.remove(0);
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        self.spawn();
    }

    fn advance(&self, duration: &str) {
        let output = Command::new(env!("CARGO_BIN_EXE_complaints"))
            .args(["clock", "advance", duration])
            .env("COMPLAINTS__DATABASE__URL", &self.config.database.url)
            .env_remove("COMPLAINTS__AMQP__URL")
            .env(
                "COMPLAINTS__AMQP__URLS",
                toml_list(self.config.amqp.nodes()),
            )
            .env("COMPLAINTS__AMQP__NAMESPACE", &self.config.amqp.namespace)
            .env("COMPLAINTS__CLOCK__SIMULATED", "true")
            .env("COMPLAINTS__LOG__LEVEL", "warn")
            .output()
            .expect("the binary runs");
        assert!(
            output.status.success(),
            "complaints clock advance {duration}"
        );
    }

    async fn count<Q>(&self, query: Q) -> i64
    where
        Q: diesel_async::methods::LoadQuery<'static, diesel_async::AsyncPgConnection, i64>
            + Send
            + 'static,
    {
        match self.app.pool.get().await {
            Ok(mut conn) => query.get_result(&mut conn).await.unwrap_or(-1),
            Err(_) => -1,
        }
    }

    async fn cases(&self) -> i64 {
        self.count(cases::table.count()).await
    }

    /// Messages ready on a queue (-1 when the broker cannot say).
    async fn ready(&self, queue: &str) -> i64 {
        let Ok(connection) =
            complaints::broker::connect(&self.app.config.amqp_urls(), "chaos").await
        else {
            return -1;
        };
        let count = match connection.create_channel().await {
            Ok(channel) => channel
                .queue_declare(
                    queue.into(),
                    QueueDeclareOptions {
                        passive: true,
                        ..Default::default()
                    },
                    FieldTable::default(),
                )
                .await
                .map_or(-1, |q| i64::from(q.message_count())),
            Err(_) => -1,
        };
        let _ = connection.close(200, "counted".into()).await;
        count
    }
}

/// The nodes as a TOML list, for `COMPLAINTS__AMQP__URLS`.
fn toml_list(urls: &[String]) -> String {
    let quoted: Vec<String> = urls.iter().map(|u| format!("{u:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

/// The experiment's complaint number `i`: tier 1 (raised by an MP) three times in four, by
/// post (no email address) one time in four, tier 0 otherwise; categories in rotation.
fn complaint(i: usize) -> Value {
    let mut event = common::complaint(&format!("CUST-CHAOS-{i:05}"));
    let data = &mut event["data"];
    data["received_at"] = json!(chrono::Utc::now() - chrono::Duration::minutes(1));
    data["customer"]["email"] = json!(format!("customer{i}@example.org"));
    let first = CATEGORIES[i % CATEGORIES.len()];
    let second = CATEGORIES[(i / CATEGORIES.len()) % CATEGORIES.len()];
    data["categories"] = if first == second {
        json!([first])
    } else {
        json!([first, second])
    };
    match i % 4 {
        0 | 1 => data["raised_by"] = json!("mp"),
        3 => {
            data["raised_by"] = json!("mp");
            data["customer"].as_object_mut().unwrap().remove("email");
        }
        _ => {}
    }
    event
}

/// Tier 1 complaints among the first `n` (each owes one acknowledgement letter, CMSL5842).
fn tier1(n: usize) -> i64 {
    (0..n).filter(|i| i % 4 != 2).count() as i64
}

/// Poison for the intake queue: not JSON, a CloudEvent its schema refuses, and a complaint
/// whose summary carries a NUL byte (the database refuses it).
fn poison(i: usize) -> Vec<Vec<u8>> {
    let mut refused = common::complaint(&format!("CUST-POISON-{i}"));
    refused["data"].as_object_mut().unwrap().remove("customer");
    let mut nul = common::complaint(&format!("CUST-NUL-{i}"));
    nul["data"]["summary"] = json!("a summary with a NUL \u{0} byte");
    vec![
        b"{ not json".to_vec(),
        serde_json::to_vec(&refused).unwrap(),
        serde_json::to_vec(&nul).unwrap(),
    ]
}

/// One row of the table.
#[derive(Debug, Default)]
struct Figures {
    experiment: &'static str,
    complaints: usize,
    cases: i64,
    cases_twice: i64,
    /// `case.opened` events published (one per case).
    announced: i64,
    letters: i64,
    rendered_twice: usize,
    posted: i64,
    posted_twice: usize,
    emails: usize,
    emails_repeated: usize,
    repeat_bound: usize,
    emails_missing: usize,
    unsent: i64,
    poison: usize,
    poison_with_reason: usize,
    http_refused: usize,
    recovery: Option<Duration>,
}

impl Figures {
    fn broken(&self) -> Vec<&'static str> {
        let mut broken = Vec::new();
        if self.recovery.is_none() {
            broken.push("did not recover");
        }
        if self.cases != self.complaints as i64 || self.cases_twice > 0 {
            broken.push("one case per complaint");
        }
        if self.announced != self.cases {
            broken.push("case.opened published once per case");
        }
        if self.rendered_twice > 0 || self.posted_twice > 0 {
            broken.push("letter rendered or posted twice");
        }
        if self.emails_repeated > self.repeat_bound {
            broken.push("emails repeated beyond the bound");
        }
        if self.emails_missing > 0 {
            broken.push("an email recorded sent never arrived");
        }
        if self.unsent > 0 {
            broken.push("left unsent");
        }
        if self.poison_with_reason < self.poison {
            broken.push("poison without its reason in a dead-letter queue");
        }
        if self.http_refused > 0 {
            broken.push("a duplicate over HTTP was not accepted");
        }
        broken
    }

    fn row(&self) -> String {
        let broken = self.broken();
        format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} ≤ {} | {} | {} | {}/{} | {} | {} |",
            self.experiment,
            self.complaints,
            self.cases,
            self.cases_twice,
            self.announced,
            self.letters,
            self.rendered_twice,
            self.posted,
            self.posted_twice,
            self.emails,
            self.emails_repeated,
            self.repeat_bound,
            self.emails_missing,
            self.unsent,
            self.poison_with_reason,
            self.poison,
            self.recovery
                .map_or("—".into(), |r| format!("{:.1} s", r.as_secs_f64())),
            if broken.is_empty() {
                "ok".to_owned()
            } else {
                format!("**{}**", broken.join("; "))
            },
        )
    }
}

const HEADER: &str = "| experiment | complaints | cases | cases twice | case.opened sent | letters | rendered twice | PDFs | posted twice | emails | repeated ≤ bound | emails missing | unsent | poison dead-lettered with reason | recovery | verdict |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |";

/// Publishes `bodies` (each until the broker confirms it), paced so faults fall mid-stream.
async fn publish_all(app: &App, bodies: Vec<(String, Uuid, Vec<u8>)>, pace: Duration) {
    let mut tick = tokio::time::interval(pace);
    for (routing_key, id, body) in &bodies {
        tick.tick().await;
        let message = Outgoing {
            routing_key,
            body,
            message_id: *id,
        };
        while app.publisher.publish_confirmed(&[message]).await.is_err() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Polls `probe` every 25 ms until it holds or `limit` passes; whether it held.
async fn until<F, Fut>(limit: Duration, mut probe: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if probe().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    false
}

/// The Message-IDs of raw messages.
fn message_ids(messages: &[String]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|m| {
            m.lines()
                .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
                .map(|l| l["message-id:".len()..].trim().to_owned())
        })
        .collect()
}

async fn experiment(rig: &Rig, fault: Fault) -> Figures {
    let n = rig.complaints(fault);
    let mut system = System::new(rig, fault).await;
    let smtp_port = system.config.email.port;
    let mut smtp = Some(SmtpServer::start(smtp_port));
    let mut earlier_messages: Vec<String> = Vec::new();
    let http = system.spawn();
    if matches!(fault, Fault::TwoProcesses | Fault::ClusterNodesKilled) {
        system.spawn();
    }
    let recovery_limit = Duration::from_secs(if rig.full { 600 } else { 240 });

    // Complaints (and, for that experiment, their duplicates and poison), published paced.
    let mut bodies = Vec::new();
    let mut poisons = 0;
    let mut over_http = Vec::new();
    let mut http_refused = 0;
    for i in 0..n {
        let event = complaint(i);
        let id: Uuid = event["id"].as_str().unwrap().parse().unwrap();
        let body = serde_json::to_vec(&event).unwrap();
        bodies.push(("complaint.received".to_owned(), id, body.clone()));
        if fault == Fault::DuplicatesAndPoison {
            bodies.push(("complaint.received".to_owned(), id, body.clone()));
            if i % 10 == 0 {
                over_http.push(body);
            }
            if i % 50 == 25 {
                for bad in poison(i) {
                    poisons += 1;
                    bodies.push(("complaint.received".to_owned(), Uuid::now_v7(), bad));
                }
            }
        }
    }
    let pace = Duration::from_micros(if rig.full { 3000 } else { 10000 });
    let publisher = {
        let app = system.app.clone();
        tokio::spawn(async move { publish_all(&app, bodies, pace).await })
    };
    if !over_http.is_empty() {
        // An intake channel's API client, as `complaints clients add` makes one.
        let token = {
            let id = Uuid::now_v7();
            let token = complaints::auth::new_token(id).expect("a token");
            let mut conn = system.app.pool.get().await.expect("the chaos cluster runs");
            complaints::db::clients::add(
                &mut conn,
                id,
                "chaos-intake",
                &["complaints:write".to_owned()],
                &token.secret_sha256,
                system.app.clock.now(),
            )
            .await
            .expect("an API client");
            token.token
        };
        let client = common::auth::authorised(&token);
        let url = format!("http://127.0.0.1:{http}/v1/events");
        until(Duration::from_secs(30), || async {
            client
                .get(format!("http://127.0.0.1:{http}/healthz"))
                .send()
                .await
                .is_ok()
        })
        .await;
        for body in &over_http {
            for _ in 0..2 {
                let accepted = client
                    .post(&url)
                    .header("content-type", "application/cloudevents+json")
                    .body(body.clone())
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                http_refused += usize::from(!accepted);
            }
        }
    }

    let mut fault_ended = None;
    let third = n as i64 / 3;
    match fault {
        Fault::WorkerKilledMidIntake => {
            until(recovery_limit, || async { system.cases().await >= third }).await;
            system.kill_and_restart();
            fault_ended = Some(Instant::now());
        }
        Fault::BrokerKilled => {
            until(recovery_limit, || async { system.cases().await >= third }).await;
            fault_command("CHAOS_RABBIT_KILL");
            tokio::time::sleep(Duration::from_secs(10)).await; // the outage itself
            tokio::task::spawn_blocking(|| fault_command("CHAOS_RABBIT_START"))
                .await
                .unwrap();
            fault_ended = Some(Instant::now());
        }
        Fault::ClusterNodesKilled => {
            // Both processes connect to the first node that answers, node 1: node 3 first (its
            // queues' replicas only), then node 1 (the connections, and the queues' leaders).
            for (node, at) in [(3, third), (1, 2 * third)] {
                until(recovery_limit, || async { system.cases().await >= at }).await;
                fault_command_with("CHAOS_CLUSTER_KILL", node);
                tokio::time::sleep(Duration::from_secs(5)).await; // the outage itself
                tokio::task::spawn_blocking(move || {
                    fault_command_with("CHAOS_CLUSTER_START", node)
                })
                .await
                .unwrap();
            }
            fault_ended = Some(Instant::now());
        }
        Fault::DatabaseStopped => {
            until(recovery_limit, || async { system.cases().await >= third }).await;
            fault_command("CHAOS_PG_STOP");
            tokio::time::sleep(Duration::from_secs(20)).await; // the outage itself
            fault_command("CHAOS_PG_START");
            fault_ended = Some(Instant::now());
        }
        _ => {}
    }
    publisher.await.unwrap();
    until(recovery_limit, || async {
        system.cases().await >= n as i64
    })
    .await;

    // The acknowledgement letters fall due.
    if fault == Fault::SmtpDown {
        let server = smtp.take().unwrap();
        earlier_messages = server.messages();
        drop(server);
    }
    system.advance("3d");
    match fault {
        Fault::WorkerKilledMidEmail => {
            let dispatched = || async {
                system
                    .count(
                        letters::table
                            .filter(letters::status.ne(stored_letters::AWAITING_EMAIL))
                            .filter(letters::channel.eq("email"))
                            .count(),
                    )
                    .await
            };
            let enough = tier1(n) / 6;
            until(recovery_limit, || async { dispatched().await >= enough }).await;
            system.kill_and_restart();
            fault_ended = Some(Instant::now());
        }
        Fault::SmtpDown => {
            let down = Duration::from_secs(if rig.full { 90 } else { 20 });
            tokio::time::sleep(down).await; // the outage itself
            smtp = Some(SmtpServer::start(smtp_port));
            fault_ended = Some(Instant::now());
        }
        _ => {}
    }
    let started = fault_ended.unwrap_or_else(Instant::now);

    // Settled: every case, every acknowledgement letter made and sent or posted, every team
    // notification sent, the outbox empty, every queue drained, every poison dead-lettered.
    let server = smtp.as_ref().expect("the SMTP server is back");
    let dead_letters = system.app.topology.dead_letter_queue("intake");
    let queues: Vec<String> = complaints::workers::QUEUES
        .iter()
        .map(|q| system.app.topology.queue(q.worker))
        .collect();
    let settled = until(recovery_limit, || async {
        if system.cases().await != n as i64
            || system
                .count(letters::table.filter(letters::code.eq("CMSL5842")).count())
                .await
                != tier1(n)
            || system
                .count(
                    letters::table
                        .filter(letters::status.eq_any([
                            stored_letters::AWAITING_EMAIL,
                            stored_letters::AWAITING_PRINT,
                        ]))
                        .count(),
                )
                .await
                != 0
            || system
                .count(
                    notices::table
                        .filter(notices::status.eq(notifications::PENDING))
                        .count(),
                )
                .await
                != 0
            || system
                .count(outbox::table.filter(outbox::sent_at.is_null()).count())
                .await
                != 0
            || system.ready(&dead_letters).await < poisons as i64
        {
            return false;
        }
        for queue in &queues {
            if system.ready(queue).await != 0 {
                return false;
            }
        }
        true
    })
    .await;
    let recovery = settled.then(|| started.elapsed());

    // The figures.
    let mut conn = system.app.pool.get().await.expect("the database is back");
    let case_events: Vec<Uuid> = cases::table
        .select(cases::cause)
        .load(&mut conn)
        .await
        .unwrap();
    let distinct: HashSet<&Uuid> = case_events.iter().collect();
    let opened_sent: i64 = outbox::table
        .filter(outbox::event_type.eq("case.opened"))
        .filter(outbox::sent_at.is_not_null())
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    let made: Vec<(Uuid, Uuid, String, String, String)> = letters::table
        .select((
            letters::id,
            letters::case_id,
            letters::code,
            letters::channel,
            letters::status,
        ))
        .load(&mut conn)
        .await
        .unwrap();
    let mut per_case_code: HashMap<(Uuid, &str), usize> = HashMap::new();
    for (_, case_id, code, _, _) in &made {
        *per_case_code.entry((*case_id, code.as_str())).or_default() += 1;
    }
    let announced: Vec<Value> = outbox::table
        .filter(outbox::event_type.eq("letter.ready_for_post"))
        .select(outbox::payload)
        .load(&mut conn)
        .await
        .unwrap();
    let mut per_letter: HashMap<String, usize> = HashMap::new();
    for event in &announced {
        *per_letter
            .entry(
                event["data"]["letter_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
            .or_default() += 1;
    }
    let dir = PathBuf::from(&system.config.letters.dispatch_dir);
    let files: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let posted = made
        .iter()
        .filter(|(_, _, _, _, status)| status == stored_letters::READY_FOR_POST)
        .count();
    let sent_notices: Vec<Uuid> = notices::table
        .filter(notices::status.eq(notifications::SENT))
        .select(notices::id)
        .load(&mut conn)
        .await
        .unwrap();
    let unsent = stored_outbox::count_unsent(&mut conn).await.unwrap()
        + stored_letters::count_unsent(&mut conn).await.unwrap()
        + notifications::count_pending(&mut conn).await.unwrap();
    drop(conn);

    let mut messages = earlier_messages;
    messages.extend(server.messages());
    let ids = message_ids(&messages);
    let arrived: HashSet<&String> = ids.iter().collect();
    let domain = &system.config.email.message_id_domain;
    let should_have_arrived: Vec<String> = made
        .iter()
        .filter(|(_, _, _, channel, status)| channel == "email" && status == stored_letters::SENT)
        .map(|(id, ..)| message_id(*id, domain))
        .chain(sent_notices.iter().map(|id| message_id(*id, domain)))
        .collect();

    let (poison_found, poison_with_reason) = dead_lettered(&system, &dead_letters).await;
    assert!(poison_found >= poisons || recovery.is_none());

    let figures = Figures {
        experiment: fault.name(),
        complaints: n,
        cases: case_events.len() as i64,
        cases_twice: (case_events.len() - distinct.len()) as i64,
        announced: opened_sent,
        letters: made.len() as i64,
        rendered_twice: per_case_code.values().filter(|c| **c > 1).count(),
        posted: files.iter().filter(|f| f.ends_with(".pdf")).count() as i64,
        posted_twice: per_letter.values().filter(|c| **c > 1).count()
            + usize::from(files.iter().any(|f| f.ends_with(".partial")))
            + (files.iter().filter(|f| f.ends_with(".pdf")).count()).saturating_sub(posted),
        emails: ids.len(),
        emails_repeated: ids.len() - arrived.len(),
        repeat_bound: fault.repeat_bound() * system.processes.len().max(1),
        emails_missing: should_have_arrived
            .iter()
            .filter(|id| !arrived.contains(id))
            .count(),
        unsent,
        poison: poisons,
        poison_with_reason,
        http_refused,
        recovery,
    };
    let scratch = system.scratch.take().unwrap();
    let app = system.app.clone();
    drop(system);
    if let Ok(connection) = complaints::broker::connect(&app.config.amqp_urls(), "chaos").await {
        if let Ok(channel) = connection.create_channel().await {
            let _ = app
                .topology
                .delete(&channel, complaints::workers::QUEUES)
                .await;
        }
        let _ = connection.close(200, "done".into()).await;
    }
    app.pool.close();
    let _ = scratch.drop_database().await;
    let _ = std::fs::remove_dir_all(&dir);
    figures
}

/// How many messages the dead-letter queue holds, and how many carry `x-complaints-reason`.
async fn dead_lettered(system: &System<'_>, queue: &str) -> (usize, usize) {
    let Ok(connection) = complaints::broker::connect(&system.app.config.amqp_urls(), "chaos").await
    else {
        return (0, 0);
    };
    let channel = connection.create_channel().await.expect("channel");
    let (mut found, mut with_reason) = (0, 0);
    while let Ok(Some(message)) = channel
        .basic_get(queue.into(), BasicGetOptions::default())
        .await
    {
        found += 1;
        let reason = message
            .properties
            .headers()
            .as_ref()
            .and_then(|h| h.inner().get(REASON_HEADER).cloned());
        if reason.is_some() {
            with_reason += 1;
        }
        let _ = message.ack(BasicAckOptions::default()).await;
    }
    let _ = connection.close(200, "read".into()).await;
    (found, with_reason)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by scripts/chaos on a RabbitMQ node and PostgreSQL cluster of its own"]
async fn chaos() {
    let rig = Rig::from_env();
    let mut rows = Vec::new();
    for fault in Fault::ALL {
        eprintln!("==> experiment: {}", fault.name());
        let figures = experiment(&rig, fault).await;
        eprintln!("{HEADER}\n{}", figures.row());
        rows.push(figures);
    }
    report(&rig, &rows, "");
}

/// The cluster experiment alone: `scripts/chaos` runs it on the three nodes of
/// `scripts/cluster` it starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by scripts/chaos on a RabbitMQ cluster of its own"]
async fn cluster() {
    let rig = Rig::from_env();
    let fault = Fault::ClusterNodesKilled;
    eprintln!("==> experiment: {}", fault.name());
    let figures = experiment(&rig, fault).await;
    report(&rig, &[figures], "-cluster");
}

/// Prints the table, writes it beside the report (`suffix` before `.md`), and fails when a
/// bound is broken.
fn report(rig: &Rig, rows: &[Figures], suffix: &str) {
    let table = format!(
        "{HEADER}\n{}\n",
        rows.iter().map(Figures::row).collect::<Vec<_>>().join("\n")
    );
    println!("\n{table}");
    let path = rig.report.with_file_name(format!(
        "{}{suffix}.md",
        rig.report.file_stem().unwrap_or_default().to_string_lossy()
    ));
    let _ = std::fs::write(path, &table);
    let broken: Vec<String> = rows
        .iter()
        .filter(|r| !r.broken().is_empty())
        .map(|r| format!("{}: {}", r.experiment, r.broken().join("; ")))
        .collect();
    assert!(broken.is_empty(), "bounds broken: {broken:#?}");
}
