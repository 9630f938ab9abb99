//! The projector: runs every projection over the log in order, keeps each finding's head (what the
//! lists judge it by, and its case status) and the lists, applies officers' actions, and
//! snapshots and restores its whole state.
//!
//! A finding's body leaves the projector in the [`Change::Raised`] that raised it; the projection
//! store (or a [`FindingBook`], for replays and tests) keeps it, and writes each finding's
//! current version as its last raised body with the projector's status
//! ([`tutorwatch_findings::current_version`]). [`Booked`] is a projector with a book, for
//! folds that must give every finding without a store.
//!
//! **Invariant:** `apply` is a pure function of (state, event): applying a log in one go, or in
//! batches with a snapshot and restore between them, gives the same state and findings.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use tutorwatch_events::ids::{CourseId, FindingId};
use tutorwatch_events::supervision::{CaseAction, OfficerActed};
use tutorwatch_events::{CreditCode, Event, LoggedEvent};

use crate::context::Context;
use crate::facts::{evidence, Facts};
use crate::heads::FindingHead;
use crate::lists::Lists;
use crate::policy::Policy;
use crate::rules::Rules;
use crate::sizes::StatePart;
use tutorwatch_findings::digest::{self, Digest, Outcome};
use tutorwatch_findings::{
    Change, Finding, FindingBook, FindingChange, FindingStatus, FoldState, InstitutionProfile,
    ListEntry, ListStatus, PlannedCourse, ProjectionSource, ReasonKind, StatusRef,
};

/// Everything the projector knows, except the policy (which is configuration).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectorState {
    /// The sequence of the last event applied (0: none).
    last_seq: u64,
    facts: Facts,
    /// The rules' own state (the plans' findings, then the fund books: the snapshot's layout is
    /// the same as when they were two fields).
    rules: Rules,
    lists: Lists,
    /// Every finding ever raised, by id: its head, not its body.
    findings: BTreeMap<FindingId, FindingHead>,
}

/// The shape of the projector's state, findings and list entries, and of the projection store's
/// rows and indexes. Bump it whenever one of them changes shape: stores and snapshots carry it,
/// and a mismatch makes the service rebuild the projections from the log instead of misreading
/// them. (5: producer clocks in the facts, and the store's list index by status; 6: each
/// institution's dated licence history; 7: why a licence ended, and the black list's registry
/// act, a revocation as a penalty; and the store's history of list moves; 8: GOV_GUIDE_PRICE is
/// a finding of the course's plan, re-judged by a reschedule, with the plan's id and evidence,
/// the new rules PREPAY_EARLIEST_COLLECT, NO_CONFLICT_SCHOOL_HOURS and PRICE_DISCLOSURE,
/// NONSUBJECT_NO_SUBJECT_CONTENT on course titles, and each finding's sentence in Chinese; 9: a
/// pending refund's pro-rata share, inspected floor areas, each site's offline lessons, each
/// student's online lessons, each course's description and whether each teacher is full time
/// in the facts; 10: the projector keeps each finding's head, not the finding; 11: a course's
/// plan findings are forgotten once no change of plan can withdraw them; 12: a finding head
/// keeps its case behind one pointer, empty for an open finding with no history.)
pub const STATE_FORMAT: u32 = 12;

/// What derived data was computed under: the policy version and the state format, e.g.
/// `cn-national-2025.1+state2`.
pub fn derivation(policy: &Policy) -> String {
    format!("{}+state{STATE_FORMAT}", policy.version())
}

/// A snapshot: the state and the policy version (and state format) it was computed under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub policy_version: String,
    pub state: ProjectorState,
}

/// A [`Snapshot`] that borrows the state, for writing it without a copy: it serialises exactly as
/// a `Snapshot` (the same fields in the same order).
#[derive(Serialize)]
struct SnapshotRef<'a> {
    policy_version: String,
    state: &'a ProjectorState,
}

/// Why a snapshot cannot be restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError {
    #[error("the snapshot was computed under policy {snapshot:?}, not {policy:?}: replay the log instead")]
    PolicyVersion { snapshot: String, policy: String },
}

/// Whether an event changes facts the black/white list judges (as opposed to findings).
fn affects_list_standing(event: &Event) -> bool {
    matches!(
        event.family(),
        tutorwatch_events::Family::Registry | tutorwatch_events::Family::Supervision
    ) || matches!(
        event,
        Event::SupervisedAccountOpened(_) | Event::SupervisedAccountClosed(_)
    )
}

/// Runs all projections.
#[derive(Debug, Clone)]
pub struct Projector {
    policy: Policy,
    state: ProjectorState,
}

