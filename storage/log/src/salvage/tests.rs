//! Tests of salvage against real sled directories, damaged on purpose.

use std::path::Path;

use tutorwatch_events::examples::{example, ExampleParams};
use tutorwatch_events::{encode, EventId, UtcTime, EVENT_TYPES};

use super::*;
use crate::chain::record_hash;
use crate::log::EventLog;

fn event(n: u128) -> (EventId, Vec<u8>) {
    let id = EventId::from_uuid(uuid::Uuid::from_u128(
        0x0190_0000_0000_7000_8000_0000_0000_0000 | n,
    ));
    let envelope = example(
        usize::try_from(n).unwrap_or(0) % EVENT_TYPES.len(),
        &ExampleParams::new(id),
    );
    (id, encode(&envelope))
}

fn now() -> UtcTime {
    UtcTime::parse("2025-09-01T00:00:00Z").expect("valid")
}

/// A log of `count` entries in `dir`, appended in batches of 10; its records.
fn log_of(dir: &Path, count: u128) -> Vec<LogRecord> {
    let log = EventLog::open(dir).expect("opens");
    for start in (1..=count).step_by(10) {
        let batch: Vec<_> = (start..=(start + 9).min(count)).map(event).collect();
        log.append(&batch, now()).expect("appends");
    }
    log.flush().expect("flushes");
    log.read_from(1, usize::MAX).expect("reads")
}

/// Flips one bit in every copy of `needle` in the files under `dir`; how many copies.
fn damage_every_copy(dir: &Path, needle: &[u8]) -> usize {
    damage_every_copy_for_tests(dir, needle).expect("damages the files")
}

fn walk_all(found: &FoundEntries) -> (Vec<LogRecord>, Option<ChainEnd>) {
    let mut walk = found.walk();
    let mut chain = Vec::new();
    loop {
        let batch = walk.next_batch().expect("walks");
        if batch.is_empty() {
            return (chain, walk.end().cloned());
        }
        chain.extend(batch);
    }
}

#[test]
fn an_intact_log_is_found_whole_and_restores_to_the_same_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let records = log_of(&dir.path().join("log"), 45);
    let mut found = FoundEntries::create(&dir.path().join("scratch")).expect("creates");
    found
        .scan_dir(&dir.path().join("log"), &mut |_| ())
        .expect("scans");
    assert!(found.counts().copies >= 45, "{:?}", found.counts());
    assert_eq!(found.highest_seq(), 45);
    let (chain, end) = walk_all(&found);
    assert_eq!(chain, records);
    assert_eq!(end, Some(ChainEnd::Gap { seq: 46 }));

    let restored = EventLog::open(&dir.path().join("restored")).expect("opens");
    for batch in chain.chunks(20) {
        restored.restore(batch, |_, _| Ok(())).expect("restores");
    }
    assert_eq!(restored.read_from(1, usize::MAX).expect("reads"), records);
    let report = restored.verify(|_| ()).expect("verifies");
    assert_eq!((report.verified, report.first_bad), (45, None));
    // The id index came back too: the same events are duplicates.
    let again = restored.append(&[event(3)], now()).expect("appends");
    assert_eq!(again, vec![crate::AppendOutcome::Duplicate(3)]);
}

#[test]
fn a_damaged_entry_ends_the_chain_just_before_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let records = log_of(&dir.path().join("log"), 40);
    let copies = damage_every_copy(&dir.path().join("log"), &records[16].encode());
    assert!(copies >= 1, "entry 17 is stored somewhere in the files");
    let mut found = FoundEntries::create(&dir.path().join("scratch")).expect("creates");
    found
        .scan_dir(&dir.path().join("log"), &mut |_| ())
        .expect("scans");
    let (chain, end) = walk_all(&found);
    assert_eq!(chain, records[..16]);
    assert_eq!(end, Some(ChainEnd::Gap { seq: 17 }));
    // Entries after the damage are still found, but do not link to the verified prefix.
    assert_eq!(found.highest_seq(), 40);
}

#[test]
fn a_backups_files_fill_what_the_damaged_log_lost() {
    let dir = tempfile::tempdir().expect("tempdir");
    let records = log_of(&dir.path().join("log"), 30);
    let backup = dir.path().join("backup");
    std::fs::create_dir(&backup).expect("mkdir");
    for path in files_under(&dir.path().join("log")).expect("lists") {
        let to = backup.join(path.strip_prefix(dir.path().join("log")).expect("under"));
        std::fs::create_dir_all(to.parent().expect("has a parent")).expect("mkdir");
        std::fs::copy(&path, &to).expect("copies");
    }
    damage_every_copy(&dir.path().join("log"), &records[4].encode());
    let mut found = FoundEntries::create(&dir.path().join("scratch")).expect("creates");
    for source in [dir.path().join("log"), backup] {
        found.scan_dir(&source, &mut |_| ()).expect("scans");
    }
    let (chain, end) = walk_all(&found);
    assert_eq!(chain, records);
    assert_eq!(end, Some(ChainEnd::Gap { seq: 31 }));
}

