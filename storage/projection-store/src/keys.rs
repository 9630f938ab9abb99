//! The projection store's key layout, in one place.
//!
//! Everything lives in one sled tree (`projections`), so that a batch is one atomic
//! `apply_batch`. The first byte of a key says what it is:
//!
//! | key                                                  | value                               |
//! |------------------------------------------------------|-------------------------------------|
//! | `f` id(16)                                           | format byte + postcard `StoredFinding` |
//! | `i` `a` seq(8) id(16)                                | empty: every finding                |
//! | `i` `r` region(6 ASCII digits) seq(8) id(16)         | empty: one per level of the region's hierarchy (province, prefecture, county; a province- or prefecture-level region gets no duplicate) |
//! | `i` `i` len(1) credit code(len) seq(8) id(16)        | empty: by institution               |
//! | `i` `u` len(1) rule id(len) seq(8) id(16)            | empty: by rule                      |
//! | `i` `s` status tag(1) seq(8) id(16)                  | empty: by status                    |
//! | `l` credit code                                      | format byte + postcard `ListEntry`  |
//! | `s` list status(1) credit code                       | empty: the list entries by status (`b` black, `w` white, `u` unlisted), in credit-code order, so a page of one list reads only that page |
//! | `v` seq(8) credit code                               | format byte + postcard `ListMove`: every move between lists, in log order (what the list diff between two positions of the log reads) |
//! | `p` credit code                                      | format byte + postcard `InstitutionProfile`: what the institution record, the feed's jurisdiction check and the console read of an institution |
//! | `t` len(1) credit code(len) course id                | format byte + postcard `PlannedCourse`: a published course's planned lessons, for the timetable, in course-id order per institution |
//! | `d` len(1) credit code(len) date(4)                  | format byte + postcard `FundDay`: the institution's money movement on that local date (date: year as u16 big-endian with its sign bit flipped, month, day, so rows sort by date) |
//! | `c` region(6 ASCII digits) week(3) status tag(1) len(1) rule id(len) | u64 big-endian: how many findings of the finding's own region, ISO week (year as `d`'s, week) of `occurred_at` in the region's civil time, status and rule there are (withdrawn ones are not counted); no row for zero |
//! | `m` `applied_seq`                                    | u64 big-endian: last log seq written |
//! | `m` `policy_version`                                 | UTF-8: the policy version and state format the rows were computed under |
//! | `m` `snapshot`                                       | u64 big-endian: the sequence of the projector's snapshot, whose file `snapshots/projector-<seq>.snapshot` beside the database holds format byte + postcard `(u64, Snapshot)` (see `snapshot`) |
//! | `m` `funds_seq`                                      | u64 big-endian: the highest log seq whose fund flows are in the `d` rows (never moves back, unlike `applied_seq` while the follower re-applies events after a restart) |
//! | `m` `store_format`                                   | u32 big-endian: the layout the rows were written in ([`STORE_FORMAT`](crate::STORE_FORMAT)) |
//!
//! `seq` is the finding's `raised_seq`, big-endian, so an index scan runs in the order findings
//! were raised and a cursor `(raised_seq, id)` stays valid while new findings arrive (they sort
//! after every existing one). Variable-length parts are length-prefixed, so one scope's prefix is
//! never a prefix of another's.

use std::collections::BTreeSet;

use tutorwatch_events::ids::{CourseId, FindingId};
use tutorwatch_events::region::RegionLevel;
use tutorwatch_events::{CreditCode, RegionCode};
use tutorwatch_findings::{Finding, ListStatus, RuleId};

use crate::feed::{Cursor, Scope, StatusTag};
use crate::ProjectionStoreError;

const FINDING: u8 = b'f';
const INDEX: u8 = b'i';
const LIST: u8 = b'l';
const LIST_BY_STATUS: u8 = b's';
const META: u8 = b'm';
const LIST_MOVE: u8 = b'v';
const FUND_DAY: u8 = b'd';
const COUNT: u8 = b'c';
const PROFILE: u8 = b'p';
const PLANNED_COURSE: u8 = b't';

