//! Policy as data: the figures every rule uses, with the dates they took effect, per-region
//! overrides keyed by GB/T 2260 code, and the holiday calendar.
//!
//! The national defaults ship in `policy/national.toml` and are embedded in the binary
//! ([`Policy::national`]). A county inherits from its prefecture, the prefecture from its
//! province, the province from the national level: the first level that sets a parameter with a
//! value in force on the event's local date wins.
//!
//! **Invariant:** a `Policy` value has passed validation: ordered timelines, known region codes,
//! a coherent calendar. Every finding records the policy's `version`.

mod calendar;
mod error;
mod figures;
mod params;

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Deserialize;
use tutorwatch_events::region::RegionLevel;
use tutorwatch_events::RegionCode;

pub use calendar::{is_weekend, BarredDay, DayFacts, DayRange, YearCalendar};
pub use error::PolicyError;
pub use figures::FigureInForce;
pub use params::{
    AdBanScope, Dated, GuidePriceBand, GuidePriceTable, ParameterSet, PerCategory, RestDayRule,
    Timeline,
};

/// The national policy file shipped with the crate.
pub const NATIONAL_POLICY_TOML: &str = include_str!("../../policy/national.toml");

/// What one region changes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegionPolicy {
    /// A human note: which region this is and where its figures come from.
    pub note: String,
    pub parameters: ParameterSet,
    /// School vacations (寒暑假) of the region. A level that lists vacations touching a year
    /// replaces its parents' vacations for that year.
    pub vacations: Vec<DayRange>,
    /// Regional holidays (e.g. ethnic-minority festivals), on top of the national ones.
    pub extra_holidays: Vec<DayRange>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    version: String,
    #[serde(default)]
    national: ParameterSet,
    #[serde(default)]
    calendar: Vec<YearCalendar>,
    #[serde(default)]
    regions: BTreeMap<String, RegionPolicy>,
}

/// Which level of the policy supplied a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    National,
    Region(RegionCode),
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Level::National => f.write_str("national"),
            Level::Region(code) => write!(f, "region {code}"),
        }
    }
}

/// A parameter value in force on a day, with where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InForce<'a, T> {
    pub value: &'a T,
    pub from: Date,
    pub level: Level,
}

/// A validated policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    version: String,
    national: ParameterSet,
    calendar: BTreeMap<i16, YearCalendar>,
    regions: BTreeMap<RegionCode, RegionPolicy>,
}

impl Policy {
    /// The national defaults shipped with the crate.
    pub fn national() -> Result<Policy, PolicyError> {
        Policy::from_toml(NATIONAL_POLICY_TOML)
    }

