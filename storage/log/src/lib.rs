//! Tutorwatch's event log on sled: append-only, hash-chained, durable before it answers.
//!
//! **Architecture Invariant:** nothing outside `storage/` names a sled type. Callers see
//! [`EventLog`] and typed [`LogError`]s; swapping the engine touches only `storage/`.
//!
//! # Layout
//! - `log`: append (idempotent by event id, atomic per batch, flushed before it returns, judged by
//!   an admission [`Gate`] against facts kept in the same transaction), range reads, the head
//!   watch that the follower waits on, and `verify`.
//! - `chain`: the hash chain that makes the log tamper-evident.
//! - `ceiling`: the raw sled append the benchmark compares against.
//! - `error`: the typed errors.

pub mod ceiling;
mod chain;
mod error;
mod log;

pub use chain::{chain_hash, chain_hash_v2, record_hash};
pub use error::LogError;
pub use log::{
    AppendOutcome, EventLog, FactsOverlay, Gate, LogStats, Offer, OpenGate, VerifyReport,
    EVENTS_PER_APPEND_MAX,
};
