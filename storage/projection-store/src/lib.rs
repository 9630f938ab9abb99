//! The projection store: findings, their feed indexes, list entries, and what readers are shown
//! of the facts (each institution's profile, each course's plan) in their own sled database,
//! and the follower's snapshot in a file beside it (the service keeps both in
//! `<data_dir>/projections`, beside `<data_dir>/log`, so that "rebuild" means deleting that one
//! directory).
//!
//! Everything is derived from the log and can be thrown away. One sled tree holds it all with
//! prefixed keys (the layout is in `keys`), so every [`ProjectionStore::write`] is one atomic
//! batch, flushed before it returns: a reader never sees a finding without its index entries, and
//! `applied_seq` never runs ahead of the rows it vouches for.
//!
//! Beside the findings it keeps two series that pages read without a pass over the findings:
//! each institution's fund movement per local date ([`FundDay`], from the escrow events a batch
//! records) and how many findings stand per region, ISO week, status and rule (kept in step with
//! every finding row written). Both are bounded by what they are keyed by, not by the log.
//!
//! Stored values start with a format byte, then postcard. A value that does not decode is
//! [`ProjectionStoreError::CorruptProjection`], never a panic.

mod error;
mod feed;
mod keys;
mod settled;
mod snapshot;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tutorwatch_events::ids::{CourseId, FindingId};
use tutorwatch_events::RegionCode;
use tutorwatch_events::{CreditCode, LoggedEvent};
use tutorwatch_findings::{
    current_version, fund_flow, last_raised, shown_change, Change, Finding, FoldState, FundDay,
    FundFlow, InstitutionProfile, ListEntry, ListMove, ListStatus, Outcome, PlannedCourse,
    ProjectionSource, ShownChange,
};

pub use feed::{
    BadCursor, Cursor, FeedPage, FeedQuery, Scope, StatusTag, FEED_PAGE_MAX, FEED_SCAN_MAX,
};

pub use error::ProjectionStoreError;
pub use keys::CountKey;
pub use settled::SettledBatch;
use snapshot::SnapshotFiles;
use tutorwatch_db::open_db;

/// The tree everything lives in.
const PROJECTIONS_TREE: &str = "projections";

/// The most bytes of the store's pages sled keeps cached (as it counts them; a page takes several
/// times that in memory). Each batch reads back the rows of the findings it changes and feed
/// queries read recent index pages, so the store keeps more than the log (one 1M-event benchmark
/// run with 8 MiB here projected 16 % slower than with 64 MiB: within this machine's run-to-run
/// spread, but the direction a smaller cache goes, so the smaller size was not taken).
pub const STORE_CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// The layout of the rows this build writes. A store written in another layout (or in none: one
/// from before this row existed) is rebuilt from the log (see [`ProjectionStore::is_current`]).
/// Bump it whenever a row is added or its encoding changes.
///
/// 2: fund rows (`d`) and finding counts (`c`); 3: the snapshot in a file of its own, which the
/// `m snapshot` row names by its sequence; 4: institutions' profiles (`p`) and courses' plans
/// (`t`), which readers read instead of the running projector.
pub const STORE_FORMAT: u32 = 4;

/// The first byte of every encoded value this build writes.
const VALUE_FORMAT_V1: u8 = 0x01;

/// A finding as stored: with the log sequence of the event whose application first raised it,
/// which orders the feeds and is kept when the finding is later rewritten.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFinding {
    pub raised_seq: u64,
    pub finding: Finding,
}

/// The same, borrowed, for encoding without a copy (postcard encodes both alike).
#[derive(Serialize)]
struct StoredFindingRef<'a> {
    raised_seq: u64,
    finding: &'a Finding,
}

/// One page of a list, from [`ProjectionStore::list_page`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPage {
    /// In credit-code order.
    pub entries: Vec<ListEntry>,
    /// Pass as `after` for the next page; `None` at the end of the list.
    pub next: Option<CreditCode>,
}

/// List moves read from the store, in log order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListMoves {
    /// Each move with the log sequence of the event that made it.
    pub moves: Vec<(u64, ListMove)>,
    /// Whether these are all the moves in the range asked for (`false`: the limit was reached).
    pub complete: bool,
}

