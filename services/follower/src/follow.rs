//! The follower: resumes (or rebuilds) the projections, then applies the log in batches as it
//! grows, writing each batch to the projection store in one atomic, flushed write.
//!
//! Applying and writing overlap: once a batch is applied, what its write reads of the projector
//! is copied ([`SettledBatch`]) and the batch is written on another thread while the next one is
//! read and applied. Writes stay in log order, one at a time ([`WRITES_IN_FLIGHT`]); a batch
//! due for a snapshot is written from the projector itself before anything else applies.
//!
//! **Invariant:** the store's `applied_seq` is only written together with the rows of the
//! events up to it, and a snapshot is only written together with the rows it covers. After a
//! crash the follower restores the last snapshot and re-applies the events after it; rewriting
//! their findings is harmless because finding ids derive from content and each row is rewritten
//! from the projector's state at the end of its batch, keeping its first `raised_seq`.

use std::collections::BTreeSet;
use std::sync::Arc;

use tokio::sync::watch;
use tracing::field::Empty;
use tutorwatch_events::ids::FindingId;
use tutorwatch_findings::Change;
use tutorwatch_log::EventLog;
use tutorwatch_projection_store::{
    ProjectionBatch, ProjectionStore, ProjectionStoreError, SettledBatch, StoredFinding,
};
use tutorwatch_projections::{Policy, Projector, RestoreError};

use crate::error::ProjectorError;
use crate::live::{FindingBatch, Live};
use crate::read::read_events;
use crate::settings::FollowSettings;
use crate::stats::ProjectorStats;

/// What the follower needs: the log it follows, the store it writes, the policy it judges by,
/// its limits and the counters it keeps.
#[derive(Debug)]
pub struct Follow {
    pub log: Arc<EventLog>,
    pub store: Arc<ProjectionStore>,
    pub policy: Policy,
    pub settings: FollowSettings,
    pub stats: Arc<ProjectorStats>,
    /// What readers see of the follower while it runs.
    pub live: Arc<Live>,
}

impl Follow {
    /// A follower with the default settings and fresh counters.
    pub fn new(log: Arc<EventLog>, store: Arc<ProjectionStore>, policy: Policy) -> Self {
        Self {
            log,
            store,
            policy,
            settings: FollowSettings::default(),
            stats: Arc::new(ProjectorStats::default()),
            live: Arc::new(Live::default()),
        }
    }
}

/// Where the follower starts.
struct Resumed {
    projector: Projector,
    /// The sequence of the snapshot restored (0: none).
    snapshot_seq: u64,
    /// The store's `applied_seq` at start: events up to it were applied by an earlier run.
    applied_seq: u64,
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ProjectorError> + Send + 'static,
) -> Result<T, ProjectorError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(ProjectorError::Task)?
}

/// Drops every stored row and starts from the first event.
fn rebuild(store: &ProjectionStore, policy: Policy) -> Result<Resumed, ProjectorError> {
    store.clear()?;
    Ok(Resumed {
        projector: Projector::new(policy),
        snapshot_seq: 0,
        applied_seq: 0,
    })
}

