//! Typed errors of the storage layer. Corruption is an error, never a panic.

use std::path::PathBuf;

/// What went wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process (usually a running `tutorwatch serve`) holds the data directory.
    #[error(
        "the data directory {0} is in use by another process (is `tutorwatch serve` running?)"
    )]
    InUse(PathBuf),
    /// The data directory could not be opened (permissions, a damaged file, ...).
    #[error("could not open the database in {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: sled::Error,
    },
    /// The data directory could not be read or written (permissions, full disk, ...).
    #[error("storage I/O failed")]
    Io(#[from] sled::Error),
    /// A stored entry does not decode or does not fit the log's invariants.
    #[error("log entry {seq} is corrupt: {reason}")]
    Corrupt { seq: u64, reason: String },
    /// A stored key is not an 8-byte sequence.
    #[error("the log holds a key of {0} bytes; keys are 8-byte sequences")]
    BadKey(usize),
    /// A stored projection row (finding, list entry, index key or meta value) does not decode.
    /// Projections are derived data: deleting the projection directory rebuilds them from the log.
    #[error("projection row {key} is corrupt: {reason} (delete the projection directory to rebuild it from the log)")]
    CorruptProjection { key: String, reason: String },
    /// A value could not be encoded for storage.
    #[error("could not encode {what}: {reason}")]
    Encode { what: &'static str, reason: String },
    /// The admission gate could not read the facts it judges by.
    #[error("the admission gate failed")]
    Gate(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A batch was larger than the log accepts in one append.
    #[error("a batch of {count} events is larger than the most, {max}")]
    BatchTooLarge { count: usize, max: usize },
}

impl From<sled::transaction::TransactionError<StoreError>> for StoreError {
    fn from(error: sled::transaction::TransactionError<StoreError>) -> Self {
        match error {
            sled::transaction::TransactionError::Abort(inner) => inner,
            sled::transaction::TransactionError::Storage(e) => StoreError::from(e),
        }
    }
}
