//! Counters ingest keeps, for logs, readiness and (later) metrics.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Live counters, shared between the worker and whoever reports on it.
#[derive(Debug, Default)]
pub struct IngestStats {
    appended: AtomicU64,
    duplicates: AtomicU64,
    dead_lettered: AtomicU64,
    batches: AtomicU64,
    store_failing: AtomicBool,
    reading: AtomicBool,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestStatsSnapshot {
    pub appended: u64,
    pub duplicates: u64,
    pub dead_lettered: u64,
    pub batches: u64,
    /// The last append failed (full disk, read-only directory, ...): the service is not ready.
    pub store_failing: bool,
    /// The streams exist and the pull consumer is open: events published now will be ingested.
    pub reading: bool,
}

impl IngestStats {
    pub(crate) fn record_batch(&self, appended: u64, duplicates: u64, dead: u64) {
        self.appended.fetch_add(appended, Ordering::Relaxed);
        self.duplicates.fetch_add(duplicates, Ordering::Relaxed);
        self.dead_lettered.fetch_add(dead, Ordering::Relaxed);
        self.batches.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn set_reading(&self, reading: bool) {
        self.reading.store(reading, Ordering::Relaxed);
    }

    pub(crate) fn set_store_failing(&self, failing: bool) {
        self.store_failing.store(failing, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> IngestStatsSnapshot {
        IngestStatsSnapshot {
            appended: self.appended.load(Ordering::Relaxed),
            duplicates: self.duplicates.load(Ordering::Relaxed),
            dead_lettered: self.dead_lettered.load(Ordering::Relaxed),
            batches: self.batches.load(Ordering::Relaxed),
            store_failing: self.store_failing.load(Ordering::Relaxed),
            reading: self.reading.load(Ordering::Relaxed),
        }
    }
}
