//! One stored value per appended batch: the batch's encoded entries, back to back, after an index
//! of where each begins, so that one entry is read without decoding the others.
//!
//! ```text
//! [BATCH_FORMAT_V1] [count: u32 LE] [start of entry i: u32 LE, for i in 0..count] [entries...]
//! ```
//!
//! The entries are stored exactly as [`LogRecord::encode`] gives them, contiguously, so the
//! salvage scan (which looks for self-authenticating entries at every offset of the raw files)
//! finds them inside a batch as it found them alone. Starts are relative to the first entry and
//! increase; the last entry ends where the value ends.
//!
//! **Invariant:** a stored batch holds at least one entry, each encoded whole, consecutive in
//! sequence, and is keyed by its last entry's sequence.

use tutorwatch_events::LogRecord;

/// The first byte of a stored batch.
const BATCH_FORMAT_V1: u8 = 0xB1;
/// The format byte and the entry count.
const HEADER_BYTES: usize = 1 + 4;
/// One entry's start in the index.
const START_BYTES: usize = 4;

/// The most bytes of entries one stored batch holds: an append larger than this is stored as
/// several batch values (in the same atomic write), so no value grows past it by more than one
/// entry. Typical batches (1,000 events of a few hundred bytes) are far below.
pub const BATCH_BYTES_MAX: usize = 4 * 1024 * 1024;

/// Why a stored batch cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BatchError {
    #[error("the stored batch is {0} bytes, too short for its header")]
    Truncated(usize),
    #[error("the stored batch has format byte {0:#04x}, not {BATCH_FORMAT_V1:#04x}")]
    Format(u8),
    #[error("the stored batch says it holds no entries")]
    Empty,
    #[error("the stored batch's index of {count} entries does not fit its {bytes} bytes")]
    Index { count: usize, bytes: usize },
    #[error("the stored batch's entry {index} has a start outside its bytes or before the entry before it")]
    Start { index: usize },
}

/// Encodes `records` (consecutive entries) as stored batches: one value per run of entries whose
/// encodings stay within [`BATCH_BYTES_MAX`] (a run holds at least one entry, however large).
/// Each value comes with the sequence of its last entry, its key.
pub(crate) fn encode_runs(records: &[LogRecord]) -> Vec<(u64, Vec<u8>)> {
    let encoded: Vec<Vec<u8>> = records.iter().map(LogRecord::encode).collect();
    let mut runs = Vec::new();
    let (mut begin, mut bytes) = (0usize, 0usize);
    for index in 0..=encoded.len() {
        let size = encoded.get(index).map_or(0, Vec::len);
        let full = index == encoded.len() || (index > begin && bytes + size > BATCH_BYTES_MAX);
        if full && index > begin {
            let entries: Vec<&[u8]> = encoded[begin..index].iter().map(Vec::as_slice).collect();
            runs.push((records[index - 1].seq, assemble(&entries)));
            (begin, bytes) = (index, 0);
        }
        bytes += size;
    }
    runs
}

/// The stored form of `entries` (at least one), in order.
pub(crate) fn assemble(entries: &[&[u8]]) -> Vec<u8> {
    assert!(
        !entries.is_empty(),
        "a stored batch holds at least one entry"
    );
    let count = u32::try_from(entries.len()).expect("a batch's entry count fits in u32");
    let body: usize = entries.iter().map(|e| e.len()).sum();
    let mut out = Vec::with_capacity(HEADER_BYTES + START_BYTES * entries.len() + body);
    out.push(BATCH_FORMAT_V1);
    out.extend_from_slice(&count.to_le_bytes());
    let mut start = 0usize;
    for entry in entries {
        let at = u32::try_from(start).expect("a stored batch stays far below 4 GiB");
        out.extend_from_slice(&at.to_le_bytes());
        start += entry.len();
    }
    for entry in entries {
        out.extend_from_slice(entry);
    }
    out
}

/// A stored batch, read in place.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BatchView<'a> {
    starts: &'a [u8],
    entries: &'a [u8],
    count: usize,
}

