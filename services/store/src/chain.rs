//! The hash chain: each entry's hash covers the previous entry's hash and everything the entry
//! says, so changing, removing or reordering any stored entry breaks every hash after it.

use tutorwatch_events::record::HASH_BYTES;
use tutorwatch_events::UtcTime;

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