const BY_ALL: u8 = b'a';
const BY_REGION: u8 = b'r';
const BY_INSTITUTION: u8 = b'i';
const BY_RULE: u8 = b'u';
const BY_STATUS: u8 = b's';

/// Meta row: the last log sequence whose changes are written.
pub(super) const APPLIED_SEQ: &str = "applied_seq";
/// Meta row: the policy version the stored rows were computed under.
pub(super) const POLICY_VERSION: &str = "policy_version";
/// Meta row: the sequence of the last snapshot, whose file holds it.
pub(super) const SNAPSHOT: &str = "snapshot";

/// Meta row: the highest log sequence whose fund flows are added to the fund rows.
pub(super) const FUNDS_SEQ: &str = "funds_seq";

/// Meta row: the store's layout version.
pub(super) const STORE_FORMAT: &str = "store_format";

/// Bytes of an index key's suffix: raised_seq (8) + finding id (16).
const SUFFIX_BYTES: usize = 8 + 16;

/// The key of a finding's row.
pub(super) fn finding(id: &FindingId) -> Vec<u8> {
    let mut key = Vec::with_capacity(17);
    key.push(FINDING);
    key.extend_from_slice(id.as_uuid().as_bytes());
    key
}

/// The prefix every finding row starts with.
pub(super) fn findings_prefix() -> [u8; 1] {
    [FINDING]
}

/// The key of an institution's row of kind `kind`: the kind byte, then the credit code.
fn by_credit_code(kind: u8, institution: &CreditCode) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + institution.as_str().len());
    key.push(kind);
    key.extend_from_slice(institution.as_str().as_bytes());
    key
}

/// The key of an institution's list entry.
pub(super) fn list_entry(institution: &CreditCode) -> Vec<u8> {
    by_credit_code(LIST, institution)
}

/// The prefix every list entry starts with.
pub(super) fn lists_prefix() -> [u8; 1] {
    [LIST]
}

/// The key of an institution's profile.
pub(super) fn profile(institution: &CreditCode) -> Vec<u8> {
    by_credit_code(PROFILE, institution)
}

/// The prefix every profile starts with.
pub(super) fn profiles_prefix() -> [u8; 1] {
    [PROFILE]
}

/// The prefix every course's plan starts with.
pub(super) fn all_planned_courses_prefix() -> [u8; 1] {
    [PLANNED_COURSE]
}

/// The prefix of one institution's plans.
pub(super) fn planned_courses_prefix(institution: &CreditCode) -> Vec<u8> {
    let mut key = vec![PLANNED_COURSE];
    push_len_prefixed(&mut key, institution.as_str());
    key
}

/// The key of a course's plan.
pub(super) fn planned_course(institution: &CreditCode, course: &CourseId) -> Vec<u8> {
    let mut key = planned_courses_prefix(institution);
    key.extend_from_slice(course.as_str().as_bytes());
    key
}

/// The byte a list status is stored as in the list index. Stable: changing one orphans stored
/// index entries.
fn list_status_byte(status: ListStatus) -> u8 {
    match status {
        ListStatus::Black => b'b',
        ListStatus::White => b'w',
        ListStatus::Unlisted => b'u',
    }
}

/// Every list status, for removing an entry's index key whatever status it had.
pub(super) const LIST_STATUSES: [ListStatus; 3] =
    [ListStatus::Black, ListStatus::White, ListStatus::Unlisted];

/// The prefix of one list's index: every key of that list starts with it.
pub(super) fn list_index_prefix(status: ListStatus) -> [u8; 2] {
    [LIST_BY_STATUS, list_status_byte(status)]
}

