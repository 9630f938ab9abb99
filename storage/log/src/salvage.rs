//! Salvaging a damaged log: finding its entries in the raw bytes of the database's files, without
//! the database engine, and linking them back into a chain.
//!
//! sled cannot always open a directory with one damaged byte in it (it may even panic while
//! recovering), and when it does open one it may silently stop at the damaged page. But every
//! entry is self-authenticating: its hash covers its content and the previous entry's hash. So a
//! scan that tries to decode a record at every offset of every file, and keeps only those whose
//! hash matches their content, finds every intact copy of every entry, wherever the engine put it
//! (a page, a rewritten page, an old copy not yet reclaimed, a backup's files). Walking from entry
//! 1, each next entry must link to the one before; the walk ends at the first entry no intact
//! copy of which links (a gap), or where two different entries both link (a fork: history was
//! rewritten, and the hashes alone cannot say which is the record). What it yields is exactly
//! the verified prefix.
//!
//! Memory stays flat: files are read in [`SCAN_CHUNK_BYTES`] windows, and the entries found are
//! kept in a scratch sled database on disk, keyed by sequence and hash (so each distinct entry is
//! kept once, however many copies the files hold).

use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};

use tutorwatch_events::codec::EVENT_BYTES_MAX;
use tutorwatch_events::record::{HASH_BYTES, RECORD_FORMAT_V1, RECORD_FORMAT_V2};
use tutorwatch_events::{LogRecord, LogRecordRef};

use crate::chain::hash_by_format;
use crate::error::LogError;

/// How much of a file is read at once.
pub const SCAN_CHUNK_BYTES: usize = 16 * 1024 * 1024;

/// The longest record a scan looks for: the largest event and the record's own fields, with room
/// to spare. Windows overlap by this much, so a record across a window's edge is still found.
const RECORD_BYTES_MAX: usize = EVENT_BYTES_MAX + 4096;

/// Entries sent to `restore` at once by [`ChainWalk`].
pub const RESTORE_BATCH: usize = 10_000;

/// What a scan read and found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanCounts {
    /// Files read.
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Intact copies of entries found (an entry may have several).
    pub copies: u64,
}

/// Where the verified chain stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainEnd {
    /// No intact copy of entry `seq` links to the entry before it: lost.
    Gap { seq: u64 },
    /// Several different entries `seq` link to the entry before it (their hashes, hex):
    /// history was rewritten.
    Fork { seq: u64, hashes: Vec<String> },
}

/// The entries found by scanning, kept on disk until the chain is walked.
#[derive(Debug)]
pub struct FoundEntries {
    found: sled::Tree,
    // Kept open while `found` is used; removed with its directory by the caller.
    _db: sled::Db,
    counts: ScanCounts,
    highest_seq: u64,
}

fn found_key(seq: u64, hash: &[u8; HASH_BYTES]) -> Vec<u8> {
    [seq.to_be_bytes().as_slice(), hash.as_slice()].concat()
}

impl FoundEntries {
    /// A scratch store in `scratch` (created; it should not exist or be empty).
    pub fn create(scratch: &Path) -> Result<Self, LogError> {
        let db = tutorwatch_db::open_db(scratch, crate::log::LOG_CACHE_BYTES)?;
        let found = db.open_tree("found")?;
        Ok(Self {
            found,
            _db: db,
            counts: ScanCounts::default(),
            highest_seq: 0,
        })
    }

    /// What the scans so far read and found.
    pub fn counts(&self) -> ScanCounts {
        self.counts
    }

    /// The highest sequence of any intact entry found (0 when none).
    pub fn highest_seq(&self) -> u64 {
        self.highest_seq
    }

    /// Scans every file under `dir` (recursively), calling `progress` with the bytes read so far.
    pub fn scan_dir(&mut self, dir: &Path, progress: &mut dyn FnMut(u64)) -> Result<(), LogError> {
        for file in files_under(dir)? {
            self.scan_file(&file, progress)?;
        }
        Ok(())
    }

    fn scan_file(&mut self, path: &Path, progress: &mut dyn FnMut(u64)) -> Result<(), LogError> {
        let io = |source| LogError::Salvage {
            path: path.to_owned(),
            source,
        };
        let mut file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let mut window = Vec::with_capacity(SCAN_CHUNK_BYTES + RECORD_BYTES_MAX);
        let mut start: u64 = 0;
        while start < len {
            file.seek(SeekFrom::Start(start)).map_err(io)?;
            window.clear();
            (&mut file)
                .take((SCAN_CHUNK_BYTES + RECORD_BYTES_MAX) as u64)
                .read_to_end(&mut window)
                .map_err(io)?;
            if window.is_empty() {
                break;
            }
            // Records starting in this window's first SCAN_CHUNK_BYTES; the overlap is the next
            // window's start.
            let starts = window.len().min(SCAN_CHUNK_BYTES);
            for offset in 0..starts {
                if let Some(record) = intact_record_at(&window[offset..]) {
                    self.keep(&record)?;
                }
            }
            let read = starts as u64;
            self.counts.bytes += read;
            start += read;
            progress(self.counts.bytes);
        }
        self.counts.files += 1;
        Ok(())
    }

