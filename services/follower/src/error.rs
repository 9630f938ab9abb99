//! Typed errors of the follower.

use tutorwatch_log::LogError;
use tutorwatch_projection_store::ProjectionStoreError;

/// Why the projector stopped.
#[derive(Debug, thiserror::Error)]
pub enum ProjectorError {
    /// The log failed.
    #[error("reading the event log failed")]
    Log(#[from] LogError),
    /// The projection store failed.
    #[error("the projection store failed")]
    Store(#[from] ProjectionStoreError),
    /// A log entry's event does not decode. The log is hash-checked, so this is real corruption
    /// (or an event type this build does not know).
    #[error("log entry {seq} does not decode: {reason} (run `tutorwatch log verify`)")]
    Decode { seq: u64, reason: String },
    /// The log returned entries out of order or with a gap, which its invariant rules out.
    #[error("expected log entry {expected}, the log returned entry {found}")]
    Gap { expected: u64, found: u64 },
    /// The log's id index does not send this entry's event id back to the entry (a sample of
    /// the events read is checked: `read::ID_INDEX_CHECK_EVERY`): the exact duplicate check is
    /// damaged.
    #[error(
        "log entry {seq}'s event id {where_indexed} (run `tutorwatch log verify`)",
        where_indexed = where_indexed(found)
    )]
    IdIndex { seq: u64, found: Option<u64> },
    /// A blocking task panicked or was cancelled.
    #[error("the projector's worker task failed")]
    Task(#[source] tokio::task::JoinError),
}

/// Where the id index puts an entry's event id, for [`ProjectorError::IdIndex`].
fn where_indexed(found: &Option<u64>) -> String {
    match found {
        Some(seq) => format!("is indexed at entry {seq} instead"),
        None => "is missing from the id index".to_owned(),
    }
}
