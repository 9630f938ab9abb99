//! The command line as a user runs it: `log stats`, `log verify`, `example`, `publish`, and
//! `serve`'s errors.

use std::process::{Command, Output};
use std::time::Duration;

use tutorwatch_log::EventLog;

use crate::helpers::*;

fn tutorwatch(args: &[&str]) -> Output {
    Command::new(binary())
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("Failed to run tutorwatch")
}

fn stdout_json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[tokio::test]
async fn example_then_publish_then_stats_and_verify() {
    let nats = NatsServer::start();
    let data = tempfile::tempdir().expect("tempdir");
    let mut service = Service::start(&nats.url(), data.path());
    service.wait_ready().await;

    let listing = tutorwatch(&["example"]);
    assert!(listing.status.success());
    let types = String::from_utf8_lossy(&listing.stdout).lines().count();
    assert_eq!(types, tutorwatch_events::EVENT_TYPES.len());

    // A fee is accepted only about a registered institution, from a bank holding an account
    // there: the registry registers it, the bank opens the account, then the fee.
    let mut files = Vec::new();
    for event_type in [
        "registry.institution_registered",
        "escrow.account_opened",
        "escrow.fee_collected",
    ] {
        let example = tutorwatch(&["example", event_type]);
        assert!(example.status.success());
        let file = data.path().join(format!("{event_type}.json"));
        std::fs::write(&file, &example.stdout).expect("writes");
        files.push(file.to_string_lossy().into_owned());
    }
    let fee = files[2].clone();
    // Before the registration, the fee is refused (dead-lettered): nothing is logged.
    let early = tutorwatch(&["publish", "--nats", &nats.url(), &fee]);
    assert!(early.status.success());
    let url = nats.url();
    let mut args = vec!["publish", "--nats", url.as_str()];
    args.extend(files[..2].iter().map(String::as_str));
    let published = tutorwatch(&args);
    assert!(
        published.status.success(),
        "{}",
        String::from_utf8_lossy(&published.stderr)
    );
    wait_until(
        Duration::from_secs(20),
        "the registration and the account to be logged",
        || async { service.logged_events().await == Some(2) },
    )
    .await;
    // The fee's id was refused, not stored: sent again under a new id it is accepted, and sent
    // once more it is acknowledged as a duplicate and not stored twice.
    let renamed: String = {
        let mut fee_json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&fee).expect("reads")).expect("json");
        fee_json["event_id"] = serde_json::json!(tutorwatch_events::EventId::new_v7().to_string());
        let file = data.path().join("fee-again.json");
        std::fs::write(&file, fee_json.to_string()).expect("writes");
        file.to_string_lossy().into_owned()
    };
    let published = tutorwatch(&["publish", "--nats", &nats.url(), &renamed]);
    assert!(published.status.success());
    assert_eq!(stdout_json(&published)["duplicate"], false);
    let again = tutorwatch(&["publish", "--nats", &nats.url(), &renamed]);
    assert_eq!(stdout_json(&again)["duplicate"], true);

    wait_until(Duration::from_secs(20), "the fee to be logged", || async {
        service.logged_events().await == Some(3)
    })
    .await;

    // The log is locked while serve runs: a clear error, not a hang or a second writer.
    let data_arg = data.path().to_string_lossy().into_owned();
    let locked = tutorwatch(&["log", "stats", "--data", &data_arg]);
    assert!(!locked.status.success());
    assert!(
        String::from_utf8_lossy(&locked.stderr).contains("in use"),
        "{}",
        String::from_utf8_lossy(&locked.stderr)
    );

    assert!(service.terminate().success(), "{}", service.stderr());
    let stats = tutorwatch(&["log", "stats", "--data", &data_arg]);
    assert!(stats.status.success());
    let stats = stdout_json(&stats);
    assert_eq!(stats["events"], 3);
    assert_eq!(stats["last_seq"], 3);

    let verify = tutorwatch(&["log", "verify", "--data", &data_arg]);
    assert!(verify.status.success());
    assert_eq!(stdout_json(&verify)["ok"], true);
}

