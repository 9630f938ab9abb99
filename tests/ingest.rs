//! Ingest end to end: NATS JetStream in, the sled log out.

use std::time::Duration;

use crate::helpers::*;
use tutorwatch_events::{examples::one_of_each, Envelope};
use tutorwatch_log::EventLog;

#[tokio::test]
async fn every_event_type_is_logged_once_from_postcard_and_json() {
    let nats = NatsServer::start();
    let data = tempfile::tempdir().expect("tempdir");
    let mut service = Service::start(&nats.url(), data.path());
    service.wait_ready().await;
    let publisher = Publisher::connect(&nats.url()).await;

    let postcard = one_of_each();
    let json = one_of_each();
    publish_all(&publisher, &postcard, |_| true, |_| false).await;
    publish_all(&publisher, &json, |_| true, |_| true).await;
    let expected = postcard.len() + json.len();
    wait_until(
        Duration::from_secs(20),
        "every event to be logged",
        || async { service.logged_events().await == Some(expected as u64) },
    )
    .await;
    assert!(service.terminate().success(), "{}", service.stderr());

    let log = EventLog::open(&data.path().join("log")).expect("opens");
    let logged: Vec<Envelope> = log
        .read_from(1, 1_000)
        .expect("reads")
        .iter()
        .map(|r| r.envelope().expect("decodes"))
        .collect();
    let published: Vec<Envelope> = postcard.into_iter().chain(json).collect();
    assert_eq!(
        logged, published,
        "the log holds exactly what was published, in order"
    );
}

#[tokio::test]
async fn ten_thousand_events_with_a_thousand_duplicates_give_ten_thousand_entries() {
    let nats = NatsServer::start();
    let data = tempfile::tempdir().expect("tempdir");
    let mut service = Service::start(&nats.url(), data.path());
    service.wait_ready().await;
    let publisher = Publisher::connect(&nats.url()).await;

    let events = sample_events(10_000);
    // 1,000 duplicates: half carry Nats-Msg-Id (JetStream's window drops them), half do not
    // (they reach ingest, and the log's id index must drop them).
    let mut stream: Vec<Envelope> = events.clone();
    for i in 0..1_000 {
        stream.insert(i * 10 + 5, events[i * 7].clone());
    }
    publish_all(&publisher, &stream, |i| i % 2 == 0, |i| i % 5 == 0).await;
    wait_until(
        Duration::from_secs(60),
        "10,000 events to be logged",
        || async {
            ingest_drained(&publisher.js).await && service.logged_events().await == Some(10_000)
        },
    )
    .await;
    assert!(service.terminate().success(), "{}", service.stderr());

    let ids = logged_ids(data.path());
    assert_eq!(ids.len(), 10_000);
    let expected: std::collections::BTreeSet<_> = events.iter().map(|e| e.event_id).collect();
    assert_eq!(distinct(&ids), expected);
}

#[tokio::test]
async fn a_restarted_service_resumes_where_it_left_off() {
    let nats = NatsServer::start();
    let data = tempfile::tempdir().expect("tempdir");
    let mut service = Service::start(&nats.url(), data.path());
    service.wait_ready().await;
    let publisher = Publisher::connect(&nats.url()).await;
    let events = sample_events(300);
    publish_all(&publisher, &events[..100], |_| true, |_| false).await;
    wait_until(Duration::from_secs(20), "the first 100", || async {
        service.logged_events().await == Some(100)
    })
    .await;
    assert!(service.terminate().success(), "{}", service.stderr());

    // Published while the service is down: waits in JetStream.
    publish_all(&publisher, &events[100..], |_| true, |_| false).await;
    service.restart();
    service.wait_ready().await;
    wait_until(Duration::from_secs(20), "all 300", || async {
        ingest_drained(&publisher.js).await && service.logged_events().await == Some(300)
    })
    .await;
    assert!(service.terminate().success(), "{}", service.stderr());
    let ids = logged_ids(data.path());
    let expected: Vec<_> = events.iter().map(|e| e.event_id).collect();
    assert_eq!(ids, expected, "in publish order, each once");
}

