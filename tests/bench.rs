//! `complaints bench pipeline` runs end to end with tiny numbers: every worker, the realistic
//! mix, both offered loads' latencies, the clock advance and the acknowledgement letters
//! emailed to a real SMTP server, with the workers in a `complaints run` process of their own. The figures are not checked (CI machines vary); that every
//! complaint got through and every letter due went out is.

mod common;

use common::{test_config, SmtpServer};
use complaints::cli::bench::pipeline::{measure, Mix, PipelineArgs};

#[tokio::test]
async fn the_pipeline_benchmark_runs_every_stage() {
    let mut config = test_config("postgres://postgres@127.0.0.1:5432/postgres");
    let _smtp = SmtpServer::start(config.email.port);
    // The benchmark makes its own scratch database and namespace from these.
    config.amqp.namespace = String::new();
    let report = measure(
        config,
        PipelineArgs {
            count: 60,
            rates: vec![40, 80],
            seconds: 1,
            letters_seconds: 60,
            mix: Mix::Realistic,
            in_process: false,
            workers_binary: Some(env!("CARGO_BIN_EXE_complaints").into()),
        },
    )
    .await
    .expect("the benchmark runs");

    assert!(report.throughput.committed <= report.throughput.fanned_out);
    let offered: Vec<(u32, usize)> = report.latencies.iter().map(|l| (l.rate, l.count)).collect();
    assert_eq!(offered, [(40, 40), (80, 80)]);
    assert!(report
        .latencies
        .iter()
        .all(|l| l.p50 <= l.p99 && l.p99 <= l.max));
    // About a fifth of the realistic mix opens at tier 1 with a 48-hour clock.
    let letters = &report.letters;
    assert!(letters.due > 0, "some acknowledgement clocks were pending");
    assert_eq!(letters.rendered, letters.due, "one letter per clock");
    assert_eq!(letters.emailed, letters.due, "every letter emailed");
    assert!(report.peak_rss_kib.is_some_and(|kib| kib > 0));
    let printed = report.to_string();
    eprint!("{printed}");
    assert!(printed.contains("complaints bench pipeline --count 60 --rates 40,80"));
}
