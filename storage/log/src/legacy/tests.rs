//! Tests of the upgrade from layout 1, on real sled directories written in that layout.

use tutorwatch_events::examples::{example, ExampleParams};
use tutorwatch_events::{encode, EventId, LogRecord, UtcTime, EVENT_TYPES};

use super::*;
use crate::log::EventLog;

const V7_SHAPED: u128 = 0x0190_0000_0000_7000_8000_0000_0000_0000;

fn events(count: u128) -> Vec<(EventId, Vec<u8>)> {
    (1..=count)
        .map(|n| {
            let id = EventId::from_uuid(uuid::Uuid::from_u128(V7_SHAPED | n));
            let envelope = example(n as usize % EVENT_TYPES.len(), &ExampleParams::new(id));
            (id, encode(&envelope))
        })
        .collect()
}

/// Records as a current log chains them (the hashes a layout-1 log held for the same events).
fn chained_records(count: u128) -> Vec<LogRecord> {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = EventLog::open(dir.path()).expect("opens");
    let at = UtcTime::parse("2025-09-01T00:00:00Z").expect("valid");
    log.append(&events(count), at).expect("appends");
    log.read_from(1, usize::MAX).expect("reads")
}

/// Writes `records` in layout 1 into a fresh sled directory, with one fact.
fn write_layout_1(dir: &std::path::Path, records: &[LogRecord]) {
    let db = sled::Config::new().path(dir).open().expect("opens sled");
    let entries = db.open_tree(LEGACY_LOG_TREE).expect("tree");
    let ids = db.open_tree(LEGACY_EVENT_IDS_TREE).expect("tree");
    let facts = db.open_tree(LEGACY_FACTS_TREE).expect("tree");
    for record in records {
        entries
            .insert(record.seq.to_be_bytes(), record.encode())
            .expect("inserts");
        let id = record.envelope().expect("decodes").event_id;
        ids.insert(id.as_bytes(), &record.seq.to_be_bytes())
            .expect("inserts");
    }
    facts
        .insert(b"inst/x", b"fact".as_slice())
        .expect("inserts");
    db.flush().expect("flushes");
}

fn assert_upgraded(dir: &std::path::Path, records: &[LogRecord]) {
    let log = EventLog::open(dir).expect("opens the layout-1 log");
    assert_eq!(log.last_seq(), records.len() as u64);
    assert_eq!(log.read_from(1, usize::MAX).expect("reads"), records);
    assert_eq!(log.record_at(7).expect("reads one"), records[6]);
    for record in records {
        let id = record.envelope().expect("decodes").event_id;
        assert_eq!(log.seq_of(&id).expect("looks up"), Some(record.seq));
    }
    assert_eq!(log.fact(b"inst/x").expect("reads"), Some(b"fact".to_vec()));
    let report = log.verify(|_| {}).expect("verifies");
    assert_eq!(
        (report.verified, report.first_bad),
        (records.len() as u64, None)
    );
    // The next append continues the chain the old layout held.
    let more = events(records.len() as u128 + 1);
    let at = UtcTime::parse("2025-09-02T00:00:00Z").expect("valid");
    let outcomes = log.append(&more[more.len() - 1..], at).expect("appends");
    assert_eq!(outcomes[0].seq(), Some(records.len() as u64 + 1));
    assert_eq!(log.verify(|_| {}).expect("verifies").first_bad, None);
}

#[test]
fn a_layout_1_log_is_rewritten_on_first_open_and_keeps_its_chain_ids_and_facts() {
    let records = chained_records(25);
    let dir = tempfile::tempdir().expect("tempdir");
    write_layout_1(dir.path(), &records);
    assert_upgraded(dir.path(), &records);
    let db = sled::Config::new()
        .path(dir.path())
        .open()
        .expect("opens sled");
    let names = db.tree_names();
    for legacy in LEGACY_TREES {
        assert!(
            !names.iter().any(|n| n.as_ref() == legacy.as_bytes()),
            "the layout-1 tree {legacy} is dropped"
        );
    }
}

#[test]
fn an_upgrade_interrupted_before_its_end_starts_again_from_the_old_trees() {
    let records = chained_records(12);
    let dir = tempfile::tempdir().expect("tempdir");
    write_layout_1(dir.path(), &records);
    {
        // What a crash half-way through the copy leaves: part of the new tree, no layout key.
        let db = sled::Config::new()
            .path(dir.path())
            .open()
            .expect("opens sled");
        let chain = db.open_tree(keys::CHAIN_TREE).expect("tree");
        chain
            .insert(keys::batch(3), batch::assemble(&[b"half".as_slice()]))
            .expect("inserts");
        db.flush().expect("flushes");
    }
    assert_upgraded(dir.path(), &records);
}

#[test]
fn a_gap_in_a_layout_1_log_is_kept_for_verify_to_report() {
    let mut records = chained_records(10);
    records.remove(4);
    let dir = tempfile::tempdir().expect("tempdir");
    write_layout_1(dir.path(), &records);
    let log = EventLog::open(dir.path()).expect("opens");
    let report = log.verify(|_| {}).expect("verifies");
    assert_eq!(report.verified, 4);
    assert_eq!(report.first_bad.map(|(seq, _)| seq), Some(6));
}
