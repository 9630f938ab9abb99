//! The black/white list (BLACK_WHITE_LIST): one entry per institution, with its status, since
//! when, and the reasons with their evidence.
//!
//! White: licensed and active, selling only what its licence covers, non-profit if it teaches
//! subjects, with an open supervised account and no standing CRIT finding. Black: operating
//! without a licence or after revocation, a serious fund finding, or repeated violations within
//! the policy's window. Everyone else is unlisted, with the reasons it is not white.
//!
//! **Invariant:** black reasons are sticky: a reason goes only when an officer has resolved
//! every finding behind it (a `supervision.officer_acted` event), never by time passing.
//! Only findings about what actually happened (not withdrawable plans) put anyone on it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use tutorwatch_events::ids::FindingId;
use tutorwatch_events::kinds::Category;
use tutorwatch_events::{CreditCode, EventId, UtcTime};

use crate::facts::{local_time, Facts, Standing};
use crate::finding::{Basis, Evidence, Finding, FindingStatus, RuleId, Severity};
use crate::policy::Policy;

/// Where an institution stands on the lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListStatus {
    White,
    Unlisted,
    Black,
}

/// Why an institution is black, or why it is not white.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    // Black.
    OperatingWithoutLicence,
    SeriousFundFinding,
    RepeatedViolations,
    // Not white.
    NotRegistered,
    LicenceNotActive,
    CategoryMismatch,
    SubjectNotNonProfit,
    NoSupervisedAccount,
    StandingCriticalFinding,
}

/// One reason, with the findings and events behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListReason {
    pub kind: ReasonKind,
    pub findings: Vec<FindingId>,
    pub events: Vec<EventId>,
}

/// An institution's list entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListEntry {
    pub institution: CreditCode,
    pub status: ListStatus,
    /// The event that moved it to this status, and when that happened.
    pub since: Evidence,
    pub since_at: UtcTime,
    pub reasons: Vec<ListReason>,
}

/// An institution changed list status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListMove {
    pub institution: CreditCode,
    pub from: ListStatus,
    pub to: ListStatus,
    pub at: Evidence,
    pub reasons: Vec<ListReason>,
}

/// The list projection's state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lists {
    entries: BTreeMap<CreditCode, ListEntry>,
    /// Black reasons still in force, with the findings behind each.
    black: BTreeMap<CreditCode, BTreeMap<ReasonKind, BTreeSet<FindingId>>>,
}

fn black_kind(rule: RuleId) -> Option<ReasonKind> {
    match rule {
        RuleId::OperatingUnlicensed | RuleId::OperatingRevoked => {
            Some(ReasonKind::OperatingWithoutLicence)
        }
        RuleId::PrepayDedicatedAccount
        | RuleId::EscrowShortfall
        | RuleId::AccountClosedWhileOwed => Some(ReasonKind::SeriousFundFinding),
        _ => None,
    }
}

fn counts(finding: &Finding) -> bool {
    finding.basis == Basis::Actual && finding.status.is_standing()
}

impl Lists {
    /// The entry of one institution.
    pub fn entry(&self, institution: &CreditCode) -> Option<&ListEntry> {
        self.entries.get(institution)
    }

    /// Every entry, by credit code.
    pub fn entries(&self) -> impl Iterator<Item = &ListEntry> {
        self.entries.values()
    }

    /// The status of one institution (unlisted when unknown).
    pub fn status(&self, institution: &CreditCode) -> ListStatus {
        self.entries
            .get(institution)
            .map_or(ListStatus::Unlisted, |e| e.status)
    }

    /// Recomputes an institution's entry after an event; returns the move, if it moved.
    pub fn recompute(
        &mut self,
        policy: &Policy,
        facts: &Facts,
        institution: &CreditCode,
        findings: &[&Finding],
        at: Evidence,
        at_time: UtcTime,
    ) -> Option<ListMove> {
        let by_id: BTreeMap<FindingId, &Finding> = findings.iter().map(|f| (f.id, *f)).collect();
        let black = self.black.entry(institution.clone()).or_default();
        // Only an officer's resolution clears a finding from a reason.
        for ids in black.values_mut() {
            ids.retain(|id| {
                !by_id
                    .get(id)
                    .is_some_and(|f| f.status == FindingStatus::Resolved)
            });
        }
        black.retain(|_, ids| !ids.is_empty());
        for finding in findings.iter().filter(|f| counts(f)) {
            if let Some(kind) = black_kind(finding.rule) {
                black.entry(kind).or_default().insert(finding.id);
            }
        }
        let repeated = repeated_violations(policy, facts, institution, findings);
        if !repeated.is_empty() {
            black
                .entry(ReasonKind::RepeatedViolations)
                .or_default()
                .extend(repeated);
        }
        let reasons: Vec<ListReason> = if black.is_empty() {
            not_white(facts, institution, findings, at_time)
        } else {
            black
                .iter()
                .map(|(kind, ids)| reason(*kind, ids.iter().copied(), &by_id, Vec::new()))
                .collect()
        };
        let status = if !black.is_empty() {
            ListStatus::Black
        } else if reasons.is_empty() {
            ListStatus::White
        } else {
            ListStatus::Unlisted
        };
        if black.is_empty() {
            self.black.remove(institution);
        }
        let previous = self.entries.get(institution).map(|e| e.status);
        let entry = self
            .entries
            .entry(institution.clone())
            .or_insert_with(|| ListEntry {
                institution: institution.clone(),
                status,
                since: at,
                since_at: at_time,
                reasons: Vec::new(),
            });
        entry.reasons = reasons;
        let from = previous.unwrap_or(ListStatus::Unlisted);
        if from == status {
            return None;
        }
        entry.status = status;
        entry.since = at;
        entry.since_at = at_time;
        Some(ListMove {
            institution: institution.clone(),
            from,
            to: status,
            at,
            reasons: entry.reasons.clone(),
        })
    }
}

