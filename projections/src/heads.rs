//! What the projector keeps of each finding: who it is about, what the lists judge it by, and its
//! case status. A finding's body (figures, sentences, local time, policy version) is not kept: it
//! leaves in the change that raised it and lives in the projection store (or a
//! [`FindingBook`](tutorwatch_findings::FindingBook)), so the projector's memory per finding is
//! a small fraction of the finding.

use serde::{Deserialize, Serialize};
use tutorwatch_events::{CreditCode, EventId, RegionCode, UtcTime};
use tutorwatch_findings::{Basis, Evidence, Finding, FindingStatus, RuleId, Severity, StatusRef};

/// A finding as the projector and the lists need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingHead {
    pub institution: CreditCode,
    pub rule: RuleId,
    pub severity: Severity,
    pub basis: Basis,
    pub region: RegionCode,
    /// When the breach happened, in UTC.
    pub occurred_at: UtcTime,
    /// The ids of the events that prove it, in log order (the lists cite them).
    pub evidence_events: Box<[EventId]>,
    pub status: FindingStatus,
    /// The events that changed the status, in log order.
    pub status_events: Vec<Evidence>,
}

impl FindingHead {
    /// The head of a finding as it is raised.
    pub fn of(finding: &Finding) -> Self {
        Self {
            institution: finding.institution.clone(),
            rule: finding.rule,
            severity: finding.severity,
            basis: finding.basis,
            region: finding.region,
            occurred_at: finding.occurred_at,
            evidence_events: finding.evidence.iter().map(|e| e.event_id).collect(),
            status: finding.status.clone(),
            status_events: finding.status_events.clone(),
        }
    }

    /// Its status, as a projection store writes it.
    pub fn status_ref(&self) -> StatusRef<'_> {
        StatusRef {
            institution: &self.institution,
            status: &self.status,
            status_events: &self.status_events,
        }
    }
}
