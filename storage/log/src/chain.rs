//! The hash chain: each entry's hash covers the previous entry's hash and everything the entry
//! says, so changing, removing or reordering any stored entry breaks every hash after it.

use tutorwatch_events::record::{RecordFormat, HASH_BYTES};
use tutorwatch_events::{LogRecord, Sender, UtcTime};

/// The hash of entry `seq`, recorded at `recorded_at`, carrying `event`, after `prev_hash`.
pub fn chain_hash(
    prev_hash: &[u8; HASH_BYTES],
    seq: u64,
    recorded_at: UtcTime,
    event: &[u8],
) -> [u8; HASH_BYTES] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"tutorwatch-log-v1");
    hasher.update(prev_hash);
    hasher.update(&seq.to_be_bytes());
    hasher.update(&recorded_at.as_nanos().to_be_bytes());
    hasher.update(&(event.len() as u64).to_be_bytes());
    hasher.update(event);
    *hasher.finalize().as_bytes()
}

/// The hash of a format-2 entry: as [`chain_hash`], under its own domain tag, also covering the
/// encoded sender.
pub fn chain_hash_v2(
    prev_hash: &[u8; HASH_BYTES],
    seq: u64,
    recorded_at: UtcTime,
    sender: &[u8],
    event: &[u8],
) -> [u8; HASH_BYTES] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"tutorwatch-log-v2");
    hasher.update(prev_hash);
    hasher.update(&seq.to_be_bytes());
    hasher.update(&recorded_at.as_nanos().to_be_bytes());
    hasher.update(&(sender.len() as u64).to_be_bytes());
    hasher.update(sender);
    hasher.update(&(event.len() as u64).to_be_bytes());
    hasher.update(event);
    *hasher.finalize().as_bytes()
}

/// The hash `record` must carry, by the formula of its format.
pub fn record_hash(prev_hash: &[u8; HASH_BYTES], record: &LogRecord) -> [u8; HASH_BYTES] {
    hash_by_format(
        record.format,
        prev_hash,
        record.seq,
        record.recorded_at,
        &record.sender,
        &record.event,
    )
}

/// The hash of an entry with these fields, by the formula of `format` (a record read in place
/// by salvage has its fields, not a [`LogRecord`]).
pub(crate) fn hash_by_format(
    format: RecordFormat,
    prev_hash: &[u8; HASH_BYTES],
    seq: u64,
    recorded_at: UtcTime,
    sender: &Option<Sender>,
    event: &[u8],
) -> [u8; HASH_BYTES] {
    match format {
        RecordFormat::V1 => chain_hash(prev_hash, seq, recorded_at, event),
        RecordFormat::V2 => chain_hash_v2(
            prev_hash,
            seq,
            recorded_at,
            &LogRecord::sender_bytes(sender),
            event,
        ),
    }
}