fn reason(
    kind: ReasonKind,
    ids: impl Iterator<Item = FindingId>,
    by_id: &BTreeMap<FindingId, &Finding>,
    mut events: Vec<EventId>,
) -> ListReason {
    let findings: Vec<FindingId> = ids.collect();
    for id in &findings {
        if let Some(f) = by_id.get(id) {
            events.extend(f.evidence.iter().map(|e| e.event_id));
        }
    }
    events.sort();
    events.dedup();
    ListReason {
        kind,
        findings,
        events,
    }
}

/// The findings (HIGH or worse, standing, actual) that make `count` violations within the window.
fn repeated_violations(
    policy: &Policy,
    facts: &Facts,
    institution: &CreditCode,
    findings: &[&Finding],
) -> Vec<FindingId> {
    let mut serious: Vec<&Finding> = findings
        .iter()
        .copied()
        .filter(|f| counts(f) && f.severity >= Severity::High && f.rule != RuleId::BlackWhiteList)
        .collect();
    let Some(latest) = serious.iter().map(|f| f.occurred_at).max() else {
        return Vec::new();
    };
    serious.sort_by_key(|f| (f.occurred_at, f.id));
    let region = facts
        .institution(institution)
        .map_or_else(|| serious[0].region, |i| i.region);
    let zone = facts
        .institution(institution)
        .map_or(tutorwatch_events::registry::DEFAULT_TIME_ZONE, |i| {
            i.time_zone()
        });
    let date = local_time(zone, latest).date();
    let (Some(count), Some(days)) = (
        policy.value(region, date, |p| p.blacklist_repeat_count.as_ref()),
        policy.value(region, date, |p| p.blacklist_repeat_window_days.as_ref()),
    ) else {
        return Vec::new();
    };
    let count = usize::try_from(count.max(1)).unwrap_or(usize::MAX);
    let window_seconds = i64::from(days) * 86_400;
    let mut hit = BTreeSet::new();
    if serious.len() >= count {
        for window in serious.windows(count) {
            let (first, last) = (window[0], window[count - 1]);
            if last.occurred_at.seconds_since(&first.occurred_at) <= window_seconds {
                hit.extend(window.iter().map(|f| f.id));
            }
        }
    }
    hit.into_iter().collect()
}

/// Why a not-black institution is not white (empty: it is white).
fn not_white(
    facts: &Facts,
    institution: &CreditCode,
    findings: &[&Finding],
    at: UtcTime,
) -> Vec<ListReason> {
    let mut reasons = Vec::new();
    let by_id: BTreeMap<FindingId, &Finding> = findings.iter().map(|f| (f.id, *f)).collect();
    let Some(facts) = facts.institution(institution) else {
        return vec![reason(
            ReasonKind::NotRegistered,
            std::iter::empty(),
            &by_id,
            Vec::new(),
        )];
    };
    let Some(registration) = &facts.registration else {
        return vec![reason(
            ReasonKind::NotRegistered,
            std::iter::empty(),
            &by_id,
            Vec::new(),
        )];
    };
    let date = local_time(facts.time_zone(), at).date();
    match facts.standing(date) {
        Standing::Licensed => {}
        Standing::Unlicensed => reasons.push(reason(
            ReasonKind::LicenceNotActive,
            std::iter::empty(),
            &by_id,
            vec![registration.evidence.event_id],
        )),
        Standing::Suspended(by) | Standing::Revoked(by) => reasons.push(reason(
            ReasonKind::LicenceNotActive,
            std::iter::empty(),
            &by_id,
            vec![by.event_id],
        )),
    }
    let standing = |rules: &[RuleId]| -> Vec<FindingId> {
        findings
            .iter()
            .filter(|f| f.status.is_standing() && rules.contains(&f.rule))
            .map(|f| f.id)
            .collect()
    };
    let mismatch = standing(&[
        RuleId::LicenseModeMatch,
        RuleId::NonsubjectNoSubjectContent,
        RuleId::OnlineSubjectLicense,
    ]);
    if !mismatch.is_empty() {
        reasons.push(reason(
            ReasonKind::CategoryMismatch,
            mismatch.into_iter(),
            &by_id,
            Vec::new(),
        ));
    }
    if registration.category == Category::Subject && !registration.non_profit {
        reasons.push(reason(
            ReasonKind::SubjectNotNonProfit,
            std::iter::empty(),
            &by_id,
            vec![registration.evidence.event_id],
        ));
    }
    if facts.open_accounts.is_empty() {
        reasons.push(reason(
            ReasonKind::NoSupervisedAccount,
            std::iter::empty(),
            &by_id,
            Vec::new(),
        ));
    }
    let critical: Vec<FindingId> = findings
        .iter()
        .filter(|f| f.status.is_standing() && f.severity == Severity::Crit)
        .map(|f| f.id)
        .collect();
    if !critical.is_empty() {
        reasons.push(reason(
            ReasonKind::StandingCriticalFinding,
            critical.into_iter(),
            &by_id,
            Vec::new(),
        ));
    }
    reasons
}