/// What one projector batch changed, to be written in one go.
///
/// `institutions` matters beside `changes`: the projector may recompute the list entry of any
/// institution an event concerns, and an entry's reasons can change without its status moving
/// (so without a `ListMoved`); writing the entries of all of them keeps the store equal to a
/// replay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectionBatch {
    /// Each change with the sequence of the event that caused it, in log order.
    pub changes: Vec<(u64, Change)>,
    /// The institutions of the events applied.
    pub institutions: BTreeSet<CreditCode>,
    /// The courses whose plans the events applied may have changed
    /// ([`shown_change`](tutorwatch_findings::shown_change)), by institution.
    pub courses: BTreeSet<(CreditCode, CourseId)>,
    /// The last log sequence applied.
    pub applied_seq: u64,
    /// Also store the projector's snapshot: its file is written and synced first, then the row
    /// naming it goes in the same atomic write as the rest.
    pub snapshot: bool,
    /// Return the findings written, as stored (for live feeds, without reading them back).
    pub return_written: bool,
    /// The fund flows of the events applied, with their sequence, institution and local date.
    /// The store adds only those after the highest sequence whose flows it has added (events
    /// re-applied after a restart were added by the run that first wrote them).
    pub funds: Vec<(u64, CreditCode, jiff::civil::Date, FundFlow)>,
}

impl ProjectionBatch {
    /// Records one applied event and what applying it changed.
    pub fn record(&mut self, event: &LoggedEvent, changes: Vec<Change>) {
        self.institutions.insert(event.envelope.institution.clone());
        if let ShownChange::Plan(course) = shown_change(&event.envelope.event) {
            self.courses
                .insert((event.envelope.institution.clone(), course.clone()));
        }
        if let Some((institution, date, flow)) = fund_flow(event) {
            self.funds.push((event.seq, institution, date, flow));
        }
        self.changes
            .extend(changes.into_iter().map(|change| (event.seq, change)));
        self.applied_seq = self.applied_seq.max(event.seq);
    }

    /// The rows writing this batch rewrites, as `fold` stands: every finding its changes name,
    /// the list entry of every institution concerned (those of the events applied, of the list
    /// moves, and of each finding `fold` still has), the profile of every institution whose
    /// profile changed, and the plan of every course the events may have changed.
    fn touched<F: FoldState>(&self, fold: &F) -> Touched {
        let mut first_seq: BTreeMap<FindingId, u64> = BTreeMap::new();
        let mut institutions = self.institutions.clone();
        let mut profiles = BTreeSet::new();
        for (seq, change) in &self.changes {
            match change {
                Change::Raised(finding) => {
                    first_seq.entry(finding.id).or_insert(*seq);
                }
                Change::Withdrawn { id, .. } | Change::StatusChanged { id, .. } => {
                    first_seq.entry(*id).or_insert(*seq);
                }
                Change::ListMoved(moved) => {
                    institutions.insert(moved.institution.clone());
                }
                Change::ProfileChanged(institution) => {
                    profiles.insert(institution.clone());
                }
            }
        }
        for id in first_seq.keys() {
            if let Some(status) = fold.finding_status(id) {
                institutions.insert(status.institution.clone());
            }
        }
        Touched {
            first_seq,
            institutions,
            profiles,
            courses: self.courses.clone(),
        }
    }
}

/// What writing one batch rewrites (see [`ProjectionBatch::touched`]).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Touched {
    /// Each finding with the sequence of its first change in the batch (a new finding's feed
    /// position).
    first_seq: BTreeMap<FindingId, u64>,
    /// Whose list entry it rewrites.
    institutions: BTreeSet<CreditCode>,
    /// Whose profile it rewrites.
    profiles: BTreeSet<CreditCode>,
    /// Whose plans it rewrites.
    courses: BTreeSet<(CreditCode, CourseId)>,
}

/// The persisted projections.
#[derive(Debug)]
pub struct ProjectionStore {
    db: sled::Db,
    tree: sled::Tree,
    path: PathBuf,
    /// The projector's snapshot files, in `<path>/snapshots/`.
    snapshots: SnapshotFiles,
}

