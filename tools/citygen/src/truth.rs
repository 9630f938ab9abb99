//! Ground truth: the findings the projections must raise for the planted violations, named the
//! way the projections name them (rule, institution and identity key, hence the finding id).
//!
//! **Invariant:** an expected finding's id is computed with the projections' own
//! `finding_id(rule, institution, identity)`, from identity keys written out here case by case;
//! no rule logic of the projections is reused to decide *whether* a finding is raised.

use serde::{Deserialize, Serialize};
use tutorwatch_events::ids::FindingId;
use tutorwatch_events::{CreditCode, EventId};
use tutorwatch_findings::{finding_id, RuleId};

/// The status class an expected finding must end in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedStatus {
    /// Raised and not withdrawn (open, or any status an officer gave it).
    Raised,
    /// Raised from a plan and withdrawn when the plan changed.
    Withdrawn,
}

/// One finding the projections must raise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expected {
    /// The planted case, e.g. `online_lesson_30m01s_delivered`.
    pub case: String,
    pub rule: RuleId,
    pub institution: CreditCode,
    pub finding_id: FindingId,
    pub status: ExpectedStatus,
    /// The identity key the id is derived from (as the projections build it).
    pub identity: String,
    /// The planted events that prove it (the projections may cite more, e.g. the event that
    /// showed a refund's deadline had passed).
    pub evidence: Vec<EventId>,
}

impl Expected {
    /// An expected finding of `rule` about `institution` with identity key `identity`.
    pub fn new(
        case: &str,
        rule: RuleId,
        institution: &CreditCode,
        identity: String,
        evidence: Vec<EventId>,
    ) -> Self {
        Self {
            case: case.to_owned(),
            rule,
            institution: institution.clone(),
            finding_id: finding_id(rule, institution, &identity),
            status: ExpectedStatus::Raised,
            identity,
            evidence,
        }
    }

    /// The same, expected to end withdrawn.
    pub fn withdrawn(mut self) -> Self {
        self.status = ExpectedStatus::Withdrawn;
        self
    }

    /// One line of `truth.jsonl`.
    pub fn to_json_line(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// Reads one line of `truth.jsonl`.
    pub fn from_json_line(line: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(line)
    }
}