/// Restores the last snapshot, or decides to rebuild from the first event: when the stored rows
/// or the snapshot were computed under another policy version, or are ahead of the log.
fn resume(
    log: &EventLog,
    store: &ProjectionStore,
    policy: Policy,
) -> Result<Resumed, ProjectorError> {
    let applied_seq = store.applied_seq()?;
    let log_last_seq = log.last_seq();
    let current = tutorwatch_projections::derivation(&policy);
    if !store.is_current()? {
        tracing::info!(
            store_format = tutorwatch_projection_store::STORE_FORMAT,
            "the projection store was written in another layout: rebuilding the projections from the log"
        );
        return rebuild(store, policy);
    }
    if let Some(stored) = store.policy_version()? {
        if stored != current {
            tracing::info!(
                stored_version = %stored,
                policy_version = %current,
                "the policy version or state format changed: rebuilding the projections from the log"
            );
            return rebuild(store, policy);
        }
    }
    if applied_seq > log_last_seq {
        tracing::warn!(
            applied_seq,
            log_last_seq,
            "the projections are ahead of the log (was the log replaced?): rebuilding them"
        );
        return rebuild(store, policy);
    }
    let loaded = match store.load_snapshot::<Projector>() {
        Ok(loaded) => loaded,
        // Derived data that no longer decodes is rebuilt from the log, never trusted.
        Err(ProjectionStoreError::CorruptProjection { key, reason }) => {
            tracing::warn!(
                key,
                reason,
                "the snapshot does not decode: rebuilding the projections from the log"
            );
            return rebuild(store, policy);
        }
        Err(other) => return Err(other.into()),
    };
    let Some((snapshot_seq, snapshot)) = loaded else {
        tracing::info!(
            applied_seq,
            "no snapshot: applying the log from the first event"
        );
        return Ok(Resumed {
            projector: Projector::new(policy),
            snapshot_seq: 0,
            applied_seq,
        });
    };
    match Projector::restore(policy.clone(), snapshot) {
        Ok(projector) => {
            tracing::info!(snapshot_seq, applied_seq, "resuming from the snapshot");
            Ok(Resumed {
                projector,
                snapshot_seq,
                applied_seq,
            })
        }
        Err(RestoreError::PolicyVersion {
            snapshot,
            policy: current,
        }) => {
            tracing::info!(
                snapshot_version = %snapshot,
                policy_version = %current,
                "the policy version changed: rebuilding the projections from the log"
            );
            rebuild(store, policy)
        }
    }
}

/// A batch read from the log and applied, waiting to be written.
struct Applied {
    /// The batch as the store writes it: settled from the projector (written while the
    /// projector goes on), or with a snapshot (written from the projector itself).
    write: PendingWrite,
    to_seq: u64,
    new_findings: u64,
    /// The findings the batch raised or changed (not those re-applied after a restart).
    changed: Vec<FindingId>,
    /// Years of the batch's lessons whose official holiday schedule the policy lacks.
    calendar_gaps: BTreeSet<i16>,
}

/// How an applied batch is written.
enum PendingWrite {
    /// With what the write reads of the projector copied: written while the next batch applies.
    Settled(Box<SettledBatch>),
    /// With the projector's snapshot: written from the projector, before anything else applies.
    WithSnapshot(ProjectionBatch),
}

/// An applied batch once written: what the store returned, and what the follower reports.
struct Written {
    applied: Applied,
    /// The findings written, as stored, when the batch asked for them.
    findings: Vec<StoredFinding>,
}

