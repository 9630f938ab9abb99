//! The calendar: statutory holidays and make-up working days (调休) per year,
//! school vacations per region, and what a given day is for the subject-training ban.
//!
//! **Invariant:** a make-up working day is always a Saturday or Sunday, and a holiday range never
//! ends before it starts (checked when the policy loads).

use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};

use super::params::RestDayRule;

/// A named run of days, both ends included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayRange {
    pub name: String,
    pub from: Date,
    pub to: Date,
}

impl DayRange {
    /// Whether `date` falls in the range.
    pub fn contains(&self, date: Date) -> bool {
        self.from <= date && date <= self.to
    }

    /// Whether the range touches calendar year `year`.
    pub fn touches_year(&self, year: i16) -> bool {
        self.from.year() <= year && year <= self.to.year()
    }
}

/// One year's official holiday schedule (国务院办公厅 notice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearCalendar {
    pub year: i16,
    /// The notice the dates come from, and how sure we are of them.
    #[serde(default)]
    pub source: String,
    /// Days off, each run as the notice announces it (bridging days included).
    pub holidays: Vec<DayRange>,
    /// Saturdays and Sundays that are working days.
    #[serde(default)]
    pub makeup_workdays: Vec<Date>,
}

/// What the calendar says about one day in one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayFacts {
    pub date: Date,
    /// Saturday or Sunday.
    pub weekend: bool,
    /// The statutory holiday (or regional extra holiday) the day belongs to.
    pub holiday: Option<String>,
    /// A Saturday or Sunday declared a working day.
    pub makeup_workday: bool,
    /// The school vacation the day belongs to, in the region.
    pub vacation: Option<String>,
    /// Whether the policy has the official schedule for the day's year; without it only
    /// weekends, vacations and Children's Day can be judged.
    pub calendar_loaded: bool,
    /// 1 June, Children's Day.
    pub childrens_day: bool,
}

/// Why a day is closed to subject training.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BarredDay {
    StatutoryHoliday(String),
    ChildrensDay,
    SchoolVacation(String),
    /// A rest day in the national sense (a weekend day that is not a make-up working day).
    RestDay,
    /// A Saturday or Sunday, under the regional "weekend" wording.
    Weekend,
}

impl BarredDay {
    /// A few words for the finding's sentence.
    pub fn describe(&self) -> String {
        match self {
            BarredDay::StatutoryHoliday(name) => format!("statutory holiday ({name})"),
            BarredDay::ChildrensDay => "Children's Day (6/1)".to_owned(),
            BarredDay::SchoolVacation(name) => format!("school vacation ({name})"),
            BarredDay::RestDay => "rest day (休息日)".to_owned(),
            BarredDay::Weekend => "weekend (周末)".to_owned(),
        }
    }
}

impl BarredDay {
    /// The same in Chinese.
    pub fn describe_zh(&self) -> String {
        match self {
            BarredDay::StatutoryHoliday(name) => format!("法定节假日（{name}）"),
            BarredDay::ChildrensDay => "儿童节（6月1日）".to_owned(),
            BarredDay::SchoolVacation(name) => format!("寒暑假（{name}）"),
            BarredDay::RestDay => "休息日".to_owned(),
            BarredDay::Weekend => "周末".to_owned(),
        }
    }
}

impl DayFacts {
    /// Why subject training is barred on this day, under the region's settings; `None` if it
    /// is not barred.
    pub fn barred(
        &self,
        rest_day_rule: RestDayRule,
        childrens_day_counts: bool,
    ) -> Option<BarredDay> {
        if let Some(name) = &self.holiday {
            return Some(BarredDay::StatutoryHoliday(name.clone()));
        }
        if childrens_day_counts && self.childrens_day {
            return Some(BarredDay::ChildrensDay);
        }
        if let Some(name) = &self.vacation {
            return Some(BarredDay::SchoolVacation(name.clone()));
        }
        match rest_day_rule {
            RestDayRule::RestDay if self.weekend && !self.makeup_workday => {
                Some(BarredDay::RestDay)
            }
            RestDayRule::Weekend if self.weekend => Some(BarredDay::Weekend),
            _ => None,
        }
    }
}

/// The statutory holidays on fixed Gregorian dates (全国年节及纪念日放假办法, as revised in 2024):
/// 元旦 1 January, 劳动节 1 May (and 2 May from 2025), 国庆节 1 to 3 October. They apply in a
/// year whose official schedule is not loaded. The lunar and solar-term holidays (春节, 清明,
/// 端午, 中秋) and the bridging days and make-up working days cannot be known without the year's
/// notice: a year without its calendar is reported (see `Policy::has_calendar`).
pub fn fixed_date_holiday(date: Date) -> Option<&'static str> {
    match (date.month(), date.day()) {
        (1, 1) => Some("元旦 (fixed date)"),
        (5, 1) => Some("劳动节 (fixed date)"),
        (5, 2) if date.year() >= 2025 => Some("劳动节 (fixed date)"),
        (10, 1..=3) => Some("国庆节 (fixed date)"),
        _ => None,
    }
}

/// Whether the day is a Saturday or a Sunday.
pub fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}
