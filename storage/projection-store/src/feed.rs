//! Feed queries: the findings of one scope (a region and everything in it, an institution, a
//! rule, a status, or all), oldest first, in the order they were raised, a page at a time.
//!
//! Follow a feed by passing the last page's `next` (or, once caught up, the cursor of the last
//! finding seen) as `after`: findings raised later always sort after it, so every finding is
//! returned exactly once however many arrive between pages.

use std::fmt;
use std::ops::Bound;
use std::str::FromStr;

use tutorwatch_events::ids::FindingId;
use tutorwatch_events::{CreditCode, RegionCode, UtcTime};
use tutorwatch_findings::{Finding, FindingStatus, RuleId, Severity};

use crate::ProjectionStoreError;
use crate::{keys, ProjectionStore, StoredFinding};

/// The most findings one page returns; a larger `limit` is cut to it.
pub const FEED_PAGE_MAX: usize = 1_000;

/// The most index entries one query looks at. With selective filters a page can come back short
/// (even empty) with a `next` cursor: the scan stopped here so that one request stays cheap.
/// With `within`, the scan goes on past it until it has seen a finding within reach (the only
/// kind a cursor may name).
pub const FEED_SCAN_MAX: usize = 20_000;

/// A stable, short tag per [`FindingStatus`] variant, as stored in the status index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StatusTag {
    Open,
    Withdrawn,
    Acknowledged,
    RectificationOrdered,
    Resolved,
    Penalised,
}

impl StatusTag {
    /// Every tag.
    pub const ALL: &'static [StatusTag] = &[
        StatusTag::Open,
        StatusTag::Withdrawn,
        StatusTag::Acknowledged,
        StatusTag::RectificationOrdered,
        StatusTag::Resolved,
        StatusTag::Penalised,
    ];

    /// The tag of a status.
    pub fn of(status: &FindingStatus) -> StatusTag {
        match status {
            FindingStatus::Open => StatusTag::Open,
            FindingStatus::Withdrawn => StatusTag::Withdrawn,
            FindingStatus::Acknowledged => StatusTag::Acknowledged,
            FindingStatus::RectificationOrdered { .. } => StatusTag::RectificationOrdered,
            FindingStatus::Resolved => StatusTag::Resolved,
            FindingStatus::Penalised { .. } => StatusTag::Penalised,
        }
    }

    /// The byte stored in index keys. Stable: changing one orphans stored index entries.
    pub(super) fn as_byte(self) -> u8 {
        match self {
            StatusTag::Open => b'o',
            StatusTag::Withdrawn => b'w',
            StatusTag::Acknowledged => b'a',
            StatusTag::RectificationOrdered => b'r',
            StatusTag::Resolved => b'v',
            StatusTag::Penalised => b'p',
        }
    }

    /// The name, as [`FindingStatus::name`] gives it (`open`, `rectification_ordered`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            StatusTag::Open => "open",
            StatusTag::Withdrawn => "withdrawn",
            StatusTag::Acknowledged => "acknowledged",
            StatusTag::RectificationOrdered => "rectification_ordered",
            StatusTag::Resolved => "resolved",
            StatusTag::Penalised => "penalised",
        }
    }

    /// The tag with this name.
    pub fn parse(name: &str) -> Option<StatusTag> {
        StatusTag::ALL.iter().copied().find(|t| t.as_str() == name)
    }
}

impl fmt::Display for StatusTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which findings a feed holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Findings in this region: a province sees its prefectures and counties, a prefecture its
    /// counties, a county only its own.
    Region(RegionCode),
    Institution(CreditCode),
    Rule(RuleId),
    Status(StatusTag),
    All,
}

/// A position in a feed: the finding last seen. Its text form (`Display`/`FromStr`) is an opaque
/// 48-character hex token for URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cursor {
    pub raised_seq: u64,
    pub id: FindingId,
}