fn encode<T: Serialize + ?Sized>(
    what: &'static str,
    value: &T,
) -> Result<Vec<u8>, ProjectionStoreError> {
    postcard::to_extend(value, vec![VALUE_FORMAT_V1]).map_err(|e| ProjectionStoreError::Encode {
        what,
        reason: e.to_string(),
    })
}

fn decode<T: DeserializeOwned>(key: &[u8], value: &[u8]) -> Result<T, ProjectionStoreError> {
    decode_named(keys::describe(key), value)
}

/// Decodes a stored value (format byte, then postcard) that `name` says where it was read from:
/// a row's key or a file's path.
fn decode_named<T: DeserializeOwned>(
    name: String,
    value: &[u8],
) -> Result<T, ProjectionStoreError> {
    let corrupt = |reason: String| ProjectionStoreError::CorruptProjection {
        key: name.clone(),
        reason,
    };
    match value.split_first() {
        None => Err(corrupt("the value is empty".into())),
        Some((&VALUE_FORMAT_V1, rest)) => {
            postcard::from_bytes(rest).map_err(|e| corrupt(e.to_string()))
        }
        Some((&format, _)) => Err(corrupt(format!("unknown value format byte {format:#04x}"))),
    }
}

/// Puts `value`, encoded, under `key` in `writes`, or removes the row for `None`.
fn put_or_remove<T: Serialize>(
    writes: &mut sled::Batch,
    key: Vec<u8>,
    what: &'static str,
    value: Option<&T>,
) -> Result<(), ProjectionStoreError> {
    match value {
        Some(value) => writes.insert(key, encode(what, value)?),
        None => writes.remove(key),
    }
    Ok(())
}

/// An 8-byte big-endian number stored under `key`.
fn read_u64(key: &[u8], value: &[u8]) -> Result<u64, ProjectionStoreError> {
    let bytes: [u8; 8] = value
        .try_into()
        .map_err(|_| ProjectionStoreError::CorruptProjection {
            key: keys::describe(key),
            reason: format!("{} bytes, not an 8-byte number", value.len()),
        })?;
    Ok(u64::from_be_bytes(bytes))
}

impl ProjectionStore {
    /// Opens (or creates) the store in `path`. Another process holding it is
    /// [`ProjectionStoreError::InUse`].
    /// Snapshot files that the store's row does not name (left by a crash between a file and
    /// its batch) are removed.
    pub fn open(path: &Path) -> Result<Self, ProjectionStoreError> {
        let db = open_db(path, STORE_CACHE_BYTES)?;
        let tree = db.open_tree(PROJECTIONS_TREE)?;
        let snapshots = SnapshotFiles::open(path)?;
        let store = Self {
            db,
            tree,
            path: path.to_owned(),
            snapshots,
        };
        // A row from another layout names no file here: then every file goes (the store is
        // rebuilt anyway, see `is_current`). A failure to read the row is no reason to delete.
        let named = match store.snapshot_seq() {
            Err(ProjectionStoreError::CorruptProjection { .. }) => None,
            other => other?,
        };
        store.snapshots.remove_all_but(named)?;
        Ok(store)
    }

    /// The sequence of the snapshot the store's row names, if any.
    fn snapshot_seq(&self) -> Result<Option<u64>, ProjectionStoreError> {
        let key = keys::meta(keys::SNAPSHOT);
        self.tree
            .get(&key)?
            .map(|value| read_u64(&key, &value))
            .transpose()
    }

    /// The directory the store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes a batch: for every finding the changes touch, its current version (the body it was
    /// last raised with, from the batch or the stored row, with the projector's status) and
    /// its index entries (moving the status entry when the status changed); the current list
    /// entry of every institution concerned, the profile of every institution whose profile
    /// changed, the plan of every course the events may have changed, and each list move;
    /// `applied_seq`, the policy version and, when asked, the snapshot. One atomic batch,
    /// flushed before it returns. Returns the findings written, as stored, when the batch asks
    /// for them (`return_written`), else nothing.
    pub fn write<S: ProjectionSource>(
        &self,
        projector: &S,
        batch: &ProjectionBatch,
    ) -> Result<Vec<StoredFinding>, ProjectionStoreError> {
        let snapshot = batch
            .snapshot
            .then_some(|files: &SnapshotFiles, seq: u64| files.write(seq, &projector.snapshot()));
        self.write_with(projector, batch, &batch.touched(projector), snapshot)
    }