    /// Parses and validates a policy file.
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        let deserializer = toml::Deserializer::new(text);
        let file: PolicyFile = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let key = e.path().to_string();
            let message = e.into_inner().message().to_owned();
            if message == params::UNORDERED {
                PolicyError::Unordered { key }
            } else {
                PolicyError::Syntax { key, message }
            }
        })?;
        Policy::validate(file)
    }

    fn validate(file: PolicyFile) -> Result<Policy, PolicyError> {
        if file.version.trim().is_empty() {
            return Err(PolicyError::EmptyVersion);
        }
        check_parameters("national", &file.national)?;
        let mut calendar = BTreeMap::new();
        for (i, year) in file.calendar.into_iter().enumerate() {
            check_year(&format!("calendar[{i}]"), &year)?;
            let number = year.year;
            if calendar.insert(number, year).is_some() {
                return Err(PolicyError::DuplicateYear(number));
            }
        }
        let mut regions = BTreeMap::new();
        for (key, region) in file.regions {
            let code = RegionCode::parse(&key).map_err(|e| PolicyError::Region {
                key: key.clone(),
                message: e.to_string(),
            })?;
            check_parameters(&format!("regions.{key}.parameters"), &region.parameters)?;
            for (i, range) in region.vacations.iter().enumerate() {
                check_range(&format!("regions.{key}.vacations[{i}]"), range)?;
            }
            for (i, range) in region.extra_holidays.iter().enumerate() {
                check_range(&format!("regions.{key}.extra_holidays[{i}]"), range)?;
            }
            regions.insert(code, region);
        }
        Ok(Policy {
            version: file.version,
            national: file.national,
            calendar,
            regions,
        })
    }

    /// The version string every finding records.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The regions with overrides.
    pub fn regions(&self) -> impl Iterator<Item = (&RegionCode, &RegionPolicy)> {
        self.regions.iter()
    }

    /// The policy levels that apply to `region`, most specific first (national last, implied).
    /// Every rule's parameters are looked up through this, so it allocates nothing.
    fn chain(
        &self,
        region: RegionCode,
    ) -> impl DoubleEndedIterator<Item = (RegionCode, &RegionPolicy)> + Clone + '_ {
        let county = (region.level() == RegionLevel::County).then_some(region);
        [county, region.prefecture(), Some(region.province())]
            .into_iter()
            .flatten()
            .filter_map(|code| self.regions.get(&code).map(|policy| (code, policy)))
    }

    /// The value of a parameter in force in `region` on `date`, or `None` when no level sets one
    /// that had taken effect by then (the rule is then not applied).
    pub fn lookup<T>(
        &self,
        region: RegionCode,
        date: Date,
        get: impl Fn(&ParameterSet) -> Option<&Timeline<T>>,
    ) -> Option<InForce<'_, T>> {
        for (code, policy) in self.chain(region) {
            if let Some(entry) = get(&policy.parameters).and_then(|t| t.at(date)) {
                return Some(InForce {
                    value: &entry.value,
                    from: entry.from,
                    level: Level::Region(code),
                });
            }
        }
        get(&self.national)
            .and_then(|t| t.at(date))
            .map(|entry| InForce {
                value: &entry.value,
                from: entry.from,
                level: Level::National,
            })
    }

    /// Whether a rule switched by a boolean parameter is in force in `region` on `date`.
    pub fn enabled(
        &self,
        region: RegionCode,
        date: Date,
        get: impl Fn(&ParameterSet) -> Option<&Timeline<bool>>,
    ) -> bool {
        self.lookup(region, date, get).is_some_and(|v| *v.value)
    }

    /// A copyable parameter's value in force, without its provenance.
    pub fn value<T: Copy>(
        &self,
        region: RegionCode,
        date: Date,
        get: impl Fn(&ParameterSet) -> Option<&Timeline<T>>,
    ) -> Option<T> {
        self.lookup(region, date, get).map(|v| *v.value)
    }

    /// Whether the official holiday schedule of `year` is loaded.
    pub fn has_calendar(&self, year: i16) -> bool {
        self.calendar.contains_key(&year)
    }

    /// What the calendar says about `date` in `region` (in a year whose schedule is not loaded,
    /// the fixed-date statutory holidays only).
    pub fn day(&self, region: RegionCode, date: Date) -> DayFacts {
        let year = self.calendar.get(&date.year());
        let mut chain = self.chain(region);
        let national_holiday = year
            .and_then(|y| y.holidays.iter().find(|h| h.contains(date)))
            .map(|h| h.name.clone());
        let regional_holiday = chain
            .clone()
            .flat_map(|(_, p)| p.extra_holidays.iter())
            .find(|h| h.contains(date))
            .map(|h| h.name.clone());
        let vacation = chain
            .find(|(_, p)| p.vacations.iter().any(|v| v.touches_year(date.year())))
            .and_then(|(_, p)| p.vacations.iter().find(|v| v.contains(date)))
            .map(|v| v.name.clone());
        DayFacts {
            date,
            weekend: is_weekend(date),
            holiday: national_holiday.or(regional_holiday).or_else(|| {
                year.is_none()
                    .then(|| calendar::fixed_date_holiday(date).map(str::to_owned))
                    .flatten()
            }),
            makeup_workday: year.is_some_and(|y| y.makeup_workdays.contains(&date)),
            vacation,
            calendar_loaded: year.is_some(),
            childrens_day: date.month() == 6 && date.day() == 1,
        }
    }
}

fn check_parameters(key: &str, set: &ParameterSet) -> Result<(), PolicyError> {
    if let Some(tables) = &set.guide_prices {
        for (i, table) in tables.0.iter().enumerate() {
            if table.value.bands.iter().any(|b| b.unit_minutes == 0) {
                return Err(PolicyError::Invalid {
                    key: format!("{key}.guide_prices[{i}].value.bands"),
                    message: "unit_minutes must be at least 1".to_owned(),
                });
            }
        }
    }
    Ok(())
}

fn check_range(key: &str, range: &DayRange) -> Result<(), PolicyError> {
    if range.to < range.from {
        return Err(PolicyError::BackwardsRange {
            key: key.to_owned(),
            from: range.from.to_string(),
            to: range.to.to_string(),
        });
    }
    Ok(())
}

fn check_year(key: &str, year: &YearCalendar) -> Result<(), PolicyError> {
    for (i, holiday) in year.holidays.iter().enumerate() {
        let key = format!("{key}.holidays[{i}]");
        check_range(&key, holiday)?;
        if holiday.from.year() != year.year {
            return Err(PolicyError::WrongYear {
                key,
                date: holiday.from.to_string(),
                year: year.year,
            });
        }
    }
    for (i, day) in year.makeup_workdays.iter().enumerate() {
        let key = format!("{key}.makeup_workdays[{i}]");
        if !is_weekend(*day) {
            return Err(PolicyError::MakeupNotWeekend {
                key,
                date: day.to_string(),
            });
        }
        if day.year() != year.year {
            return Err(PolicyError::WrongYear {
                key,
                date: day.to_string(),
                year: year.year,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
