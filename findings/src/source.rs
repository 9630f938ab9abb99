//! What a projection store persists from a fold: each finding's current status, its list entries,
//! the institutions' profiles and the courses' plans, what they were computed under, and the
//! state it resumes from. The projector implements it; the store is written against it, so the
//! store knows findings, not the rules that raise them.
//!
//! A fold does not keep its findings' bodies (figures, sentences, evidence): a body travels once,
//! in the [`Change::Raised`](crate::Change::Raised) that raised it, and then lives in the store.
//! The fold keeps each finding's status and the events that set it; the current version of a
//! finding is its last raised body with that status ([`current_version`]).

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Serialize;
use tutorwatch_events::ids::{CourseId, FindingId};
use tutorwatch_events::CreditCode;

use crate::change::Change;
use crate::finding::{Evidence, Finding, FindingStatus};
use crate::list::ListEntry;
use crate::profile::{InstitutionProfile, PlannedCourse};

/// A finding's case status as the fold holds it, with the institution it concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusRef<'a> {
    pub institution: &'a CreditCode,
    pub status: &'a FindingStatus,
    /// The events that changed the status, in log order.
    pub status_events: &'a [Evidence],
}

impl<'a> StatusRef<'a> {
    /// The status a finding carries.
    pub fn of(finding: &'a Finding) -> Self {
        Self {
            institution: &finding.institution,
            status: &finding.status,
            status_events: &finding.status_events,
        }
    }
}

/// What a projection store reads of a fold to write one batch's rows: each finding's status,
/// each institution's list entry and profile, each course's plan, and what they were computed
/// under.
pub trait FoldState {
    /// A finding's current status (`None`: the fold does not have it).
    fn finding_status(&self, id: &FindingId) -> Option<StatusRef<'_>>;

    /// An institution's current list entry.
    fn list_entry(&self, institution: &CreditCode) -> Option<&ListEntry>;

    /// An institution's profile (`None`: the fold never saw it).
    fn institution_profile(&self, institution: &CreditCode) -> Option<InstitutionProfile>;

    /// A published course's plan (`None`: the fold has no such course).
    fn planned_course(&self, institution: &CreditCode, course: &CourseId) -> Option<PlannedCourse>;

    /// What the rows are computed under (the policy version and the state format).
    fn derivation(&self) -> String;
}

/// A fold whose results a projection store persists: its state, and the snapshot it resumes
/// from.
pub trait ProjectionSource: FoldState {
    /// The fold's state as it is stored to resume from (with the sequence it was taken at).
    type Snapshot: Serialize + DeserializeOwned;

    /// The state to resume from, as it is written: it must serialise exactly as
    /// [`Self::Snapshot`] deserialises, and may borrow the fold's state (so that writing a
    /// snapshot does not copy it).
    fn snapshot(&self) -> impl Serialize + '_;
}

/// A finding's current version: `body`, as it was last raised, with the fold's current status.
///
/// Setting the status from the fold, rather than replaying each status change onto the body,
/// makes writing a finding idempotent: changes re-applied after a restart from an older snapshot
/// give the same row as the run that first wrote them.
pub fn current_version(mut body: Finding, status: StatusRef<'_>) -> Finding {
    body.status = status.status.clone();
    body.status_events = status.status_events.to_vec();
    body
}

/// The findings `changes` (in log order) touch, each with the body it was last raised with in
/// them (`None`: only its status changed, so its body is the one kept from before).
pub fn last_raised<'c>(
    changes: impl IntoIterator<Item = &'c Change>,
) -> BTreeMap<FindingId, Option<&'c Finding>> {
    let mut touched = BTreeMap::new();
    for change in changes {
        match change {
            Change::Raised(finding) => {
                touched.insert(finding.id, Some(&**finding));
            }
            Change::Withdrawn { id, .. } | Change::StatusChanged { id, .. } => {
                touched.entry(*id).or_insert(None);
            }
            Change::ListMoved(_) | Change::ProfileChanged(_) => {}
        }
    }
    touched
}