impl Cursor {
    /// The position of a stored finding.
    pub fn of(stored: &StoredFinding) -> Cursor {
        Cursor {
            raised_seq: stored.raised_seq,
            id: stored.finding.id,
        }
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.raised_seq)?;
        for byte in self.id.as_uuid().as_bytes() {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// Text that is not a cursor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a feed cursor is 48 hexadecimal digits")]
pub struct BadCursor;

impl FromStr for Cursor {
    type Err = BadCursor;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.len() != 48 || !text.is_ascii() {
            return Err(BadCursor);
        }
        let raised_seq = u64::from_str_radix(&text[..16], 16).map_err(|_| BadCursor)?;
        let mut id = [0u8; 16];
        for (i, byte) in id.iter_mut().enumerate() {
            let at = 16 + 2 * i;
            *byte = u8::from_str_radix(&text[at..at + 2], 16).map_err(|_| BadCursor)?;
        }
        Ok(Cursor {
            raised_seq,
            id: FindingId::from_bytes(id),
        })
    }
}

/// A feed request: a scope, where to start, how many, and filters applied while scanning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedQuery {
    pub scope: Scope,
    /// Start after this finding (`None`: from the first).
    pub after: Option<Cursor>,
    /// The most findings to return (at least 1, at most [`FEED_PAGE_MAX`]).
    pub limit: usize,
    /// Only this rule.
    pub rule: Option<RuleId>,
    /// Only this severity or worse.
    pub min_severity: Option<Severity>,
    /// Only this status.
    pub status: Option<StatusTag>,
    /// Only findings that occurred at or after this instant.
    pub occurred_from: Option<UtcTime>,
    /// Only findings that occurred before this instant.
    pub occurred_until: Option<UtcTime>,
    /// Only findings in this region or below it: the reach of the caller, when the scope alone
    /// does not keep to it (an officer asking for one institution). Findings outside it are
    /// skipped and never become a page's `next`, so a cursor never points at one.
    pub within: Option<RegionCode>,
}

impl FeedQuery {
    /// The first page of a scope, unfiltered, as large as allowed.
    pub fn new(scope: Scope) -> FeedQuery {
        FeedQuery {
            scope,
            after: None,
            limit: FEED_PAGE_MAX,
            rule: None,
            min_severity: None,
            status: None,
            occurred_from: None,
            occurred_until: None,
            within: None,
        }
    }

    /// Whether a finding is within the query's reach (`within`).
    pub fn reaches(&self, finding: &Finding) -> bool {
        self.within
            .is_none_or(|region| region.contains(&finding.region))
    }

    /// Whether a finding passes the filters.
    pub fn matches(&self, finding: &Finding) -> bool {
        self.reaches(finding)
            && self.rule.is_none_or(|rule| finding.rule == rule)
            && self.min_severity.is_none_or(|s| finding.severity >= s)
            && self
                .status
                .is_none_or(|tag| StatusTag::of(&finding.status) == tag)
            && self.occurred_from.is_none_or(|t| finding.occurred_at >= t)
            && self.occurred_until.is_none_or(|t| finding.occurred_at < t)
    }
}

/// One page of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPage {
    /// Oldest first, in the order they were raised.
    pub findings: Vec<StoredFinding>,
    /// Where the next page starts, when the scope held more entries at the time of the query.
    /// `None`: this page reached the end; to follow the feed, ask again later after the last
    /// finding seen.
    pub next: Option<Cursor>,
}

impl ProjectionStore {
    /// One page of a feed: the scope's findings after `query.after` that pass the filters,
    /// oldest first.
    pub fn query(&self, query: &FeedQuery) -> Result<FeedPage, ProjectionStoreError> {
        let prefix = keys::scope_prefix(&query.scope);
        let limit = query.limit.clamp(1, FEED_PAGE_MAX);
        let start = match &query.after {
            Some(cursor) => Bound::Excluded(keys::feed_key(&prefix, cursor)),
            None => Bound::Included(prefix.clone()),
        };
        let mut entries = self
            .tree
            .range::<Vec<u8>, _>((start, Bound::Unbounded))
            .keys();
        let mut findings = Vec::new();
        let mut last = None;
        let mut scanned = 0usize;
        for key in entries.by_ref() {
            let key = key?;
            if !key.starts_with(&prefix) {
                return Ok(FeedPage {
                    findings,
                    next: None,
                });
            }
            let cursor = keys::cursor_of(&key)?;
            if query.within.is_none() {
                last = Some(cursor);
            }
            scanned += 1;
            // An index entry without its row can only be seen while `clear` runs: skip it.
            if let Some(stored) = self.finding(&cursor.id)? {
                if query.reaches(&stored.finding) {
                    // Only a finding within reach may become the next page's cursor.
                    last = Some(cursor);
                    if query.matches(&stored.finding) {
                        findings.push(stored);
                    }
                }
            }
            // Stop at a full page, or once the scan is long enough and has a cursor within
            // reach to continue from (without one it goes on, so every page makes progress).
            if findings.len() >= limit || (scanned >= FEED_SCAN_MAX && last.is_some()) {
                break;
            }
        }
        let more = match entries.next() {
            Some(key) => key?.starts_with(&prefix),
            None => false,
        };
        Ok(FeedPage {
            findings,
            next: if more { last } else { None },
        })
    }
}
