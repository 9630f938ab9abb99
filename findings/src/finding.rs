//! Findings: what a rule found, with the figures, the evidence that proves it and the case status
//! officers give it.
//!
//! **Invariant:** a finding's id is derived from its rule and an identity key (which names the
//! evidence events when the finding is about those events), never from a clock or counter, so a
//! replay of the same log reproduces every id and officers' actions keep pointing at the right
//! finding.

use std::fmt;

use jiff::civil::{Date, DateTime, Time};
use serde::{Deserialize, Serialize};
use tutorwatch_events::ids::FindingId;
use tutorwatch_events::supervision::{CaseAction, PenaltyKind};
use tutorwatch_events::{CreditCode, EventId, Fen, RegionCode, UtcTime};

use crate::rule::{RuleId, Severity};

/// The namespace of finding ids (UUID v5).
const FINDING_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6d1c_2f0e_8b7a_4c53_9e1f_3a5b_7c9d_0e21);

/// One logged event that proves a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Evidence {
    pub event_id: EventId,
    /// The event's position in the log.
    pub seq: u64,
}

/// A measured or limiting quantity, in its own unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Seconds(i64),
    LocalTime(Time),
    Date(Date),
    Money(Fen),
    Count(u64),
    Months(u32),
    BasisPoints(u64),
    Text(String),
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Measure::Seconds(s) => write!(f, "{} min {} s", s / 60, s % 60),
            Measure::LocalTime(t) => write!(f, "{}", t.strftime("%H:%M:%S")),
            Measure::Date(d) => write!(f, "{d}"),
            Measure::Money(m) => write!(f, "{m}"),
            Measure::Count(n) => write!(f, "{n}"),
            Measure::Months(n) => write!(f, "{n} months"),
            Measure::BasisPoints(bp) => write!(f, "{}.{:02} %", bp / 100, bp % 100),
            Measure::Text(t) => f.write_str(t),
        }
    }
}

impl Measure {
    /// The value as a reader in `lang` takes it in (`Display` is the English form, which the
    /// API's `text` carries): `30 分 1 秒`, `67.50 元`, `3 个月`.
    pub fn text(&self, lang: crate::Lang) -> String {
        match (lang, self) {
            (crate::Lang::English, _) => self.to_string(),
            (crate::Lang::Zh, Measure::Seconds(s)) if s % 60 == 0 => format!("{} 分钟", s / 60),
            (crate::Lang::Zh, Measure::Seconds(s)) => format!("{} 分 {} 秒", s / 60, s % 60),
            (crate::Lang::Zh, Measure::Money(m)) => {
                format!("{}.{:02} 元", m.get() / 100, m.get() % 100)
            }
            (crate::Lang::Zh, Measure::Months(n)) => format!("{n} 个月"),
            (crate::Lang::Zh, Measure::BasisPoints(bp)) => {
                format!("{}.{:02}%", bp / 100, bp % 100)
            }
            (crate::Lang::Zh, other) => other.to_string(),
        }
    }
}

/// One named figure of a finding, e.g. `actual` = 31 min 0 s, `limit` = 30 min.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figure {
    pub name: String,
    pub value: Measure,
}

impl Figure {
    /// A named figure.
    pub fn new(name: &str, value: Measure) -> Self {
        Self {
            name: name.to_owned(),
            value,
        }
    }
}

/// What the finding is based on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// A published plan (course_published / course_rescheduled); withdrawn if the plan changes
    /// before the lesson.
    Planned,
    /// Something that happened (a delivered lesson, a payment, an ad, a registration fact).
    Actual,
}

/// Where a finding stands in its case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    Open,
    /// The plan it was based on changed before the lesson.
    Withdrawn,
    Acknowledged,
    RectificationOrdered {
        due: Date,
    },
    Resolved,
    Penalised {
        penalty: PenaltyKind,
        fine: Option<Fen>,
    },
}

impl FindingStatus {
    /// Whether the finding still counts against the institution (not withdrawn or resolved).
    pub fn is_standing(&self) -> bool {
        !matches!(self, FindingStatus::Withdrawn | FindingStatus::Resolved)
    }

