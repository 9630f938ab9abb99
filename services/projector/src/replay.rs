//! Replay: fold the whole log from the first event into a fresh projector, for
//! `tutorwatch replay` (digests, diffs against the stored projections, policy what-ifs).

use tutorwatch_projections::{Policy, Projector};
use tutorwatch_store::EventLog;

use crate::error::ProjectorError;
use crate::read::read_events;

/// The most events read from the log at once during a replay; bounds its memory.
pub const REPLAY_EVENTS_PER_READ: usize = 10_000;

/// A replay reports progress each time it passes a multiple of this many events.
pub const REPLAY_PROGRESS_EVERY: u64 = 100_000;

/// Applies every event of the log, from sequence 1 until caught up, to a new projector under
/// `policy`. Calls `progress(seq)` at every multiple of [`REPLAY_PROGRESS_EVERY`]. Blocking:
/// call it from a blocking thread.
pub fn replay(
    log: &EventLog,
    policy: Policy,
    mut progress: impl FnMut(u64),
) -> Result<Projector, ProjectorError> {
    let mut projector = Projector::new(policy);
    loop {
        let events = read_events(log, projector.last_seq() + 1, REPLAY_EVENTS_PER_READ)?;
        if events.is_empty() {
            return Ok(projector);
        }
        for event in &events {
            projector.apply(event);
            if event.seq % REPLAY_PROGRESS_EVERY == 0 {
                progress(event.seq);
            }
        }
    }
}