    /// Writes a batch settled from the fold when it was applied ([`SettledBatch`]), as
    /// [`Self::write`] would have written it then, while the fold may have gone on since. A
    /// settled batch never carries a snapshot (that is the fold's whole state: write it with
    /// [`Self::write`]).
    pub fn write_settled(
        &self,
        settled: &SettledBatch,
    ) -> Result<Vec<StoredFinding>, ProjectionStoreError> {
        let (fold, batch, touched) = settled.parts();
        self.write_with(
            fold,
            batch,
            touched,
            None::<fn(&SnapshotFiles, u64) -> Result<(), ProjectionStoreError>>,
        )
    }

    /// What [`Self::write`] and [`Self::write_settled`] do: the rows `touched` names (as
    /// `batch.touched(fold)` gave them), from `fold`, and the snapshot file with `snapshot` when
    /// there is one.
    fn write_with<F: FoldState>(
        &self,
        fold: &F,
        batch: &ProjectionBatch,
        touched: &Touched,
        snapshot: Option<impl FnOnce(&SnapshotFiles, u64) -> Result<(), ProjectionStoreError>>,
    ) -> Result<Vec<StoredFinding>, ProjectionStoreError> {
        assert!(
            batch
                .changes
                .iter()
                .all(|(seq, _)| *seq <= batch.applied_seq),
            "applied_seq vouches for every change written with it"
        );
        let mut writes = sled::Batch::default();
        let mut written = Vec::new();
        // The body each finding was last raised with in this batch (the projector keeps only
        // heads; a finding's body is the one in its `Raised` change, or else the stored row's).
        let raised = last_raised(batch.changes.iter().map(|(_, change)| change));
        let mut counts: BTreeMap<CountKey, i64> = BTreeMap::new();
        for (seq, change) in &batch.changes {
            if let Change::ListMoved(moved) = change {
                writes.insert(
                    keys::list_move(*seq, &moved.institution),
                    encode("a list move", moved)?,
                );
            }
        }
        for (&id, &seq) in &touched.first_seq {
            let stored = self.finding(&id)?;
            let old_keys = stored
                .as_ref()
                .map(|s| keys::index_keys(s.raised_seq, &s.finding))
                .unwrap_or_default();
            let old_count = stored.as_ref().and_then(|s| CountKey::of(&s.finding));
            let Some(status) = fold.finding_status(&id) else {
                // The projector never forgets a finding; if it did, so do we.
                if let Some(key) = old_count {
                    *counts.entry(key).or_default() -= 1;
                }
                old_keys
                    .iter()
                    .for_each(|key| writes.remove(key.as_slice()));
                writes.remove(keys::finding(&id));
                continue;
            };
            let (raised_seq, body) = match (raised.get(&id).copied().flatten(), stored) {
                (Some(body), stored) => (
                    stored.as_ref().map_or(seq, |s| s.raised_seq),
                    (*body).clone(),
                ),
                (None, Some(stored)) => (stored.raised_seq, stored.finding),
                (None, None) => return Err(ProjectionStoreError::MissingFinding { id }),
            };
            let current = &current_version(body, status);
            let new_count = CountKey::of(current);
            if old_count != new_count {
                if let Some(key) = old_count {
                    *counts.entry(key).or_default() -= 1;
                }
                if let Some(key) = new_count {
                    *counts.entry(key).or_default() += 1;
                }
            }
            let new_keys = keys::index_keys(raised_seq, current);
            for key in old_keys.difference(&new_keys) {
                writes.remove(key.as_slice());
            }
            for key in new_keys.difference(&old_keys) {
                writes.insert(key.as_slice(), &[][..]);
            }
            let row = StoredFindingRef {
                raised_seq,
                finding: current,
            };
            writes.insert(keys::finding(&id), encode("a finding", &row)?);
            if batch.return_written {
                written.push(StoredFinding {
                    raised_seq,
                    finding: current.clone(),
                });
            }
        }
        for institution in &touched.institutions {
            let key = keys::list_entry(institution);
            let entry = fold
                .list_entry(institution)
                .map(|entry| encode("a list entry", entry).map(|bytes| (entry.status, bytes)))
                .transpose()?;
            // Most events leave their institution's entry as it was: then nothing is written
            // (the index follows the entry's status, so it is unchanged too).
            let stored = self.tree.get(&key)?;
            if stored.as_deref() == entry.as_ref().map(|(_, bytes)| bytes.as_slice()) {
                continue;
            }
            // The list index: drop the institution from every list, then put it on its own.
            for status in keys::LIST_STATUSES {
                writes.remove(keys::list_index(status, institution));
            }
            match entry {
                Some((status, bytes)) => {
                    writes.insert(keys::list_index(status, institution), &[][..]);
                    writes.insert(key, bytes);
                }
                None => writes.remove(key),
            }
        }
        // Profiles and plans are rewritten only for what changed (no read of the stored row).
        for institution in &touched.profiles {
            let profile = fold.institution_profile(institution);
            put_or_remove(
                &mut writes,
                keys::profile(institution),
                "an institution's profile",
                profile.as_ref(),
            )?;
        }
        for (institution, course) in &touched.courses {
            let plan = fold.planned_course(institution, course);
            put_or_remove(
                &mut writes,
                keys::planned_course(institution, course),
                "a course's plan",
                plan.as_ref(),
            )?;
        }
        self.write_counts(&mut writes, counts)?;
        self.write_funds(&mut writes, batch)?;
        writes.insert(
            keys::meta(keys::STORE_FORMAT),
            &STORE_FORMAT.to_be_bytes()[..],
        );
        writes.insert(
            keys::meta(keys::APPLIED_SEQ),
            &batch.applied_seq.to_be_bytes()[..],
        );
        writes.insert(
            keys::meta(keys::POLICY_VERSION),
            fold.derivation().as_bytes(),
        );
        let snapshot_written = match snapshot {
            Some(write_file) => {
                // The file is durable before the row that names it is written.
                write_file(&self.snapshots, batch.applied_seq)?;
                writes.insert(
                    keys::meta(keys::SNAPSHOT),
                    &batch.applied_seq.to_be_bytes()[..],
                );
                true
            }
            None => false,
        };
        self.tree.apply_batch(writes)?;
        self.db.flush()?;
        if snapshot_written {
            self.snapshots.remove_all_but(Some(batch.applied_seq))?;
        }
        Ok(written)
    }