    /// Why an officer may not take `action` on a finding in this status (`None`: they may).
    /// A case moves forward: open → acknowledged → rectification ordered → penalised, any of
    /// them → resolved (closed); a withdrawn or resolved finding takes no action, and nothing
    /// goes back to "acknowledged".
    pub fn refuses(&self, action: &CaseAction) -> Option<&'static str> {
        self.refusal(action).map(|(_, en)| en)
    }

    /// Why `action` is not allowed in this status, in Chinese and in English.
    pub fn refusal(&self, action: &CaseAction) -> Option<(&'static str, &'static str)> {
        match (self, action) {
            (FindingStatus::Withdrawn, _) => Some((
                "该问题已撤销（其所依据的课程安排在上课前已更改），无需处理",
                "the finding was withdrawn (the plan it was based on changed before the lesson); there is nothing to act on",
            )),
            (FindingStatus::Resolved, _) => Some((
                "该问题已办结，案件已关闭",
                "the finding is resolved: the case is closed",
            )),
            (FindingStatus::Acknowledged, CaseAction::Acknowledged) => {
                Some(("该问题已受理", "the finding is already acknowledged"))
            }
            (
                FindingStatus::RectificationOrdered { .. } | FindingStatus::Penalised { .. },
                CaseAction::Acknowledged,
            ) => Some((
                "案件已过受理阶段（已责令整改或已处罚）",
                "the case is past acknowledgement (rectification was ordered or a penalty imposed)",
            )),
            _ => None,
        }
    }

    /// A short name, for digests and logs.
    pub fn name(&self) -> &'static str {
        match self {
            FindingStatus::Open => "open",
            FindingStatus::Withdrawn => "withdrawn",
            FindingStatus::Acknowledged => "acknowledged",
            FindingStatus::RectificationOrdered { .. } => "rectification_ordered",
            FindingStatus::Resolved => "resolved",
            FindingStatus::Penalised { .. } => "penalised",
        }
    }
}

/// A rule breach the projections found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub id: FindingId,
    pub rule: RuleId,
    pub severity: Severity,
    pub basis: Basis,
    /// The rule's figures, structured.
    pub figures: Vec<Figure>,
    /// The same as a sentence, in English, e.g. "online lesson 31 min 0 s > 30 min".
    pub description: String,
    /// The same sentence in Chinese (zh-CN), which readers see by default, e.g.
    /// "线上课程课时 31 分钟，超过 30 分钟". Empty for a rule that gives none: readers then see
    /// `description`.
    pub description_zh: String,
    pub institution: CreditCode,
    pub region: RegionCode,
    /// When the breach happened (or would have, for a plan), in UTC.
    pub occurred_at: UtcTime,
    /// The same in the institution's local time.
    pub occurred_local: DateTime,
    /// The IANA time zone the local time is in.
    pub time_zone: String,
    /// The events that prove it, in log order.
    pub evidence: Vec<Evidence>,
    /// The version of the policy it was judged under.
    pub policy_version: String,
    pub status: FindingStatus,
    /// The events that changed the status (officers' actions, a withdrawal), in log order.
    pub status_events: Vec<Evidence>,
}

/// Derives a finding's id from its rule and identity key.
pub fn finding_id(rule: RuleId, institution: &CreditCode, identity: &str) -> FindingId {
    let name = format!("{}\u{1f}{institution}\u{1f}{identity}", rule.as_str());
    FindingId::from_bytes(*uuid::Uuid::new_v5(&FINDING_NAMESPACE, name.as_bytes()).as_bytes())
}

/// An identity key built from parts: `a|b|c`.
pub fn identity(parts: &[&dyn fmt::Display]) -> String {
    use fmt::Write as _;
    let mut key = String::with_capacity(16 * parts.len());
    for (index, part) in parts.iter().enumerate() {
        if index > 0 {
            key.push('|');
        }
        // Writing into a String cannot fail.
        let _ = write!(key, "{part}");
    }
    key
}

