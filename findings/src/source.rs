//! What a projection store persists from a fold: its current findings and list entries, what
//! they were computed under, and the state it resumes from. The projector implements it; the store
//! is written against it, so the store knows findings, not the rules that raise them.

use serde::de::DeserializeOwned;
use serde::Serialize;
use tutorwatch_events::ids::FindingId;
use tutorwatch_events::CreditCode;

use crate::finding::Finding;
use crate::list::ListEntry;

/// A fold whose results a projection store persists.
pub trait ProjectionSource {
    /// The fold's state as it is stored to resume from (with the sequence it was taken at).
    type Snapshot: Serialize + DeserializeOwned;

    /// A finding's current version (`None`: the fold does not have it).
    fn finding(&self, id: &FindingId) -> Option<&Finding>;

    /// An institution's current list entry.
    fn list_entry(&self, institution: &CreditCode) -> Option<&ListEntry>;

    /// What the rows are computed under (the policy version and the state format).
    fn derivation(&self) -> String;

    /// The state to resume from, as it is written: it must serialise exactly as
    /// [`Self::Snapshot`] deserialises, and may borrow the fold's state (so that writing a
    /// snapshot does not copy it).
    fn snapshot(&self) -> impl Serialize + '_;
}
