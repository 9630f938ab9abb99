//! The event log: append-only, idempotent by event id, hash-chained, durable before it answers.
//!
//! One sled tree, `chain`, holds it, under four kinds of key (see `keys`): each appended batch's
//! entries as one value keyed by the batch's last sequence (`batch`: an index, then the encoded
//! `LogRecord`s), each event id's sequence (exact and forever: the duplicate check), the facts
//! the caller's admission gate needs to judge the next event (for Tutorwatch: who registered
//! which institution where, which bank holds which account), and the layout's version. A batch
//! goes in as one sled batch on that one tree, which sled applies atomically, and the database
//! is flushed before `append` returns, so whoever is told "stored" (the NATS ack, the HTTP 201)
//! can rely on it surviving a crash, and the facts a gate reads are exactly those of the entries
//! before it: never ahead, never behind. Logs written in the earlier layout (three trees, one
//! value per entry) are rewritten into this one when first opened (`legacy`).
//!
//! **Invariant:** sequences start at 1 and have no gaps; entry `n`'s `prev_hash` is entry
//! `n - 1`'s hash. Only one append runs at a time (the head lock), so both hold by construction,
//! and `open` and `verify` check them on what is on disk.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tokio::sync::watch;
use tutorwatch_events::record::{RecordFormat, HASH_BYTES};
use tutorwatch_events::{EventId, LogRecord, Sender, UtcTime};

use crate::batch::{self, BatchView};
use crate::chain::{chain_hash_v2, record_hash};
use crate::error::LogError;
use crate::keys;
use crate::seal::OpenGuard;
use tutorwatch_db::open_db;

/// The most events one `append` takes. Larger batches are refused, not split, so that a caller's
/// "one batch = one atomic write" assumption never silently breaks.
pub const EVENTS_PER_APPEND_MAX: usize = 10_000;

/// The most bytes of the log's pages sled keeps cached (as it counts them; a page takes several
/// times that in memory). Appends write new pages and the id lookups of a batch are mostly
/// recent, so a small cache costs nothing measurable: appending 3,000,000 events left 845 MiB
/// resident with 64 MiB here and 209 MiB with 8 MiB, at the same rate.
pub const LOG_CACHE_BYTES: u64 = 8 * 1024 * 1024;

/// What happened to one event of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendOutcome<R = std::convert::Infallible> {
    /// Stored now, at this sequence.
    Appended(u64),
    /// Already stored (earlier, or earlier in the same batch) by the same producer, at this
    /// sequence: a retry.
    Duplicate(u64),
    /// The id is already stored at this sequence, for an event the gate says is not this one's
    /// (another producer's): refused, never silently dropped as a duplicate.
    Conflict(u64),
    /// The gate refused the event; nothing was stored for it.
    Refused(R),
}

impl<R> AppendOutcome<R> {
    /// The sequence the event is stored at, if it is (appended now or a retry).
    pub fn seq(&self) -> Option<u64> {
        match self {
            AppendOutcome::Appended(seq) | AppendOutcome::Duplicate(seq) => Some(*seq),
            AppendOutcome::Conflict(_) | AppendOutcome::Refused(_) => None,
        }
    }
}

/// One event offered to the log: its id, its canonical bytes and who sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub id: EventId,
    pub bytes: Vec<u8>,
    pub sender: Option<Sender>,
}

/// The facts as one batch sees them: what is stored, under the writes of the events admitted
/// before in the same batch. Keys and values mean what the gate says they mean.
#[derive(Debug)]
pub struct FactsOverlay<'t> {
    tree: &'t sled::Tree,
    pending: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl FactsOverlay<'_> {
    /// The value under `key`, as of the event being judged.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, LogError> {
        if let Some(value) = self.pending.get(key) {
            return Ok(Some(value.clone()));
        }
        Ok(self.tree.get(keys::fact(key))?.map(|v| v.to_vec()))
    }

    /// Sets `key` for the events after this one; stored with the batch.
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.pending.insert(key, value);
    }
}

/// Decides, at append time and under the head lock, which offered events the log takes.
pub trait Gate {
    /// Why an event is refused.
    type Refusal;

