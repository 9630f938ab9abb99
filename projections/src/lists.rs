//! The black/white list (BLACK_WHITE_LIST): one entry per institution, with its status, since
//! when, and the reasons with their evidence.
//!
//! The criteria, as a table (the README's "The lists" section says the same for readers):
//!
//! | status | when | what ends it |
//! |---|---|---|
//! | black | a standing finding of a rule whose catalogue `list` role is `Black` (operating without a licence or after revocation; a serious fund finding) | an officer resolving every finding behind the reason |
//! | black | repeated violations: `blacklist_repeat_count` serious (HIGH or CRIT) findings within `blacklist_repeat_window_days` | the same |
//! | black | a registry act: the licence revoked as a penalty (`registry.licence_revoked` with `grounds: penalty`) | the registry restoring the licence (`registry.licence_restored`, e.g. after an appeal) |
//! | unlisted | not registered; licence not active (suspended, surrendered, lapsed, or not yet approved); a category mismatch; subject training not non-profit; no open supervised account; a standing CRIT finding | the fact changing, or the finding being resolved or withdrawn |
//! | white | none of the above | |
//!
//! **Invariant:** finding-backed black reasons are sticky: such a reason goes only when an
//! officer has resolved every finding behind it (a `supervision.officer_acted` event), never by
//! time passing. Only findings about what actually happened (not withdrawable plans) put anyone
//! on it.
//!
//! Which rules' findings put an institution on the black list, and which mean a category
//! mismatch, is the `list` column of the rule catalogue (`tutorwatch_findings::rule`), read here
//! through exhaustive matches.
//!
//! **Cost:** the projector reports every finding that changed ([`Lists::finding_changed`]) and
//! the list keeps, per institution, only what its judgement needs (the black reasons' finding
//! sets, the serious findings in time order, the standing mismatch and critical findings), so
//! judging an institution again ([`Lists::recompute`]) costs O(log n) in its number of
//! findings, not O(n), and replaying a busy institution's history stays linear.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use serde::{Deserialize, Serialize};
use tutorwatch_events::ids::FindingId;
use tutorwatch_events::kinds::Category;
use tutorwatch_events::{CreditCode, EventId, RegionCode, UtcTime};

use crate::facts::{local_time, Facts, Institution, Standing};
use crate::heads::FindingHead;
use crate::policy::Policy;
use crate::sizes::StatePart;
use tutorwatch_findings::list::{
    ListEntry, ListMove, ListReason, ListStatus, ReasonKind, REASON_EVIDENCE_MAX,
};
use tutorwatch_findings::{Basis, Evidence, FindingStatus, ListRole, RuleId, Severity};

/// The list projection's state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lists {
    entries: BTreeMap<CreditCode, ListEntry>,
    /// What the list needs to know about each institution's findings.
    ledgers: BTreeMap<CreditCode, FindingLedger>,
}

/// The figures the repeated-violations rule was last judged with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct RepeatRule {
    /// How many serious findings make a repeat.
    count: usize,
    /// Within how many seconds, first to last.
    window_seconds: i64,
}

/// One institution's findings as the list sees them, kept up to date finding by finding.
///
/// **Invariant:** after a `recompute`, `black[RepeatedViolations]` holds every finding of every
/// qualifying window of `serious` under `repeat_rule` (and earlier hits not yet resolved), and
/// `newly_serious` is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct FindingLedger {
    /// Black reasons still in force, with the findings behind each.
    black: BTreeMap<ReasonKind, BTreeSet<FindingId>>,
    /// Standing actual HIGH-or-worse findings, by (occurred_at, id).
    serious: BTreeSet<(UtcTime, FindingId)>,
    /// The key and region of each finding in `serious`.
    serious_by_id: BTreeMap<FindingId, (UtcTime, RegionCode)>,
    /// Findings that entered `serious` since the last `recompute`.
    newly_serious: BTreeSet<(UtcTime, FindingId)>,
    /// The repeated-violations figures of the last `recompute` that had serious findings.
    repeat_rule: Option<RepeatRule>,
    /// Standing findings that the institution teaches outside its licence.
    mismatch: BTreeSet<FindingId>,
    /// Standing CRIT findings.
    critical: BTreeSet<FindingId>,
    /// Findings that changed since the last `recompute` (their evidence is looked up again).
    changed: BTreeSet<FindingId>,
    /// Finding-backed reasons whose set, or one of whose findings, changed since the last
    /// `recompute`. The others keep their previous reason as it was. Always empty between
    /// events (each event that records a finding recomputes its institution), so it is not
    /// part of a snapshot.
    #[serde(skip)]
    dirty: BTreeSet<ReasonKind>,
}

