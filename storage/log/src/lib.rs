//! Tutorwatch's event log on sled: append-only, hash-chained, durable before it answers.
//!
//! **Architecture Invariant:** nothing outside `storage/` names a sled type. Callers see
//! [`EventLog`] and typed [`LogError`]s; swapping the engine touches only `storage/`.
//!
//! # Layout
//! - `log`: append (idempotent by event id, atomic per batch, flushed before it returns, judged by
//!   an admission [`Gate`] against facts kept in the same atomic write), range reads, the head
//!   watch that the follower waits on, and `verify`.
//! - `keys`: the keys of the log's one sled tree; `batch`: one appended batch stored as one value
//!   with an index to each entry; `legacy`: rewriting a log of the earlier layout on first open.
//! - `chain`: the hash chain that makes the log tamper-evident.
//! - `seal`: sealing the files at a clean close, and copying unsealed files aside before sled's
//!   recovery can overwrite a damaged log.
//! - `files`: the files under a directory, for the seal and salvage.
//! - `salvage`: finding intact entries in a damaged log's raw files and walking their chain (the
//!   verified prefix), for [`EventLog::restore`] to rebuild the log from.
//! - `ceiling`: the raw sled append the benchmark compares against.
//! - `error`: the typed errors.

mod batch;
pub mod ceiling;
mod chain;
mod error;
mod files;
mod keys;
mod legacy;
mod log;
mod salvage;
mod seal;

pub use chain::{chain_hash, chain_hash_v2, record_hash};
pub use error::LogError;
pub use log::{
    AppendOutcome, EventLog, FactsOverlay, Gate, LogStats, Offer, OpenGate, VerifyReport,
    EVENTS_PER_APPEND_MAX,
};
pub use salvage::{
    damage_every_copy_for_tests, ChainEnd, ChainWalk, FoundEntries, ScanCounts, RESTORE_BATCH,
    SCAN_CHUNK_BYTES,
};
pub use seal::{pre_open_copies, OpenGuard, PRE_OPEN_COPIES_MAX, PRE_OPEN_SUFFIX, SEAL_FILE};
