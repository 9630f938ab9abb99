//! The keys of the log's one sled tree, `chain`. A one-byte prefix says what a key is, so that each
//! kind sorts apart and an append writes all of them in one atomic sled batch:
//!
//! - `b` + last sequence (8 bytes, big-endian): one appended batch of entries (`batch`);
//! - `i` + event id (16 bytes): the sequence the event is stored at (8 bytes, big-endian);
//! - `f` + the gate's key: a fact the admission gate keeps;
//! - `v`: the layout's version (one byte), written when the tree is created or upgraded.

use crate::error::LogError;

/// The tree that holds the log.
pub(crate) const CHAIN_TREE: &str = "chain";
/// The layout this code writes: 2, one value per appended batch in one tree (1 was three trees
/// and one value per entry).
pub(crate) const LAYOUT: u8 = 2;
/// Where the layout's version is kept.
pub(crate) const LAYOUT_KEY: &[u8] = b"v";

const BATCH: u8 = b'b';
const ID: u8 = b'i';
const FACT: u8 = b'f';

/// The key of the batch whose last entry is `seq`.
pub(crate) fn batch(seq: u64) -> [u8; 9] {
    let mut key = [BATCH; 9];
    key[1..].copy_from_slice(&seq.to_be_bytes());
    key
}

/// Every batch key from the one ending at `seq` (or, as `range` finds it, the first batch ending
/// at or after `seq`: the one that holds it) onwards.
pub(crate) fn batches_from(seq: u64) -> std::ops::RangeInclusive<[u8; 9]> {
    batch(seq)..=batch(u64::MAX)
}

/// The last sequence of the batch stored under `key`.
pub(crate) fn batch_seq(key: &[u8]) -> Result<u64, LogError> {
    match key {
        [BATCH, rest @ ..] if rest.len() == 8 => {
            let mut seq = [0u8; 8];
            seq.copy_from_slice(rest);
            Ok(u64::from_be_bytes(seq))
        }
        _ => Err(LogError::BadKey(key.len())),
    }
}

/// The key of an event id's sequence.
pub(crate) fn id(id: &[u8; 16]) -> [u8; 17] {
    let mut key = [ID; 17];
    key[1..].copy_from_slice(id);
    key
}

/// The prefix every id key starts with.
pub(crate) fn id_prefix() -> Vec<u8> {
    vec![ID]
}

/// A sequence as stored under an id key.
pub(crate) fn seq_value(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

/// The sequence stored under an id key.
pub(crate) fn value_seq(value: &[u8]) -> Result<u64, LogError> {
    let bytes: [u8; 8] = value
        .try_into()
        .map_err(|_| LogError::BadKey(value.len()))?;
    Ok(u64::from_be_bytes(bytes))
}

/// The key of the gate's fact `key`.
pub(crate) fn fact(key: &[u8]) -> Vec<u8> {
    let mut prefixed = Vec::with_capacity(key.len() + 1);
    prefixed.push(FACT);
    prefixed.extend_from_slice(key);
    prefixed
}
