//! The /ops page in a real browser (Debian's chromium driven through chromium-driver, both
//! installed by scripts/ops-tools from scripts/test): an operator signs in with the token, sees
//! a queue's depth change as complaints are published (the page refreshes itself), and replays
//! a dead letter through the confirmation step, after which its case opens. With
//! `COMPLAINTS_OPS_SCREENSHOT=docs/ops-page.png` the test also saves a screenshot of the page.

mod common;

use std::process::{Child, Command, Stdio};

use common::{case_opened_by, complaint, free_port, wait_for, TestEnv};
use complaints::supervisor::{self, WorkerKind};
use complaints::vocabulary::Scope;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// chromedriver on a port of its own, killed when dropped.
struct Driver(Child, u16);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_driver() -> Driver {
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is installed (scripts/ops-tools installs chromium-driver)");
    Driver(child, port)
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1600"] }),
    );
    let url = format!("http://127.0.0.1:{}", driver.1);
    wait_for("chromedriver to accept a session", || {
        let caps = caps.clone();
        let url = url.clone();
        async move {
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps)
                .connect(&url)
                .await
                .ok()
        }
    })
    .await
}

async fn text_of(client: &Client, css: &str) -> Option<String> {
    client.find(Locator::Css(css)).await.ok()?.text().await.ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_watches_a_queue_and_replays_a_dead_letter_in_a_browser() {
    // HTTP only at first: published complaints wait in the intake queue.
    let env = TestEnv::start(&[WorkerKind::Http]).await;
    // An operator: an API client with the `ops` scope, signing in once with its token.
    let token = env.client_token("night-operator", &[Scope::Ops]).await;
    let driver = start_driver();
    let client = browser(&driver).await;

    client.goto(&env.url("/ops")).await.unwrap();
    wait_for("the sign-in page", || async {
        client.find(Locator::Id("token")).await.ok()
    })
    .await
    .send_keys(&token)
    .await
    .unwrap();
    client
        .find(Locator::Id("sign-in"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for("the ops page, intake queue empty", || async {
        (text_of(&client, "[data-depth=intake]").await.as_deref() == Some("0")).then_some(())
    })
    .await;
    assert_eq!(text_of(&client, "h1").await.as_deref(), Some("Operations"));

    for n in 0..3 {
        env.publish(&complaint(&format!("CUST-OPS-{n}"))).await;
    }
    wait_for("the page to show 3 waiting in intake", || async {
        (text_of(&client, "[data-depth=intake]").await.as_deref() == Some("3")).then_some(())
    })
    .await;
    let row = text_of(&client, "#queue-intake").await.unwrap();
    assert!(row.contains("No consumer"), "{row}");

    // A complaint dead-lettered while the database was down; then the intake worker starts.
    let stuck = complaint("CUST-OPS-STUCK");
    let stuck_id = stuck["id"].as_str().unwrap().to_owned();
    env.dead_letter_directly(
        "intake",
        &serde_json::to_vec(&stuck).unwrap(),
        "delivery_limit",
        "database unavailable",
    )
    .await;
    let shutdown = CancellationToken::new();
    let mut intake = supervisor::start(&env.app, &[WorkerKind::Intake], None, &shutdown)
        .expect("the intake worker starts");
    let replay = wait_for("the dead letter's replay link", || async {
        client
            .find(Locator::Css(&format!("[data-replay='{stuck_id}']")))
            .await
            .ok()
    })
    .await;
    wait_for("the page to show intake drained", || async {
        (text_of(&client, "[data-depth=intake]").await.as_deref() == Some("0")).then_some(())
    })
    .await;
    if let Ok(path) = std::env::var("COMPLAINTS_OPS_SCREENSHOT") {
        let png = client.screenshot().await.unwrap();
        std::fs::write(path, png).unwrap();
    }
    replay.click().await.unwrap();
    let confirm = wait_for("the confirmation page", || async {
        client.find(Locator::Id("confirm")).await.ok()
    })
    .await;
    assert!(text_of(&client, "h1")
        .await
        .unwrap()
        .contains("Replay this dead letter?"));
    confirm.click().await.unwrap();
    let done = wait_for("the confirmation banner", || async {
        text_of(&client, "#done").await
    })
    .await;
    assert!(done.contains("Replayed 1"), "{done}");
    case_opened_by(&env, &stuck_id).await;
    wait_for("no dead letters on the page", || async {
        client.find(Locator::Id("no-dead-letters")).await.ok()
    })
    .await;
    let actions = text_of(&client, "#actions + table")
        .await
        .unwrap_or_default();
    assert!(actions.contains("replayed"), "{actions}");

    client.close().await.unwrap();
    drop(driver);
    shutdown.cancel();
    while intake.join_next().await.is_some() {}
    env.stop().await;
}