/// Reads the next batch from the log and applies it, taking the projector's write lock for one
/// event's apply at a time (in memory), never across the batch; then copies what writing the
/// batch reads of the projector (see [`SettledBatch`]), unless the batch is due for a snapshot.
/// `None` when the log has nothing after the projector's last sequence (or the follower has no
/// projector yet).
fn apply_next(
    log: &EventLog,
    live: &Live,
    settings: &FollowSettings,
    snapshot_seq: u64,
    applied_before: u64,
) -> Result<Option<Applied>, ProjectorError> {
    let Some(last_seq) = live.read(Projector::last_seq) else {
        return Ok(None);
    };
    let events = read_events(log, last_seq + 1, settings.events_per_batch_max.max(1))?;
    let Some(last) = events.last() else {
        return Ok(None);
    };
    let to_seq = last.seq;
    let span = tracing::info_span!(
        "projector_batch",
        from_seq = last_seq + 1,
        to_seq,
        events = events.len(),
        changes = Empty
    );
    let _entered = span.enter();
    let mut batch = ProjectionBatch::default();
    let mut calendar_gaps = BTreeSet::new();
    for event in &events {
        let Some((gaps, changes)) = live.write(|projector| {
            (
                tutorwatch_projections::years_without_calendar(projector.policy(), event),
                projector.apply(event),
            )
        }) else {
            return Ok(None);
        };
        calendar_gaps.extend(gaps);
        batch.record(event, changes);
    }
    span.record("changes", batch.changes.len());
    let new_findings = batch
        .changes
        .iter()
        .filter(|(seq, change)| *seq > applied_before && matches!(change, Change::Raised(_)))
        .count() as u64;
    let mut changed = Vec::new();
    let mut seen = BTreeSet::new();
    for (seq, change) in &batch.changes {
        let id = match change {
            Change::Raised(finding) => finding.id,
            Change::Withdrawn { id, .. } | Change::StatusChanged { id, .. } => *id,
            Change::ListMoved(_) | Change::ProfileChanged(_) => continue,
        };
        if *seq > applied_before && seen.insert(id) {
            changed.push(id);
        }
    }
    batch.snapshot = to_seq.saturating_sub(snapshot_seq) >= settings.snapshot_every_events;
    batch.return_written = live.has_receivers() && !changed.is_empty();
    let write = if batch.snapshot {
        PendingWrite::WithSnapshot(batch)
    } else {
        // Nothing applies between the last event above and this copy: this thread is the
        // only one that applies.
        match live.read(|projector| SettledBatch::settle(projector, batch)) {
            Some(settled) => PendingWrite::Settled(Box::new(settled)),
            None => return Ok(None),
        }
    };
    Ok(Some(Applied {
        write,
        to_seq,
        new_findings,
        changed,
        calendar_gaps,
    }))
}

/// Writes an applied batch to the store: one atomic, flushed write. A settled batch takes no
/// lock; a batch with a snapshot is written under the projector's read lock, which readers
/// share and which the follower, the only writer, does not ask for while it waits here.
fn write_applied(
    store: &ProjectionStore,
    live: &Live,
    applied: Applied,
) -> Result<Written, ProjectorError> {
    let span = tracing::info_span!("projection_write", to_seq = applied.to_seq);
    let _entered = span.enter();
    let findings = match &applied.write {
        PendingWrite::Settled(settled) => store.write_settled(settled)?,
        PendingWrite::WithSnapshot(batch) => live
            .read(|projector| store.write(projector, batch))
            .transpose()?
            .unwrap_or_default(),
    };
    tracing::debug!(
        snapshot = matches!(applied.write, PendingWrite::WithSnapshot(_)),
        "batch written"
    );
    Ok(Written { applied, findings })
}

/// After a batch is written: publishes its changed findings to live readers (as written, with
/// their feed position, never read back), and counts it. Returns the sequence of the snapshot
/// it wrote, if it wrote one.
fn report_written(written: Written, live: &Live, stats: &ProjectorStats) -> Option<u64> {
    let Written { applied, findings } = written;
    if !findings.is_empty() {
        let changed: BTreeSet<&FindingId> = applied.changed.iter().collect();
        let mut findings: Vec<StoredFinding> = findings
            .into_iter()
            .filter(|f| changed.contains(&f.finding.id))
            .collect();
        // Feed order: new findings after the ones readers saw before.
        findings.sort_by_key(|f| (f.raised_seq, f.finding.id));
        live.publish(FindingBatch {
            to_seq: applied.to_seq,
            findings,
        });
    }
    stats.record_batch(applied.to_seq, applied.new_findings);
    for year in applied.calendar_gaps {
        if stats.note_calendar_gap(year) {
            tracing::warn!(
                year,
                "lessons in {year} are judged without that year's official holiday schedule: only the fixed-date statutory holidays (1/1, 5/1, 10/1-10/3), weekends and configured vacations apply; add the year's calendar to the policy"
            );
        }
    }
    match applied.write {
        PendingWrite::WithSnapshot(_) => {
            stats.set_snapshot_seq(applied.to_seq);
            Some(applied.to_seq)
        }
        PendingWrite::Settled(_) => None,
    }
}

/// The store write in flight while the next batch applies: at most one
/// ([`WRITES_IN_FLIGHT`]).
type InFlight = tokio::task::JoinHandle<Result<Written, ProjectorError>>;

