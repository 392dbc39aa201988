//! The alerting files are code: the Grafana dashboard loads as a dashboard, and every metric
//! the dashboard and the alert rules name is one the code emits. (`promtool check rules` and
//! `promtool test rules` run in scripts/test.)

use std::collections::BTreeSet;
use std::path::Path;

use regex::Regex;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Every `complaints_…` metric name in `text`, without Prometheus' histogram suffixes.
fn metric_names(text: &str) -> BTreeSet<String> {
    let name = Regex::new(r"complaints_[a-z_]+").unwrap();
    name.find_iter(text)
        .map(|m| {
            let n = m.as_str();
            ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| n.strip_suffix(suffix))
                .unwrap_or(n)
                .to_owned()
        })
        .collect()
}

/// The text of every Rust source file under `dir`.
fn sources(dir: &Path, into: &mut String) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
}

#[test]
fn the_dashboard_loads_and_every_metric_it_or_an_alert_names_is_emitted() {
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(ROOT).join("ops/grafana/complaints.json")).unwrap(),
    )
    .expect("the dashboard is JSON");
    assert_eq!(dashboard["uid"], "complaints");
    let panels = dashboard["panels"].as_array().expect("panels");
    assert!(panels.len() >= 10);
    let mut exprs = String::new();
    for panel in panels {
        assert!(panel["title"].as_str().is_some_and(|t| !t.is_empty()));
        let targets = panel["targets"].as_array().expect("each panel queries");
        assert!(!targets.is_empty(), "{}", panel["title"]);
        for target in targets {
            exprs.push_str(target["expr"].as_str().expect("an expression"));
            exprs.push('\n');
        }
    }
    let alerts =
        std::fs::read_to_string(Path::new(ROOT).join("ops/prometheus/alerts.yml")).unwrap();

    let mut code = String::new();
    sources(&Path::new(ROOT).join("src"), &mut code);
    sources(&Path::new(ROOT).join("workers"), &mut code);
    let names = metric_names(&exprs)
        .into_iter()
        .chain(metric_names(&alerts));
    let missing: Vec<_> = names
        .filter(|n| !code.contains(&format!("\"{n}\"")))
        .collect();
    assert!(missing.is_empty(), "not emitted by the code: {missing:?}");
    for wanted in [
        "complaints_queue_messages",
        "complaints_queue_consumers",
        "complaints_timers_overdue",
        "complaints_outbox_pending",
        "complaints_cases_near_breach",
    ] {
        assert!(alerts.contains(wanted), "an alert watches {wanted}");
    }
}
