//! What the projections produce and the projection store keeps: the rule catalogue, findings,
//! list entries, the changes one event makes, and digests of a whole run.
//!
//! This crate is the vocabulary between the rules (`tutorwatch-projections`), the projection
//! store (`tutorwatch-projection-store`), the API and the tools, so that the store does not depend
//! on the rules. Like `events` it does no I/O.
//!
//! Findings and list entries are derived data, not facts: they can always be rebuilt from the
//! log, so they are versioned with the code that derives them (the state format) rather than in
//! `events`.
//!
//! # Layout
//! - `lang`: the two languages of user text (zh-CN by default, English).
//! - `rule`: the rule catalogue (ids, areas, severities, policy keys, sources, list roles, city
//!   cases), one row per rule.
//! - `finding`: findings, their figures, evidence and case status, and finding ids.
//! - `list`: black/white list entries and their reasons.
//! - `change`: what applying one event changed.
//! - `digest`: counts, a hash of all findings and list entries, and diffs between two runs.
//! - `funds`: an institution's fund position by local date (the store's daily rows and the
//!   running positions a page draws from them).
//! - `profile`: what readers are shown of an institution (its profile) and of its courses' plans
//!   (for the timetable), as the store keeps them, and which events may change them.
//! - `source`: what a projection store persists from a fold (the projector implements it), and
//!   how a finding's current version is its last raised body with the fold's status.
//! - `book`: findings kept in memory the way the store keeps them, for replays and tests.

pub mod book;
pub mod change;
pub mod digest;
pub mod finding;
pub mod funds;
pub mod lang;
pub mod list;
pub mod profile;
pub mod rule;
pub mod source;

pub use book::FindingBook;
pub use change::Change;
pub use digest::{diff, digest, Diff, Digest, Outcome};
pub use finding::{
    finding_id, identity, Basis, Evidence, Figure, Finding, FindingChange, FindingStatus, Measure,
};
pub use funds::{fund_flow, positions, weekly, FundDay, FundFlow, FundPosition};
pub use lang::Lang;
pub use list::{ListEntry, ListMove, ListReason, ListStatus, ReasonKind};
pub use profile::{
    shown_change, InstitutionProfile, LicenceStanding, PlannedCourse, RegisteredAs, ShownChange,
};
pub use rule::{Area, ListRole, RuleId, RuleSpec, Severity, UnknownRule};
pub use source::{current_version, last_raised, FoldState, ProjectionSource, StatusRef};
