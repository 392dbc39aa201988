//! `complaints bench casework --cases N`: decisions per second through the casework worker's
//! state machine. N tier 0 cases are opened through intake (not timed), then four decisions a
//! case are published in rounds and the casework worker is timed until every case is closed,
//! with the CPU each part used per decision ([`super::cpu`]).

use std::time::{Duration, Instant};

use clap::Args;
use tokio_util::sync::CancellationToken;

use super::cpu::CpuTimes;
use super::{complaints, publish_all, wait_for_count};
use crate::app::App;
use crate::staff::StaffMember;
use crate::supervisor::{self, WorkerKind};
use crate::vocabulary::{Grade, StaffRole};

/// Arguments of `complaints bench casework`.
#[derive(Debug, Args)]
pub struct CaseworkArgs {
    /// Cases to open and carry to a close.
    #[arg(long, default_value_t = 5_000)]
    pub cases: usize,
}

/// Runs the benchmark in `app`'s (scratch) database and namespace and prints its figures.
pub async fn run(app: &App, args: CaseworkArgs) -> anyhow::Result<()> {
    let CaseworkArgs { cases: count } = args;
    app.prepare().await?;
    eprintln!("opening {count} tier 0 cases through intake…");
    let shutdown = CancellationToken::new();
    let mut workers = supervisor::start(app, &[WorkerKind::Intake], None, &shutdown)?;
    publish_all(&app.publisher, "complaint.received", &complaints(count)).await?;
    let mut conn = app.pool.get().await?;
    let references: Vec<String> = loop {
        let opened = crate::db::bench::case_references(&mut conn).await?;
        if opened.len() >= count {
            break opened;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    shutdown.cancel();
    while workers.join_next().await.is_some() {}
    // The caseworker the decisions name, so the staff directory allows them.
    let bench_caseworker = StaffMember {
        staff_id: "bench".into(),
        team: "Bench".into(),
        roles: vec![StaffRole::Caseworker],
        grade: Grade::Eo,
        active: true,
    };
    crate::db::staff::import(&mut conn, &[bench_caseworker], app.clock.now()).await?;
    // The statistics autovacuum would have gathered on a running system's tables by now.
    crate::db::bench::analyze(&mut conn).await?;

    let rounds = decision_rounds(&references);
    let decisions: usize = rounds.iter().map(|(_, bodies)| bodies.len()).sum();
    eprintln!("casework: {decisions} decisions on {count} cases…");
    let shutdown = CancellationToken::new();
    let mut workers = supervisor::start(app, &[WorkerKind::Casework], None, &shutdown)?;
    let cpu_before = CpuTimes::sample(None);
    let started = Instant::now();
    let publishing = {
        let publisher = app.publisher.clone();
        tokio::spawn(async move {
            for (event_type, bodies) in &rounds {
                publish_all(&publisher, event_type, bodies).await?;
            }
            anyhow::Ok(())
        })
    };
    wait_for_count(count, "cases closed", async || {
        Ok(crate::db::bench::count_closed_cases(&mut conn).await?)
    })
    .await?;
    let elapsed = started.elapsed();
    let cpu = CpuTimes::sample(None).since(&cpu_before);
    publishing.await??;
    shutdown.cancel();
    while workers.join_next().await.is_some() {}
    let refused =
        crate::db::bench::count_events(&mut conn, crate::events::command_rejected::TYPE).await?;
    println!("complaints bench casework --cases {count}");
    println!(
        "  decisions applied (publish → state stored, timeline, events): {:>8.0} decisions/s ({decisions} in {:.2} s)",
        decisions as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    println!(
        "  cases carried from open to closed:                             {:>8.0} cases/s",
        count as f64 / elapsed.as_secs_f64()
    );
    println!("  decisions refused:                                             {refused:>8}");
    println!("  {}", cpu.per_unit(decisions, "decision", elapsed));
    Ok(())
}

/// The decisions that carry each tier 0 case from open to closed, a round per decision type
/// so that each case sees them in order.
fn decision_rounds(references: &[String]) -> Vec<(&'static str, Vec<Vec<u8>>)> {
    let plan = serde_json::json!({
        "grounds": ["The payment was late"],
        "actions": [{ "id": "A1", "kind": "apology", "description": "Apologise", "due_on": "2026-12-10" }],
        "by": "bench",
    });
    let agreed = serde_json::json!({
        "actions": [{ "id": "A1", "description": "Apologise", "due_on": "2026-12-10" }],
    });
    let done = serde_json::json!({ "action_id": "A1" });
    let closure = serde_json::json!({
        "resolution_code": "Actions Complete – Client OK",
        "customer_reached": true,
        "by": "bench",
        "letter_fields": {
            "explanation": "A system fault held the payment.",
            "apology": "We are sorry.",
            "corrective_action": "The payment is released.",
        },
    });
    [
        ("resolution_plan.drafted", plan),
        ("resolution_plan.agreed", agreed),
        ("action.completed", done),
        ("closure.decided", closure),
    ]
    .into_iter()
    .map(|(event_type, data)| {
        let bodies = references
            .iter()
            .map(|reference| {
                let event = crate::events::CloudEvent::new(
                    event_type,
                    chrono::Utc::now(),
                    Some(reference.clone()),
                    data.clone(),
                );
                serde_json::to_vec(&event).expect("JSON serialises")
            })
            .collect();
        (event_type, bodies)
    })
    .collect()
}
