//! Durable storage for Tutorwatch: the append-only event log, and the projections derived from
//! it, on sled.
//!
//! **Architecture Invariant:** nothing outside this crate names a sled type. Callers see
//! [`EventLog`] and typed [`StoreError`]s; swapping the engine touches only this crate.
//!
//! # Layout
//! - `log`: append (idempotent by event id, atomic per batch, flushed before it returns), range
//!   reads, the head watch that projections follow, and `verify`.
//! - `chain`: the hash chain that makes the log tamper-evident.
//! - `projection_store`: findings with their feed indexes, list entries and the projector's
//!   snapshot, in a database of their own (derived data: delete it to rebuild from the log).
//! - `db`: opening a sled directory, shared by both.
//! - `error`: the typed errors.

pub mod ceiling;
mod chain;
mod db;
mod error;
mod log;
mod projection_store;

pub use chain::{chain_hash, chain_hash_v2, record_hash};
pub use error::StoreError;
pub use log::{
    AppendOutcome, EventLog, FactsOverlay, Gate, LogStats, Offer, OpenGate, VerifyReport,
    EVENTS_PER_APPEND_MAX,
};
pub use projection_store::{
    BadCursor, Cursor, FeedPage, FeedQuery, ListPage, ProjectionBatch, ProjectionStore, Scope,
    StatusTag, StoredFinding, FEED_PAGE_MAX, FEED_SCAN_MAX,
};
