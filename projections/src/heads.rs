//! What the projector keeps of each finding: who it is about, what the lists judge it by, and its
//! case status. A finding's body (figures, sentences, local time, policy version) is not kept: it
//! leaves in the change that raised it and lives in the projection store (or a
//! [`FindingBook`](tutorwatch_findings::FindingBook)), so the projector's memory per finding is
//! a small fraction of the finding.
//!
//! Most findings stay open and untouched, so a head keeps its case (status and the events that
//! set it) behind one pointer that is empty for them: an open finding with no history costs 8
//! bytes of case instead of 48.

use serde::{Deserialize, Serialize};
use tutorwatch_events::{CreditCode, EventId, RegionCode, UtcTime};
use tutorwatch_findings::{Basis, Evidence, Finding, FindingStatus, RuleId, Severity, StatusRef};

/// The status of a finding with no case history.
static OPEN: FindingStatus = FindingStatus::Open;

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
    /// Its case: `None` for an open finding whose status nothing has changed (never
    /// `Some` of that, so equal heads encode equally).
    case: Option<Box<Case>>,
}

/// A finding's status and the events that changed it, in log order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Case {
    status: FindingStatus,
    events: Vec<Evidence>,
}

impl FindingHead {
    /// The head of a finding as it is raised.
    pub fn of(finding: &Finding) -> Self {
        let mut head = Self {
            institution: finding.institution.clone(),
            rule: finding.rule,
            severity: finding.severity,
            basis: finding.basis,
            region: finding.region,
            occurred_at: finding.occurred_at,
            evidence_events: finding.evidence.iter().map(|e| e.event_id).collect(),
            case: None,
        };
        head.set_case(finding.status.clone(), finding.status_events.clone());
        head
    }

    /// Its status.
    pub fn status(&self) -> &FindingStatus {
        self.case.as_ref().map_or(&OPEN, |case| &case.status)
    }

    /// The events that changed its status, in log order.
    pub fn status_events(&self) -> &[Evidence] {
        self.case.as_ref().map_or(&[], |case| &case.events)
    }

    /// Sets its status, changed by the event `by`.
    pub fn change_status(&mut self, status: FindingStatus, by: Evidence) {
        let mut events = self.case.take().map_or_else(Vec::new, |case| case.events);
        events.push(by);
        self.set_case(status, events);
    }

    /// Its status, as a projection store writes it.
    pub fn status_ref(&self) -> StatusRef<'_> {
        StatusRef {
            institution: &self.institution,
            status: self.status(),
            status_events: self.status_events(),
        }
    }

    /// Keeps `status` and `events`, or nothing for an open finding with no history.
    fn set_case(&mut self, status: FindingStatus, events: Vec<Evidence>) {
        self.case = (status != FindingStatus::Open || !events.is_empty())
            .then(|| Box::new(Case { status, events }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three million findings at 10M bench events: every byte of a head is 3 MB.
    #[test]
    fn a_head_stays_small() {
        assert!(
            std::mem::size_of::<FindingHead>() <= 80,
            "a head takes {} bytes",
            std::mem::size_of::<FindingHead>()
        );
    }
}
