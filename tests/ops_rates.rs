//! The ops page charts what arrives on each queue as well as what is handled (from depth
//! samples every process serving HTTP takes), and shows the scheduler's and the outbox relay's
//! latest work.

mod common;

use common::auth::authorised;
use common::{complaint, wait_for, TestEnv};
use complaints::http::ops::sample_once;
use complaints::supervisor::WorkerKind;
use complaints::vocabulary::Scope;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_what_arrived_on_a_queue_and_the_timeless_workers_latest_work() {
    // HTTP only: complaints wait in the intake queue, none handled.
    let env = TestEnv::start(&[WorkerKind::Http]).await;
    let operator = authorised(&env.client_token("operator", &[Scope::Ops]).await);
    sample_once(&env.app).await.expect("a first sample");
    for n in 0..3 {
        env.publish(&complaint(&format!("CUST-ARRIVED-{n}"))).await;
    }
    let page = wait_for("three complaints arrived on the intake queue", || async {
        sample_once(&env.app).await.expect("a sample");
        let page = operator
            .get(env.url("/ops/live"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let cell = page.split("data-arrived=\"intake\"").nth(1)?;
        cell.split("</td>")
            .next()?
            .trim_end()
            .ends_with("</svg> 3")
            .then_some(page)
    })
    .await;
    assert!(
        page.contains("3 arrived in the last hour"),
        "the chart says it in words"
    );
    assert!(
        page.contains("Scheduler: last fired a timer never.")
            && page.contains("Outbox relay: last published an event never."),
        "nothing fired or published in this namespace yet"
    );
    env.stop().await;
}
