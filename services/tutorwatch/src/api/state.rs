//! What the handlers share: the log, the projection store, the live projector, NATS, the tokens
//! and the API's limits.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tutorwatch_events::ValidationContext;
use tutorwatch_follower::{Live, ProjectorStats};
use tutorwatch_ingest::{IngestStats, RecentRefusals};
use tutorwatch_log::EventLog;
use tutorwatch_projection_store::ProjectionStore;
use tutorwatch_trust::TrustSettings;

use super::tokens::{TokenRecord, TokenStore};

/// The API's settings (`[api]` in the settings file).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiSettings {
    /// How long a write waits for its event to be durable in the log before answering `202`.
    pub write_wait_ms: u64,
    /// The largest request body, in bytes.
    pub body_bytes_max: usize,
    /// How long a request may take before it is answered `408`.
    pub request_timeout_ms: u64,
    /// How long a connection may take to send a request's head (request line and headers),
    /// counted from when it connected or from its previous response: a slow head is closed,
    /// and so is an idle keep-alive connection once this passes.
    pub header_read_timeout_ms: u64,
    /// The most HTTP connections served at once. Beyond it, new connections are not accepted:
    /// they wait in the kernel's listen backlog until a served one closes. Keep it well below
    /// the process's open-files limit (`ulimit -n`).
    pub connections_max: usize,
    /// The most live streams (`GET /v1/findings/stream`) one principal may hold open; the next
    /// is answered `429` until one closes.
    pub streams_per_principal_max: usize,
    /// Requests per second each client address may make to the anonymous routes (the public
    /// lists, `/v1/log/stats`, `/openapi.json`) without a valid token; `0` turns the limit off.
    /// Over it: `429` with `Retry-After`.
    pub anonymous_requests_per_sec: u32,
    /// How many anonymous requests a client address may make in a burst before the rate applies.
    pub anonymous_burst: u32,
    /// Tokens from the settings file (hash and principal), beside `<data_dir>/tokens.jsonl`.
    pub tokens: Vec<TokenRecord>,
    /// The file holding the secret that keys event ids derived from `Idempotency-Key`s
    /// (default `<data_dir>/idempotency.key`, created on first start).
    pub idempotency_secret_file: Option<std::path::PathBuf>,
    /// Mark the web console's cookies `Secure` (sent only over HTTPS). Turn it on when the site
    /// is reached over HTTPS, e.g. behind a TLS-terminating proxy; off by default for plain HTTP
    /// on loopback, where a browser would not send a `Secure` cookie back. Also
    /// `TW_CONSOLE_SECURE_COOKIE=true`.
    pub console_secure_cookie: bool,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            write_wait_ms: 2_000,
            body_bytes_max: 256 * 1024,
            request_timeout_ms: 10_000,
            header_read_timeout_ms: 10_000,
            connections_max: 512,
            streams_per_principal_max: 4,
            anonymous_requests_per_sec: 20,
            anonymous_burst: 40,
            tokens: Vec::new(),
            idempotency_secret_file: None,
            console_secure_cookie: false,
        }
    }
}

impl ApiSettings {
    /// The write wait as a duration.
    pub fn write_wait(&self) -> Duration {
        Duration::from_millis(self.write_wait_ms)
    }

    /// The header read (and keep-alive idle) timeout as a duration.
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms)
    }
}

/// Shared by every handler.
#[derive(Debug, Clone)]
pub struct AppState {
    pub log: Arc<EventLog>,
    pub projections: Arc<ProjectionStore>,
    pub live: Arc<Live>,
    pub ingest: Arc<IngestStats>,
    pub projector: Arc<ProjectorStats>,
    pub nats: async_nats::Client,
    pub tokens: Arc<TokenStore>,
    pub validation: Arc<ValidationContext>,
    /// The trust policy's settings, for the pre-check of writes.
    pub trust: Arc<TrustSettings>,
    /// The policy the follower judges by, for the rule catalogue's figures (`GET /v1/rules`).
    pub policy: Arc<tutorwatch_projections::Policy>,
    /// Refusals ingest made at append time, for writes waiting on their events.
    pub refusals: Arc<RecentRefusals>,
    /// The key of event ids derived from `Idempotency-Key`s.
    pub idempotency_secret: Arc<[u8; 32]>,
    pub settings: Arc<ApiSettings>,
    /// The checkpoint key and file, for evidence bundles (`None`: no checkpoint key, no bundles).
    pub evidence: Option<Arc<crate::cmd::evidence::EvidenceSigner>>,
    /// Turns true when the service shuts down: live streams end then.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}