    fn keep(&mut self, record: &LogRecord) -> Result<(), LogError> {
        self.counts.copies += 1;
        self.highest_seq = self.highest_seq.max(record.seq);
        self.found
            .insert(found_key(record.seq, &record.hash), record.encode())?;
        Ok(())
    }

    /// Walks the chain from entry 1 over what was found.
    pub fn walk(&self) -> ChainWalk<'_> {
        ChainWalk {
            found: self,
            seq: 0,
            hash: [0; HASH_BYTES],
            end: None,
        }
    }
}

/// The record at the start of `bytes`, if one decodes there and its hash matches its content.
/// Read in place first: most offsets are not records, and the event is copied only for one that
/// is.
fn intact_record_at(bytes: &[u8]) -> Option<LogRecord> {
    let first = *bytes.first()?;
    if first != RECORD_FORMAT_V1 && first != RECORD_FORMAT_V2 {
        return None;
    }
    let (record, _) = LogRecordRef::decode_prefix(bytes).ok()?;
    if record.seq == 0 || record.event.len() > EVENT_BYTES_MAX {
        return None;
    }
    let hash = hash_by_format(
        record.format,
        &record.prev_hash,
        record.seq,
        record.recorded_at,
        &record.sender,
        record.event,
    );
    (hash == record.hash).then(|| record.to_owned_record())
}

/// Every regular file under `dir`, sorted (so scans are repeatable).
fn files_under(dir: &Path) -> Result<Vec<PathBuf>, LogError> {
    let files = crate::files::relative_files(dir)
        .map_err(|(path, source)| LogError::Salvage { path, source })?;
    Ok(files.into_iter().map(|name| dir.join(name)).collect())
}

/// Flips one bit in the middle of every copy of `needle` in the files under `dir`, and says how
/// many copies there were. Only for tests of salvage (a log's entries damaged on disk).
#[doc(hidden)]
pub fn damage_every_copy_for_tests(dir: &Path, needle: &[u8]) -> Result<usize, LogError> {
    let mut copies = 0;
    for path in files_under(dir)? {
        let io = |source| LogError::Salvage {
            path: path.clone(),
            source,
        };
        let mut bytes = std::fs::read(&path).map_err(io)?;
        let mut at = 0;
        while let Some(found) = bytes[at..]
            .windows(needle.len())
            .position(|window| window == needle)
        {
            let start = at + found;
            bytes[start + needle.len() / 2] ^= 0x04;
            copies += 1;
            at = start + needle.len();
        }
        std::fs::write(&path, bytes).map_err(io)?;
    }
    Ok(copies)
}

/// The verified chain over the entries found, in batches of at most [`RESTORE_BATCH`].
#[derive(Debug)]
pub struct ChainWalk<'f> {
    found: &'f FoundEntries,
    seq: u64,
    hash: [u8; HASH_BYTES],
    end: Option<ChainEnd>,
}

impl ChainWalk<'_> {
    /// The next entries of the chain; empty once it has ended (then [`ChainWalk::end`] says
    /// why).
    pub fn next_batch(&mut self) -> Result<Vec<LogRecord>, LogError> {
        let mut batch = Vec::new();
        while self.end.is_none() && batch.len() < RESTORE_BATCH {
            let seq = self.seq + 1;
            let mut linking = Vec::new();
            for item in self.found.found.scan_prefix(seq.to_be_bytes()) {
                let (_, value) = item?;
                let record = LogRecord::decode(&value).map_err(|e| LogError::Corrupt {
                    seq,
                    reason: e.to_string(),
                })?;
                if record.prev_hash == self.hash {
                    linking.push(record);
                }
            }
            match linking.len() {
                0 => self.end = Some(ChainEnd::Gap { seq }),
                1 => {
                    let record = linking.remove(0);
                    self.seq = seq;
                    self.hash = record.hash;
                    batch.push(record);
                }
                _ => {
                    self.end = Some(ChainEnd::Fork {
                        seq,
                        hashes: linking
                            .iter()
                            .map(|r| blake3::Hash::from_bytes(r.hash).to_hex().to_string())
                            .collect(),
                    })
                }
            }
        }
        Ok(batch)
    }

    /// The last entry of the chain so far.
    pub fn last_seq(&self) -> u64 {
        self.seq
    }

    /// Why the chain ended, once it has.
    pub fn end(&self) -> Option<&ChainEnd> {
        self.end.as_ref()
    }
}

#[cfg(test)]
mod tests;
