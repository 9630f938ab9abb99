//! A batch settled from the fold: the batch, and a copy of the part of the fold's state that
//! writing it reads (each touched finding's status, each touched institution's list entry, each
//! changed institution's profile, each touched course's plan, the derivation), taken when the
//! batch was applied. The follower writes a settled batch while the projector already applies
//! the next one, so the store's writes and the fold overlap instead of taking turns.
//!
//! The copy is exactly what [`ProjectionBatch::touched`] names, taken from the same fold, and the
//! write rewrites the rows that same `Touched` names (it is kept, not computed again), so writing
//! the settled batch later writes the same rows as writing the batch from the fold at once would
//! have.

use std::collections::BTreeMap;

use tutorwatch_events::ids::{CourseId, FindingId};
use tutorwatch_events::CreditCode;
use tutorwatch_findings::{
    Evidence, FindingStatus, FoldState, InstitutionProfile, ListEntry, PlannedCourse, StatusRef,
};

use crate::{ProjectionBatch, Touched};

/// A finding's status as the fold held it when the batch was settled.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HeldStatus {
    institution: CreditCode,
    status: FindingStatus,
    status_events: Vec<Evidence>,
}

/// The part of a fold's state one batch's write reads, copied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct SettledFold {
    /// The touched findings the fold has (one it does not have is absent, as in the fold).
    statuses: BTreeMap<FindingId, HeldStatus>,
    /// The touched institutions that have a list entry.
    lists: BTreeMap<CreditCode, ListEntry>,
    /// The institutions whose profile changed that have one.
    profiles: BTreeMap<CreditCode, InstitutionProfile>,
    /// The touched courses that have a plan.
    plans: BTreeMap<(CreditCode, CourseId), PlannedCourse>,
    derivation: String,
}

impl FoldState for SettledFold {
    fn finding_status(&self, id: &FindingId) -> Option<StatusRef<'_>> {
        self.statuses.get(id).map(|held| StatusRef {
            institution: &held.institution,
            status: &held.status,
            status_events: &held.status_events,
        })
    }

    fn list_entry(&self, institution: &CreditCode) -> Option<&ListEntry> {
        self.lists.get(institution)
    }

    fn institution_profile(&self, institution: &CreditCode) -> Option<InstitutionProfile> {
        self.profiles.get(institution).cloned()
    }

    fn planned_course(&self, institution: &CreditCode, course: &CourseId) -> Option<PlannedCourse> {
        self.plans
            .get(&(institution.clone(), course.clone()))
            .cloned()
    }

    fn derivation(&self) -> String {
        self.derivation.clone()
    }
}

/// A batch with the fold's state its write reads, to be written with
/// [`ProjectionStore::write_settled`](crate::ProjectionStore::write_settled) while the fold goes
/// on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettledBatch {
    batch: ProjectionBatch,
    fold: SettledFold,
    /// What the write rewrites, named once, when the batch was settled.
    touched: Touched,
}

impl SettledBatch {
    /// Copies from `fold`, as it stands right after applying `batch`'s events, what writing
    /// `batch` reads of it.
    ///
    /// # Panics
    /// If the batch asks for a snapshot: a snapshot is the fold's whole state, written with
    /// [`ProjectionStore::write`](crate::ProjectionStore::write) from the fold itself.
    pub fn settle<F: FoldState>(fold: &F, batch: ProjectionBatch) -> Self {
        assert!(
            !batch.snapshot,
            "a snapshot is written from the fold itself, never from a settled batch"
        );
        let touched = batch.touched(fold);
        let statuses = touched
            .first_seq
            .keys()
            .filter_map(|id| {
                fold.finding_status(id).map(|status| {
                    let held = HeldStatus {
                        institution: status.institution.clone(),
                        status: status.status.clone(),
                        status_events: status.status_events.to_vec(),
                    };
                    (*id, held)
                })
            })
            .collect();
        let lists = touched
            .institutions
            .iter()
            .filter_map(|institution| {
                fold.list_entry(institution)
                    .map(|entry| (institution.clone(), entry.clone()))
            })
            .collect();
        let profiles = touched
            .profiles
            .iter()
            .filter_map(|institution| {
                fold.institution_profile(institution)
                    .map(|profile| (institution.clone(), profile))
            })
            .collect();
        let plans = touched
            .courses
            .iter()
            .filter_map(|(institution, course)| {
                fold.planned_course(institution, course)
                    .map(|plan| ((institution.clone(), course.clone()), plan))
            })
            .collect();
        Self {
            batch,
            fold: SettledFold {
                statuses,
                lists,
                profiles,
                plans,
                derivation: fold.derivation(),
            },
            touched,
        }
    }

    /// The batch.
    pub fn batch(&self) -> &ProjectionBatch {
        &self.batch
    }

    pub(crate) fn parts(&self) -> (&impl FoldState, &ProjectionBatch, &Touched) {
        (&self.fold, &self.batch, &self.touched)
    }
}
