//! Local (Asia/Shanghai) wall-clock times of the generated term, turned into the UTC instants
//! events carry, and the days on which subject training may legally take place.
//!
//! **Invariant:** every date the generator picks for a legal subject lesson is a school day of
//! the national 2025 and 2026 calendars (a weekday or a make-up working day, not a statutory
//! holiday, not a Guangdong school vacation), written out here independently of the policy code.

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::ToSpan;
use tutorwatch_events::UtcTime;

use crate::GenError;

/// The first day of the generated term.
pub(crate) const TERM_START: Date = jiff::civil::date(2025, 9, 1);
/// The last day lessons are planned on.
pub(crate) const TERM_END: Date = jiff::civil::date(2026, 1, 16);

/// Statutory holiday runs in the term (national notices for 2025 and 2026).
const HOLIDAYS: [(Date, Date); 2] = [
    (
        jiff::civil::date(2025, 10, 1),
        jiff::civil::date(2025, 10, 8),
    ),
    (jiff::civil::date(2026, 1, 1), jiff::civil::date(2026, 1, 3)),
];
/// Make-up working days in the term (a Sunday and a Saturday).
pub(crate) const MAKEUP_WORKDAYS: [Date; 3] = [
    jiff::civil::date(2025, 9, 28),
    jiff::civil::date(2025, 10, 11),
    jiff::civil::date(2026, 1, 4),
];

/// The instant local time `h:m:s.nanos` on `date` is in Asia/Shanghai.
pub(crate) fn local(date: Date, h: i8, m: i8, s: i8, nanos: i32) -> Result<UtcTime, GenError> {
    let zone = TimeZone::get("Asia/Shanghai").map_err(|e| GenError::Time(e.to_string()))?;
    let at = date.at(h, m, s, nanos);
    zone.to_timestamp(at)
        .map(UtcTime::from_timestamp)
        .map_err(|e| GenError::Time(e.to_string()))
}

/// `at` moved by `seconds` (may be negative).
pub(crate) fn plus(at: UtcTime, seconds: i64) -> Result<UtcTime, GenError> {
    UtcTime::from_nanos(at.as_nanos() + i128::from(seconds) * 1_000_000_000)
        .map_err(|e| GenError::Time(e.to_string()))
}

/// `date` moved by `days`.
pub(crate) fn add_days(date: Date, days: i64) -> Result<Date, GenError> {
    date.checked_add(days.days())
        .map_err(|e| GenError::Time(e.to_string()))
}

/// Whether subject training may take place on `date` (national rest-day wording).
pub(crate) fn subject_school_day(date: Date) -> bool {
    if HOLIDAYS
        .iter()
        .any(|(from, to)| *from <= date && date <= *to)
    {
        return false;
    }
    if MAKEUP_WORKDAYS.contains(&date) {
        return true;
    }
    !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// The first date on or after `date` that falls on `weekday`.
pub(crate) fn next_weekday(date: Date, weekday: Weekday) -> Result<Date, GenError> {
    let mut day = date;
    while day.weekday() != weekday {
        day = add_days(day, 1)?;
    }
    Ok(day)
}