/// The black-list reason a rule's findings give, from the rule catalogue's list roles.
fn black_kind(rule: RuleId) -> Option<ReasonKind> {
    match rule.spec().list {
        ListRole::Black(kind) => Some(kind),
        ListRole::Mismatch | ListRole::Counts | ListRole::Own => None,
    }
}

/// Whether a rule's standing findings mean a category mismatch (catalogue: `ListRole::Mismatch`).
fn is_mismatch(rule: RuleId) -> bool {
    match rule.spec().list {
        ListRole::Mismatch => true,
        ListRole::Black(_) | ListRole::Counts | ListRole::Own => false,
    }
}

fn counts(finding: &FindingHead) -> bool {
    finding.basis == Basis::Actual && finding.status().is_standing()
}

/// Whether a finding counts towards repeated violations.
fn is_serious(finding: &FindingHead) -> bool {
    counts(finding)
        && finding.severity >= Severity::High
        && finding.rule.spec().list != ListRole::Own
}

/// Puts `id` in `set` or takes it out.
fn set_membership(set: &mut BTreeSet<FindingId>, id: FindingId, member: bool) {
    if member {
        set.insert(id);
    } else {
        set.remove(&id);
    }
}

impl FindingLedger {
    /// Takes in the current state of one of the institution's findings.
    fn record(&mut self, id: FindingId, finding: &FindingHead) {
        self.changed.insert(id);
        // A reason is rebuilt if the finding was in its set before, or is after.
        self.mark_dirty(id);
        self.record_black(id, finding);
        self.record_serious(id, finding);
        let standing = finding.status().is_standing();
        set_membership(
            &mut self.mismatch,
            id,
            standing && is_mismatch(finding.rule),
        );
        set_membership(
            &mut self.critical,
            id,
            standing && finding.severity == Severity::Crit,
        );
        self.mark_dirty(id);
    }

    /// Marks every finding-backed reason whose set holds `id` as needing a rebuild.
    fn mark_dirty(&mut self, id: FindingId) {
        for (kind, ids) in &self.black {
            if ids.contains(&id) {
                self.dirty.insert(*kind);
            }
        }
        if self.mismatch.contains(&id) {
            self.dirty.insert(ReasonKind::CategoryMismatch);
        }
        if self.critical.contains(&id) {
            self.dirty.insert(ReasonKind::StandingCriticalFinding);
        }
    }

    /// Only an officer's resolution takes a finding out of a black reason.
    fn record_black(&mut self, id: FindingId, finding: &FindingHead) {
        if *finding.status() == FindingStatus::Resolved {
            for ids in self.black.values_mut() {
                ids.remove(&id);
            }
            self.black.retain(|_, ids| !ids.is_empty());
        }
        if let (true, Some(kind)) = (counts(finding), black_kind(finding.rule)) {
            self.black.entry(kind).or_default().insert(id);
        }
    }

    fn record_serious(&mut self, id: FindingId, finding: &FindingHead) {
        if let Some((at, _)) = self.serious_by_id.remove(&id) {
            self.serious.remove(&(at, id));
            self.newly_serious.remove(&(at, id));
        }
        if is_serious(finding) {
            let key = (finding.occurred_at, id);
            self.serious_by_id
                .insert(id, (finding.occurred_at, finding.region));
            self.serious.insert(key);
            self.newly_serious.insert(key);
        }
    }