impl Projector {
    /// A projector that has seen nothing.
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            state: ProjectorState::default(),
        }
    }

    /// Resumes from a snapshot taken under the same policy version.
    pub fn restore(policy: Policy, snapshot: Snapshot) -> Result<Self, RestoreError> {
        if snapshot.policy_version != derivation(&policy) {
            return Err(RestoreError::PolicyVersion {
                snapshot: snapshot.policy_version,
                policy: derivation(&policy),
            });
        }
        Ok(Self {
            policy,
            state: snapshot.state,
        })
    }

    /// Joins the projectors of the partitions of one fold (`crate::partition`) into the one a
    /// fold of the whole log gives. Panics if they are not the partitions of one fold.
    pub(crate) fn join(parts: impl IntoIterator<Item = Projector>) -> Option<Projector> {
        let mut parts = parts.into_iter();
        let mut joined = parts.next()?;
        let version = derivation(&joined.policy);
        for part in parts {
            assert!(
                derivation(&part.policy) == version,
                "the partitions of a fold ran under different policies"
            );
            assert_eq!(
                part.state.last_seq, joined.state.last_seq,
                "the partitions of a fold stopped at different events"
            );
            let state = &mut joined.state;
            state.facts.absorb(part.state.facts);
            state.rules.absorb(part.state.rules);
            state.lists.absorb(part.state.lists);
            crate::partition::append_disjoint(&mut state.findings, part.state.findings);
        }
        Some(joined)
    }

    /// The whole state, for persisting.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            policy_version: derivation(&self.policy),
            state: self.state.clone(),
        }
    }

    /// The policy in use.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The sequence of the last event applied (0 before any).
    pub fn last_seq(&self) -> u64 {
        self.state.last_seq
    }

    /// How many findings the projector has raised (withdrawn ones included).
    pub fn finding_count(&self) -> usize {
        self.state.findings.len()
    }

    /// The size of each part of the state (entries and encoded bytes), in the order the state is
    /// laid out: the facts, the rules' own state, the lists and the findings' heads. Parts named
    /// `a.b` are inside part `a`.
    pub fn state_sizes(&self) -> Vec<StatePart> {
        let state = &self.state;
        let mut parts = state.facts.sizes();
        parts.extend(state.rules.sizes());
        parts.extend(state.lists.sizes());
        parts.push(StatePart::measure(
            "heads",
            state.findings.len(),
            "findings",
            &state.findings,
        ));
        parts
    }

    /// Every list entry, by credit code.
    pub fn list_entries(&self) -> impl Iterator<Item = &ListEntry> {
        self.state.lists.entries()
    }

    /// One institution's list entry.
    pub fn list_entry(&self, institution: &CreditCode) -> Option<&ListEntry> {
        self.state.lists.entry(institution)
    }

    /// The shared facts (registrations, courses, accounts).
    pub fn facts(&self) -> &Facts {
        &self.state.facts
    }

    /// The findings applying `event` would raise, judged against what the projector knows of the
    /// event's institution (its registration, licence, sites, staff and courses), without
    /// changing anything: for "check before you submit". Findings that depend on other
    /// institutions or on fund history are not previewed.
    pub fn preview(&self, event: &LoggedEvent) -> Vec<Finding> {
        let code = &event.envelope.institution;
        let mut facts = Facts::default();
        if let Some(known) = self.state.facts.institutions.get(code) {
            facts.institutions.insert(code.clone(), known.clone());
        }
        facts.courses = self
            .state
            .facts
            .courses
            .iter()
            .filter(|(key, _)| &key.institution == code)
            .map(|(key, course)| (key.clone(), course.clone()))
            .collect();
        let mut scratch = Projector {
            policy: self.policy.clone(),
            state: ProjectorState {
                facts,
                ..ProjectorState::default()
            },
        };
        scratch
            .apply(event)
            .into_iter()
            .filter_map(|change| match change {
                Change::Raised(finding) => Some(*finding),
                _ => None,
            })
            .collect()
    }

    /// Applies one logged event. Events at or before the last applied sequence are ignored, so
    /// redelivery is harmless.
    pub fn apply(&mut self, event: &LoggedEvent) -> Vec<Change> {
        if !self.advance_seq(event) {
            return Vec::new();
        }
        let institution = event.envelope.institution.clone();
        // Nothing below changes the lists until the recompute at the end, so the entry is read
        // once, here.
        let entry_before = self.state.lists.entry(&institution);
        let status_before = entry_before.map_or(ListStatus::Unlisted, |entry| entry.status);
        let waits_on_licence = entry_before.is_some_and(|entry| {
            entry
                .reasons
                .iter()
                .any(|r| r.kind == ReasonKind::LicenceNotActive)
        });
        let profile_changed = self.state.facts.apply(event);
        let ctx = Context {
            policy: &self.policy,
            facts: &self.state.facts,
        };
        let requested = self.state.rules.apply(&ctx, event, status_before);
        // An institution's list entry is recomputed when a finding about it changes (in
        // `settle`) or when the event changes what the white list asks of it (registration,
        // licence, sites, staff, escrow accounts). Other events leave it as it was. The list is
        // told of every finding that changed, so recomputing costs O(log n), not O(n), in its
        // findings. A suspension can end by its date alone, so an entry held back by its
        // licence is judged again on every event about the institution.
        let mut touched = BTreeSet::new();
        if waits_on_licence || affects_list_standing(&event.envelope.event) {
            touched.insert(institution.clone());
        }
        let mut changes = self.settle(event, requested, touched);
        if profile_changed {
            changes.push(Change::ProfileChanged(institution));
        }
        changes
    }

    /// Applies an event about an institution this projector does not hold, as one partition of
    /// a fold split by institution (`crate::partition`): what the event changes beyond its own
    /// institution, and nothing else. That is its producer's clock (`time_zone` is the zone of
    /// the event's institution, which a bank's balance statement is dated in), the refunds of
    /// this projector's institutions that the clock makes overdue, and an officer's action on a
    /// finding this projector holds (the action's envelope may name another institution).
    pub(crate) fn pass(&mut self, event: &LoggedEvent, time_zone: &str) -> Vec<Change> {
        if !self.advance_seq(event) {
            return Vec::new();
        }
        self.state.facts.clocks.advance(
            &event.envelope.producer,
            crate::clocks::ProducerClocks::proven_by(event, time_zone),
        );
        let ctx = Context {
            policy: &self.policy,
            facts: &self.state.facts,
        };
        let requested = self.state.rules.pass(&ctx, event);
        self.settle(event, requested, BTreeSet::new())
    }

    /// Moves the last applied sequence to `event`'s; false if the event was applied before.
    fn advance_seq(&mut self, event: &LoggedEvent) -> bool {
        if self.state.last_seq != 0 && event.seq <= self.state.last_seq {
            return false;
        }
        self.state.last_seq = event.seq;
        true
    }

    /// Keeps the heads of the findings `requested` raises or withdraws, applies an officer's
    /// action, and recomputes the list entry of every institution `touched` or whose findings
    /// changed. Returns what changed.
    fn settle(
        &mut self,
        event: &LoggedEvent,
        requested: Vec<FindingChange>,
        mut touched: BTreeSet<CreditCode>,
    ) -> Vec<Change> {
        let mut changes = Vec::new();
        let mut changed = BTreeSet::new();
        for change in requested {
            match change {
                FindingChange::Raise(mut finding) => {
                    if let Some(existing) = self.state.findings.get(&finding.id) {
                        if *existing.status() != FindingStatus::Withdrawn {
                            continue;
                        }
                        // A withdrawn plan finding that a later plan raises again is reopened,
                        // keeping its history.
                        let mut history = existing.status_events().to_vec();
                        history.push(evidence(event));
                        finding.status_events = history;
                    }
                    touched.insert(finding.institution.clone());
                    changed.insert(finding.id);
                    self.state
                        .findings
                        .insert(finding.id, FindingHead::of(&finding));
                    changes.push(Change::Raised(finding));
                }
                FindingChange::Withdraw { id, by } => {
                    if let Some(finding) = self.state.findings.get_mut(&id) {
                        if matches!(
                            finding.status(),
                            FindingStatus::Open
                                | FindingStatus::Acknowledged
                                | FindingStatus::RectificationOrdered { .. }
                        ) {
                            finding.change_status(FindingStatus::Withdrawn, by);
                            touched.insert(finding.institution.clone());
                            changed.insert(id);
                            changes.push(Change::Withdrawn { id, by });
                        }
                    }
                }
            }
        }
        if let Event::OfficerActed(acted) = &event.envelope.event {
            if let Some(change) = self.officer_acted(event, acted) {
                if let Some(f) = self.state.findings.get(&acted.finding) {
                    touched.insert(f.institution.clone());
                    changed.insert(acted.finding);
                }
                changes.push(change);
            }
        }
        let state = &mut self.state;
        for (id, finding) in changed
            .iter()
            .filter_map(|id| state.findings.get(id).map(|f| (*id, f)))
        {
            state.lists.finding_changed(id, finding);
        }
        for institution in touched {
            let moved = state.lists.recompute(
                &self.policy,
                &state.facts,
                &institution,
                &state.findings,
                evidence(event),
                event.envelope.occurred_at,
            );
            changes.extend(moved.map(Change::ListMoved));
        }
        changes
    }

    fn officer_acted(&mut self, event: &LoggedEvent, acted: &OfficerActed) -> Option<Change> {
        let finding = self.state.findings.get_mut(&acted.finding)?;
        if finding.status().refuses(&acted.action).is_some() {
            // The API refuses these (409); one that reached the log anyway changes nothing.
            return None;
        }
        let status = match &acted.action {
            CaseAction::Acknowledged => FindingStatus::Acknowledged,
            CaseAction::RectificationOrdered { due } => {
                FindingStatus::RectificationOrdered { due: *due }
            }
            CaseAction::Resolved => FindingStatus::Resolved,
            CaseAction::Penalty { penalty, fine } => FindingStatus::Penalised {
                penalty: *penalty,
                fine: *fine,
            },
        };
        let by = evidence(event);
        finding.change_status(status.clone(), by);
        Some(Change::StatusChanged {
            id: acted.finding,
            status,
            by,
        })
    }
}

