//! Projections: pure, deterministic folds over the Tutorwatch log that turn logged events into
//! findings and black/white list entries.
//!
//! **Architecture Invariant:** no I/O (the national policy file is embedded with `include_str!`),
//! no clock reads, no randomness, and only ordered collections where order reaches the output.
//! The same log gives the same state and the same findings, byte for byte.
//!
//! # Layout
//! - `policy`: the figures each rule uses, with effective dates, regional overrides and the
//!   holiday calendar.
//! - `finding`: findings, rule ids, severities, statuses, and the changes projections emit.
//! - `clocks`: per producer, the latest instant its own events prove has passed; deadlines are
//!   judged by the clock of the producer whose action is awaited.
//! - `facts`: what the log says about institutions and courses, shared by the rule projections;
//!   `context`: the view a rule judges with and the finding builder.
//! - `lessons`, `funds`, `ads`: the rule projections; `lists`: the black/white list.
//! - `projector`: runs all of them, applies officers' actions, snapshots and restores.
//! - `digest`: counts, a hash of all findings, and diffs between two runs.
//!
//! USCC_FORMAT, USCC_CHECKSUM (with legacy exceptions) and ADMIN_DIV_CODE are enforced at ingest
//! by `tutorwatch_events::credit_code`, `tutorwatch_events::region` and
//! `tutorwatch_events::validate`: an event that fails them never reaches the log, so no finding
//! is needed here.

pub mod ads;
pub mod clocks;
pub mod context;
pub mod digest;
pub mod facts;
pub mod finding;
pub mod funds;
pub mod lessons;
pub mod lists;
pub mod policy;
pub mod projector;

#[cfg(test)]
mod tests;

pub use digest::{diff, digest, Diff, Digest, Outcome};
pub use finding::{Basis, Evidence, Finding, FindingStatus, RuleId, Severity};
pub use lists::{ListEntry, ListMove, ListStatus};
pub use policy::{Policy, PolicyError};
pub use projector::{derivation, Change, Projector, RestoreError, Snapshot, STATE_FORMAT};