    /// Adds the findings of newly qualifying repeated-violation windows to the black reasons.
    ///
    /// With the same figures as last time, a window that qualifies now and did not before holds
    /// a newly serious finding (taking findings out only widens windows), so only the windows
    /// around those are checked; new figures mean checking every window once.
    fn update_repeated(&mut self, policy: &Policy, known: Option<&Institution>) {
        let newly = std::mem::take(&mut self.newly_serious);
        let (Some(earliest), Some(latest)) = (self.serious.first(), self.serious.last()) else {
            return;
        };
        let fallback_region = self
            .serious_by_id
            .get(&earliest.1)
            .map(|(_, region)| *region);
        let rule = repeat_rule(policy, known, latest.0, fallback_region);
        let mut hits = BTreeSet::new();
        match rule {
            None => {}
            Some(rule) if self.repeat_rule == Some(rule) => {
                for key in &newly {
                    let around = self.neighbourhood(key, rule.count);
                    qualifying_windows(&around, rule, &mut hits);
                }
            }
            Some(rule) => {
                let all: Vec<(UtcTime, FindingId)> = self.serious.iter().copied().collect();
                qualifying_windows(&all, rule, &mut hits);
            }
        }
        self.repeat_rule = rule;
        if !hits.is_empty() {
            self.dirty.insert(ReasonKind::RepeatedViolations);
            self.black
                .entry(ReasonKind::RepeatedViolations)
                .or_default()
                .extend(hits);
        }
    }

    /// `key` with up to `count - 1` serious findings on either side, in order.
    fn neighbourhood(&self, key: &(UtcTime, FindingId), count: usize) -> Vec<(UtcTime, FindingId)> {
        let reach = count.saturating_sub(1);
        let mut around: Vec<(UtcTime, FindingId)> = self
            .serious
            .range(..key)
            .rev()
            .take(reach)
            .copied()
            .collect();
        around.reverse();
        around.push(*key);
        around.extend(
            self.serious
                .range((Bound::Excluded(key), Bound::Unbounded))
                .take(reach)
                .copied(),
        );
        around
    }
}

/// The repeated-violations figures for the institution's region on the local date of `latest`.
fn repeat_rule(
    policy: &Policy,
    known: Option<&Institution>,
    latest: UtcTime,
    fallback_region: Option<RegionCode>,
) -> Option<RepeatRule> {
    let region = known.map(|i| i.region).or(fallback_region)?;
    let zone = known.map_or(tutorwatch_events::registry::DEFAULT_TIME_ZONE, |i| {
        i.time_zone()
    });
    let date = local_time(zone, latest).date();
    let count = policy.value(region, date, |p| p.blacklist_repeat_count.as_ref())?;
    let days = policy.value(region, date, |p| p.blacklist_repeat_window_days.as_ref())?;
    Some(RepeatRule {
        count: usize::try_from(count.max(1)).unwrap_or(usize::MAX),
        window_seconds: i64::from(days) * 86_400,
    })
}

/// Adds to `hits` the findings of every `count` consecutive ones in `ordered` that lie within
/// the window, first to last.
fn qualifying_windows(
    ordered: &[(UtcTime, FindingId)],
    rule: RepeatRule,
    hits: &mut BTreeSet<FindingId>,
) {
    if ordered.len() < rule.count {
        return;
    }
    for window in ordered.windows(rule.count) {
        let (Some(first), Some(last)) = (window.first(), window.last()) else {
            continue;
        };
        if last.0.seconds_since(&first.0) <= rule.window_seconds {
            hits.extend(window.iter().map(|(_, id)| *id));
        }
    }
}

impl Lists {
    /// Takes in another partition's entries and ledgers (`crate::partition`): each
    /// institution's are in one partition only.
    pub(crate) fn absorb(&mut self, other: Lists) {
        crate::partition::append_disjoint(&mut self.entries, other.entries);
        crate::partition::append_disjoint(&mut self.ledgers, other.ledgers);
    }

    /// The size of the list entries and of what the lists keep of each institution's findings.
    pub(crate) fn sizes(&self) -> Vec<StatePart> {
        vec![
            StatePart::measure(
                "list_entries",
                self.entries.len(),
                "institutions",
                &self.entries,
            ),
            StatePart::measure(
                "list_ledgers",
                self.ledgers.len(),
                "institutions",
                &self.ledgers,
            ),
        ]
    }

    /// The entry of one institution.
    pub fn entry(&self, institution: &CreditCode) -> Option<&ListEntry> {
        self.entries.get(institution)
    }

    /// Every entry, by credit code.
    pub fn entries(&self) -> impl Iterator<Item = &ListEntry> {
        self.entries.values()
    }

