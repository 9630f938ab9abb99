//! A generated city end to end: `tutorwatch gen` publishes it to a private nats-server, the real
//! `serve` ingests and projects it, and `tutorwatch check` finds every planted finding and
//! nothing else (precision = recall = 1), also after the README's walkthrough was followed in the
//! same data directory. A truth file with one line dropped must fail.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use crate::helpers::*;

fn tutorwatch(args: &[&str]) -> Output {
    Command::new(binary())
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("Failed to run tutorwatch")
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .expect("Failed to read a generated file")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Publishes the README's example events (`tutorwatch example`, `publish --admin`) in its order;
/// returns how many.
fn readme_walkthrough(dir: &Path, nats: &str) -> usize {
    let mut files = Vec::new();
    for (name, event_type) in [
        ("reg.json", "registry.institution_registered"),
        ("account.json", "escrow.account_opened"),
        ("fee.json", "escrow.fee_collected"),
        ("fee2.json", "escrow.fee_collected"),
    ] {
        let out = tutorwatch(&["example", event_type]);
        assert!(out.status.success(), "{out:?}");
        let path = dir.join(name);
        std::fs::write(&path, &out.stdout).expect("Failed to write an example");
        files.push(path.to_string_lossy().into_owned());
    }
    let mut command = vec!["publish", "--admin", "--nats", nats];
    command.extend(files.iter().map(String::as_str));
    let out = tutorwatch(&command);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    files.len()
}

fn check(data: &Path, truth: &Path) -> (Output, serde_json::Value) {
    let output = tutorwatch(&[
        "check",
        "--data",
        &data.to_string_lossy(),
        "--truth",
        &truth.to_string_lossy(),
        "--json",
    ]);
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "check printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output, report)
}

#[tokio::test]
async fn a_generated_city_is_found_exactly() {
    let work = tempfile::tempdir().expect("tempdir");
    let city = work.path().join("city");
    let data = work.path().join("data");
    let args = ["gen", "--seed", "11", "--institutions", "100"];
    let out = tutorwatch(&[&args[..], &["--out", &city.to_string_lossy()]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = lines(&city.join("events.jsonl")).len();
    let truth = lines(&city.join("truth.jsonl"));
    assert!(events > 2_000, "only {events} events");
    assert!(
        truth.len() >= 50 && truth.len() * 20 < events,
        "{} expected findings",
        truth.len()
    );

    let nats = NatsServer::start();
    let mut service = Service::start(&nats.url(), &data);
    service.wait_ready().await;
    // The README's walkthrough first, in the same data directory: a registration, an account and
    // two fees of the sample institution from bank-1. What it raises is about the sample
    // institution, not the city's, and it moves no clock the city's rules are judged by.
    let walkthrough = readme_walkthrough(work.path(), &nats.url());
    let published = tutorwatch(&[&args[..], &["--publish", &nats.url()]].concat());
    assert!(
        published.status.success(),
        "{}",
        String::from_utf8_lossy(&published.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&published.stdout).trim(),
        format!("events: {events}")
    );
    let expected_seq = (events + walkthrough) as u64;
    wait_until(
        Duration::from_secs(60),
        "the projector to catch up with every event",
        || async {
            match service.get_json("/v1/log/stats").await {
                Some((_, body)) => {
                    body["events"].as_u64() == Some(expected_seq)
                        && body["projector"]["applied_seq"].as_u64() == Some(expected_seq)
                }
                None => false,
            }
        },
    )
    .await;
    assert!(service.terminate().success(), "{}", service.stderr());

    let (output, report) = check(&data, &city.join("truth.jsonl"));
    assert!(output.status.success(), "{report:#}");
    assert_eq!(report["precision"], "1.000000", "{report:#}");
    assert_eq!(report["recall"], "1.000000", "{report:#}");
    assert_eq!(report["expected"], truth.len());
    assert_eq!(report["found"], truth.len());
    assert!(report["rules"]["ONLINE_LESSON_MAX_30MIN"]["expected"].as_u64() >= Some(4));

    // Every finding says what it found in Chinese too (what officers read by default), and
    // every rule the city plants does so.
    let listed = tutorwatch(&[
        "findings",
        "--data",
        &data.to_string_lossy(),
        "--limit",
        "1000",
    ]);
    assert!(listed.status.success(), "{listed:?}");
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("JSON");
    let findings = listed["findings"].as_array().expect("findings");
    let rules_found: std::collections::BTreeSet<&str> =
        findings.iter().filter_map(|f| f["rule"].as_str()).collect();
    let rules_planted: std::collections::BTreeSet<String> = truth
        .iter()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|expected| expected["rule"].as_str().map(str::to_owned))
        .collect();
    assert!(rules_planted.len() >= 30, "{rules_planted:?}");
    assert!(
        rules_planted
            .iter()
            .all(|rule| rules_found.contains(rule.as_str())),
        "{rules_planted:?} vs {rules_found:?}"
    );
    for finding in findings {
        let zh = finding["description_zh"].as_str().unwrap_or_default();
        assert!(
            zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{} has no Chinese sentence: {finding}",
            finding["rule"]
        );
    }

    // Without one expected finding, that finding is extra: precision drops and check fails.
    let short = work.path().join("short.jsonl");
    std::fs::write(&short, truth[1..].join("\n")).expect("Failed to write");
    let (output, report) = check(&data, &short);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    assert_eq!(report["extra"].as_array().map(Vec::len), Some(1));
    assert_eq!(report["recall"], "1.000000");
}
