//! Tests of the event log against a real sled directory.

use proptest::prelude::*;
use tutorwatch_events::examples::{example, ExampleParams};
use tutorwatch_events::{encode, EventId, UtcTime, EVENT_TYPES};

use super::*;

fn event(n: u128) -> (EventId, Vec<u8>) {
    let id = EventId::from_uuid(uuid::Uuid::from_u128(V7_SHAPED | n));
    let envelope = example(
        usize::try_from(n).unwrap_or(0) % EVENT_TYPES.len(),
        &ExampleParams::new(id),
    );
    (id, encode(&envelope))
}

/// A fixed UUID v7 prefix; tests vary the low bits.
const V7_SHAPED: u128 = 0x0190_0000_0000_7000_8000_0000_0000_0000;

fn now() -> UtcTime {
    UtcTime::parse("2025-09-01T00:00:00Z").expect("valid")
}

#[test]
fn appends_get_contiguous_sequences_and_read_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = EventLog::open(dir.path()).expect("opens");
    let batch: Vec<_> = (1..=5).map(event).collect();
    let outcomes = log.append(&batch, now()).expect("appends");
    assert_eq!(
        outcomes,
        (1..=5).map(AppendOutcome::Appended).collect::<Vec<_>>()
    );
    let records = log.read_from(1, 100).expect("reads");
    assert_eq!(records.len(), 5);
    for (i, record) in records.iter().enumerate() {
        assert_eq!(record.seq, i as u64 + 1);
        assert_eq!(record.event, batch[i].1);
    }
    assert_eq!(records[1].prev_hash, records[0].hash);
    assert_eq!(log.read_from(4, 1).expect("reads")[0].seq, 4);
}

#[test]
fn duplicates_are_acknowledged_with_their_first_sequence_and_not_stored_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = EventLog::open(dir.path()).expect("opens");
    log.append(&[event(1), event(2)], now()).expect("appends");
    let outcomes = log
        .append(&[event(2), event(3), event(3), event(1)], now())
        .expect("appends");
    assert_eq!(
        outcomes,
        vec![
            AppendOutcome::Duplicate(2),
            AppendOutcome::Appended(3),
            AppendOutcome::Duplicate(3),
            AppendOutcome::Duplicate(1),
        ]
    );
    assert_eq!(log.stats().expect("stats").events, 3);
    assert_eq!(log.last_seq(), 3);
}

#[test]
fn a_reopened_log_continues_the_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let log = EventLog::open(dir.path()).expect("opens");
        log.append(&[event(1), event(2)], now()).expect("appends");
    }
    let log = EventLog::open(dir.path()).expect("reopens");
    assert_eq!(log.last_seq(), 2);
    assert_eq!(
        log.append(&[event(2), event(3)], now()).expect("appends"),
        vec![AppendOutcome::Duplicate(2), AppendOutcome::Appended(3)]
    );
    let report = log.verify(|_| {}).expect("verifies");
    assert_eq!(
        report,
        VerifyReport {
            verified: 3,
            first_bad: None
        }
    );
}

#[test]
fn verify_names_the_first_tampered_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = EventLog::open(dir.path()).expect("opens");
    log.append(&(1..=6).map(event).collect::<Vec<_>>(), now())
        .expect("appends");
    let mut record = log.read_from(4, 1).expect("reads").remove(0);
    record.recorded_at = UtcTime::parse("2030-01-01T00:00:00Z").expect("valid");
    log.tamper_for_tests(4, &record.encode()).expect("tampers");
    let report = log.verify(|_| {}).expect("verifies");
    assert_eq!(report.verified, 3);
    let (seq, reason) = report.first_bad.expect("finds the tampering");
    assert_eq!(seq, 4);
    assert!(reason.contains("hash"), "{reason}");
}

#[test]
fn garbage_on_disk_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = EventLog::open(dir.path()).expect("opens");
    log.append(&[event(1), event(2)], now()).expect("appends");
    log.tamper_for_tests(2, b"\x01\xff\xff").expect("tampers");
    assert!(matches!(
        log.read_from(1, 10),
        Err(LogError::Corrupt { seq: 2, .. })
    ));
    let report = log.verify(|_| {}).expect("verifies");
    assert_eq!(report.first_bad.map(|(seq, _)| seq), Some(2));
    drop(log);
    assert!(matches!(
        EventLog::open(dir.path()),
        Err(LogError::Corrupt { seq: 2, .. })
    ));
}

#[test]
fn oversized_batches_are_refused_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = EventLog::open(dir.path()).expect("opens");
    let batch = vec![event(1); EVENTS_PER_APPEND_MAX + 1];
    assert!(matches!(
        log.append(&batch, now()),
        Err(LogError::BatchTooLarge { .. })
    ));
    assert_eq!(log.last_seq(), 0);
}

#[tokio::test]
async fn subscribers_see_the_head_move() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = EventLog::open(dir.path()).expect("opens");
    let mut head = log.subscribe();
    log.append(&[event(1), event(2)], now()).expect("appends");
    head.changed().await.expect("sender alive");
    assert_eq!(*head.borrow(), 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn any_batching_with_duplicates_stores_each_id_once_in_first_seen_order(
        ids in proptest::collection::vec(1u128..40, 1..120),
        cuts in proptest::collection::vec(1usize..20, 1..20),
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = EventLog::open(dir.path()).expect("opens");
        let events: Vec<_> = ids.iter().map(|&n| event(n)).collect();
        let mut rest = &events[..];
        let mut cut = cuts.iter().cycle();
        while !rest.is_empty() {
            let take = (*cut.next().unwrap_or(&1)).min(rest.len());
            log.append(&rest[..take], now()).expect("appends");
            rest = &rest[take..];
        }
        let mut first_seen = Vec::new();
        for n in &ids {
            if !first_seen.contains(n) {
                first_seen.push(*n);
            }
        }
        let stored: Vec<Vec<u8>> = log
            .read_from(1, 1_000)
            .expect("reads")
            .into_iter()
            .map(|r| r.event)
            .collect();
        let expected: Vec<Vec<u8>> = first_seen.iter().map(|&n| event(n).1).collect();
        prop_assert_eq!(stored, expected);
        prop_assert_eq!(log.verify(|_| {}).expect("verifies").first_bad, None);
    }
}