    /// An event with offer `index`'s id is already stored (or earlier in this batch) as
    /// `stored`: whether the offer is a retry of it (then it is a duplicate) or another
    /// producer's event under the same id (then it is a conflict).
    fn is_retry(&mut self, index: usize, stored: &LogRecord) -> Result<bool, LogError>;

    /// Whether offer `index` may be appended, judged by (and updating) the facts.
    fn admit(
        &mut self,
        index: usize,
        facts: &mut FactsOverlay<'_>,
    ) -> Result<Result<(), Self::Refusal>, LogError>;
}

/// The gate that takes everything and calls every repeated id a retry (tests, benchmarks and
/// the plain [`EventLog::append`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenGate;

impl Gate for OpenGate {
    type Refusal = std::convert::Infallible;

    fn is_retry(&mut self, _: usize, _: &LogRecord) -> Result<bool, LogError> {
        Ok(true)
    }

    fn admit(
        &mut self,
        _: usize,
        _: &mut FactsOverlay<'_>,
    ) -> Result<Result<(), Self::Refusal>, LogError> {
        Ok(Ok(()))
    }
}

/// Counts for `tutorwatch log stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogStats {
    pub events: u64,
    pub last_seq: u64,
    pub bytes_on_disk: u64,
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries that checked out, from the first.
    pub verified: u64,
    /// The first entry that did not, and why.
    pub first_bad: Option<(u64, String)>,
}

#[derive(Debug, Clone, Copy)]
struct Head {
    seq: u64,
    hash: [u8; HASH_BYTES],
}

/// The durable event log.
#[derive(Debug)]
pub struct EventLog {
    // The sled handles come first: fields drop in order, so they are closed before `seal` runs.
    db: sled::Db,
    chain: sled::Tree,
    path: PathBuf,
    head: Mutex<Head>,
    head_tx: watch::Sender<u64>,
    opened: OpenGuard,
    _seal: SealOnClose,
}

/// Seals the log's files when dropped (after the sled handles declared before it).
#[derive(Debug)]
struct SealOnClose(PathBuf);

impl Drop for SealOnClose {
    fn drop(&mut self) {
        if let Err(error) = crate::seal::after_close(&self.0) {
            tracing::warn!(
                path = %self.0.display(),
                error = %error,
                "the log's files could not be sealed; the next open copies them aside first"
            );
        }
    }
}

/// Decodes entry `seq` from its stored bytes, and checks that it says it is entry `seq`.
pub(crate) fn decode_entry(seq: u64, value: &[u8]) -> Result<LogRecord, LogError> {
    let record = LogRecord::decode(value).map_err(|e| LogError::Corrupt {
        seq,
        reason: e.to_string(),
    })?;
    if record.seq != seq {
        return Err(LogError::Corrupt {
            seq,
            reason: format!("stored as entry {seq} but says it is entry {}", record.seq),
        });
    }
    Ok(record)
}

/// One stored batch: the sequences it covers and its index.
struct StoredBatch<'a> {
    first: u64,
    last: u64,
    view: BatchView<'a>,
}

impl<'a> StoredBatch<'a> {
    /// Reads the batch stored under `key`; a damaged one is reported at `damaged_seq` (the first
    /// sequence it should hold, as far as the caller knows).
    fn new(key: &[u8], value: &'a [u8], damaged_seq: u64) -> Result<Self, LogError> {
        let last = keys::batch_seq(key)?;
        let view = BatchView::new(value).map_err(|e| LogError::Corrupt {
            seq: damaged_seq.min(last),
            reason: e.to_string(),
        })?;
        let first = (last + 1)
            .checked_sub(view.len() as u64)
            .filter(|&first| first >= 1)
            .ok_or_else(|| LogError::Corrupt {
                seq: last,
                reason: format!(
                    "a batch ending at entry {last} says it holds {} entries",
                    view.len()
                ),
            })?;
        Ok(Self { first, last, view })
    }

