//! Replay: fold the whole log from the first event into a fresh projector and a book of its
//! findings, for `tutorwatch replay` (digests, diffs against the stored projections, policy
//! what-ifs). The book holds every finding in memory: a replay must give them all, and it has no
//! store to keep them in.
//!
//! Reading and decoding the log runs on its own thread, a bounded channel ahead of the fold, so
//! on a machine with two cores the fold never waits for sled or postcard. The fold still sees
//! every event once, in log order. Reading looks a sample of the events up in the log's id index,
//! which keeps sled's memory flat over the whole read (see `read::ID_INDEX_CHECK_EVERY`).

use std::collections::BTreeMap;
use std::sync::mpsc;

use tutorwatch_events::{CreditCode, LoggedEvent};
use tutorwatch_findings::{fund_flow, FundDay};
use tutorwatch_log::EventLog;
use tutorwatch_projections::{Booked, Policy, Projector};

use crate::error::ProjectorError;
use crate::read::read_events;

/// The most events read from the log at once during a replay. Small chunks keep each buffer
/// in the allocator's ordinary pages, which are reused, instead of fresh zeroed ones.
pub const REPLAY_EVENTS_PER_READ: usize = 256;

/// How many read chunks may wait for the fold; with [`REPLAY_EVENTS_PER_READ`] this bounds the
/// replay's decoded-but-unapplied events (and so its memory beside the projector's state).
const REPLAY_CHUNKS_AHEAD_MAX: usize = 16;

/// A replay reports progress each time it passes a multiple of this many events.
pub const REPLAY_PROGRESS_EVERY: u64 = 100_000;

/// Applies every event of the log, from sequence 1 until caught up, to a new projector under
/// `policy`, booking every finding. Calls `progress(seq)` at every multiple of
/// [`REPLAY_PROGRESS_EVERY`]. Blocking: call it from a blocking thread.
pub fn replay(
    log: &EventLog,
    policy: Policy,
    progress: impl FnMut(u64),
) -> Result<Booked, ProjectorError> {
    let mut booked = Booked::new(policy);
    fold_log(log, progress, |event| booked.apply_quietly(event))?;
    Ok(booked)
}

/// The same fold without a book: the projector alone, holding what the service holds in memory
/// (each finding's head; the bodies are dropped as they are raised). For measuring the fold.
pub fn replay_projector(
    log: &EventLog,
    policy: Policy,
    progress: impl FnMut(u64),
) -> Result<Projector, ProjectorError> {
    let mut projector = Projector::new(policy);
    fold_log(log, progress, |event| {
        projector.apply(event);
    })?;
    Ok(projector)
}

/// Reads the whole log on a thread of its own, a bounded channel ahead of `apply`, and hands
/// `apply` every event once, in log order.
fn fold_log(
    log: &EventLog,
    mut progress: impl FnMut(u64),
    mut apply: impl FnMut(&LoggedEvent),
) -> Result<(), ProjectorError> {
    std::thread::scope(|scope| {
        let (chunks_tx, chunks_rx) =
            mpsc::sync_channel::<Result<Vec<LoggedEvent>, ProjectorError>>(REPLAY_CHUNKS_AHEAD_MAX);
        scope.spawn(move || {
            let mut next = 1;
            loop {
                let chunk = read_events(log, next, REPLAY_EVENTS_PER_READ);
                let done = match &chunk {
                    Ok(events) => match events.last() {
                        Some(last) => {
                            next = last.seq + 1;
                            false
                        }
                        None => true,
                    },
                    Err(_) => true,
                };
                // The fold stopping early (an error) drops the receiver; then stop reading.
                if chunks_tx.send(chunk).is_err() || done {
                    return;
                }
            }
        });
        for chunk in chunks_rx {
            for event in &chunk? {
                apply(event);
                if event.seq % REPLAY_PROGRESS_EVERY == 0 {
                    progress(event.seq);
                }
            }
        }
        Ok(())
    })
}

/// Every institution's fund rows, folded from the whole log in one pass, for comparing with what
/// the projection store kept (`tutorwatch replay --check`). Holds one row per institution and
/// local date with money movement. Blocking.
pub fn replay_funds(
    log: &EventLog,
) -> Result<BTreeMap<(CreditCode, jiff::civil::Date), FundDay>, ProjectorError> {
    let mut days: BTreeMap<(CreditCode, jiff::civil::Date), FundDay> = BTreeMap::new();
    let mut next = 1;
    loop {
        let events = read_events(log, next, REPLAY_EVENTS_PER_READ)?;
        let Some(last) = events.last() else {
            return Ok(days);
        };
        next = last.seq + 1;
        for event in &events {
            if let Some((institution, date, flow)) = fund_flow(event) {
                days.entry((institution, date)).or_default().add(flow);
            }
        }
    }
}