impl FoldState for Projector {
    fn finding_status(&self, id: &FindingId) -> Option<StatusRef<'_>> {
        self.state.findings.get(id).map(FindingHead::status_ref)
    }

    fn list_entry(&self, institution: &CreditCode) -> Option<&ListEntry> {
        Projector::list_entry(self, institution)
    }

    fn institution_profile(&self, institution: &CreditCode) -> Option<InstitutionProfile> {
        self.facts().profile(institution)
    }

    fn planned_course(&self, institution: &CreditCode, course: &CourseId) -> Option<PlannedCourse> {
        self.facts().planned_course(institution, course)
    }

    fn derivation(&self) -> String {
        derivation(&self.policy)
    }
}

impl ProjectionSource for Projector {
    /// The snapshot and the sequence it was taken at.
    type Snapshot = (u64, Snapshot);

    fn snapshot(&self) -> impl Serialize + '_ {
        (
            self.last_seq(),
            SnapshotRef {
                policy_version: derivation(&self.policy),
                state: &self.state,
            },
        )
    }
}

/// A projector with a [`FindingBook`] of its findings' current versions: for replays that must
/// give every finding (digests, diffs, policy what-ifs) and for tests. The book holds every
/// finding's body in memory, as the projector did before it kept heads only; the service keeps
/// bodies in the projection store instead.
#[derive(Debug, Clone)]
pub struct Booked {
    projector: Projector,
    book: FindingBook,
}