    /// Takes in the current state of a finding that was raised, reopened, withdrawn or changed
    /// status. Call it for every such finding (once, with its state after the event is applied)
    /// before recomputing its institution.
    pub fn finding_changed(&mut self, id: FindingId, finding: &FindingHead) {
        self.ledgers
            .entry(finding.institution.clone())
            .or_default()
            .record(id, finding);
    }

    /// Recomputes an institution's entry after an event; returns the move, if it moved.
    /// `findings` is every finding by id, for the evidence of the findings a reason lists.
    pub fn recompute(
        &mut self,
        policy: &Policy,
        facts: &Facts,
        institution: &CreditCode,
        findings: &BTreeMap<FindingId, FindingHead>,
        at: Evidence,
        at_time: UtcTime,
    ) -> Option<ListMove> {
        // Runs for most events: each map is looked up once (the ledger, the entry, the facts).
        let known = facts.institution(institution);
        let ledger = match self.ledgers.get_mut(institution) {
            Some(ledger) => ledger,
            None => self.ledgers.entry(institution.clone()).or_default(),
        };
        ledger.update_repeated(policy, known);
        let changed = std::mem::take(&mut ledger.changed);
        let dirty = std::mem::take(&mut ledger.dirty);
        let ledger = &*ledger;
        let mut entry = self.entries.get_mut(institution);
        // The entry's reasons are replaced below; an unchanged reason is moved over, not copied.
        let previous = entry
            .as_mut()
            .map(|e| std::mem::take(&mut e.reasons))
            .unwrap_or_default();
        let mut evidence = EvidenceSource {
            findings,
            previous,
            changed: &changed,
            dirty: &dirty,
        };
        let revoked = known.and_then(Institution::revoked_as_penalty);
        let black = !ledger.black.is_empty() || revoked.is_some();
        let reasons: Vec<ListReason> = if !black {
            not_white(known, ledger, &mut evidence, at_time)
        } else {
            let mut reasons: Vec<ListReason> = ledger
                .black
                .iter()
                .map(|(kind, ids)| evidence.reason(*kind, ids))
                .collect();
            if let Some(by) = revoked {
                reasons.push(fact_reason(
                    ReasonKind::LicenceRevokedAsPenalty,
                    vec![by.event_id],
                ));
            }
            reasons.sort_by_key(|reason| reason.kind);
            reasons
        };
        let status = if black {
            ListStatus::Black
        } else if reasons.is_empty() {
            ListStatus::White
        } else {
            ListStatus::Unlisted
        };
        let label = Label {
            name: known
                .and_then(|i| i.registration.as_ref())
                .map(|r| r.name.as_str()),
            region: known.map(|i| i.region),
        };
        // An institution seen for the first time starts unlisted; `settle` moves it as any other.
        let entry = match entry {
            Some(entry) => entry,
            None => self
                .entries
                .entry(institution.clone())
                .or_insert_with(|| ListEntry {
                    institution: institution.clone(),
                    name: None,
                    region: None,
                    status: ListStatus::Unlisted,
                    since: at,
                    since_at: at_time,
                    reasons: Vec::new(),
                }),
        };
        settle(entry, label, status, reasons, at, at_time)
    }
}

/// Stores an entry's new reasons and status; returns the move, if it moved.
fn settle(
    entry: &mut ListEntry,
    label: Label<'_>,
    status: ListStatus,
    reasons: Vec<ListReason>,
    at: Evidence,
    at_time: UtcTime,
) -> Option<ListMove> {
    entry.reasons = reasons;
    if entry.name.as_deref() != label.name {
        entry.name = label.name.map(str::to_owned);
    }
    entry.region = label.region.or(entry.region);
    let from = entry.status;
    if from == status {
        return None;
    }
    entry.status = status;
    entry.since = at;
    entry.since_at = at_time;
    Some(ListMove {
        institution: entry.institution.clone(),
        from,
        to: status,
        at,
        reasons: entry.reasons.clone(),
    })
}

/// How the public lists name an institution.
struct Label<'a> {
    name: Option<&'a str>,
    region: Option<RegionCode>,
}

/// Where a finding-backed reason gets its findings' evidence events from.
struct EvidenceSource<'a> {
    /// Every finding, by id.
    findings: &'a BTreeMap<FindingId, FindingHead>,
    /// The entry's reasons before this event (taken out of the entry; it gets new ones).
    previous: Vec<ListReason>,
    /// The findings that changed in this event.
    changed: &'a BTreeSet<FindingId>,
    /// The reasons whose findings changed in this event.
    dirty: &'a BTreeSet<ReasonKind>,
}

