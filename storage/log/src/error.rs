//! Typed errors of the event log. Corruption is an error, never a panic.

/// What went wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The log's directory could not be opened (another process holds it, permissions, ...).
    #[error(transparent)]
    Open(#[from] tutorwatch_db::OpenError),
    /// The data directory could not be read or written (permissions, full disk, ...).
    #[error("storage I/O failed")]
    Io(#[from] sled::Error),
    /// A stored entry does not decode or does not fit the log's invariants.
    #[error("log entry {seq} is corrupt: {reason}")]
    Corrupt { seq: u64, reason: String },
    /// A stored key is not an 8-byte sequence.
    #[error("the log holds a key of {0} bytes; keys are 8-byte sequences")]
    BadKey(usize),
    /// A value could not be encoded for storage.
    #[error("could not encode {what}: {reason}")]
    Encode { what: &'static str, reason: String },
    /// The admission gate could not read the facts it judges by.
    #[error("the admission gate failed")]
    Gate(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The log's files could not be sealed, checked against their seal, or copied aside.
    #[error("sealing or checking the log's file {path}")]
    Seal {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The log's files did not match their seal, were copied aside, and then did not open.
    #[error(
        "the log's files did not match their seal, so they were copied to {copy} before this \
         attempt to open them (`tutorwatch log salvage` reads the copy)"
    )]
    OpenedAfterCopy {
        copy: std::path::PathBuf,
        #[source]
        source: tutorwatch_db::OpenError,
    },
    /// A file could not be read while salvaging a damaged log.
    #[error("reading {path} to salvage the log")]
    Salvage {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A batch was larger than the log accepts in one append.
    #[error("a batch of {count} events is larger than the most, {max}")]
    BatchTooLarge { count: usize, max: usize },
}
