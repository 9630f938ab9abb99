//! Ingest: reads events from NATS JetStream and appends them to the durable log.
//!
//! **Architecture Invariant:** a message is acknowledged only after its event is durable in the
//! log (or, for a message that does not decode, validate or pass the trust policy, after its
//! dead letter is stored in the dead-letter stream). JetStream on one node does not fsync each message; the sled log is the
//! durable record, so an ack must never run ahead of it.
//!
//! # Layout
//! - `topology`: the streams and the durable consumer, created or checked at start.
//! - `subject`: what a subject says (sender, family, institution) and checking it against the event.
//! - `gate`: the trust policy and the conflict rule, judged inside the log's append; the facts a
//!   logged entry sets, for restoring a log.
//! - `refusals`: the most recent refusals, for writers waiting on their events.
//! - `worker`: the pull loop: batch, decode, append, ack; reconnects and resumes.
//! - `dead_letter`: publishing rejected messages with their reason.
//! - `stats`: counters the service reports.

mod dead_letter;
mod error;
mod gate;
mod refusals;
mod settings;
mod stats;
mod subject;
mod topology;
mod worker;

pub use dead_letter::{DLQ_ORIGINAL_SUBJECT_HEADER, DLQ_REASON_HEADER};
pub use error::IngestError;
pub use gate::record_entry_facts;
pub use refusals::{RecentRefusals, Refused, REFUSALS_REMEMBERED};
pub use settings::{IngestSettings, IngestSettingsError, BATCH_MAX_LIMIT};
pub use stats::{IngestStats, IngestStatsSnapshot};
pub use topology::{ensure_topology, rewind, Rewound, Topology};
pub use worker::{run, Ingest};