    /// The list moves made by the log's events after `after_seq` up to `until_seq`, in log order,
    /// at most `limit` of them; `complete` says whether that was all of them.
    pub fn list_moves(
        &self,
        after_seq: u64,
        until_seq: u64,
        limit: usize,
    ) -> Result<ListMoves, ProjectionStoreError> {
        let start = keys::list_moves_from(after_seq.saturating_add(1));
        let end = keys::list_moves_from(until_seq.saturating_add(1));
        let mut moves = Vec::new();
        for item in self.tree.range(start..end) {
            let (key, value) = item?;
            if moves.len() == limit {
                return Ok(ListMoves {
                    moves,
                    complete: false,
                });
            }
            let seq = keys::list_move_seq(&key).ok_or_else(|| {
                ProjectionStoreError::CorruptProjection {
                    key: keys::describe(&key),
                    reason: "not a list move's key".into(),
                }
            })?;
            moves.push((seq, decode::<ListMove>(&key, &value)?));
        }
        Ok(ListMoves {
            moves,
            complete: true,
        })
    }

    /// Adds the batch's count changes to the stored counts (a row at zero is removed).
    fn write_counts(
        &self,
        writes: &mut sled::Batch,
        counts: BTreeMap<CountKey, i64>,
    ) -> Result<(), ProjectionStoreError> {
        for (count_key, delta) in counts {
            if delta == 0 {
                continue;
            }
            let key = keys::count(&count_key);
            let stored = match self.tree.get(&key)? {
                None => 0,
                Some(value) => read_u64(&key, &value)?,
            };
            let now = if delta < 0 {
                stored.checked_sub(delta.unsigned_abs())
            } else {
                stored.checked_add(delta.unsigned_abs())
            }
            .ok_or_else(|| ProjectionStoreError::CorruptProjection {
                key: keys::describe(&key),
                reason: format!("a count of {stored} cannot change by {delta}"),
            })?;
            if now == 0 {
                writes.remove(key);
            } else {
                writes.insert(key, &now.to_be_bytes()[..]);
            }
        }
        Ok(())
    }