#[tokio::test]
async fn verify_names_the_first_entry_that_was_tampered_with() {
    let nats = NatsServer::start();
    let data = tempfile::tempdir().expect("tempdir");
    let mut service = Service::start(&nats.url(), data.path());
    service.wait_ready().await;
    let publisher = Publisher::connect(&nats.url()).await;
    publish_all(&publisher, &sample_events(50), |_| true, |_| false).await;
    wait_until(Duration::from_secs(20), "50 events", || async {
        service.logged_events().await == Some(50)
    })
    .await;
    assert!(service.terminate().success(), "{}", service.stderr());

    {
        let log = EventLog::open(&data.path().join("log")).expect("opens");
        let mut record = log.read_from(37, 1).expect("reads").remove(0);
        let last = record.event.len() - 1;
        record.event[last] ^= 0x01;
        log.tamper_for_tests(37, &record.encode()).expect("tampers");
    }
    let data_arg = data.path().to_string_lossy().into_owned();
    let verify = tutorwatch(&["log", "verify", "--data", &data_arg]);
    assert!(!verify.status.success());
    let report = stdout_json(&verify);
    assert_eq!(report["ok"], false);
    assert_eq!(report["first_bad_seq"], 37);
    assert_eq!(report["verified"], 36);
}

#[test]
fn serve_refuses_a_data_directory_it_cannot_create() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").expect("writes");
    let output = Command::new(binary())
        .arg("serve")
        .env("TW_DATA_DIR", file.join("data"))
        .env("TW_NATS_URL", "nats://127.0.0.1:1")
        .env("TW_HTTP_ADDR", "127.0.0.1:0")
        .output()
        .expect("Failed to run tutorwatch");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("creating the data directory"), "{stderr}");
}

#[test]
fn stats_on_a_directory_without_a_log_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = tutorwatch(&["log", "stats", "--data", &dir.path().to_string_lossy()]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("there is no log"));
}

#[test]
fn rules_lists_the_catalogue_with_the_figures_in_force() {
    let output = tutorwatch(&["rules", "--date", "2025-09-01"]);
    assert!(output.status.success(), "{output:?}");
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("ONLINE_LESSON_MAX_30MIN"), "{table}");
    assert!(table.contains("线上培训每课时不超过30分钟"), "{table}");
    assert!(
        table.contains("online_lesson_max_seconds = 30 分钟  (自 2021-07-24, 全国)"),
        "{table}"
    );
    assert!(table.contains("中办发〔2021〕40号"), "{table}");
    let english = tutorwatch(&["rules", "--date", "2025-09-01", "--lang", "en"]);
    let table = String::from_utf8_lossy(&english.stdout);
    assert!(
        table.contains("online_lesson_max_seconds = 30 min  (since 2021-07-24, national)"),
        "{table}"
    );
    // The JSON is the API's document: every rule once, Jiangsu's own rest-day wording.
    let json = stdout_json(&tutorwatch(&[
        "rules",
        "--json",
        "--date",
        "2025-09-01",
        "--region",
        "320102",
    ]));
    let ids: Vec<&str> = json["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    let distinct: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), distinct.len());
    assert!(ids.len() >= 30);
    let rest_day = json["rules"]
        .as_array()
        .and_then(|rules| {
            rules
                .iter()
                .flat_map(|r| r["figures"].as_array().into_iter().flatten())
                .find(|f| f["key"] == "rest_day_rule")
        })
        .expect("rest_day_rule");
    assert_eq!(rest_day["level"], "320000");
    // A region that does not exist is refused, naming the table.
    let refused = tutorwatch(&["rules", "--region", "449900"]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("GB/T 2260"), "{stderr}");
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    // `tutorwatch rules | head -1`: the pipe closes before the table is written.
    let mut child = Command::new(binary())
        .args(["rules", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("runs");
    assert!(output.status.success(), "{output:?}");
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("error"),
        "{output:?}"
    );
}
