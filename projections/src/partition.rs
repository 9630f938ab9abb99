//! A fold split by institution, so that a replay can use every core. Each partition folds the
//! events about its own institutions in full. Of every other event it folds only what reaches
//! beyond the event's institution (`Projector::pass`): the producer's clock, the refunds of its
//! own institutions that this clock makes overdue, and an officer's action on a finding it holds
//! (an action's envelope may name another institution than its finding's).
//!
//! Joined ([`join`]), the partitions' states are the state that one fold of the whole log gives,
//! byte for byte. Together they raise, withdraw and move the same findings and list entries; only
//! the order of one event's changes across partitions differs. The property tests in
//! `tests/replay.rs` check both, on logs of several institutions that share a bank.
//!
//! **Invariant:** every partition sees every event, in log order, and an institution belongs to
//! exactly one partition ([`owner`]).

use std::collections::BTreeMap;

use tutorwatch_events::{CreditCode, LoggedEvent, RegionCode};
use tutorwatch_findings::{Change, FindingBook};

use crate::facts::region_follows;
use crate::policy::Policy;
use crate::projector::{Booked, Projector};

/// Which of `count` partitions holds `institution` (FNV-1a over the code's bytes, so that the
/// split is the same in every run and even across codes that share a prefix).
pub fn owner(institution: &CreditCode, count: usize) -> usize {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = institution.as_str().bytes().fold(OFFSET, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    });
    let count = u64::try_from(count.max(1)).unwrap_or(u64::MAX);
    usize::try_from(hash % count).unwrap_or(0)
}

/// Where an institution of another partition is, as far as this partition needs to know: the
/// region whose civil time its bank's statements are dated in.
#[derive(Debug, Clone, Copy)]
struct Zone {
    region: RegionCode,
    registered: bool,
}

/// One partition of a fold split by institution.
#[derive(Debug, Clone)]
pub struct Partition {
    index: usize,
    count: usize,
    projector: Projector,
    /// The institutions of the other partitions, each with its region (one entry per
    /// institution, as in the facts, so it grows with institutions and not with events).
    zones: BTreeMap<CreditCode, Zone>,
}

impl Partition {
    /// Partition `index` of `count`, having seen nothing.
    pub fn new(policy: Policy, index: usize, count: usize) -> Self {
        assert!(index < count, "partition {index} of {count} does not exist");
        Self {
            index,
            count,
            projector: Projector::new(policy),
            zones: BTreeMap::new(),
        }
    }

    /// Whether this partition holds `institution`.
    pub fn holds(&self, institution: &CreditCode) -> bool {
        owner(institution, self.count) == self.index
    }

    /// Applies the next event of the log: in full if it is about one of this partition's
    /// institutions, else only what it changes beyond its institution. Returns what changed in
    /// this partition.
    pub fn apply(&mut self, event: &LoggedEvent) -> Vec<Change> {
        let envelope = &event.envelope;
        if self.holds(&envelope.institution) {
            return self.projector.apply(event);
        }
        let zone = self
            .zones
            .entry(envelope.institution.clone())
            .or_insert(Zone {
                region: envelope.region,
                registered: false,
            });
        if region_follows(zone.registered, &envelope.event) {
            zone.region = envelope.region;
        }
        if matches!(
            envelope.event,
            tutorwatch_events::Event::InstitutionRegistered(_)
        ) {
            zone.registered = true;
        }
        let time_zone = zone.region.civil_time_zone();
        self.projector.pass(event, time_zone)
    }

    /// This partition's projector: its institutions' state, and every producer's clock.
    pub fn projector(&self) -> &Projector {
        &self.projector
    }
}

/// Joins the partitions of one fold into the projector a fold of the whole log in one go gives.
/// `None` if there are none. Panics if they are not the partitions of one fold (another policy,
/// another last event, an institution or a finding in two of them).
pub fn join(parts: impl IntoIterator<Item = Partition>) -> Option<Projector> {
    Projector::join(parts.into_iter().map(|part| part.projector))
}

/// [`join`] for partitions that each kept a book of the findings they raised: the joined
/// projector with one book of them all. `None` if there are none; panics as `join` does, or if a
/// finding is in two books.
pub fn join_booked(parts: impl IntoIterator<Item = (Partition, FindingBook)>) -> Option<Booked> {
    let mut book = FindingBook::new();
    let partitions: Vec<Partition> = parts
        .into_iter()
        .map(|(partition, part_book)| {
            book.absorb(part_book);
            partition
        })
        .collect();
    join(partitions).map(|projector| Booked::from_parts(projector, book))
}

/// Moves every entry of `from` into `into`; the two must share no key.
pub(crate) fn append_disjoint<K: Ord, V>(into: &mut BTreeMap<K, V>, mut from: BTreeMap<K, V>) {
    let expected = into.len() + from.len();
    into.append(&mut from);
    assert_eq!(
        into.len(),
        expected,
        "two partitions of a fold hold the same key"
    );
}