    /// Adds the batch's fund flows of events after the stored `funds_seq` to the stored fund
    /// rows, and moves `funds_seq` up to the batch's `applied_seq` (never down: after a restart
    /// the follower re-applies events from its snapshot, in batches that end before what an
    /// earlier run wrote, and `applied_seq` then moves back for a while).
    fn write_funds(
        &self,
        writes: &mut sled::Batch,
        batch: &ProjectionBatch,
    ) -> Result<(), ProjectionStoreError> {
        let funds_key = keys::meta(keys::FUNDS_SEQ);
        let already = match self.tree.get(&funds_key)? {
            None => 0,
            Some(value) => read_u64(&funds_key, &value)?,
        };
        if batch.applied_seq > already {
            writes.insert(funds_key, &batch.applied_seq.to_be_bytes()[..]);
        }
        let mut days: BTreeMap<(&CreditCode, jiff::civil::Date), FundDay> = BTreeMap::new();
        for (seq, institution, date, flow) in &batch.funds {
            if *seq <= already {
                continue;
            }
            let day = match days.entry((institution, *date)) {
                std::collections::btree_map::Entry::Occupied(day) => day.into_mut(),
                std::collections::btree_map::Entry::Vacant(vacant) => {
                    let key = keys::fund_day(institution, *date);
                    let stored = match self.tree.get(&key)? {
                        None => FundDay::default(),
                        Some(value) => decode(&key, &value)?,
                    };
                    vacant.insert(stored)
                }
            };
            day.add(flow.clone());
        }
        for ((institution, date), day) in days {
            writes.insert(
                keys::fund_day(institution, date),
                encode("a fund row", &day)?,
            );
        }
        Ok(())
    }

    /// An institution's fund rows, in date order: one per local date with money movement, so at
    /// most one per day of its life however long the log.
    pub fn fund_days(
        &self,
        institution: &CreditCode,
    ) -> Result<Vec<(jiff::civil::Date, FundDay)>, ProjectionStoreError> {
        let prefix = keys::fund_prefix(institution);
        self.tree
            .scan_prefix(&prefix)
            .map(|item| {
                let (key, value) = item?;
                Ok((
                    keys::fund_day_date(&key, prefix.len())?,
                    decode(&key, &value)?,
                ))
            })
            .collect()
    }

    /// Every institution's fund rows, by credit code and date (for `replay --check`).
    pub fn all_fund_days(
        &self,
    ) -> Result<BTreeMap<(CreditCode, jiff::civil::Date), FundDay>, ProjectionStoreError> {
        self.tree
            .scan_prefix(keys::funds_prefix())
            .map(|item| {
                let (key, value) = item?;
                Ok((keys::fund_day_of(&key)?, decode(&key, &value)?))
            })
            .collect()
    }

    /// The standing findings counted by region, ISO week, status and rule, within `within`
    /// (everything for `None`), in key order. Reads one row per combination that has findings,
    /// never the findings themselves.
    pub fn counts(
        &self,
        within: Option<RegionCode>,
    ) -> Result<Vec<(CountKey, u64)>, ProjectionStoreError> {
        self.tree
            .scan_prefix(keys::count_prefix(within))
            .map(|item| {
                let (key, value) = item?;
                Ok((keys::count_key_of(&key)?, read_u64(&key, &value)?))
            })
            .collect()
    }