impl EvidenceSource<'_> {
    /// A reason backed by findings: lists the first [`REASON_EVIDENCE_MAX`] of them with their
    /// evidence events.
    fn reason(&mut self, kind: ReasonKind, ids: &BTreeSet<FindingId>) -> ListReason {
        if !self.dirty.contains(&kind) {
            // Neither the set nor any finding in it changed since the previous reason was built.
            if let Some(previous) = self.previous.iter_mut().find(|r| r.kind == kind) {
                return std::mem::replace(previous, fact_reason(kind, Vec::new()));
            }
        }
        if let Some(mut reason) = self.unchanged(kind, ids) {
            reason.findings_total = ids.len();
            return reason;
        }
        let listed: Vec<FindingId> = ids.iter().take(REASON_EVIDENCE_MAX).copied().collect();
        let events = self.evidence_events(&listed);
        ListReason {
            kind,
            findings: listed,
            findings_total: ids.len(),
            events,
        }
    }

    /// The previous reason of this kind, moved out, when it lists the same findings and none of
    /// them changed (then its events are still right).
    fn unchanged(&mut self, kind: ReasonKind, ids: &BTreeSet<FindingId>) -> Option<ListReason> {
        let previous = self.previous.iter_mut().find(|r| r.kind == kind)?;
        let same = previous
            .findings
            .iter()
            .eq(ids.iter().take(REASON_EVIDENCE_MAX))
            && !previous.findings.iter().any(|id| self.changed.contains(id));
        same.then(|| ListReason {
            kind,
            findings: std::mem::take(&mut previous.findings),
            findings_total: previous.findings_total,
            events: std::mem::take(&mut previous.events),
        })
    }

    /// The evidence events of `listed`, sorted and without repeats.
    fn evidence_events(&self, listed: &[FindingId]) -> Vec<EventId> {
        let mut events: Vec<EventId> = listed
            .iter()
            .filter_map(|id| self.findings.get(id))
            .flat_map(|finding| finding.evidence_events.iter().copied())
            .collect();
        events.sort();
        events.dedup();
        events
    }
}

/// A reason that rests on facts, not findings.
fn fact_reason(kind: ReasonKind, events: Vec<EventId>) -> ListReason {
    ListReason {
        kind,
        findings: Vec::new(),
        findings_total: 0,
        events,
    }
}

/// Why a not-black institution is not white (empty: it is white).
fn not_white(
    facts: Option<&Institution>,
    ledger: &FindingLedger,
    evidence: &mut EvidenceSource<'_>,
    at: UtcTime,
) -> Vec<ListReason> {
    let mut reasons = Vec::new();
    let Some(facts) = facts else {
        return vec![fact_reason(ReasonKind::NotRegistered, Vec::new())];
    };
    let Some(registration) = &facts.registration else {
        return vec![fact_reason(ReasonKind::NotRegistered, Vec::new())];
    };
    let date = local_time(facts.time_zone(), at).date();
    match facts.standing(date) {
        Standing::Licensed => {}
        Standing::Unlicensed => reasons.push(fact_reason(
            ReasonKind::LicenceNotActive,
            vec![registration.evidence.event_id],
        )),
        Standing::Suspended(by) | Standing::Revoked(by) => {
            reasons.push(fact_reason(ReasonKind::LicenceNotActive, vec![by.event_id]))
        }
    }
    if !ledger.mismatch.is_empty() {
        reasons.push(evidence.reason(ReasonKind::CategoryMismatch, &ledger.mismatch));
    }
    if registration.category == Category::Subject && !registration.non_profit {
        reasons.push(fact_reason(
            ReasonKind::SubjectNotNonProfit,
            vec![registration.evidence.event_id],
        ));
    }
    if facts.open_accounts.is_empty() {
        reasons.push(fact_reason(ReasonKind::NoSupervisedAccount, Vec::new()));
    }
    if !ledger.critical.is_empty() {
        reasons.push(evidence.reason(ReasonKind::StandingCriticalFinding, &ledger.critical));
    }
    reasons
}