#[test]
fn a_rewritten_history_beside_the_original_is_a_fork_not_a_choice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let records = log_of(&dir.path().join("log"), 20);
    // Someone rewrites entry 12 and recomputes every hash after it, in place.
    {
        let log = EventLog::open(&dir.path().join("log")).expect("opens");
        let mut prev_hash = records[10].hash;
        for record in &records[11..] {
            let mut forged = record.clone();
            if forged.seq == 12 {
                forged.recorded_at = UtcTime::parse("2020-01-01T00:00:00Z").expect("valid");
            }
            forged.prev_hash = prev_hash;
            forged.hash = record_hash(&prev_hash, &forged);
            prev_hash = forged.hash;
            log.tamper_for_tests(forged.seq, &forged.encode())
                .expect("rewrites");
        }
    }
    let mut found = FoundEntries::create(&dir.path().join("scratch")).expect("creates");
    found
        .scan_dir(&dir.path().join("log"), &mut |_| ())
        .expect("scans");
    let (chain, end) = walk_all(&found);
    assert_eq!(chain, records[..11]);
    match end {
        Some(ChainEnd::Fork { seq: 12, hashes }) => assert_eq!(hashes.len(), 2),
        other => panic!("expected a fork at 12, got {other:?}"),
    }
}

#[test]
fn a_restore_that_does_not_continue_the_log_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let records = log_of(&dir.path().join("log"), 12);
    let restored = EventLog::open(&dir.path().join("restored")).expect("opens");
    restored
        .restore(&records[..5], |_, _| Ok(()))
        .expect("restores");
    let skipping = restored.restore(&records[6..], |_, _| Ok(()));
    assert!(
        matches!(skipping, Err(LogError::Corrupt { seq: 7, .. })),
        "{skipping:?}"
    );
    let mut changed = records[5].clone();
    changed.event = records[6].event.clone();
    let forged = restored.restore(&[changed], |_, _| Ok(()));
    assert!(
        matches!(forged, Err(LogError::Corrupt { seq: 6, .. })),
        "{forged:?}"
    );
    assert_eq!(restored.last_seq(), 5);
}

#[test]
fn a_cleanly_closed_log_opens_sealed_and_a_changed_byte_is_copied_aside_before_sled_sees_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("log");
    let records = log_of(&path, 40);
    assert!(
        path.join(crate::SEAL_FILE).exists(),
        "a clean close seals the files"
    );
    {
        let log = EventLog::open(&path).expect("opens");
        assert_eq!(log.opened(), &crate::OpenGuard::Sealed);
        assert!(
            !path.join(crate::SEAL_FILE).exists(),
            "the seal goes once sled has the files"
        );
    }
    assert!(crate::pre_open_copies(&path).expect("lists").is_empty());

    // One bit flips in every copy of entry 17 while the log is closed.
    damage_every_copy(&path, &records[16].encode());
    // sled may open what precedes the damage, or give up; either way it is not a panic.
    let opened = EventLog::open(&path).map(|log| log.opened().clone());
    let copies = crate::pre_open_copies(&path).expect("lists");
    assert_eq!(copies.len(), 1, "{opened:?}");
    match opened {
        Ok(guard) => assert_eq!(guard, crate::OpenGuard::CopiedTo(copies[0].clone())),
        Err(error) => assert!(
            matches!(&error, LogError::OpenedAfterCopy { copy, .. } if copy == &copies[0]),
            "{error:?}"
        ),
    }
    // Whatever sled's recovery did to the log's own files, the copy holds them as they were.
    let mut found = FoundEntries::create(&dir.path().join("scratch")).expect("creates");
    found.scan_dir(&copies[0], &mut |_| ()).expect("scans");
    let (chain, end) = walk_all(&found);
    assert_eq!(chain, records[..16]);
    assert_eq!(end, Some(ChainEnd::Gap { seq: 17 }));
}

#[test]
fn a_log_not_closed_cleanly_is_copied_before_it_is_opened_up_to_the_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("log");
    log_of(&path, 5);
    for made in 1..=crate::PRE_OPEN_COPIES_MAX {
        std::fs::remove_file(path.join(crate::SEAL_FILE)).expect("a crash leaves no seal");
        let log = EventLog::open(&path).expect("opens");
        let copies = crate::pre_open_copies(&path).expect("lists");
        assert_eq!(copies.len(), made);
        assert_eq!(
            log.opened(),
            &crate::OpenGuard::CopiedTo(copies[made - 1].clone())
        );
        assert_eq!(log.last_seq(), 5);
    }
    std::fs::remove_file(path.join(crate::SEAL_FILE)).expect("a crash leaves no seal");
    let log = EventLog::open(&path).expect("opens");
    let copies = crate::pre_open_copies(&path).expect("lists");
    assert_eq!(
        copies.len(),
        crate::PRE_OPEN_COPIES_MAX,
        "no more copies past the limit"
    );
    assert_eq!(log.opened(), &crate::OpenGuard::NotCopied(copies));
}
