//! A synthetic city for Tutorwatch: a seeded population of tutoring institutions in 韶关市
//! (prefecture 440200 and its counties; a few in 上海市徐汇区 310104, the one region whose
//! example policy has guidance prices), a term of courses, lessons, prepaid fees, releases,
//! refunds, daily balance statements and advertisements, with violations of every rule the
//! projections implement planted in it, and the findings those violations must raise.
//!
//! Pure: no I/O, no clock, no global randomness. `tutorwatch gen` writes or publishes the result.
//!
//! **Invariant:** the same [`Options`] give byte-identical events and truth. Legal traffic raises
//! no finding; each planted case lives in an institution of its own, so the expected findings
//! are exactly those the cases list.
//!
//! # Layout
//! - `clock`: local times and the legal school days of the term.
//! - `emit`: seeded event ids, producers, and the final ordering by time.
//! - `inst`: an institution's background and course/fee helpers.
//! - `legal`: legal traffic, including the edge cases just inside every limit.
//! - `cases`: the planted violations, each with the findings it must raise.
//! - `truth`: the expected findings, as `truth.jsonl` lines.

mod cases;
mod clock;
mod emit;
mod inst;
mod legal;
mod truth;

#[cfg(test)]
mod tests;

use jiff::civil::Date;
use tutorwatch_events::{Envelope, RegionCode, UtcTime};

pub use cases::CASES;
pub use truth::{Expected, ExpectedStatus};

/// The prefecture the city is in (韶关市) and its counties.
pub const PREFECTURE: &str = "440200";
const COUNTIES: [&str; 10] = [
    "440203", "440204", "440205", "440222", "440224", "440229", "440232", "440233", "440281",
    "440282",
];
/// The district guidance-price cases are planted in (上海市徐汇区).
pub const GUIDE_PRICE_REGION: &str = "310104";
/// The district the cases of local rules set for 江苏 in the shipped policy (the earliest
/// collection of fees, the school timetable) are planted in (南京市玄武区).
pub const LOCAL_RULES_REGION: &str = "320102";

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub seed: u64,
    /// Institutions in all: legal ones plus one per planted case.
    pub institutions: u32,
    /// Planted cases per 1,000 institutions. Any value above 0 plants every case at least once
    /// (so every rule and edge is covered); 0 plants none.
    pub violation_permille: u32,
}

/// Why the city could not be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenError {
    #[error("a generated time is out of range: {0}")]
    Time(String),
    #[error("a generated id is invalid: {0}")]
    Token(String),
    #[error("{institutions} institutions are too few: the planted cases need {cases} and at least {legal} must be legal")]
    TooFew {
        institutions: u32,
        cases: u32,
        legal: u32,
    },
}

/// A generated city: its events in the order they happened, and the findings they must raise.
#[derive(Debug, Clone)]
pub struct City {
    pub events: Vec<Envelope>,
    pub truth: Vec<Expected>,
    /// How many institutions are legal and how many carry a planted case.
    pub legal_institutions: u32,
    pub planted_cases: u32,
}

/// The fewest legal institutions a city has (the edge-case institutions among them).
const LEGAL_MIN: u32 = 4;

/// Generates the city. `progress(done, total)` is called as institutions are generated.
pub fn generate(options: &Options, progress: &mut dyn FnMut(u32, u32)) -> Result<City, GenError> {
    let kinds = u32::try_from(CASES.len()).unwrap_or(u32::MAX);
    let planted = if options.violation_permille == 0 {
        0
    } else {
        let share = u64::from(options.institutions) * u64::from(options.violation_permille) / 1000;
        u32::try_from(share).unwrap_or(u32::MAX).max(kinds)
    };
    if options.institutions < planted.saturating_add(LEGAL_MIN) {
        return Err(GenError::TooFew {
            institutions: options.institutions,
            cases: planted,
            legal: LEGAL_MIN,
        });
    }
    let legal = options.institutions - planted;
    let mut em = emit::Emitter::new(options.seed)?;
    let total = options.institutions;
    let mut truth = Vec::new();
    let mut n = 0u32;
    for i in 0..legal {
        n += 1;
        let region = county(&mut em)?;
        legal::institution(&mut em, n, region, i)?;
        if n % 100 == 0 {
            progress(n, total);
        }
    }
    for i in 0..planted {
        n += 1;
        let kind = CASES[usize::try_from(i % kinds).unwrap_or(0)];
        truth.extend(cases::plant(&mut em, n, kind)?);
        if n % 100 == 0 {
            progress(n, total);
        }
    }
    progress(n, total);
    truth.sort_by_key(|e| (e.rule, e.finding_id));
    Ok(City {
        events: em.finish(),
        truth,
        legal_institutions: legal,
        planted_cases: planted,
    })
}

/// A random county of the prefecture (or the prefecture itself).
pub(crate) fn county(em: &mut emit::Emitter) -> Result<RegionCode, GenError> {
    let i = usize::try_from(em.pick(0, COUNTIES.len() as u64)).unwrap_or(0);
    let code = COUNTIES.get(i).copied().unwrap_or(PREFECTURE);
    region(code)
}

pub(crate) fn region(code: &str) -> Result<RegionCode, GenError> {
    RegionCode::parse(code).map_err(|e| GenError::Token(e.to_string()))
}

/// The local (Asia/Shanghai) date of an instant.
pub(crate) fn clock_local_date(at: UtcTime) -> Date {
    jiff::tz::TimeZone::get("Asia/Shanghai")
        .map(|zone| zone.to_datetime(at.timestamp()).date())
        .unwrap_or(clock::TERM_START)
}
