//! Storage faults: a full disk and a read-only data directory. Either way the service says so
//! clearly and stops (exit status 1, the OS error on stderr), acknowledges nothing it could not
//! store, and after a restart on healthy storage the log holds every published event once.
//!
//! A full disk is simulated with a file-size limit (`ulimit -f`, with SIGXFSZ ignored so writes
//! past it fail with EFBIG). A read-only directory is a read-only bind mount in a user namespace
//! (`unshare -rm`), which binds root too: `chmod` does not stop root, and the tests may run as
//! root.

use std::time::Duration;

use crate::helpers::*;

/// Writes past 1 MiB (2,048 blocks of 512 bytes) fail.
const FULL_DISK: &[&str] = &[
    "sh",
    "-c",
    "trap '' XFSZ; ulimit -f 2048; exec \"$@\"",
    "sh",
];
/// The data directory is mounted read-only for the service.
const READ_ONLY: &[&str] = &[
    "unshare",
    "-rm",
    "sh",
    "-c",
    "mount --bind -o ro \"$TW_DATA_DIR\" \"$TW_DATA_DIR\" && exec \"$@\"",
    "sh",
];

/// What a stopped service held unacknowledged comes back after 2 s, not the default 30 s.
const QUICK_REDELIVERY: &str = "[ingest]\nack_wait_secs = 2\n";

async fn all_logged(service: &Service, publisher: &Publisher, count: usize) {
    wait_until(
        Duration::from_secs(60),
        "every published event to be logged",
        || async {
            ingest_drained(&publisher.js).await
                && service.logged_events().await == Some(count as u64)
        },
    )
    .await;
}

#[tokio::test]
async fn a_full_disk_stops_the_service_with_a_clear_error_and_loses_nothing() {
    let nats = NatsServer::start();
    let work = tempfile::tempdir().expect("tempdir");
    let data = work.path().join("data");
    let mut service = Service::start_launched(&nats.url(), &data, FULL_DISK, QUICK_REDELIVERY);
    service.wait_ready().await;
    let publisher = Publisher::connect(&nats.url()).await;
    // About 500 bytes each on disk: several times what the limit allows.
    let events = sample_events(6_000);
    publish_all(&publisher, &events, |_| true, |i| i % 2 == 0).await;

    let status = service
        .wait_exit(Duration::from_secs(60))
        .unwrap_or_else(|| {
            panic!(
                "the service kept running on a full disk:\n{}",
                service.stderr()
            )
        });
    assert_eq!(status.code(), Some(1), "{}", service.stderr());
    let stderr = service.stderr();
    assert!(
        stderr.contains("error: ") && stderr.contains("File too large"),
        "the exit must say why: {stderr}"
    );
    let before = logged_ids(&data).len();
    assert!(
        before > 0 && before < events.len(),
        "{before} logged before the disk filled"
    );

    service.drop_launcher();
    service.restart();
    service.wait_ready().await;
    all_logged(&service, &publisher, events.len()).await;
    assert!(service.terminate().success(), "{}", service.stderr());
    let ids = logged_ids(&data);
    let expected: Vec<_> = events.iter().map(|e| e.event_id).collect();
    // In publish order too: the batch that failed is not overtaken by later messages (the rules
    // judge events in log order, and a release logged before its fee reads as a violation).
    let first_difference = ids.iter().zip(&expected).position(|(a, b)| a != b);
    assert_eq!(
        (ids.len(), first_difference),
        (expected.len(), None),
        "each event once, in publish order"
    );
}

#[tokio::test]
async fn a_read_only_data_directory_is_refused_clearly_and_nothing_is_lost() {
    let nats = NatsServer::start();
    let work = tempfile::tempdir().expect("tempdir");
    let data = work.path().join("data");
    let publisher = Publisher::connect(&nats.url()).await;
    let events = sample_events(300);

    let mut service = Service::start(&nats.url(), &data);
    service.wait_ready().await;
    publish_all(&publisher, &events[..100], |_| true, |_| false).await;
    all_logged(&service, &publisher, 100).await;
    assert!(service.terminate().success(), "{}", service.stderr());

    // Events keep arriving while the data directory is read-only: they wait in JetStream.
    publish_all(&publisher, &events[100..], |_| true, |_| false).await;
    let mut read_only = Service::start_launched(&nats.url(), &data, READ_ONLY, QUICK_REDELIVERY);
    let status = read_only
        .wait_exit(Duration::from_secs(30))
        .unwrap_or_else(|| {
            panic!(
                "the service ran on a read-only directory:\n{}",
                read_only.stderr()
            )
        });
    assert_eq!(status.code(), Some(1), "{}", read_only.stderr());
    let stderr = read_only.stderr();
    assert!(
        stderr.contains("error: ") && stderr.contains("Read-only file system"),
        "the exit must say why: {stderr}"
    );
    assert_eq!(logged_ids(&data).len(), 100, "nothing was written");

    read_only.drop_launcher();
    read_only.restart();
    read_only.wait_ready().await;
    all_logged(&read_only, &publisher, events.len()).await;
    assert!(read_only.terminate().success(), "{}", read_only.stderr());
    let ids = logged_ids(&data);
    let expected: Vec<_> = events.iter().map(|e| e.event_id).collect();
    assert_eq!(ids, expected, "in publish order, each once");
}