/// The index key of an institution on the list `status`.
pub(super) fn list_index(status: ListStatus, institution: &CreditCode) -> Vec<u8> {
    let mut key = Vec::with_capacity(2 + institution.as_str().len());
    key.extend_from_slice(&list_index_prefix(status));
    key.extend_from_slice(institution.as_str().as_bytes());
    key
}

/// The key of the list entry a list index key (of a prefix `prefix_len` long) points at.
pub(super) fn list_entry_of_index(index_key: &[u8], prefix_len: usize) -> Vec<u8> {
    let code = index_key.get(prefix_len..).unwrap_or_default();
    let mut key = Vec::with_capacity(1 + code.len());
    key.push(LIST);
    key.extend_from_slice(code);
    key
}

/// The key of the list move that the event at `seq` made for `institution`.
pub(super) fn list_move(seq: u64, institution: &CreditCode) -> Vec<u8> {
    let mut key = Vec::with_capacity(9 + institution.as_str().len());
    key.push(LIST_MOVE);
    key.extend_from_slice(&seq.to_be_bytes());
    key.extend_from_slice(institution.as_str().as_bytes());
    key
}

/// Where the list moves of the events from `seq` on start (a bound for a range scan).
pub(super) fn list_moves_from(seq: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(9);
    key.push(LIST_MOVE);
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// The log sequence a list move's key names (`None` for a key that is not one).
pub(super) fn list_move_seq(key: &[u8]) -> Option<u64> {
    let bytes: [u8; 8] = key.get(1..9)?.try_into().ok()?;
    (key.first() == Some(&LIST_MOVE)).then(|| u64::from_be_bytes(bytes))
}

/// The key of a meta row.
pub(super) fn meta(name: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + name.len());
    key.push(META);
    key.extend_from_slice(name.as_bytes());
    key
}

/// A year, month and day as 4 bytes that sort as the dates do.
fn date_bytes(date: jiff::civil::Date) -> [u8; 4] {
    let year = (date.year() as u16 ^ 0x8000).to_be_bytes();
    [year[0], year[1], date.month() as u8, date.day() as u8]
}

/// The date 4 bytes of [`date_bytes`] hold.
fn date_of(bytes: &[u8]) -> Option<jiff::civil::Date> {
    let [y0, y1, month, day] = <[u8; 4]>::try_from(bytes).ok()?;
    let year = (u16::from_be_bytes([y0, y1]) ^ 0x8000) as i16;
    jiff::civil::Date::new(year, month as i8, day as i8).ok()
}

/// The prefix of an institution's fund rows.
pub(super) fn fund_prefix(institution: &CreditCode) -> Vec<u8> {
    let mut key = vec![FUND_DAY];
    push_len_prefixed(&mut key, institution.as_str());
    key
}

/// The prefix every fund row starts with.
pub(super) fn funds_prefix() -> [u8; 1] {
    [FUND_DAY]
}

/// The institution and date a fund row's key names.
pub(super) fn fund_day_of(
    key: &[u8],
) -> Result<(CreditCode, jiff::civil::Date), ProjectionStoreError> {
    let corrupt = || ProjectionStoreError::CorruptProjection {
        key: describe(key),
        reason: "a fund row's key is `d`, a length-prefixed credit code and a 4-byte date".into(),
    };
    let len = usize::from(*key.get(1).ok_or_else(corrupt)?);
    let code = key
        .get(2..2 + len)
        .and_then(|c| std::str::from_utf8(c).ok())
        .and_then(|c| CreditCode::parse(c).ok())
        .ok_or_else(corrupt)?;
    Ok((code, fund_day_date(key, 2 + len)?))
}

/// The key of an institution's fund row for a local date.
pub(super) fn fund_day(institution: &CreditCode, date: jiff::civil::Date) -> Vec<u8> {
    let mut key = fund_prefix(institution);
    key.extend_from_slice(&date_bytes(date));
    key
}

