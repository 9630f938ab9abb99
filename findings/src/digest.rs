//! Digests and diffs of a projection run, for `replay` and `replay --diff`: counts per rule, a
//! hash over a canonical encoding of all findings and list entries, and what changed between
//! two runs.
//!
//! **Invariant:** the canonical encoding is postcard of the findings in id order and the list
//! entries in credit-code order, so equal outcomes always hash equal.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tutorwatch_events::ids::FindingId;
use tutorwatch_events::CreditCode;

use crate::finding::{Finding, FindingStatus};
use crate::list::{ListEntry, ListStatus};

/// The findings and list entries a run produced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub lists: Vec<ListEntry>,
}

/// Counts for one rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCount {
    pub total: u64,
    /// Not withdrawn and not resolved.
    pub standing: u64,
}

/// A run's digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    pub findings: u64,
    /// By catalogue rule id.
    pub per_rule: BTreeMap<String, RuleCount>,
    /// By list status name.
    pub per_list_status: BTreeMap<String, u64>,
    /// blake3 over the canonical encoding of the findings, hex.
    pub findings_hash: String,
    /// blake3 over the canonical encoding of findings and list entries, hex.
    pub hash: String,
}

fn hex(hash: blake3::Hash) -> String {
    hash.to_hex().to_string()
}

fn canonical<T: Serialize>(hasher: &mut blake3::Hasher, value: &T) {
    // Serialising our own plain structs into a Vec cannot fail (no unsized sequences); an empty
    // encoding would make different outcomes hash alike, so a failure must not be papered over.
    let bytes = postcard::to_allocvec(value).expect("postcard encodes findings and list entries");
    hasher.update(&(bytes.len() as u64).to_le_bytes());
    hasher.update(&bytes);
}

/// Counts per rule and hashes of an outcome (order of the input does not matter).
pub fn digest(outcome: &Outcome) -> Digest {
    let mut findings: Vec<&Finding> = outcome.findings.iter().collect();
    findings.sort_by_key(|f| f.id);
    let mut lists: Vec<&ListEntry> = outcome.lists.iter().collect();
    lists.sort_by(|a, b| a.institution.cmp(&b.institution));

    let mut per_rule: BTreeMap<String, RuleCount> = BTreeMap::new();
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"tutorwatch-findings-v1");
    for finding in &findings {
        let count = per_rule
            .entry(finding.rule.as_str().to_owned())
            .or_default();
        count.total += 1;
        if finding.status.is_standing() {
            count.standing += 1;
        }
        canonical(&mut hasher, finding);
    }
    let findings_hash = hasher.finalize();
    let mut all = blake3::Hasher::new();
    all.update(b"tutorwatch-outcome-v1");
    all.update(findings_hash.as_bytes());
    let mut per_list_status = BTreeMap::new();
    for entry in &lists {
        *per_list_status
            .entry(format!("{:?}", entry.status).to_lowercase())
            .or_insert(0) += 1;
        canonical(&mut all, entry);
    }
    Digest {
        findings: findings.len() as u64,
        per_rule,
        per_list_status,
        findings_hash: hex(findings_hash),
        hash: hex(all.finalize()),
    }
}

/// A finding present in both runs whose content differs (e.g. its status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingChanged {
    pub id: FindingId,
    pub old_status: FindingStatus,
    pub new_status: FindingStatus,
    pub old: Box<Finding>,
    pub new: Box<Finding>,
}

/// An institution whose list status differs between two runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListDifference {
    pub institution: CreditCode,
    /// `None`: no entry in that run.
    pub old: Option<ListStatus>,
    pub new: Option<ListStatus>,
}

/// What changed from one run to another.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diff {
    pub added: Vec<Finding>,
    pub removed: Vec<Finding>,
    pub changed: Vec<FindingChanged>,
    pub list_moves: Vec<ListDifference>,
}

impl Diff {
    /// Whether the two runs agree.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.list_moves.is_empty()
    }
}

/// Whether two findings say the same thing, whichever policy version labelled them: a what-if
/// run under another policy file differs in the label on every finding, which is not a change.
fn same_but_for_version(old: &Finding, new: &Finding) -> bool {
    if old.policy_version == new.policy_version {
        return old == new;
    }
    let mut relabelled = old.clone();
    relabelled.policy_version.clone_from(&new.policy_version);
    &relabelled == new
}

/// Compares two runs: findings added, removed or changed (by id; a finding whose only difference
/// is the policy version it was judged under is not changed), and list status moves.
pub fn diff(old: &Outcome, new: &Outcome) -> Diff {
    let old_findings: BTreeMap<FindingId, &Finding> =
        old.findings.iter().map(|f| (f.id, f)).collect();
    let new_findings: BTreeMap<FindingId, &Finding> =
        new.findings.iter().map(|f| (f.id, f)).collect();
    let mut result = Diff::default();
    for (id, finding) in &new_findings {
        match old_findings.get(id) {
            None => result.added.push((*finding).clone()),
            Some(before) if !same_but_for_version(before, finding) => {
                result.changed.push(FindingChanged {
                    id: *id,
                    old_status: before.status.clone(),
                    new_status: finding.status.clone(),
                    old: Box::new((*before).clone()),
                    new: Box::new((*finding).clone()),
                })
            }
            Some(_) => {}
        }
    }
    for (id, finding) in &old_findings {
        if !new_findings.contains_key(id) {
            result.removed.push((*finding).clone());
        }
    }
    let old_lists: BTreeMap<&CreditCode, ListStatus> = old
        .lists
        .iter()
        .map(|e| (&e.institution, e.status))
        .collect();
    let new_lists: BTreeMap<&CreditCode, ListStatus> = new
        .lists
        .iter()
        .map(|e| (&e.institution, e.status))
        .collect();
    let institutions: std::collections::BTreeSet<&&CreditCode> =
        old_lists.keys().chain(new_lists.keys()).collect();
    for institution in institutions {
        let (before, after) = (
            old_lists.get(*institution).copied(),
            new_lists.get(*institution).copied(),
        );
        if before != after {
            result.list_moves.push(ListDifference {
                institution: (*institution).clone(),
                old: before,
                new: after,
            });
        }
    }
    result
}
