//! Counters the follower keeps, for logs, readiness and metrics.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Live counters, shared between the follower and whoever reports on it.
#[derive(Debug, Default)]
pub struct ProjectorStats {
    applied_seq: AtomicU64,
    snapshot_seq: AtomicU64,
    findings_raised: AtomicU64,
    batches: AtomicU64,
    /// Years of lessons judged without the year's official holiday schedule (one entry per
    /// year, so bounded by the calendar).
    calendar_gaps: Mutex<BTreeSet<i16>>,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectorStatsSnapshot {
    /// The last log sequence whose changes are in the projection store.
    pub applied_seq: u64,
    /// The sequence of the last snapshot written.
    pub snapshot_seq: u64,
    /// Findings raised by events this process applied for the first time (re-applying events
    /// after a restart does not count them again).
    pub findings_raised: u64,
    /// Batches written by this process.
    pub batches: u64,
}

impl ProjectorStats {
    pub(crate) fn record_batch(&self, applied_seq: u64, findings_raised: u64) {
        self.applied_seq.store(applied_seq, Ordering::Relaxed);
        self.findings_raised
            .fetch_add(findings_raised, Ordering::Relaxed);
        self.batches.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn set_applied_seq(&self, seq: u64) {
        self.applied_seq.store(seq, Ordering::Relaxed);
    }

    pub(crate) fn set_snapshot_seq(&self, seq: u64) {
        self.snapshot_seq.store(seq, Ordering::Relaxed);
    }

    /// Notes that lessons in `year` were judged without its holiday schedule; true the first
    /// time the year is noted.
    pub(crate) fn note_calendar_gap(&self, year: i16) -> bool {
        match self.calendar_gaps.lock() {
            Ok(mut gaps) => gaps.insert(year),
            Err(poisoned) => poisoned.into_inner().insert(year),
        }
    }

    /// The years judged without their official holiday schedule, in order.
    pub fn calendar_gaps(&self) -> Vec<i16> {
        match self.calendar_gaps.lock() {
            Ok(gaps) => gaps.iter().copied().collect(),
            Err(poisoned) => poisoned.into_inner().iter().copied().collect(),
        }
    }

    /// The counters now.
    pub fn snapshot(&self) -> ProjectorStatsSnapshot {
        ProjectorStatsSnapshot {
            applied_seq: self.applied_seq.load(Ordering::Relaxed),
            snapshot_seq: self.snapshot_seq.load(Ordering::Relaxed),
            findings_raised: self.findings_raised.load(Ordering::Relaxed),
            batches: self.batches.load(Ordering::Relaxed),
        }
    }
}
