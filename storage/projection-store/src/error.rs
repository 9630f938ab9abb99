//! Typed errors of the projection store. A row that does not decode is an error, never a panic:
//! the store holds derived data, so the cure is to rebuild it from the log.

/// What went wrong in the projection store.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionStoreError {
    /// The store's directory could not be opened (another process holds it, permissions, ...).
    #[error(transparent)]
    Open(#[from] tutorwatch_db::OpenError),
    /// The directory could not be read or written (permissions, full disk, ...).
    #[error("projection store I/O failed")]
    Io(#[from] sled::Error),
    /// A stored row (finding, list entry, index key or meta value) does not decode. Projections
    /// are derived data: deleting the projection directory rebuilds them from the log.
    #[error("projection row {key} is corrupt: {reason} (delete the projection directory to rebuild it from the log)")]
    CorruptProjection { key: String, reason: String },
    /// A batch changed the status of a finding that neither the batch raised nor the store
    /// holds: the batch does not follow the store's `applied_seq` (rebuild from the log).
    #[error("finding {id} changed status but was never raised into this store (delete the projection directory to rebuild it from the log)")]
    MissingFinding {
        id: tutorwatch_events::ids::FindingId,
    },
    /// The projector's snapshot file could not be written, read or removed (permissions, full
    /// disk, ...).
    #[error("projection snapshot file {path} could not be written or read")]
    SnapshotFile {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A value could not be encoded for storage.
    #[error("could not encode {what}: {reason}")]
    Encode { what: &'static str, reason: String },
}