/// The date a fund row's key (of a prefix `prefix_len` long) is for.
pub(super) fn fund_day_date(
    key: &[u8],
    prefix_len: usize,
) -> Result<jiff::civil::Date, ProjectionStoreError> {
    key.get(prefix_len..)
        .and_then(date_of)
        .ok_or_else(|| ProjectionStoreError::CorruptProjection {
            key: describe(key),
            reason: "a fund row's key ends with a 4-byte date".into(),
        })
}

/// What a count row counts: findings of one region, ISO week, status and rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CountKey {
    pub region: RegionCode,
    /// ISO week-numbering year and week of `occurred_at`, in the region's civil time.
    pub week: (i16, i8),
    pub status: StatusTag,
    pub rule: RuleId,
}

impl CountKey {
    /// What `finding` counts under; `None` for a withdrawn finding (it no longer stands).
    pub fn of(finding: &Finding) -> Option<CountKey> {
        let status = StatusTag::of(&finding.status);
        if status == StatusTag::Withdrawn {
            return None;
        }
        let week = finding
            .region
            .local_date(finding.occurred_at)
            .iso_week_date();
        Some(CountKey {
            region: finding.region,
            week: (week.year(), week.week()),
            status,
            rule: finding.rule,
        })
    }
}

/// The prefix of the count rows within `within` (all of them for `None`): the region's
/// significant digits (2 for a province, 4 for a prefecture, 6 for a county).
pub(super) fn count_prefix(within: Option<RegionCode>) -> Vec<u8> {
    let mut key = vec![COUNT];
    if let Some(region) = within {
        let digits = match region.level() {
            RegionLevel::Province => 2,
            RegionLevel::Prefecture => 4,
            RegionLevel::County => 6,
        };
        key.extend_from_slice(&region.as_str().as_bytes()[..digits]);
    }
    key
}

/// The key of a count row.
pub(super) fn count(key: &CountKey) -> Vec<u8> {
    let mut bytes = vec![COUNT];
    bytes.extend_from_slice(key.region.as_str().as_bytes());
    bytes.extend_from_slice(&(key.week.0 as u16 ^ 0x8000).to_be_bytes());
    bytes.push(key.week.1 as u8);
    bytes.push(key.status.as_byte());
    push_len_prefixed(&mut bytes, key.rule.as_str());
    bytes
}

/// What a count row's key counts.
pub(super) fn count_key_of(key: &[u8]) -> Result<CountKey, ProjectionStoreError> {
    let corrupt = |reason: &str| ProjectionStoreError::CorruptProjection {
        key: describe(key),
        reason: reason.to_owned(),
    };
    let region = key
        .get(1..7)
        .and_then(|d| std::str::from_utf8(d).ok())
        .and_then(|d| RegionCode::parse(d).ok())
        .ok_or_else(|| corrupt("a count row's key starts with a region code"))?;
    let (Some(&[y0, y1, week, tag, len]), Some(rest)) = (key.get(7..12), key.get(12..)) else {
        return Err(corrupt("a count row's key is too short"));
    };
    let year = (u16::from_be_bytes([y0, y1]) ^ 0x8000) as i16;
    let status = StatusTag::ALL
        .iter()
        .copied()
        .find(|s| s.as_byte() == tag)
        .ok_or_else(|| corrupt("unknown status tag"))?;
    let rule = (rest.len() == usize::from(len))
        .then(|| std::str::from_utf8(rest).ok())
        .flatten()
        .and_then(RuleId::parse)
        .ok_or_else(|| corrupt("unknown rule"))?;
    Ok(CountKey {
        region,
        week: (year, week as i8),
        status,
        rule,
    })
}

fn push_len_prefixed(key: &mut Vec<u8>, part: &str) {
    // Credit codes are 18 characters and rule ids a few dozen; a longer part is cut at 255
    // bytes, which keeps keys well-formed (and such a part cannot exist today).
    let bytes = part.as_bytes();
    let len = u8::try_from(bytes.len()).unwrap_or(u8::MAX);
    key.push(len);
    key.extend_from_slice(&bytes[..usize::from(len)]);
}

