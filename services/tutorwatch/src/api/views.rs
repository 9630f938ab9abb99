//! The JSON shapes the API answers with: findings and list entries as officers, institutions and
//! the public read them. These are the API's contract, kept apart from the projections' internal
//! types so that either can change without surprising the other.

use serde::Serialize;
use tutorwatch_events::ids::FindingId;
use tutorwatch_events::{CreditCode, EventId, RegionCode, UtcTime};
use tutorwatch_findings::ListReason;
use tutorwatch_findings::{FindingStatus, ListEntry, ListStatus};
use tutorwatch_projection_store::{Cursor, StoredFinding};
use utoipa::ToSchema;

/// One figure of a finding: its name, its value as text, and the value as structured JSON.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct FigureView {
    /// e.g. `actual`, `limit`.
    pub name: String,
    /// e.g. `31 min 0 s`.
    pub text: String,
    /// e.g. `{"seconds": 1860}`.
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
}

/// An event that proves a finding or changed its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct EvidenceView {
    pub event_id: EventId,
    /// Its position in the log.
    pub seq: u64,
}

/// A finding, as the feeds show it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct FindingView {
    pub id: FindingId,
    /// Its position in the feeds: pass it as `after` (or SSE `Last-Event-ID`) to continue.
    pub cursor: String,
    /// The rule's id in the catalogue (`GET /v1/rules`), e.g. `ONLINE_LESSON_MAX_30MIN`.
    pub rule: String,
    /// `low`, `med`, `high` or `crit`.
    pub severity: String,
    /// `planned` (a published schedule) or `actual`.
    pub basis: String,
    /// The rule's figures.
    pub figures: Vec<FigureView>,
    /// The same as a sentence, in English.
    pub description: String,
    /// The same sentence in Chinese (zh-CN); `description` where the rule gives none.
    pub description_zh: String,
    pub institution: CreditCode,
    pub region: RegionCode,
    /// When the breach happened (or would, for a plan), UTC.
    pub occurred_at: UtcTime,
    /// The same in the institution's local time, and that time zone.
    pub occurred_local: String,
    pub time_zone: String,
    /// The events that prove it, in log order.
    pub evidence: Vec<EvidenceView>,
    pub policy_version: String,
    /// `open`, `withdrawn`, `acknowledged`, `rectification_ordered`, `resolved`, `penalised`.
    pub status: String,
    /// The status's details (a rectification's due date, a penalty), when it has any.
    #[schema(value_type = Object)]
    pub status_detail: serde_json::Value,
    /// The events that changed the status, in log order.
    pub status_events: Vec<EvidenceView>,
    /// The log sequence of the event that first raised it.
    pub raised_seq: u64,
}

fn evidence(list: &[tutorwatch_findings::Evidence]) -> Vec<EvidenceView> {
    list.iter()
        .map(|e| EvidenceView {
            event_id: e.event_id,
            seq: e.seq,
        })
        .collect()
}

/// The name a unit enum variant has in JSON (`high`, `non_subject`, ...).
pub(crate) fn json_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

impl From<&StoredFinding> for FindingView {
    fn from(stored: &StoredFinding) -> Self {
        let f = &stored.finding;
        let status_detail = match &f.status {
            FindingStatus::RectificationOrdered { .. } | FindingStatus::Penalised { .. } => {
                serde_json::to_value(&f.status)
                    .ok()
                    .and_then(|v| v.as_object().and_then(|o| o.values().next().cloned()))
                    .unwrap_or(serde_json::Value::Null)
            }
            _ => serde_json::Value::Null,
        };
        FindingView {
            id: f.id,
            cursor: Cursor::of(stored).to_string(),
            rule: f.rule.as_str().to_owned(),
            severity: json_name(&f.severity),
            basis: json_name(&f.basis),
            figures: f
                .figures
                .iter()
                .map(|figure| FigureView {
                    name: figure.name.clone(),
                    text: figure.value.to_string(),
                    value: serde_json::to_value(&figure.value).unwrap_or_default(),
                })
                .collect(),
            description: f.description.clone(),
            description_zh: if f.description_zh.is_empty() {
                f.description.clone()
            } else {
                f.description_zh.clone()
            },
            institution: f.institution.clone(),
            region: f.region,
            occurred_at: f.occurred_at,
            occurred_local: f.occurred_local.to_string(),
            time_zone: f.time_zone.clone(),
            evidence: evidence(&f.evidence),
            policy_version: f.policy_version.clone(),
            status: f.status.name().to_owned(),
            status_detail,
            status_events: evidence(&f.status_events),
            raised_seq: stored.raised_seq,
        }
    }
}

/// A page of findings.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct FindingPage {
    /// Oldest first, in the order they were raised.
    pub findings: Vec<FindingView>,
    /// Pass as `after` for the next page; `null` when this page reached the end of the feed
    /// (ask again later with the last finding's cursor to follow it).
    pub next: Option<String>,
}

/// Why an institution is on the black list (or not on the white list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct ReasonView {
    /// e.g. `operating_without_licence`, `serious_fund_finding`, `repeated_violations`.
    pub kind: String,
    /// How many findings are behind it.
    pub findings_total: usize,
    /// Up to 20 of them.
    pub findings: Vec<FindingId>,
}

impl ReasonView {
    /// The view of a list reason.
    pub(crate) fn of(reason: &ListReason) -> Self {
        ReasonView {
            kind: json_name(&reason.kind),
            findings_total: reason.findings_total,
            findings: reason.findings.clone(),
        }
    }
}

/// One institution on a public list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct ListedInstitution {
    pub name: Option<String>,
    pub credit_code: CreditCode,
    pub region: Option<RegionCode>,
    /// `black`, `white` or `unlisted`.
    pub status: String,
    /// Since when, UTC.
    pub since: UtcTime,
    /// The event that put it there.
    pub since_event: EventId,
    /// For the black list: why. (The white list shows none.)
    pub reasons: Vec<ReasonView>,
}

impl ListedInstitution {
    /// The public view of a list entry (reasons only for the black list).
    pub(crate) fn of(entry: &ListEntry) -> Self {
        ListedInstitution {
            name: entry.name.clone(),
            credit_code: entry.institution.clone(),
            region: entry.region,
            status: json_name(&entry.status),
            since: entry.since_at,
            since_event: entry.since.event_id,
            reasons: if entry.status == ListStatus::Black {
                entry.reasons.iter().map(ReasonView::of).collect()
            } else {
                Vec::new()
            },
        }
    }
}