impl Booked {
    /// A booked projector that has seen nothing.
    pub fn new(policy: Policy) -> Self {
        Self::from_parts(Projector::new(policy), FindingBook::new())
    }

    /// A projector and the book of the findings it raised so far.
    pub fn from_parts(projector: Projector, book: FindingBook) -> Self {
        Self { projector, book }
    }

    /// The projector and the book, apart.
    pub fn into_parts(self) -> (Projector, FindingBook) {
        (self.projector, self.book)
    }

    /// Applies one logged event and books what it changed; returns the changes.
    pub fn apply(&mut self, event: &LoggedEvent) -> Vec<Change> {
        let changes = self.projector.apply(event);
        self.book.record(&self.projector, &changes);
        changes
    }

    /// Applies one logged event and books what it changed, without returning the changes.
    pub fn apply_quietly(&mut self, event: &LoggedEvent) {
        let changes = self.projector.apply(event);
        self.book.record(&self.projector, &changes);
    }

    /// The projector.
    pub fn projector(&self) -> &Projector {
        &self.projector
    }

    /// The policy in use.
    pub fn policy(&self) -> &Policy {
        self.projector.policy()
    }

    /// Every finding, by id, at its current version.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.book.findings()
    }

    /// One finding, at its current version.
    pub fn finding(&self, id: &FindingId) -> Option<&Finding> {
        self.book.finding(id)
    }

    /// The findings about one institution, by id.
    pub fn findings_of(&self, institution: &CreditCode) -> Vec<&Finding> {
        self.findings()
            .filter(|f| &f.institution == institution)
            .collect()
    }

    /// One institution's list entry.
    pub fn list_entry(&self, institution: &CreditCode) -> Option<&ListEntry> {
        self.projector.list_entry(institution)
    }

    /// The findings and list entries, for digests and diffs.
    pub fn outcome(&self) -> Outcome {
        self.book.outcome(self.projector.list_entries())
    }

    /// Counts per rule and a hash of all findings and list entries.
    pub fn digest(&self) -> Digest {
        digest::digest(&self.outcome())
    }
}