    /// Entry `seq` (between `first` and `last`), decoded.
    fn entry(&self, seq: u64) -> Result<LogRecord, LogError> {
        assert!(
            (self.first..=self.last).contains(&seq),
            "an entry is read from the batch that holds it"
        );
        decode_entry(seq, self.view.entry((seq - self.first) as usize))
    }
}

impl EventLog {
    /// Opens (or creates) the log in `path`, and reads its head.
    /// Files not sealed by a clean close are copied aside first (see `seal`).
    pub fn open(path: &Path) -> Result<Self, LogError> {
        tutorwatch_db::ensure_free(path)?;
        let opened = crate::seal::before_open(path)?;
        let db = match (open_db(path, LOG_CACHE_BYTES), &opened) {
            (Ok(db), _) => db,
            (Err(source), OpenGuard::CopiedTo(copy)) => {
                return Err(LogError::OpenedAfterCopy {
                    copy: copy.clone(),
                    source,
                })
            }
            (Err(error), _) => return Err(error.into()),
        };
        let chain = db.open_tree(keys::CHAIN_TREE)?;
        crate::legacy::upgrade(&db, &chain)?;
        let head = match chain.range(keys::batches_from(0)).next_back() {
            None => Head {
                seq: 0,
                hash: [0; HASH_BYTES],
            },
            Some(item) => {
                let (key, value) = item?;
                let stored = StoredBatch::new(&key, &value, keys::batch_seq(&key)?)?;
                let record = stored.entry(stored.last)?;
                Head {
                    seq: record.seq,
                    hash: record.hash,
                }
            }
        };
        let (head_tx, _) = watch::channel(head.seq);
        tracing::debug!(path = %path.display(), last_seq = head.seq, "event log opened");
        Ok(Self {
            db,
            chain,
            path: path.to_owned(),
            head: Mutex::new(head),
            head_tx,
            opened,
            _seal: SealOnClose(path.to_owned()),
        })
    }

    /// Whether the files were as the last clean close left them, or where they were copied
    /// before opening because they were not.
    pub fn opened(&self) -> &OpenGuard {
        &self.opened
    }

    /// The directory the log lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The sequence of the last stored entry (0 when empty).
    pub fn last_seq(&self) -> u64 {
        *self.head_tx.borrow()
    }

