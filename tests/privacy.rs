//! No log line carries a customer's personal data: the workers and the HTTP server run as a
//! `complaints run` process with debug logging, a complaint is posted over HTTP and opens its
//! case, a bad one is refused with reasons, the case is read over HTTP, and the
//! log is searched for the customer's name, address, email, phone and complaint text (and the
//! API client's token).

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::auth::authorised;
use common::{case_opened_by, complaint, free_port, wait_for_within, SmtpServer, TestEnv};
use complaints::vocabulary::Scope;
use serde_json::json;

const NAME: &str = "Philomena Drinkwater-Oyelaran";
const STREET: &str = "27 Quince Tree Lane";
const EMAIL: &str = "philomena.drinkwater@example.org";
const PHONE: &str = "01632 960 417";
const TEXT: &str = "The arrears letter frightened my daughter badly";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_log_line_carries_personal_data() {
    let env = TestEnv::start(&[]).await;
    let _smtp = SmtpServer::start(env.app.config.email.port);
    let token = env
        .client_token(
            "privacy-web-form",
            &[Scope::ComplaintsWrite, Scope::CasesRead],
        )
        .await;
    let log = std::env::temp_dir().join(format!("complaints-privacy-{}.log", uuid::Uuid::new_v4()));
    let config = &env.app.config;
    let listen = format!("127.0.0.1:{}", free_port());
    let mut workers = Command::new(env!("CARGO_BIN_EXE_complaints"))
        .arg("run")
        .env("COMPLAINTS__DATABASE__URL", &config.database.url)
        .env("COMPLAINTS__AMQP__NAMESPACE", &config.amqp.namespace)
        .env(
            "COMPLAINTS__AMQP__DELIVERY_LIMIT",
            config.amqp.delivery_limit.to_string(),
        )
        .env("COMPLAINTS__HTTP__LISTEN", &listen)
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
    let http = authorised(&token);
    let url = |path: &str| format!("http://{listen}{path}");
    let workers_pid = workers.id();
    let started = wait_for_within("the HTTP server", Duration::from_secs(60), || async {
        if !std::path::Path::new(&format!("/proc/{workers_pid}")).exists() {
            return Some(Err("exited"));
        }
        let ready = reqwest::get(url("/healthz")).await.ok()?;
        ready.status().is_success().then_some(Ok(()))
    })
    .await;
    if let Err(status) = started {
        panic!(
            "complaints run stopped ({status}): {}",
            std::fs::read_to_string(&log).unwrap()
        );
    }

    let mut event = complaint("CUST-PRIVACY");
    event["data"]["customer"]["name"] = json!(NAME);
    event["data"]["customer"]["address"]["lines"] = json!([STREET, "Ware"]);
    event["data"]["customer"]["email"] = json!(EMAIL);
    event["data"]["customer"]["phone"] = json!(PHONE);
    event["data"]["summary"] = json!(TEXT);
    // The first is accepted; the second (the same customer, without a category) is refused
    // with reasons, which must not echo the data either.
    let accepted = http
        .post(url("/v1/events"))
        .json(&event)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 202);
    let mut bad = complaint("CUST-PRIVACY");
    bad["data"] = event["data"].clone();
    bad["data"]["categories"] = json!([]);
    bad["data"]["customer"]["email"] = json!(format!("{NAME} at {EMAIL}"));
    let refused = http
        .post(url("/v1/events"))
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);

    let case = case_opened_by(&env, event["id"].as_str().unwrap()).await;
    let read = http
        .get(url(&format!("/v1/cases/{}", case.reference)))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    assert!(
        read.text().await.unwrap().contains(NAME),
        "the case itself holds the data"
    );
    let _ = Command::new("kill").arg(workers.id().to_string()).status();
    let _ = workers.wait();
    let logs = std::fs::read_to_string(&log).unwrap();
    std::fs::remove_file(&log).unwrap();
    assert!(
        logs.contains(&case.reference) || logs.contains("DEBUG"),
        "the workers logged at debug level"
    );
    let lower = logs.to_lowercase();
    for personal in [
        NAME,
        "drinkwater",
        STREET,
        EMAIL,
        PHONE,
        TEXT,
        "frightened",
        token.as_str(),
    ] {
        assert!(
            !lower.contains(&personal.to_lowercase()),
            "`{personal}` is in the log:\n{}",
            logs.lines()
                .filter(|l| l.to_lowercase().contains(&personal.to_lowercase()))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    env.stop().await;
}

/// Dead letters hold personal data: their queues discard a message after
/// `amqp.dead_letter_ttl_days`. The broker confirms the queue's TTL by accepting a declaration
/// with exactly that `x-message-ttl` and refusing one without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_expire_after_the_configured_days() {
    use complaints::broker::topology::long_string;
    use lapin::options::QueueDeclareOptions;
    use lapin::types::{AMQPValue, FieldTable};

    let env = TestEnv::start_with(&[], |c| c.amqp.dead_letter_ttl_days = 7).await;
    let queue = env.app.topology.dead_letter_queue("intake");
    let declare = |ttl: Option<i64>| {
        let queue = queue.clone();
        let app = env.app.clone();
        async move {
            let connection = common::amqp(&app).await;
            let channel = connection.create_channel().await.unwrap();
            let mut args = FieldTable::default();
            args.insert("x-queue-type".into(), long_string("quorum"));
            // The broker compares every argument, so the declaration repeats the topology's
            // replication setting too.
            args.insert(
                "x-quorum-initial-group-size".into(),
                AMQPValue::LongUInt(app.config.amqp.quorum_initial_group_size),
            );
            if let Some(ttl) = ttl {
                args.insert("x-message-ttl".into(), AMQPValue::LongLongInt(ttl));
            }
            let declared = channel
                .queue_declare(
                    queue.as_str().into(),
                    QueueDeclareOptions {
                        durable: true,
                        ..Default::default()
                    },
                    args,
                )
                .await;
            let _ = connection.close(200, "done".into()).await;
            declared.map(|_| ()).map_err(|e| e.to_string())
        }
    };
    declare(Some(7 * 24 * 60 * 60 * 1000))
        .await
        .expect("the queue's TTL is 7 days");
    let without = declare(None).await.expect_err("the queue has a TTL");
    assert!(without.contains("x-message-ttl"), "{without}");
    env.stop().await;
}
