//! What the follower shares with the rest of the service while it runs: read access to the
//! projector it holds (for dry runs such as "what would this schedule raise?") and a broadcast of
//! the findings each written batch raised or changed (for live feeds and outbound notices).
//!
//! The broadcast is a notification, not the record: a receiver that lags is told how many
//! batches it missed and should read the projection store from its last cursor.

use std::sync::{Arc, RwLock};

use tokio::sync::broadcast;
use tutorwatch_projection_store::StoredFinding;
use tutorwatch_projections::Projector;

/// How many written batches a slow receiver may fall behind before it misses some.
pub const LIVE_BATCHES_BUFFERED: usize = 1024;

/// The findings one written batch raised or changed, as stored (with their feed position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingBatch {
    /// The last log sequence the batch covers.
    pub to_seq: u64,
    /// In feed order: by the sequence that first raised them, then by id.
    pub findings: Vec<StoredFinding>,
}

/// Shared between the follower and its readers.
#[derive(Debug)]
pub struct Live {
    projector: RwLock<Option<Projector>>,
    changes: broadcast::Sender<Arc<FindingBatch>>,
}

impl Default for Live {
    fn default() -> Self {
        let (changes, _) = broadcast::channel(LIVE_BATCHES_BUFFERED);
        Self {
            projector: RwLock::new(None),
            changes,
        }
    }
}

impl Live {
    /// Follows the findings of every batch written from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<FindingBatch>> {
        self.changes.subscribe()
    }

    /// Runs `read` on the current projector; `None` while the follower is still resuming.
    /// Holds a read lock: keep `read` short (the follower waits for it between events; it holds
    /// the write lock for one event at a time).
    pub fn read<T>(&self, read: impl FnOnce(&Projector) -> T) -> Option<T> {
        let guard = self
            .projector
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.as_ref().map(read)
    }

    pub(crate) fn has_receivers(&self) -> bool {
        self.changes.receiver_count() > 0
    }

    pub(crate) fn publish(&self, batch: FindingBatch) {
        // No receiver is not an error: nobody is listening right now.
        let _ = self.changes.send(Arc::new(batch));
    }

    pub(crate) fn install(&self, projector: Projector) {
        *self
            .projector
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(projector);
    }

    /// Runs `change` on the projector with the write lock held.
    pub(crate) fn write<T>(&self, change: impl FnOnce(&mut Projector) -> T) -> Option<T> {
        let mut guard = self
            .projector
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.as_mut().map(change)
    }
}
