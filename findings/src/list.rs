//! The black/white list's entries as the projections produce them and the store keeps them:
//! an institution's status, since when, and the reasons with the findings and events behind them.
//! How entries are judged is `projections/src/lists.rs`.

use serde::{Deserialize, Serialize};
use tutorwatch_events::ids::FindingId;
use tutorwatch_events::{CreditCode, EventId, RegionCode, UtcTime};

use crate::finding::Evidence;
use crate::lang::Lang;

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
    /// The registry revoked the licence as a penalty (a registry act, not a finding).
    LicenceRevokedAsPenalty,
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

impl ReasonKind {
    /// The reason in words, for readers.
    pub fn title(self, lang: Lang) -> &'static str {
        match self {
            ReasonKind::OperatingWithoutLicence => {
                lang.t("无证或停证期间办学", "operating without a licence")
            }
            ReasonKind::LicenceRevokedAsPenalty => {
                lang.t("办学许可证被依法吊销", "licence revoked as a penalty")
            }
            ReasonKind::SeriousFundFinding => {
                lang.t("严重资金监管问题", "serious prepaid-fund violation")
            }
            ReasonKind::RepeatedViolations => lang.t("多次违规", "repeated violations"),
            ReasonKind::NotRegistered => lang.t("未登记", "not registered"),
            ReasonKind::LicenceNotActive => {
                lang.t("办学许可证未处于有效状态", "licence not active")
            }
            ReasonKind::CategoryMismatch => {
                lang.t("培训类别与许可不符", "category does not match the licence")
            }
            ReasonKind::SubjectNotNonProfit => lang.t(
                "学科类机构未登记为非营利性",
                "subject training not non-profit",
            ),
            ReasonKind::NoSupervisedAccount => {
                lang.t("无预收费监管账户", "no supervised prepaid-fee account")
            }
            ReasonKind::StandingCriticalFinding => {
                lang.t("存在未办结的严重问题", "an unresolved critical finding")
            }
        }
    }
}

/// At most this many findings (and their evidence events) are listed in a [`ListReason`]; the
/// reason's `findings_total` says how many there are in all.
///
/// The listed ones are the first in finding-id order. Ids are derived from content, not time, so
/// this is a stable, deterministic sample, not the most recent findings.
pub const REASON_EVIDENCE_MAX: usize = 20;

/// One reason, with (a bounded sample of) the findings and events behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListReason {
    pub kind: ReasonKind,
    /// The first [`REASON_EVIDENCE_MAX`] findings behind the reason, by id.
    pub findings: Vec<FindingId>,
    /// How many findings are behind the reason in all (`findings` may list fewer).
    pub findings_total: usize,
    /// The evidence events of the listed findings, and the facts' events (a registration, a
    /// suspension) the reason rests on, sorted.
    pub events: Vec<EventId>,
}

/// An institution's list entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListEntry {
    pub institution: CreditCode,
    /// The registered name (`None` for an institution the registry never registered).
    pub name: Option<String>,
    /// Where it is supervised (the region the facts hold: its registration's).
    pub region: Option<RegionCode>,
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
