//! Replay: fold the whole log from the first event into a fresh projector and a book of its
//! findings, for `tutorwatch replay` (digests, diffs against the stored projections, policy
//! what-ifs). The book holds every finding in memory: a replay must give them all, and it has no
//! store to keep them in.
//!
//! A replay uses every core: the fold is split by institution into partitions
//! (`tutorwatch_projections::partition`), one thread each, joined at the end into the projector
//! one fold of the whole log gives (a property test in the projections checks that, byte for
//! byte). The calling thread reads and decodes the log and hands every chunk to every
//! partition, each a bounded channel ahead of it. Reading looks a sample of the events up in the
//! log's id index, which keeps sled's memory flat over the whole read (see
//! `read::ID_INDEX_CHECK_EVERY`).

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::sync::{mpsc, Arc};

use tutorwatch_events::{CreditCode, LoggedEvent};
use tutorwatch_findings::{fund_flow, FindingBook, FundDay};
use tutorwatch_log::EventLog;
use tutorwatch_projections::{partition, Booked, Partition, Policy, Projector};

use crate::error::ProjectorError;
use crate::read::read_events;

/// The most events read from the log at once during a replay. Small chunks keep each buffer
/// in the allocator's ordinary pages, which are reused, instead of fresh zeroed ones.
pub const REPLAY_EVENTS_PER_READ: usize = 256;

/// How many read chunks may wait for each partition; with [`REPLAY_EVENTS_PER_READ`] this bounds
/// the replay's decoded-but-unapplied events (and so its memory beside the projector's state).
/// Every partition shares each chunk, so partitions do not multiply it.
const REPLAY_CHUNKS_AHEAD_MAX: usize = 16;

/// The most partitions a replay may be split into. Each is a thread, and each keeps a copy of
/// every producer's clock, so more than the machine's cores only costs memory.
pub const REPLAY_PARTITIONS_MAX: usize = 64;

/// A replay reports progress each time it passes a multiple of this many events.
pub const REPLAY_PROGRESS_EVERY: u64 = 100_000;

/// How many partitions a replay uses unless told: one per core the process may use.
pub fn replay_partitions_default() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// Applies every event of the log, from sequence 1 until caught up, to a new projector under
/// `policy`, booking every finding, in `partitions` partitions (a number outside 1 to
/// [`REPLAY_PARTITIONS_MAX`] is taken as the nearer end). Calls `progress(seq)` each time the
/// reading passes a multiple of [`REPLAY_PROGRESS_EVERY`] (the partitions are at most
/// `REPLAY_CHUNKS_AHEAD_MAX` chunks behind it). Blocking: call it from a blocking thread.
pub fn replay(
    log: &EventLog,
    policy: Policy,
    partitions: usize,
    progress: impl FnMut(u64),
) -> Result<Booked, ProjectorError> {
    let parts = fold_log(
        log,
        &policy,
        partitions,
        progress,
        |partition| (partition, FindingBook::new()),
        |(partition, book), event| {
            let changes = partition.apply(event);
            book.record(partition.projector(), &changes);
        },
    )?;
    Ok(partition::join_booked(parts).unwrap_or_else(|| Booked::new(policy)))
}

/// The same fold without a book: the projector alone, holding what the service holds in memory
/// (each finding's head; the bodies are dropped as they are raised). For measuring the fold.
pub fn replay_projector(
    log: &EventLog,
    policy: Policy,
    partitions: usize,
    progress: impl FnMut(u64),
) -> Result<Projector, ProjectorError> {
    let parts = fold_log(
        log,
        &policy,
        partitions,
        progress,
        |partition| partition,
        |partition, event| {
            partition.apply(event);
        },
    )?;
    Ok(partition::join(parts).unwrap_or_else(|| Projector::new(policy)))
}

/// Reads the whole log on the calling thread and folds it in `partitions` partitions, each on
/// a thread of its own that sees every event once, in log order: `start` makes each worker from
/// its partition, `apply` folds an event into it. Returns the workers, in partition order.
fn fold_log<W: Send>(
    log: &EventLog,
    policy: &Policy,
    partitions: usize,
    mut progress: impl FnMut(u64),
    start: impl Fn(Partition) -> W + Sync,
    apply: impl Fn(&mut W, &LoggedEvent) + Sync,
) -> Result<Vec<W>, ProjectorError> {
    let count = partitions.clamp(1, REPLAY_PARTITIONS_MAX);
    std::thread::scope(|scope| {
        let mut senders = Vec::with_capacity(count);
        let mut workers = Vec::with_capacity(count);
        for index in 0..count {
            let (chunks_tx, chunks_rx) =
                mpsc::sync_channel::<Arc<Vec<LoggedEvent>>>(REPLAY_CHUNKS_AHEAD_MAX);
            senders.push(chunks_tx);
            let (start, apply) = (&start, &apply);
            let partition = Partition::new(policy.clone(), index, count);
            workers.push(scope.spawn(move || {
                let mut worker = start(partition);
                for chunk in chunks_rx {
                    for event in chunk.iter() {
                        apply(&mut worker, event);
                    }
                }
                worker
            }));
        }
        let read = read_all(log, &senders, &mut progress);
        // Closing the channels lets every partition finish what it was sent.
        drop(senders);
        let workers: Vec<W> = workers
            .into_iter()
            .map(|worker| match worker.join() {
                Ok(worker) => worker,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect();
        read.map(|()| workers)
    })
}

/// Reads the log from the first event in chunks and sends each to every partition.
fn read_all(
    log: &EventLog,
    partitions: &[mpsc::SyncSender<Arc<Vec<LoggedEvent>>>],
    progress: &mut impl FnMut(u64),
) -> Result<(), ProjectorError> {
    let mut next = 1;
    loop {
        let chunk = read_events(log, next, REPLAY_EVENTS_PER_READ)?;
        let Some(last) = chunk.last() else {
            return Ok(());
        };
        let (first, last) = (next, last.seq);
        next = last + 1;
        let chunk = Arc::new(chunk);
        for partition in partitions {
            // A partition stops early only by panicking; joining it says so.
            if partition.send(Arc::clone(&chunk)).is_err() {
                return Ok(());
            }
        }
        let passed = (first..=last).filter(|seq| seq % REPLAY_PROGRESS_EVERY == 0);
        for seq in passed {
            progress(seq);
        }
    }
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
