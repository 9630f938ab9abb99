//! Durable storage for Tutorwatch: the append-only event log on sled.
//!
//! **Architecture Invariant:** nothing outside this crate names a sled type. Callers see
//! [`EventLog`] and typed [`StoreError`]s; swapping the engine touches only this crate.
//!
//! # Layout
//! - `log`: append (idempotent by event id, atomic per batch, flushed before it returns), range
//!   reads, the head watch that projections follow, and `verify`.
//! - `chain`: the hash chain that makes the log tamper-evident.
//! - `error`: the typed errors.

pub mod ceiling;
mod chain;
mod error;
mod log;

pub use chain::chain_hash;
pub use error::StoreError;
pub use log::{AppendOutcome, EventLog, LogStats, VerifyReport};
