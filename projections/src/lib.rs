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
//! - `clocks`: per producer, the latest instant its own events prove has passed; deadlines are
//!   judged by the clock of the producer whose action is awaited.
//! - `facts`: what the log says about institutions and courses, shared by the rule projections;
//!   `context`: the view a rule judges with and the finding builder.
//! - `rules`: the rules, filed by area (time, preschool, licence, staff, funds, pricing,
//!   advertising, lists) behind one interface, and the mechanics of plans.
//! - `lists`: who is on the black and white lists; `heads`: what the projector keeps of each
//!   finding (the bodies live in the projection store).
//! - `profile`: what readers are shown of the facts (an institution's profile, a course's plan),
//!   for the projection store to keep.
//! - `sizes`: how many entries and encoded bytes each part of the state holds (the bench prints
//!   them).
//! - `projector`: runs all of them, applies officers' actions, snapshots and restores; `Booked`
//!   is a projector with a book of its findings, for replays and tests.
//! - `partition`: the same fold split by institution, for replays across cores; joined, the
//!   partitions give the state of one fold.
//!
//! What they produce (the rule catalogue, findings, list entries, changes, digests) is defined in
//! `tutorwatch-findings`, so that the projection store does not depend on the rules.
//!
//! USCC_FORMAT, USCC_CHECKSUM (with legacy exceptions) and ADMIN_DIV_CODE are enforced at ingest
//! by `tutorwatch_events::credit_code`, `tutorwatch_events::region` and
//! `tutorwatch_events::validate`: an event that fails them never reaches the log, so no finding
//! is needed here.

pub mod clocks;
pub mod context;
pub mod facts;
pub mod heads;
pub mod lists;
pub mod partition;
pub mod policy;
mod profile;
pub mod projector;
mod rules;
pub mod sizes;

#[cfg(test)]
mod tests;

pub use heads::FindingHead;
pub use partition::Partition;
pub use policy::{Policy, PolicyError};
pub use projector::{derivation, Booked, Projector, RestoreError, Snapshot, STATE_FORMAT};
pub use rules::time::years_without_calendar;
pub use sizes::StatePart;
