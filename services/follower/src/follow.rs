//! The follower: resumes (or rebuilds) the projections, then applies the log in batches as it
//! grows, writing each batch to the projection store in one atomic, flushed write.
//!
//! **Invariant:** the store's `applied_seq` is only written together with the rows of the
//! events up to it, and a snapshot is only written together with the rows it covers. After a
//! crash the follower restores the last snapshot and re-applies the events after it; rewriting
//! their findings is harmless because finding ids derive from content and each row is rewritten
//! from the projector's current state, keeping its first `raised_seq`.

use std::sync::Arc;

use tokio::sync::watch;
use tracing::field::Empty;
use tutorwatch_events::ids::FindingId;
use tutorwatch_events::LoggedEvent;
use tutorwatch_findings::Change;
use tutorwatch_log::EventLog;
use tutorwatch_projection_store::{
    ProjectionBatch, ProjectionStore, ProjectionStoreError, StoredFinding,
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

/// What one step did.
enum Step {
    /// The log had nothing after the projector's last sequence.
    CaughtUp,
    Wrote {
        to_seq: u64,
        new_findings: u64,
        snapshot: bool,
        /// The findings the batch raised or changed (not those re-applied after a restart).
        changed: Vec<FindingId>,
        /// Years of the batch's lessons whose official holiday schedule the policy lacks.
        calendar_gaps: std::collections::BTreeSet<i16>,
    },
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

/// One batch read from the log and applied, to be written.
struct Applied {
    batch: ProjectionBatch,
    new_findings: u64,
    /// The findings the batch raised or changed (not those re-applied after a restart).
    changed: Vec<FindingId>,
    calendar_gaps: std::collections::BTreeSet<i16>,
}

/// Reads, applies and writes one batch. The projector's write lock is taken for one event's
/// apply at a time (in memory), never across the batch: the log is read before it and the store
/// written and flushed after it under a read lock, so readers of the projector (dry runs, the
/// institution record, jurisdiction checks) wait at most for one event, never for a batch or
/// for I/O.
fn step(
    log: &EventLog,
    store: &ProjectionStore,
    live: &Live,
    settings: &FollowSettings,
    snapshot_seq: u64,
    applied_before: u64,
) -> Result<(Step, Vec<StoredFinding>), ProjectorError> {
    let Some(last_seq) = live.read(Projector::last_seq) else {
        return Ok((Step::CaughtUp, Vec::new()));
    };
    let events = read_events(log, last_seq + 1, settings.events_per_batch_max.max(1))?;
    let Some(last) = events.last() else {
        return Ok((Step::CaughtUp, Vec::new()));
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
    let Some(mut applied) = apply(live, &events, applied_before) else {
        return Ok((Step::CaughtUp, Vec::new()));
    };
    applied.batch.snapshot = to_seq.saturating_sub(snapshot_seq) >= settings.snapshot_every_events;
    applied.batch.return_written = live.has_receivers() && !applied.changed.is_empty();
    span.record("changes", applied.batch.changes.len());
    let written = live
        .read(|projector| store.write(projector, &applied.batch))
        .transpose()?
        .unwrap_or_default();
    tracing::debug!(snapshot = applied.batch.snapshot, "batch written");
    Ok((
        Step::Wrote {
            to_seq,
            new_findings: applied.new_findings,
            snapshot: applied.batch.snapshot,
            changed: applied.changed,
            calendar_gaps: applied.calendar_gaps,
        },
        written,
    ))
}

/// Applies `events` (read in order from the log) to the projector, taking its write lock for
/// each event in turn: in memory, no I/O. `None` while the follower has no projector.
fn apply(live: &Live, events: &[LoggedEvent], applied_before: u64) -> Option<Applied> {
    let mut batch = ProjectionBatch::default();
    let mut calendar_gaps = std::collections::BTreeSet::new();
    for event in events {
        let (gaps, changes) = live.write(|projector| {
            (
                tutorwatch_projections::years_without_calendar(projector.policy(), event),
                projector.apply(event),
            )
        })?;
        calendar_gaps.extend(gaps);
        batch.record(event, changes);
    }
    let new_findings = batch
        .changes
        .iter()
        .filter(|(seq, change)| *seq > applied_before && matches!(change, Change::Raised(_)))
        .count() as u64;
    let mut changed = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (seq, change) in &batch.changes {
        let id = match change {
            Change::Raised(finding) => finding.id,
            Change::Withdrawn { id, .. } | Change::StatusChanged { id, .. } => *id,
            Change::ListMoved(_) => continue,
        };
        if *seq > applied_before && seen.insert(id) {
            changed.push(id);
        }
    }
    Some(Applied {
        batch,
        new_findings,
        changed,
        calendar_gaps,
    })
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
    loop {
        if *shutdown.borrow() {
            break;
        }
        // Mark the head seen before reading, so growth after the read wakes the wait below.
        head.borrow_and_update();
        let (log, store, settings, shared) = (
            Arc::clone(&log),
            Arc::clone(&store),
            settings.clone(),
            Arc::clone(&live),
        );
        let outcome = blocking(move || {
            let (outcome, written) = step(
                &log,
                &store,
                &shared,
                &settings,
                snapshot_seq,
                applied_before,
            )?;
            if let Step::Wrote {
                to_seq, changed, ..
            } = &outcome
            {
                if !written.is_empty() {
                    // What the store wrote, with each finding's feed position; not read back.
                    let changed: std::collections::BTreeSet<&FindingId> = changed.iter().collect();
                    let mut findings: Vec<StoredFinding> = written
                        .into_iter()
                        .filter(|f| changed.contains(&f.finding.id))
                        .collect();
                    // Feed order: new findings after the ones readers saw before.
                    findings.sort_by_key(|f| (f.raised_seq, f.finding.id));
                    shared.publish(FindingBatch {
                        to_seq: *to_seq,
                        findings,
                    });
                }
            }
            Ok(outcome)
        })
        .await?;
        match outcome {
            Step::Wrote {
                to_seq,
                new_findings,
                snapshot,
                calendar_gaps,
                ..
            } => {
                stats.record_batch(to_seq, new_findings);
                for year in calendar_gaps {
                    if stats.note_calendar_gap(year) {
                        tracing::warn!(
                            year,
                            "lessons in {year} are judged without that year's official holiday schedule: only the fixed-date statutory holidays (1/1, 5/1, 10/1-10/3), weekends and configured vacations apply; add the year's calendar to the policy"
                        );
                    }
                }
                if snapshot {
                    snapshot_seq = to_seq;
                    stats.set_snapshot_seq(to_seq);
                }
            }
            Step::CaughtUp => {
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
            }
        }
    }
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