    /// A receiver that sees the last sequence each time the log grows.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.head_tx.subscribe()
    }

    /// Where an event id is stored, if it is.
    pub fn seq_of(&self, id: &EventId) -> Result<Option<u64>, LogError> {
        match self.chain.get(keys::id(id.as_bytes()))? {
            None => Ok(None),
            Some(value) => keys::value_seq(&value).map(Some),
        }
    }

    /// Appends a batch of encoded events, skipping ids already stored, in one atomic write,
    /// flushed to disk before it returns. Returns one outcome per input, in input order. Takes
    /// every event (no gate) and records no sender.
    pub fn append(
        &self,
        batch: &[(EventId, Vec<u8>)],
        recorded_at: UtcTime,
    ) -> Result<Vec<AppendOutcome>, LogError> {
        let offers: Vec<Offer> = batch
            .iter()
            .map(|(id, bytes)| Offer {
                id: *id,
                bytes: bytes.clone(),
                sender: None,
            })
            .collect();
        self.append_gated(&offers, recorded_at, &mut OpenGate)
    }

    /// Appends the offers `gate` admits, in order, in one atomic write with the facts they
    /// change, flushed before it returns. An id already stored is a duplicate when the gate
    /// calls the offer a retry, else a conflict; either way nothing new is stored for it.
    pub fn append_gated<G: Gate>(
        &self,
        offers: &[Offer],
        recorded_at: UtcTime,
        gate: &mut G,
    ) -> Result<Vec<AppendOutcome<G::Refusal>>, LogError> {
        if offers.len() > EVENTS_PER_APPEND_MAX {
            return Err(LogError::BatchTooLarge {
                count: offers.len(),
                max: EVENTS_PER_APPEND_MAX,
            });
        }
        // A poisoned lock means an append panicked half-way; the on-disk state is still whole
        // (the atomic write either happened or not), so re-read the head rather than give up.
        let mut head = match self.head.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut next = *head;
        let mut outcomes = Vec::with_capacity(offers.len());
        let mut in_batch: HashMap<EventId, usize> = HashMap::new();
        let mut records: Vec<LogRecord> = Vec::new();
        let mut facts = FactsOverlay {
            tree: &self.chain,
            pending: BTreeMap::new(),
        };
        for (index, offer) in offers.iter().enumerate() {
            let stored = match in_batch.get(&offer.id) {
                Some(&at) => Some(records[at].clone()),
                None => match self.seq_of(&offer.id)? {
                    Some(seq) => Some(self.record_at(seq)?),
                    None => None,
                },
            };
            if let Some(stored) = stored {
                outcomes.push(if gate.is_retry(index, &stored)? {
                    AppendOutcome::Duplicate(stored.seq)
                } else {
                    AppendOutcome::Conflict(stored.seq)
                });
                continue;
            }
            if let Err(refusal) = gate.admit(index, &mut facts)? {
                outcomes.push(AppendOutcome::Refused(refusal));
                continue;
            }
            let seq = next.seq + 1;
            let hash = chain_hash_v2(
                &next.hash,
                seq,
                recorded_at,
                &LogRecord::sender_bytes(&offer.sender),
                &offer.bytes,
            );
            records.push(LogRecord {
                format: RecordFormat::V2,
                seq,
                recorded_at,
                prev_hash: next.hash,
                hash,
                sender: offer.sender.clone(),
                event: offer.bytes.clone(),
            });
            in_batch.insert(offer.id, records.len() - 1);
            outcomes.push(AppendOutcome::Appended(seq));
            next = Head { seq, hash };
        }
        if records.is_empty() {
            return Ok(outcomes);
        }
        assert_eq!(
            records.first().map(|r| (r.seq, r.prev_hash)),
            Some((head.seq + 1, head.hash)),
            "a batch continues the log from its head"
        );
        assert!(
            records
                .windows(2)
                .all(|pair| pair[1].seq == pair[0].seq + 1 && pair[1].prev_hash == pair[0].hash),
            "a batch's entries are consecutive and each links to the one before"
        );
        let ids: Vec<(EventId, u64)> = in_batch
            .iter()
            .map(|(id, &at)| (*id, records[at].seq))
            .collect();
        self.commit(&records, &ids, facts.pending)?;
        *head = next;
        drop(head);
        self.head_tx.send_replace(next.seq);
        Ok(outcomes)
    }

    /// Writes `records` (consecutive, continuing the head) as stored batches, their ids' index
    /// entries and the facts they set in one atomic sled batch, and flushes.
    fn commit(
        &self,
        records: &[LogRecord],
        ids: &[(EventId, u64)],
        facts: BTreeMap<Vec<u8>, Vec<u8>>,
    ) -> Result<(), LogError> {
        let mut writes = sled::Batch::default();
        for (id, seq) in ids {
            writes.insert(&keys::id(id.as_bytes()), &keys::seq_value(*seq));
        }
        for (last_seq, stored) in batch::encode_runs(records) {
            writes.insert(&keys::batch(last_seq), stored);
        }
        for (key, value) in facts {
            writes.insert(keys::fact(&key), value);
        }
        self.chain.apply_batch(writes)?;
        self.db.flush()?;
        Ok(())
    }

    /// Appends entries another log recorded, as they are (sequence, time, sender, hashes), in
    /// one atomic write, flushed before it returns: how `tutorwatch log salvage` rebuilds a
    /// damaged log from the entries it found. Each must continue the head and carry the hash its
    /// content gives it, and its event must decode and not be in the log already; else nothing
    /// of the batch is written. `facts` records, for each entry in turn, the facts it sets (the
    /// caller's admission policy owns what they are).
    pub fn restore(
        &self,
        records: &[LogRecord],
        mut facts: impl FnMut(&LogRecord, &mut FactsOverlay<'_>) -> Result<(), LogError>,
    ) -> Result<(), LogError> {
        if records.len() > EVENTS_PER_APPEND_MAX {
            return Err(LogError::BatchTooLarge {
                count: records.len(),
                max: EVENTS_PER_APPEND_MAX,
            });
        }
        let mut head = match self.head.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut next = *head;
        let mut overlay = FactsOverlay {
            tree: &self.chain,
            pending: BTreeMap::new(),
        };
        let mut ids: Vec<(EventId, u64)> = Vec::with_capacity(records.len());
        let mut in_batch: HashMap<EventId, u64> = HashMap::new();
        for record in records {
            let seq = record.seq;
            let corrupt = |reason: String| LogError::Corrupt { seq, reason };
            if seq != next.seq + 1 || record.prev_hash != next.hash {
                return Err(corrupt(format!(
                    "it does not continue the log, which ends at entry {}",
                    next.seq
                )));
            }
            if record_hash(&next.hash, record) != record.hash {
                return Err(corrupt("its hash does not match its content".into()));
            }
            let envelope = record.envelope().map_err(|e| corrupt(e.to_string()))?;
            let id = envelope.event_id;
            let earlier = match in_batch.get(&id) {
                Some(&at) => Some(at),
                None => self.seq_of(&id)?,
            };
            if let Some(at) = earlier {
                return Err(corrupt(format!("its event id {id} is already entry {at}")));
            }
            facts(record, &mut overlay)?;
            in_batch.insert(id, seq);
            ids.push((id, seq));
            next = Head {
                seq,
                hash: record.hash,
            };
        }
        if records.is_empty() {
            return Ok(());
        }
        self.commit(records, &ids, overlay.pending)?;
        *head = next;
        drop(head);
        self.head_tx.send_replace(next.seq);
        Ok(())
    }

    /// The facts the gate keeps, as committed (for checks made before publishing, e.g. by the
    /// HTTP API; the gate at append time is the one that decides).
    pub fn fact(&self, key: &[u8]) -> Result<Option<Vec<u8>>, LogError> {
        Ok(self.chain.get(keys::fact(key))?.map(|v| v.to_vec()))
    }

    /// The stored record at `seq`, which must exist.
    pub fn record_at(&self, seq: u64) -> Result<LogRecord, LogError> {
        self.with_batch_of(seq, "indexed by an event id but missing", |_, stored| {
            stored.entry(seq)
        })
    }

    /// Runs `read` on the stored batch that holds entry `seq` (and its key); an entry no batch
    /// holds is corrupt, for `reason`.
    fn with_batch_of<T>(
        &self,
        seq: u64,
        reason: &str,
        read: impl FnOnce(&[u8], &StoredBatch<'_>) -> Result<T, LogError>,
    ) -> Result<T, LogError> {
        let missing = || LogError::Corrupt {
            seq,
            reason: reason.to_owned(),
        };
        let (key, value) = self
            .chain
            .range(keys::batches_from(seq))
            .next()
            .ok_or_else(missing)??;
        let stored = StoredBatch::new(&key, &value, seq)?;
        if seq < stored.first {
            return Err(missing());
        }
        read(&key, &stored)
    }

    /// Reads up to `limit` entries starting at sequence `from` (inclusive).
    pub fn read_from(&self, from: u64, limit: usize) -> Result<Vec<LogRecord>, LogError> {
        let mut records = Vec::with_capacity(limit.min(EVENTS_PER_APPEND_MAX));
        let mut next = from.max(1);
        for item in self.chain.range(keys::batches_from(next)) {
            if records.len() >= limit {
                break;
            }
            let (key, value) = item?;
            let stored = StoredBatch::new(&key, &value, next)?;
            for seq in next.max(stored.first)..=stored.last {
                if records.len() >= limit {
                    break;
                }
                records.push(stored.entry(seq)?);
            }
            next = stored.last + 1;
        }
        Ok(records)
    }

    /// Counts and sizes.
    pub fn stats(&self) -> Result<LogStats, LogError> {
        let first = match self.chain.range(keys::batches_from(0)).next() {
            Some(item) => {
                let (key, value) = item?;
                StoredBatch::new(&key, &value, 1)?.first
            }
            None => 0,
        };
        let last = self.last_seq();
        Ok(LogStats {
            events: if last == 0 { 0 } else { last - first + 1 },
            last_seq: last,
            bytes_on_disk: self.db.size_on_disk()?,
        })
    }

    /// Walks the whole log and checks sequences, the hash chain, decoding and the id index.
    /// Reports the first entry that does not match; storage errors are errors.
    pub fn verify(&self, mut progress: impl FnMut(u64)) -> Result<VerifyReport, LogError> {
        let mut prev = Head {
            seq: 0,
            hash: [0; HASH_BYTES],
        };
        let bad = |seq: u64, verified: u64, reason: String| VerifyReport {
            verified,
            first_bad: Some((seq, reason)),
        };
        for item in self.chain.range(keys::batches_from(0)) {
            let (key, value) = item?;
            let stored = match StoredBatch::new(&key, &value, prev.seq + 1) {
                Ok(stored) => stored,
                Err(LogError::Corrupt { seq, reason }) => return Ok(bad(seq, prev.seq, reason)),
                Err(other) => return Err(other),
            };
            for seq in stored.first..=stored.last {
                if let Some(report) = self.verify_entry(&stored, seq, &mut prev)? {
                    return Ok(report);
                }
                if seq % 100_000 == 0 {
                    progress(seq);
                }
            }
        }
        Ok(VerifyReport {
            verified: prev.seq,
            first_bad: None,
        })
    }

    /// Checks entry `seq` of `stored` against the entry before it (`prev`, which it becomes when
    /// it checks out); returns the report when it does not.
    fn verify_entry(
        &self,
        stored: &StoredBatch<'_>,
        seq: u64,
        prev: &mut Head,
    ) -> Result<Option<VerifyReport>, LogError> {
        let bad = |seq: u64, verified: u64, reason: String| {
            Ok(Some(VerifyReport {
                verified,
                first_bad: Some((seq, reason)),
            }))
        };
        let record = match stored.entry(seq) {
            Ok(record) => record,
            Err(LogError::Corrupt { reason, .. }) => return bad(seq, prev.seq, reason),
            Err(other) => return Err(other),
        };
        if seq != prev.seq + 1 {
            return bad(
                seq,
                prev.seq,
                format!("expected entry {} next", prev.seq + 1),
            );
        }
        if record.prev_hash != prev.hash {
            return bad(
                seq,
                prev.seq,
                "its previous-hash does not match the entry before it".into(),
            );
        }
        if record_hash(&prev.hash, &record) != record.hash {
            return bad(seq, prev.seq, "its hash does not match its content".into());
        }
        let envelope = match record.envelope() {
            Ok(envelope) => envelope,
            Err(e) => return bad(seq, prev.seq, e.to_string()),
        };
        if self.seq_of(&envelope.event_id)? != Some(seq) {
            return bad(
                seq,
                prev.seq,
                format!("event id {} is not indexed to it", envelope.event_id),
            );
        }
        *prev = Head {
            seq,
            hash: record.hash,
        };
        Ok(None)
    }

    /// Flushes everything to disk (appends already do; this is for shutdown).
    pub fn flush(&self) -> Result<(), LogError> {
        self.db.flush()?;
        Ok(())
    }

    /// Overwrites one stored entry's raw bytes. Only for tests of tamper detection.
    #[doc(hidden)]
    pub fn tamper_for_tests(&self, seq: u64, bytes: &[u8]) -> Result<(), LogError> {
        self.with_batch_of(seq, "no such entry to tamper with", |key, stored| {
            let index = (seq - stored.first) as usize;
            let replaced = batch::with_entry_replaced(stored.view, index, bytes);
            self.chain.insert(key, replaced)?;
            Ok(())
        })?;
        self.db.flush()?;
        Ok(())
    }

    /// Removes one event id from the id index. Only for tests of index damage.
    #[doc(hidden)]
    pub fn forget_id_for_tests(&self, id: &EventId) -> Result<(), LogError> {
        self.chain.remove(keys::id(id.as_bytes()))?;
        self.db.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