/// How many batches may be written while the projector applies the next one. At the limit the
/// follower waits for the write before it starts another, so at most two batches (the one
/// being written and the one just applied) are held beside the projector.
pub const WRITES_IN_FLIGHT: usize = 1;

/// Waits for the write in flight, if any, and reports it.
async fn finish_write(
    in_flight: &mut Option<InFlight>,
    live: &Live,
    stats: &ProjectorStats,
    snapshot_seq: &mut u64,
) -> Result<(), ProjectorError> {
    if let Some(write) = in_flight.take() {
        let written = write.await.map_err(ProjectorError::Task)??;
        if let Some(seq) = report_written(written, live, stats) {
            *snapshot_seq = seq;
        }
    }
    Ok(())
}

/// Follows the log until `shutdown` turns true (or its sender goes away), then finishes the
/// batch in hand, writes a final snapshot and returns. Stops with an error when the log or the
/// store fails, or an entry does not decode.
pub async fn run(
    follow: Follow,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), ProjectorError> {
    let Follow {
        log,
        store,
        policy,
        settings,
        stats,
        live,
    } = follow;
    let resumed = {
        let (log, store) = (Arc::clone(&log), Arc::clone(&store));
        blocking(move || resume(&log, &store, policy)).await?
    };
    let Resumed {
        projector,
        mut snapshot_seq,
        applied_seq: applied_before,
    } = resumed;
    live.install(projector);
    stats.set_applied_seq(applied_before);
    stats.set_snapshot_seq(snapshot_seq);
    let mut head = log.subscribe();
    // The store write in flight: batch N is written while batch N + 1 is read and applied.
    let mut in_flight: Option<InFlight> = None;
    loop {
        if *shutdown.borrow() {
            break;
        }
        // Mark the head seen before reading, so growth after the read wakes the wait below.
        head.borrow_and_update();
        let next = {
            let (log, settings, shared) = (Arc::clone(&log), settings.clone(), Arc::clone(&live));
            blocking(move || apply_next(&log, &shared, &settings, snapshot_seq, applied_before))
                .await?
        };
        let Some(applied) = next else {
            if in_flight.is_some() {
                // Report the last write before waiting for the log to grow.
                finish_write(&mut in_flight, &live, &stats, &mut snapshot_seq).await?;
                continue;
            }
            tokio::select! {
                grown = head.changed() => {
                    if grown.is_err() {
                        break;
                    }
                }
                stop = shutdown.changed() => {
                    if stop.is_err() {
                        break;
                    }
                }
            }
            continue;
        };
        // Batches are written in log order, one at a time: this one after the one before.
        finish_write(&mut in_flight, &live, &stats, &mut snapshot_seq).await?;
        // A snapshot is the projector's state at the batch's end: nothing may apply until it
        // is written, so that write is waited for here.
        let with_snapshot = matches!(applied.write, PendingWrite::WithSnapshot(_));
        let (store, shared) = (Arc::clone(&store), Arc::clone(&live));
        in_flight = Some(tokio::task::spawn_blocking(move || {
            write_applied(&store, &shared, applied)
        }));
        if with_snapshot {
            finish_write(&mut in_flight, &live, &stats, &mut snapshot_seq).await?;
        }
    }
    finish_write(&mut in_flight, &live, &stats, &mut snapshot_seq).await?;
    let last_seq = live.read(Projector::last_seq).unwrap_or(0);
    if last_seq > snapshot_seq {
        let (store, shared) = (Arc::clone(&store), Arc::clone(&live));
        blocking(move || {
            let batch = ProjectionBatch {
                applied_seq: last_seq,
                snapshot: true,
                ..ProjectionBatch::default()
            };
            shared
                .read(|projector| store.write(projector, &batch))
                .transpose()?;
            Ok(())
        })
        .await?;
        stats.set_snapshot_seq(last_seq);
    }
    tracing::info!(applied_seq = last_seq, "projector stopped");
    Ok(())
}
