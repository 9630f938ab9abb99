//! What a rule projection sees while judging one event (the policy and the shared facts), and
//! the builder that turns a judgement into a [`Finding`].
//!
//! **Invariant:** every finding is built here, so each records the policy version, local time and
//! a content-derived id the same way.

use tutorwatch_events::{CreditCode, LoggedEvent, RegionCode, UtcTime};

use crate::facts::{evidence, local_time, Facts};
use crate::policy::Policy;
use tutorwatch_findings::{finding_id, Basis, Evidence, Figure, Finding, FindingStatus, RuleId};

/// The read-only view a projection judges an event with.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub policy: &'a Policy,
    pub facts: &'a Facts,
}

impl Context<'_> {
    /// The time zone of an institution (Asia/Shanghai if unknown).
    pub fn time_zone(&self, institution: &CreditCode) -> &str {
        self.facts
            .institution(institution)
            .map_or(tutorwatch_events::registry::DEFAULT_TIME_ZONE, |i| {
                i.time_zone()
            })
    }

    /// A finding about the event's institution, filed under the region the facts hold for it
    /// (its registration's).
    pub fn draft(&self, event: &LoggedEvent, rule: RuleId, at: UtcTime) -> Draft {
        Draft {
            rule,
            severity: None,
            basis: Basis::Actual,
            figures: Vec::new(),
            description: String::new(),
            description_zh: String::new(),
            institution: event.envelope.institution.clone(),
            region: self
                .facts
                .institution(&event.envelope.institution)
                .map_or(event.envelope.region, |i| i.region),
            occurred_at: at,
            time_zone: self.time_zone(&event.envelope.institution).to_owned(),
            evidence: vec![evidence(event)],
            policy_version: self.policy.version().to_owned(),
        }
    }
}

/// A finding under construction.
#[derive(Debug, Clone)]
pub struct Draft {
    rule: RuleId,
    severity: Option<tutorwatch_findings::Severity>,
    basis: Basis,
    figures: Vec<Figure>,
    description: String,
    description_zh: String,
    institution: CreditCode,
    region: RegionCode,
    occurred_at: UtcTime,
    time_zone: String,
    evidence: Vec<Evidence>,
    policy_version: String,
}

impl Draft {
    /// Marks the finding as based on a plan.
    pub fn planned(mut self) -> Self {
        self.basis = Basis::Planned;
        self
    }

    /// Overrides the rule's default severity.
    pub fn severity(mut self, severity: tutorwatch_findings::Severity) -> Self {
        self.severity = Some(severity);
        self
    }

    /// Adds a figure.
    pub fn figure(mut self, figure: Figure) -> Self {
        self.figures.push(figure);
        self
    }

    /// Sets the human sentence, in English.
    pub fn describe(mut self, description: String) -> Self {
        self.description = description;
        self
    }

    /// Sets the same sentence in Chinese, which readers see by default.
    pub fn in_chinese(mut self, description: String) -> Self {
        self.description_zh = description;
        self
    }

    /// Adds more evidence (kept in log order, without duplicates).
    pub fn with_evidence(mut self, more: Evidence) -> Self {
        self.evidence.push(more);
        self.evidence.sort_by_key(|e| e.seq);
        self.evidence.dedup();
        self
    }

    /// Finishes the finding; `identity` is what makes it unique within its rule.
    pub fn build(self, identity: &str) -> Finding {
        Finding {
            id: finding_id(self.rule, &self.institution, identity),
            rule: self.rule,
            severity: self.severity.unwrap_or(self.rule.severity()),
            basis: self.basis,
            figures: self.figures,
            description: self.description,
            description_zh: self.description_zh,
            occurred_local: local_time(&self.time_zone, self.occurred_at),
            institution: self.institution,
            region: self.region,
            occurred_at: self.occurred_at,
            time_zone: self.time_zone,
            evidence: self.evidence,
            policy_version: self.policy_version,
            status: FindingStatus::Open,
            status_events: Vec::new(),
        }
    }
}

impl Draft {
    /// Re-targets the finding at another institution (a refund found overdue while judging an
    /// event about someone else).
    pub fn for_institution(
        mut self,
        institution: CreditCode,
        region: RegionCode,
        time_zone: String,
    ) -> Self {
        self.institution = institution;
        self.region = region;
        self.time_zone = time_zone;
        self
    }
}
