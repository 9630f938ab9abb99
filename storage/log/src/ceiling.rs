//! The storage ceiling for benchmarks: raw sled batch appends with a flush per batch, the least
//! work any durable log on sled can do per record. `tutorwatch bench` compares ingest with it.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::LogError;

/// Appends `count` records of `size` bytes under big-endian sequence keys, `batch` per sled
/// batch, flushing after each, into a fresh database in `dir`. Returns the time it took.
pub fn raw_batch_append(
    dir: &Path,
    count: usize,
    size: usize,
    batch: usize,
) -> Result<Duration, LogError> {
    let db = sled::Config::new()
        .path(dir)
        .mode(sled::Mode::HighThroughput)
        .open()?;
    let tree = db.open_tree("raw")?;
    let value = vec![0x5a; size];
    let started = Instant::now();
    let mut written = 0usize;
    while written < count {
        let mut writes = sled::Batch::default();
        for _ in 0..batch.max(1).min(count - written) {
            written += 1;
            writes.insert(&(written as u64).to_be_bytes(), value.as_slice());
        }
        tree.apply_batch(writes)?;
        db.flush()?;
    }
    Ok(started.elapsed())
}
