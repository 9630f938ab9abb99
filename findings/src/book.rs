//! A book of findings kept in memory: each finding's current version, folded from the changes a
//! fold emits and the fold's statuses, exactly as the projection store writes its rows. For
//! replays that must give every finding (digests, diffs, `tutorwatch replay`) and for tests; the
//! service keeps its findings in the store, not in a book.

use std::collections::BTreeMap;

use tutorwatch_events::ids::FindingId;

use crate::change::Change;
use crate::digest::Outcome;
use crate::finding::Finding;
use crate::list::ListEntry;
use crate::source::{current_version, last_raised, FoldState};

/// Every finding a fold raised, at its current version, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingBook {
    findings: BTreeMap<FindingId, Finding>,
}

impl FindingBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes in what `source` changed (the changes of one or more events, in log order): the last
    /// raised body of each finding the changes name, with the source's current status.
    pub fn record<S: FoldState>(&mut self, source: &S, changes: &[Change]) {
        for (id, body) in last_raised(changes) {
            let Some(status) = source.finding_status(&id) else {
                self.findings.remove(&id);
                continue;
            };
            let Some(body) = body.cloned().or_else(|| self.findings.remove(&id)) else {
                // A status change of a finding never raised: the source is inconsistent, and
                // the book keeps what it can prove.
                continue;
            };
            self.findings.insert(id, current_version(body, status));
        }
    }

    /// Takes in the findings of another book that shares none with this one (the books of the
    /// partitions of one fold). Panics if a finding is in both.
    pub fn absorb(&mut self, mut other: FindingBook) {
        let expected = self.findings.len() + other.findings.len();
        self.findings.append(&mut other.findings);
        assert_eq!(
            self.findings.len(),
            expected,
            "two books hold the same finding"
        );
    }

    /// Every finding, in id order.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.values()
    }

    /// One finding.
    pub fn finding(&self, id: &FindingId) -> Option<&Finding> {
        self.findings.get(id)
    }

    /// The findings with the given list entries, for digests and diffs.
    pub fn outcome<'a>(&self, lists: impl Iterator<Item = &'a ListEntry>) -> Outcome {
        Outcome {
            findings: self.findings.values().cloned().collect(),
            lists: lists.cloned().collect(),
        }
    }
}