#[tokio::test]
async fn ingest_survives_a_nats_restart() {
    let mut nats = NatsServer::start();
    let data = tempfile::tempdir().expect("tempdir");
    // A delay between "durable" and "acked" makes the broker die while a batch is in hand, and a
    // short ack wait has JetStream redeliver that batch soon after it is back.
    let mut service = Service::start_with_config(
        &nats.url(),
        data.path(),
        "[ingest]\nfault_ack_delay_ms = 300\nack_wait_secs = 2\n",
    );
    service.wait_ready().await;
    let events = sample_events(400);
    {
        let publisher = Publisher::connect(&nats.url()).await;
        publish_all(&publisher, &events[..200], |_| true, |_| false).await;
    }
    wait_until(
        Duration::from_secs(20),
        "the first batch to be durable",
        || async { service.logged_events().await.is_some_and(|n| n > 0) },
    )
    .await;
    nats.stop();
    // Without NATS the service stays up and says it is not ready.
    wait_until(Duration::from_secs(20), "/readyz to answer 503", || async {
        matches!(service.get_json("/readyz").await, Some((503, _)))
    })
    .await;
    nats.restart();
    let publisher = Publisher::connect(&nats.url()).await;
    publish_all(&publisher, &events[200..], |_| true, |_| false).await;
    wait_until(
        Duration::from_secs(60),
        "ingest to resume by itself after the restart",
        || async {
            ingest_drained(&publisher.js).await && service.logged_events().await == Some(400)
        },
    )
    .await;
    service.wait_ready().await;
    assert!(service.terminate().success(), "{}", service.stderr());
    let ids = logged_ids(data.path());
    let expected: std::collections::BTreeSet<_> = events.iter().map(|e| e.event_id).collect();
    assert_eq!(distinct(&ids), expected);
}

/// Copies a stopped service's data directory (`cp -a`, as an operator's backup would).
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .expect("runs cp");
    assert!(
        status.success(),
        "cp -a {} {}",
        from.display(),
        to.display()
    );
}

#[tokio::test]
async fn a_restored_backup_gets_what_it_lacks_back_from_the_stream() {
    let nats = NatsServer::start();
    let work = tempfile::tempdir().expect("tempdir");
    let data = work.path().join("data");
    let backup = work.path().join("backup");
    let mut service = Service::start(&nats.url(), &data);
    service.wait_ready().await;
    let publisher = Publisher::connect(&nats.url()).await;
    let events = sample_events(300);
    publish_all(&publisher, &events[..100], |_| true, |_| false).await;
    wait_until(Duration::from_secs(20), "the first 100", || async {
        service.logged_events().await == Some(100)
    })
    .await;
    assert!(service.terminate().success(), "{}", service.stderr());
    copy_dir(&data, &backup);

    service.restart();
    service.wait_ready().await;
    publish_all(&publisher, &events[100..], |_| true, |_| false).await;
    wait_until(Duration::from_secs(20), "all 300", || async {
        ingest_drained(&publisher.js).await && service.logged_events().await == Some(300)
    })
    .await;
    assert!(service.terminate().success(), "{}", service.stderr());

    // The disk is lost; the backup of 100 events is restored.
    std::fs::remove_dir_all(&data).expect("removes");
    copy_dir(&backup, &data);
    assert_eq!(logged_ids(&data).len(), 100);
    // Without a rewind the stream's consumer has acked everything: nothing would come back.
    let reingest = std::process::Command::new(binary())
        .args(["log", "reingest", "--data"])
        .arg(&data)
        .env("TW_NATS_URL", nats.url())
        .env("RUST_LOG", "warn")
        .output()
        .expect("runs");
    assert!(reingest.status.success(), "{reingest:?}");
    let report: serde_json::Value = serde_json::from_slice(&reingest.stdout).expect("prints JSON");
    assert_eq!(
        (
            &report["stream_first_seq"],
            &report["stream_last_seq"],
            &report["start_seq"],
            &report["log_last_seq"]
        ),
        (
            &serde_json::json!(1),
            &serde_json::json!(300),
            &serde_json::json!(1),
            &serde_json::json!(100)
        )
    );

    service.restart();
    service.wait_ready().await;
    wait_until(
        Duration::from_secs(30),
        "the 200 the backup lacked",
        || async {
            ingest_drained(&publisher.js).await && service.logged_events().await == Some(300)
        },
    )
    .await;
    assert!(service.terminate().success(), "{}", service.stderr());
    let ids = logged_ids(&data);
    let expected: Vec<_> = events.iter().map(|e| e.event_id).collect();
    assert_eq!(ids, expected, "in publish order, each once");

    // While serve runs, the command refuses (the data directory is in use).
    service.restart();
    service.wait_ready().await;
    let refused = std::process::Command::new(binary())
        .args(["log", "reingest", "--data"])
        .arg(&data)
        .env("TW_NATS_URL", nats.url())
        .output()
        .expect("runs");
    assert!(!refused.status.success());
    assert!(service.terminate().success(), "{}", service.stderr());
}