impl<'a> BatchView<'a> {
    /// Checks the header and the index (not the entries, which are decoded one by one).
    pub(crate) fn new(bytes: &'a [u8]) -> Result<Self, BatchError> {
        if bytes.len() < HEADER_BYTES {
            return Err(BatchError::Truncated(bytes.len()));
        }
        if bytes[0] != BATCH_FORMAT_V1 {
            return Err(BatchError::Format(bytes[0]));
        }
        let mut count_bytes = [0u8; 4];
        count_bytes.copy_from_slice(&bytes[1..HEADER_BYTES]);
        let count = u32::from_le_bytes(count_bytes) as usize;
        if count == 0 {
            return Err(BatchError::Empty);
        }
        let index_end = count
            .checked_mul(START_BYTES)
            .and_then(|n| n.checked_add(HEADER_BYTES))
            .filter(|&end| end <= bytes.len())
            .ok_or(BatchError::Index {
                count,
                bytes: bytes.len(),
            })?;
        let view = Self {
            starts: &bytes[HEADER_BYTES..index_end],
            entries: &bytes[index_end..],
            count,
        };
        let mut previous = 0usize;
        for index in 0..count {
            let start = view.start(index);
            if start < previous || start > view.entries.len() {
                return Err(BatchError::Start { index });
            }
            previous = start;
        }
        Ok(view)
    }

    /// How many entries the batch holds (at least one).
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    fn start(&self, index: usize) -> usize {
        let mut at = [0u8; 4];
        at.copy_from_slice(&self.starts[index * START_BYTES..(index + 1) * START_BYTES]);
        u32::from_le_bytes(at) as usize
    }

    /// The encoded bytes of entry `index` (< `len`), as stored.
    pub(crate) fn entry(&self, index: usize) -> &'a [u8] {
        let start = self.start(index);
        let end = if index + 1 < self.count {
            self.start(index + 1)
        } else {
            self.entries.len()
        };
        &self.entries[start..end]
    }
}

/// `view`'s entries with entry `index` replaced by `bytes` (for tamper tests).
pub(crate) fn with_entry_replaced(view: BatchView<'_>, index: usize, bytes: &[u8]) -> Vec<u8> {
    let entries: Vec<&[u8]> = (0..view.len())
        .map(|i| if i == index { bytes } else { view.entry(i) })
        .collect();
    assemble(&entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tutorwatch_events::record::RecordFormat;
    use tutorwatch_events::UtcTime;

    fn record(seq: u64, event_bytes: usize) -> LogRecord {
        LogRecord {
            format: RecordFormat::V2,
            seq,
            recorded_at: UtcTime::parse("2025-09-01T00:00:00Z").expect("valid"),
            prev_hash: [seq as u8; 32],
            hash: [seq as u8 + 1; 32],
            sender: None,
            event: vec![seq as u8; event_bytes],
        }
    }

    #[test]
    fn a_large_append_is_stored_as_several_values_each_within_the_limit() {
        let records: Vec<LogRecord> = (1..=40).map(|seq| record(seq, 200 * 1024)).collect();
        let runs = encode_runs(&records);
        assert!(runs.len() >= 2, "8 MB of entries take more than one value");
        let mut seq = 1;
        for (last, stored) in &runs {
            let view = BatchView::new(stored).expect("reads");
            assert!(view.len() == 1 || stored.len() <= BATCH_BYTES_MAX + 64 * view.len());
            assert_eq!(
                *last,
                seq + view.len() as u64 - 1,
                "keyed by its last entry"
            );
            for index in 0..view.len() {
                let decoded = LogRecord::decode(view.entry(index)).expect("decodes");
                assert_eq!(decoded, records[(seq - 1) as usize]);
                seq += 1;
            }
        }
        assert_eq!(seq, 41, "every entry is stored once, in order");
        let one = encode_runs(&[record(7, 10)]);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].0, 7);
    }

    #[test]
    fn damaged_headers_and_indexes_are_errors_not_panics() {
        assert_eq!(BatchView::new(b"").err(), Some(BatchError::Truncated(0)));
        assert_eq!(
            BatchView::new(&[0x01, 1, 0, 0, 0]).err(),
            Some(BatchError::Format(0x01))
        );
        assert_eq!(
            BatchView::new(&[BATCH_FORMAT_V1, 0, 0, 0, 0]).err(),
            Some(BatchError::Empty)
        );
        assert!(matches!(
            BatchView::new(&[BATCH_FORMAT_V1, 0xff, 0xff, 0xff, 0xff, 0]),
            Err(BatchError::Index { .. })
        ));
        assert_eq!(
            BatchView::new(&[BATCH_FORMAT_V1, 1, 0, 0, 0, 9, 0, 0, 0, 1]).err(),
            Some(BatchError::Start { index: 0 })
        );
    }
}
