//! The figures in force: every policy parameter's value on a date in a region, with the day it
//! took effect and the level that set it, by the parameter's key. This is what `tutorwatch rules`
//! and `GET /v1/rules` show beside each rule of the catalogue (whose rows name the keys).
//!
//! The values are read through the parameters' serde form, so a parameter added to
//! [`ParameterSet`] shows here without a list to keep. A per-category parameter (`PerCategory`)
//! gives one figure per category, keyed `<key>.subject` and `<key>.non_subject`.

use std::collections::BTreeMap;

use jiff::civil::Date;
use tutorwatch_events::RegionCode;

use super::{Level, ParameterSet, Policy, PolicyError};

/// The categories a per-category parameter is split by, as its serde form names them.
const CATEGORIES: [&str; 2] = ["subject", "non_subject"];

/// One parameter's value in force.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureInForce {
    /// The parameter key (`online_lesson_max_seconds`, `prepay_max_lessons.subject`, …).
    pub key: String,
    /// The value, in the policy file's own form.
    pub value: toml::Value,
    /// The day this value took effect.
    pub from: Date,
    /// The level of the policy that set it.
    pub level: Level,
}

impl FigureInForce {
    /// The value as a reader takes it in: durations in minutes, money in yuan, basis points as a
    /// percentage, times of day as `HH:MM`, yes/no in words, in Chinese or English.
    pub fn display(&self, english: bool) -> String {
        let base = self.key.split('.').next().unwrap_or(&self.key);
        let pick = |zh: String, en: String| if english { en } else { zh };
        match &self.value {
            toml::Value::Boolean(on) => {
                let (zh, en) = if *on {
                    ("适用", "in force")
                } else {
                    ("不适用", "not applied")
                };
                pick(zh.to_owned(), en.to_owned())
            }
            toml::Value::Integer(n) if base.ends_with("_seconds") => {
                let minutes = n / 60;
                let seconds = n % 60;
                if seconds == 0 {
                    pick(format!("{minutes} 分钟"), format!("{minutes} min"))
                } else {
                    pick(
                        format!("{minutes} 分 {seconds} 秒"),
                        format!("{minutes} min {seconds} s"),
                    )
                }
            }
            toml::Value::Integer(n) if base.ends_with("_fen") => {
                let yuan = format!("{}.{:02}", n / 100, n % 100);
                pick(format!("{yuan} 元"), format!("¥{yuan}"))
            }
            toml::Value::Integer(n) if base.ends_with("_bp") => {
                let percent = format!("{}.{:02}", n / 100, n % 100);
                let percent = percent.trim_end_matches('0').trim_end_matches('.');
                format!("{percent}%")
            }
            toml::Value::Integer(n) if base.ends_with("_days") => {
                pick(format!("{n} 天"), format!("{n} days"))
            }
            toml::Value::Integer(n) if base.ends_with("_months") => {
                pick(format!("{n} 个月"), format!("{n} months"))
            }
            toml::Value::Integer(n) if base.ends_with("_lessons") => {
                pick(format!("{n} 课时"), format!("{n} lessons"))
            }
            toml::Value::Integer(n) if base.ends_with("_count") => {
                pick(format!("{n} 次"), format!("{n} times"))
            }
            toml::Value::String(text) if base.ends_with("_local") => {
                text.get(..5).unwrap_or(text).to_owned()
            }
            toml::Value::String(text) => text.clone(),
            toml::Value::Array(items) => items
                .iter()
                .map(|item| match item {
                    toml::Value::String(text) => text.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(if english { ", " } else { "、" }),
            toml::Value::Table(table) if base == "guide_prices" => {
                let bands = table
                    .get("bands")
                    .and_then(toml::Value::as_array)
                    .map_or(0, Vec::len);
                pick(
                    format!("政府指导价表（{bands} 档）"),
                    format!("guidance price table ({bands} bands)"),
                )
            }
            other => other.to_string(),
        }
    }
}

impl Policy {
    /// Every parameter in force on `date` in `region` (the national level alone when `region` is
    /// `None`), by key. A parameter no level sets, or whose first value takes effect after
    /// `date`, is absent: the rules that read it are not applied on that date.
    pub fn figures_in_force(
        &self,
        region: Option<RegionCode>,
        date: Date,
    ) -> Result<BTreeMap<String, FigureInForce>, PolicyError> {
        let mut levels = vec![(Level::National, &self.national)];
        if let Some(region) = region {
            // `chain` is most specific first; the most specific level is applied last and wins.
            levels.extend(
                self.chain(region)
                    .rev()
                    .map(|(code, policy)| (Level::Region(code), &policy.parameters)),
            );
        }
        let mut figures = BTreeMap::new();
        for (level, parameters) in levels {
            for figure in level_figures(level, parameters, date)? {
                figures.insert(figure.key.clone(), figure);
            }
        }
        Ok(figures)
    }
}

/// The figures one level sets that are in force on `date`.
fn level_figures(
    level: Level,
    parameters: &ParameterSet,
    date: Date,
) -> Result<Vec<FigureInForce>, PolicyError> {
    let key = match level {
        Level::National => "national".to_owned(),
        Level::Region(code) => format!("regions.{code}.parameters"),
    };
    let table = match toml::Value::try_from(parameters) {
        Ok(toml::Value::Table(table)) => table,
        Ok(_) => {
            return Err(PolicyError::Invalid {
                key,
                message: "the parameters are not a table".to_owned(),
            })
        }
        Err(e) => {
            return Err(PolicyError::Invalid {
                key,
                message: e.to_string(),
            })
        }
    };
    let mut figures = Vec::new();
    for (name, value) in table {
        match value {
            toml::Value::Array(timeline) => {
                figures.extend(in_force(name, &timeline, date, level));
            }
            toml::Value::Table(per_category) => {
                for category in CATEGORIES {
                    if let Some(toml::Value::Array(timeline)) = per_category.get(category) {
                        figures.extend(in_force(
                            format!("{name}.{category}"),
                            timeline,
                            date,
                            level,
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(figures)
}

/// The entry of a timeline (in its serde form, ordered by `from`) in force on `date`.
fn in_force(
    key: String,
    timeline: &[toml::Value],
    date: Date,
    level: Level,
) -> Option<FigureInForce> {
    timeline.iter().rev().find_map(|entry| {
        let from: Date = entry.get("from")?.as_str()?.parse().ok()?;
        if from > date {
            return None;
        }
        Some(FigureInForce {
            key: key.clone(),
            value: entry.get("value")?.clone(),
            from,
            level,
        })
    })
}
