//! Typed errors of ingest.

/// What stops ingest from starting or running.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("a JetStream request failed")]
    JetStream(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("stream {stream} exists with a configuration ingest cannot use: {problem}")]
    StreamMismatch { stream: String, problem: String },
    #[error("the event log failed")]
    Store(#[from] tutorwatch_log::LogError),
    #[error(transparent)]
    Settings(#[from] crate::settings::IngestSettingsError),
    #[error("the decoding task stopped before it finished")]
    DecodeTask(#[source] tokio::task::JoinError),
    #[error("the append task stopped before it finished")]
    AppendTask(#[source] tokio::task::JoinError),
}

impl IngestError {
    pub(crate) fn jetstream(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        IngestError::JetStream(Box::new(error))
    }
}