    /// Whether the rows were written in this build's layout ([`STORE_FORMAT`]). An empty store
    /// is current; one written before the layout row existed, or in another layout, is not and
    /// must be rebuilt from the log.
    pub fn is_current(&self) -> Result<bool, ProjectionStoreError> {
        let key = keys::meta(keys::STORE_FORMAT);
        match self.tree.get(&key)? {
            Some(value) => {
                let bytes: [u8; 4] = value.as_ref().try_into().map_err(|_| {
                    ProjectionStoreError::CorruptProjection {
                        key: keys::describe(&key),
                        reason: format!("{} bytes, not a 4-byte format", value.len()),
                    }
                })?;
                Ok(u32::from_be_bytes(bytes) == STORE_FORMAT)
            }
            None => Ok(self.tree.is_empty()),
        }
    }

    /// The last log sequence whose changes are written (0: none).
    pub fn applied_seq(&self) -> Result<u64, ProjectionStoreError> {
        let key = keys::meta(keys::APPLIED_SEQ);
        match self.tree.get(&key)? {
            None => Ok(0),
            Some(value) => read_u64(&key, &value),
        }
    }

    /// The policy version the stored rows were computed under (`None`: nothing written yet).
    pub fn policy_version(&self) -> Result<Option<String>, ProjectionStoreError> {
        let key = keys::meta(keys::POLICY_VERSION);
        match self.tree.get(&key)? {
            None => Ok(None),
            Some(value) => String::from_utf8(value.to_vec()).map(Some).map_err(|e| {
                ProjectionStoreError::CorruptProjection {
                    key: keys::describe(&key),
                    reason: e.to_string(),
                }
            }),
        }
    }

    /// The last snapshot `S` wrote, if any: `store.load_snapshot::<Projector>()`.
    pub fn load_snapshot<S: ProjectionSource>(
        &self,
    ) -> Result<Option<S::Snapshot>, ProjectionStoreError> {
        match self.snapshot_seq()? {
            None => Ok(None),
            Some(seq) => self.snapshots.read(seq).map(Some),
        }
    }

    /// One finding.
    pub fn finding(&self, id: &FindingId) -> Result<Option<StoredFinding>, ProjectionStoreError> {
        self.row(keys::finding(id))
    }

    /// Every finding, in id order.
    pub fn findings(&self) -> Result<Vec<StoredFinding>, ProjectionStoreError> {
        self.rows(keys::findings_prefix()).collect()
    }

    /// The row under `key`, decoded (`None`: there is none).
    fn row<T: DeserializeOwned>(&self, key: Vec<u8>) -> Result<Option<T>, ProjectionStoreError> {
        match self.tree.get(&key)? {
            None => Ok(None),
            Some(value) => decode(&key, &value).map(Some),
        }
    }

    /// The rows whose keys start with `prefix`, decoded, in key order.
    fn rows<T: DeserializeOwned>(
        &self,
        prefix: impl AsRef<[u8]>,
    ) -> impl Iterator<Item = Result<T, ProjectionStoreError>> {
        self.tree.scan_prefix(prefix).map(|item| {
            let (key, value) = item?;
            decode(&key, &value)
        })
    }

    /// One institution's list entry.
    pub fn list_entry(
        &self,
        institution: &CreditCode,
    ) -> Result<Option<ListEntry>, ProjectionStoreError> {
        self.row(keys::list_entry(institution))
    }

    /// One institution's profile, as the last batch written left it (`None`: no event named
    /// it, or the store has not got that far).
    pub fn institution_profile(
        &self,
        institution: &CreditCode,
    ) -> Result<Option<InstitutionProfile>, ProjectionStoreError> {
        self.row(keys::profile(institution))
    }

    /// Every institution's profile, in credit-code order (for `replay --check` and tests).
    pub fn institution_profiles(&self) -> Result<Vec<InstitutionProfile>, ProjectionStoreError> {
        self.rows(keys::profiles_prefix()).collect()
    }

    /// An institution's published courses' plans, in course-id order: at most `limit` of them.
    pub fn planned_courses(
        &self,
        institution: &CreditCode,
        limit: usize,
    ) -> Result<Vec<PlannedCourse>, ProjectionStoreError> {
        self.rows(keys::planned_courses_prefix(institution))
            .take(limit)
            .collect()
    }