fn region_prefix(digits: &[u8]) -> Vec<u8> {
    let mut key = vec![INDEX, BY_REGION];
    key.extend_from_slice(digits);
    key
}

/// The prefix of one scope's feed index: every key of the scope starts with it.
pub(super) fn scope_prefix(scope: &Scope) -> Vec<u8> {
    match scope {
        Scope::All => vec![INDEX, BY_ALL],
        Scope::Region(region) => region_prefix(region.as_str().as_bytes()),
        Scope::Institution(code) => {
            let mut key = vec![INDEX, BY_INSTITUTION];
            push_len_prefixed(&mut key, code.as_str());
            key
        }
        Scope::Rule(rule) => {
            let mut key = vec![INDEX, BY_RULE];
            push_len_prefixed(&mut key, rule.as_str());
            key
        }
        Scope::Status(tag) => vec![INDEX, BY_STATUS, tag.as_byte()],
    }
}

/// A feed key: a scope's prefix and the cursor's position.
pub(super) fn feed_key(prefix: &[u8], cursor: &Cursor) -> Vec<u8> {
    let mut key = Vec::with_capacity(prefix.len() + SUFFIX_BYTES);
    key.extend_from_slice(prefix);
    key.extend_from_slice(&cursor.raised_seq.to_be_bytes());
    key.extend_from_slice(cursor.id.as_uuid().as_bytes());
    key
}

/// The digits of every level of the hierarchy a region belongs to, without duplicates.
fn region_levels(region: &RegionCode) -> Vec<[u8; 6]> {
    let province = region.province();
    let mut levels = Vec::with_capacity(3);
    let mut digits = [0u8; 6];
    digits.copy_from_slice(province.as_str().as_bytes());
    levels.push(digits);
    if region.level() != RegionLevel::Province {
        digits.copy_from_slice(region.as_str().as_bytes());
        digits[4..].copy_from_slice(b"00");
        levels.push(digits);
    }
    if region.level() == RegionLevel::County {
        digits.copy_from_slice(region.as_str().as_bytes());
        levels.push(digits);
    }
    levels
}

/// Every index key of a finding raised at `raised_seq`.
pub(super) fn index_keys(raised_seq: u64, finding: &Finding) -> BTreeSet<Vec<u8>> {
    let cursor = Cursor {
        raised_seq,
        id: finding.id,
    };
    let mut prefixes = vec![
        scope_prefix(&Scope::All),
        scope_prefix(&Scope::Institution(finding.institution.clone())),
        scope_prefix(&Scope::Rule(finding.rule)),
        scope_prefix(&Scope::Status(StatusTag::of(&finding.status))),
    ];
    prefixes.extend(
        region_levels(&finding.region)
            .iter()
            .map(|d| region_prefix(d)),
    );
    prefixes.iter().map(|p| feed_key(p, &cursor)).collect()
}

/// The cursor an index key ends with.
pub(super) fn cursor_of(key: &[u8]) -> Result<Cursor, ProjectionStoreError> {
    let corrupt = || ProjectionStoreError::CorruptProjection {
        key: describe(key),
        reason: format!("an index key ends with {SUFFIX_BYTES} bytes of sequence and id"),
    };
    let start = key.len().checked_sub(SUFFIX_BYTES).ok_or_else(corrupt)?;
    let suffix = &key[start..];
    let seq: [u8; 8] = suffix[..8].try_into().map_err(|_| corrupt())?;
    let id: [u8; 16] = suffix[8..].try_into().map_err(|_| corrupt())?;
    Ok(Cursor {
        raised_seq: u64::from_be_bytes(seq),
        id: FindingId::from_bytes(id),
    })
}

/// A key, readable in an error message: printable ASCII as is, other bytes as `\xNN`.
pub(super) fn describe(key: &[u8]) -> String {
    key.iter()
        .map(|&b| {
            if b.is_ascii_graphic() {
                char::from(b).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect()
}
