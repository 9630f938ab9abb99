//! What applying one logged event changed in the projections: the unit the follower writes to
//! the projection store and publishes on NATS.

use serde::{Deserialize, Serialize};
use tutorwatch_events::ids::FindingId;
use tutorwatch_events::CreditCode;

use crate::finding::{Evidence, Finding, FindingStatus};
use crate::list::ListMove;

/// What applying one event changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    Raised(Box<Finding>),
    Withdrawn {
        id: FindingId,
        by: Evidence,
    },
    StatusChanged {
        id: FindingId,
        status: FindingStatus,
        by: Evidence,
    },
    ListMoved(ListMove),
    /// What readers are shown of the institution (its profile) may have changed: the store
    /// rewrites its profile row.
    ProfileChanged(CreditCode),
}