    /// Every course's plan, by institution and course (for `replay --check` and tests).
    pub fn all_planned_courses(&self) -> Result<Vec<PlannedCourse>, ProjectionStoreError> {
        self.rows(keys::all_planned_courses_prefix()).collect()
    }

    /// Every list entry, in credit-code order.
    pub fn list_entries(&self) -> Result<Vec<ListEntry>, ProjectionStoreError> {
        self.rows(keys::lists_prefix()).collect()
    }

    /// One page of a list (black, white or unlisted), in credit-code order: at most `limit`
    /// entries after `after`, and the credit code to continue after when there are more. Reads
    /// the list index, so a page costs `limit` reads however many institutions there are.
    pub fn list_page(
        &self,
        status: ListStatus,
        after: Option<&CreditCode>,
        limit: usize,
    ) -> Result<ListPage, ProjectionStoreError> {
        let prefix = keys::list_index_prefix(status);
        let start = match after {
            Some(code) => Bound::Excluded(keys::list_index(status, code)),
            None => Bound::Included(prefix.to_vec()),
        };
        let mut entries = Vec::new();
        let mut more = false;
        for key in self
            .tree
            .range::<Vec<u8>, _>((start, Bound::Unbounded))
            .keys()
        {
            let key = key?;
            if !key.starts_with(&prefix) {
                break;
            }
            if entries.len() == limit {
                more = true;
                break;
            }
            // The index key ends with the credit code, the list entry's key is `l` + the same.
            let entry_key = keys::list_entry_of_index(&key, prefix.len());
            let value = self.tree.get(&entry_key)?.ok_or_else(|| {
                ProjectionStoreError::CorruptProjection {
                    key: keys::describe(&key),
                    reason: "the list index names an institution without a list entry".into(),
                }
            })?;
            let entry: ListEntry = decode(&entry_key, &value)?;
            entries.push(entry);
        }
        let next = if more {
            entries.last().map(|e| e.institution.clone())
        } else {
            None
        };
        Ok(ListPage { entries, next })
    }

    /// All findings and list entries, for `tutorwatch_findings::digest` (equal to a fresh replay's
    /// `Projector::outcome` once the store has caught up).
    pub fn outcome(&self) -> Result<Outcome, ProjectionStoreError> {
        Ok(Outcome {
            findings: self.findings()?.into_iter().map(|s| s.finding).collect(),
            lists: self.list_entries()?,
        })
    }

    /// Drops everything (findings, indexes, lists, meta, snapshot), e.g. before a rebuild under
    /// another policy version.
    pub fn clear(&self) -> Result<(), ProjectionStoreError> {
        self.tree.clear()?;
        self.db.flush()?;
        self.snapshots.remove_all_but(None)?;
        Ok(())
    }

    /// Makes the store look as a build of layout 3 left it: no profile or plan rows, and its
    /// layout row saying 3. Only for tests that an older store is rebuilt on first start.
    #[doc(hidden)]
    pub fn as_layout_3_for_tests(&self) -> Result<(), ProjectionStoreError> {
        let mut writes = sled::Batch::default();
        let prefixes = [keys::profiles_prefix(), keys::all_planned_courses_prefix()];
        for prefix in prefixes {
            for item in self.tree.scan_prefix(prefix) {
                let (key, _) = item?;
                writes.remove(key);
            }
        }
        writes.insert(keys::meta(keys::STORE_FORMAT), &3u32.to_be_bytes()[..]);
        self.tree.apply_batch(writes)?;
        self.db.flush()?;
        Ok(())
    }

    /// Overwrites the stored snapshot file's raw bytes (the store must have a snapshot). Only
    /// for tests of what happens when derived data no longer decodes.
    #[doc(hidden)]
    pub fn tamper_snapshot_for_tests(&self, bytes: &[u8]) -> Result<(), ProjectionStoreError> {
        let seq = self
            .snapshot_seq()?
            .ok_or_else(|| ProjectionStoreError::CorruptProjection {
                key: keys::describe(&keys::meta(keys::SNAPSHOT)),
                reason: "no snapshot to tamper with".into(),
            })?;
        self.snapshots.overwrite(seq, bytes)
    }
}

#[cfg(test)]
mod tests;
