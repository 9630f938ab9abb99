//! The follower: follows the event log, applies the projections (the `Projector` fold) in order and persists
//! what they find (findings with their feed indexes, list entries, snapshots) in the projection
//! store.
//!
//! The log is the truth; the projection store is a cache of a fold over it. On start the follower
//! resumes from the last snapshot, or rebuilds from the first event when the policy version
//! changed; every batch is written atomically with the last sequence it covers.
//!
//! # Layout
//! - `follow`: the loop (`run`) and how it resumes or rebuilds.
//! - `replay`: folding the whole log in one go, split by institution over every core, with a
//!   book of every finding for `tutorwatch replay` or the projector alone for the bench (and
//!   its fund rows, for `replay --check`).
//! - `live`: what the running follower shares: its projector (for dry runs) and the findings
//!   each batch changed (for live feeds).
//! - `read`: reading and decoding a run of log entries, shared by both.
//! - `settings`, `stats`, `error`: limits, live counters and typed errors.

mod error;
mod follow;
mod live;
mod read;
mod replay;
mod settings;
mod stats;

#[cfg(test)]
mod tests;

pub use error::ProjectorError;
pub use follow::{run, Follow, WRITES_IN_FLIGHT};
pub use live::{FindingBatch, Live, LIVE_BATCHES_BUFFERED};
pub use replay::{
    replay, replay_funds, replay_partitions_default, replay_projector, REPLAY_EVENTS_PER_READ,
    REPLAY_PARTITIONS_MAX, REPLAY_PROGRESS_EVERY,
};
pub use settings::FollowSettings;
pub use stats::{ProjectorStats, ProjectorStatsSnapshot};
