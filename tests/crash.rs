//! The crash test: `tutorwatch serve` killed with SIGKILL in the middle of ingest, several times at
//! random points, and restarted. Afterwards the log holds exactly the published events, each once,
//! in a valid hash chain, and the stored projections equal a fresh replay of the log.
//!
//! The kill points come from a seed printed on failure; set `TW_CRASH_SEED` to repeat a run.

use std::process::Command;
use std::time::Duration;

use crate::helpers::*;

/// Five kill points in the first two thirds of the run, ascending, from `seed`.
fn kill_points(seed: u64) -> Vec<u64> {
    let mut state = seed;
    let mut points: Vec<u64> = (0..5)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            500 + (state >> 33) % 6_000
        })
        .collect();
    points.sort_unstable();
    points
}

const EVENTS: usize = 10_000;
/// Publishing is paced so that events keep arriving while the service is killed and restarted.
const CHUNK: usize = 250;
const PAUSE: Duration = Duration::from_millis(40);

#[tokio::test]
async fn sigkill_during_ingest_loses_nothing_and_stores_nothing_twice() {
    let nats = NatsServer::start();
    let data = tempfile::tempdir().expect("tempdir");
    // Widen the window between "durable" and "acknowledged" so the kills land in it: the events
    // of the batch in hand are then redelivered after the restart and must be dropped as
    // duplicates, not stored twice.
    // A short ack wait makes JetStream redeliver what the killed process held without delay.
    let mut service = Service::start_with_config(
        &nats.url(),
        data.path(),
        "[ingest]\nfault_ack_delay_ms = 150\nack_wait_secs = 2\n",
    );
    service.wait_ready().await;
    let publisher = Publisher::connect(&nats.url()).await;

    let events = sample_events(EVENTS);
    let producer = {
        let publisher = publisher.clone();
        let events = events.clone();
        tokio::spawn(async move {
            for chunk in events.chunks(CHUNK) {
                publish_all(&publisher, chunk, |_| true, |i| i % 3 == 0).await;
                tokio::time::sleep(PAUSE).await;
            }
        })
    };

    let seed = std::env::var("TW_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| uuid::Uuid::new_v4().as_u64_pair().0);
    let points = kill_points(seed);
    eprintln!("crash test: TW_CRASH_SEED={seed}, kills at {points:?}");
    let mut kills_mid_ingest = 0;
    let mut redelivered_duplicates = 0;
    for kill_at in points {
        wait_until(
            Duration::from_secs(60),
            "the log to grow to the kill point",
            || async { service.logged_events().await.is_some_and(|n| n >= kill_at) },
        )
        .await;
        let logged = service.logged_events().await.unwrap_or(0);
        if logged < EVENTS as u64 {
            kills_mid_ingest += 1;
        }
        redelivered_duplicates += service.ingest_counter("duplicates").await.unwrap_or(0);
        service.kill();
        service.restart();
        service.wait_ready().await;
    }
    producer.await.expect("the producer finished");
    assert!(
        kills_mid_ingest >= 4,
        "the kills must land while ingest is still running (TW_CRASH_SEED={seed})"
    );

    wait_until(
        Duration::from_secs(60),
        "every event to be logged",
        || async {
            ingest_drained(&publisher.js).await
                && service.logged_events().await == Some(EVENTS as u64)
        },
    )
    .await;
    wait_until(
        Duration::from_secs(60),
        "the projector to apply every event",
        || async {
            service
                .get_json("/v1/log/stats")
                .await
                .is_some_and(|(_, body)| body["projector"]["applied_seq"] == EVENTS as u64)
        },
    )
    .await;
    redelivered_duplicates += service.ingest_counter("duplicates").await.unwrap_or(0);
    assert!(service.terminate().success(), "{}", service.stderr());
    assert!(
        redelivered_duplicates > 0,
        "at least one kill should have landed between append and ack"
    );

    let ids = logged_ids(data.path());
    assert_eq!(ids.len(), EVENTS, "exactly the published events");
    let expected: std::collections::BTreeSet<_> = events.iter().map(|e| e.event_id).collect();
    assert_eq!(distinct(&ids), expected);

    // The projections, written batch by batch across the kills, equal a fresh replay.
    let check = Command::new(binary())
        .args(["replay", "--check", "--data"])
        .arg(data.path())
        .output()
        .expect("Failed to run tutorwatch replay --check");
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success() && report.contains("\"matches\":true"),
        "projections differ from a replay (TW_CRASH_SEED={seed}): {report}\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
}