/// What a projection asks the projector to do with findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindingChange {
    /// A new finding (ignored when one with the same id exists, unless that one was withdrawn:
    /// then it is reopened).
    Raise(Box<Finding>),
    /// A planned finding's plan changed before the lesson.
    Withdraw { id: FindingId, by: Evidence },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identity_joins_its_parts_with_bars() {
        assert_eq!(identity(&[]), "");
        assert_eq!(identity(&[&"plan"]), "plan");
        assert_eq!(identity(&[&"plan", &42, &"l-1"]), "plan|42|l-1");
    }

    #[test]
    fn ids_depend_on_rule_and_identity_only() {
        let one = CreditCode::parse("52440200MJL123454R").expect("valid code");
        let other = CreditCode::parse("91350100M000100Y43").expect("valid code");
        let a = finding_id(RuleId::OnlineEndBy2100, &one, "x|1");
        assert_eq!(a, finding_id(RuleId::OnlineEndBy2100, &one, "x|1"));
        assert_ne!(a, finding_id(RuleId::OfflineEndBy2030, &one, "x|1"));
        assert_ne!(a, finding_id(RuleId::OnlineEndBy2100, &one, "x|2"));
        assert_ne!(a, finding_id(RuleId::OnlineEndBy2100, &other, "x|1"));
    }

    #[test]
    fn measures_read_well() {
        assert_eq!(Measure::Seconds(1860).to_string(), "31 min 0 s");
        assert_eq!(Measure::BasisPoints(9550).to_string(), "95.50 %");
    }

    #[test]
    fn measures_read_in_chinese_by_default_and_in_english_on_request() {
        use crate::Lang;
        assert_eq!(Measure::Seconds(1801).text(Lang::Zh), "30 分 1 秒");
        assert_eq!(Measure::Seconds(1800).text(Lang::Zh), "30 分钟");
        assert_eq!(Measure::Money(Fen::new(6750)).text(Lang::Zh), "67.50 元");
        assert_eq!(Measure::Months(3).text(Lang::Zh), "3 个月");
        assert_eq!(Measure::BasisPoints(9550).text(Lang::Zh), "95.50%");
        assert_eq!(Measure::Seconds(1801).text(Lang::English), "30 min 1 s");
        assert_eq!(Measure::Money(Fen::new(6750)).text(Lang::English), "¥67.50");
    }
}

#[cfg(test)]
mod case_tests {
    use super::*;

    #[test]
    fn a_case_moves_forward_and_closes() {
        let due = "2030-01-01".parse().expect("date");
        let fine = CaseAction::Penalty {
            penalty: PenaltyKind::Fine,
            fine: Some(Fen::new(100)),
        };
        let ordered = CaseAction::RectificationOrdered { due };
        let penalised = FindingStatus::Penalised {
            penalty: PenaltyKind::Fine,
            fine: None,
        };
        for (status, action, allowed) in [
            (FindingStatus::Open, CaseAction::Acknowledged, true),
            (FindingStatus::Open, CaseAction::Resolved, true),
            (FindingStatus::Acknowledged, CaseAction::Acknowledged, false),
            (FindingStatus::Acknowledged, ordered.clone(), true),
            (
                FindingStatus::RectificationOrdered { due },
                CaseAction::Acknowledged,
                false,
            ),
            (
                FindingStatus::RectificationOrdered { due },
                ordered.clone(),
                true,
            ),
            (
                FindingStatus::RectificationOrdered { due },
                fine.clone(),
                true,
            ),
            (penalised.clone(), CaseAction::Acknowledged, false),
            (penalised, CaseAction::Resolved, true),
            (FindingStatus::Resolved, CaseAction::Acknowledged, false),
            (FindingStatus::Resolved, fine.clone(), false),
            (FindingStatus::Withdrawn, fine, false),
            (FindingStatus::Withdrawn, CaseAction::Resolved, false),
        ] {
            assert_eq!(
                status.refuses(&action).is_none(),
                allowed,
                "{} + {action:?}",
                status.name()
            );
        }
    }
}
