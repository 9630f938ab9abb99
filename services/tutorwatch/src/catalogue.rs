//! The rule catalogue as readers see it: every rule with its id, area, severity, what it means
//! for the lists, its source document, and the policy figures in force on a date in a region
//! (`tutorwatch rules` and `GET /v1/rules`). The rows come from the code's own catalogue
//! (`tutorwatch_findings::rule`) and the figures from the policy the service judges by, so what
//! is shown is what is applied.

use jiff::civil::Date;
use serde::Serialize;
use tutorwatch_events::RegionCode;
use tutorwatch_findings::{Lang, RuleId};
use tutorwatch_projections::policy::{FigureInForce, Level};
use tutorwatch_projections::{Policy, PolicyError};
use utoipa::ToSchema;

/// The catalogue on one date in one region.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct Catalogue {
    /// The policy version the figures come from (every finding records it too).
    pub policy_version: String,
    /// The region the figures are for (`null`: the national level alone).
    pub region: Option<String>,
    /// The local date the figures are in force on.
    pub date: String,
    /// The language of the texts (`zh-CN` or `en`).
    pub lang: &'static str,
    pub rules: Vec<RuleEntry>,
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct RuleEntry {
    /// The catalogue id, e.g. `ONLINE_LESSON_MAX_30MIN`.
    pub id: &'static str,
    /// The rule in plain words, in the chosen language.
    pub title: &'static str,
    pub title_zh: &'static str,
    pub title_en: &'static str,
    /// The area code (`time`, `funds`, …) and its name.
    pub area: &'static str,
    pub area_title: &'static str,
    /// `LOW`, `MED`, `HIGH` or `CRIT`, and in words.
    pub severity: String,
    pub severity_title: &'static str,
    /// What the rule's findings mean for the black/white list: a code (`black`, `mismatch`,
    /// `counts`, `own`) and in words.
    pub list_role: &'static str,
    pub list_effect: String,
    /// The policy documents the rule comes from.
    pub source: &'static str,
    /// The policy parameters the rule reads.
    pub policy_keys: Vec<&'static str>,
    /// Each parameter's value in force on `date` (per-category parameters once per category).
    pub figures: Vec<FigureEntry>,
}

/// One policy figure.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct FigureEntry {
    /// The parameter key (`prepay_max_lessons.subject` for one category's value).
    pub key: String,
    /// Whether a value is in force on the date (`false`: the rule does not apply then).
    pub in_force: bool,
    /// The value in the policy file's own units (seconds, fen, basis points, `HH:MM:SS`, …).
    /// (`null` when none is in force; a number, string, boolean, list or table otherwise.)
    #[schema(value_type = Value)]
    pub value: Option<serde_json::Value>,
    /// The value in words (`30 分钟`, `50.00 元`, …; `未生效` when none is in force).
    pub display: String,
    /// The day the value took effect.
    pub from: Option<String>,
    /// Who set it: `national` or a region code.
    pub level: Option<String>,
}

/// Builds the catalogue for `region` (national when `None`) on `date`, texts in `lang`.
pub(crate) fn catalogue(
    policy: &Policy,
    region: Option<RegionCode>,
    date: Date,
    lang: Lang,
) -> Result<Catalogue, PolicyError> {
    let figures = policy.figures_in_force(region, date)?;
    let rules = RuleId::ALL
        .iter()
        .map(|rule| {
            let spec = rule.spec();
            let figures = spec
                .policy_keys
                .iter()
                .flat_map(|key| figures_for(&figures, key, lang))
                .collect();
            RuleEntry {
                id: spec.id,
                title: spec.title(lang),
                title_zh: spec.title_zh,
                title_en: spec.title_en,
                area: area_code(spec.area),
                area_title: spec.area.title(lang),
                severity: spec.severity.to_string(),
                severity_title: spec.severity.title(lang),
                list_role: spec.list.code(),
                list_effect: spec.list.effect(lang),
                source: spec.source,
                policy_keys: spec.policy_keys.to_vec(),
                figures,
            }
        })
        .collect();
    Ok(Catalogue {
        policy_version: policy.version().to_owned(),
        region: region.map(|code| code.to_string()),
        date: date.to_string(),
        lang: lang.tag(),
        rules,
    })
}

/// The figures of one policy key: itself, or its categories' when it is per category; one
/// "not in force" entry when none is.
fn figures_for(
    figures: &std::collections::BTreeMap<String, FigureInForce>,
    key: &str,
    lang: Lang,
) -> Vec<FigureEntry> {
    let found: Vec<FigureEntry> = figures
        .range(key.to_owned()..)
        .take_while(|(name, _)| {
            name.as_str() == key
                || name
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
        .map(|(_, figure)| FigureEntry {
            key: figure.key.clone(),
            in_force: true,
            value: serde_json::to_value(&figure.value).ok(),
            display: figure.display(lang == Lang::English),
            from: Some(figure.from.to_string()),
            level: Some(match figure.level {
                Level::National => "national".to_owned(),
                Level::Region(code) => code.to_string(),
            }),
        })
        .collect();
    if !found.is_empty() {
        return found;
    }
    vec![FigureEntry {
        key: key.to_owned(),
        in_force: false,
        value: None,
        display: lang.t("未生效", "not in force").to_owned(),
        from: None,
        level: None,
    }]
}

/// The area's code, as the API and `--json` name it.
fn area_code(area: tutorwatch_findings::Area) -> &'static str {
    use tutorwatch_findings::Area;
    match area {
        Area::Time => "time",
        Area::Preschool => "preschool",
        Area::Licence => "licence",
        Area::Staff => "staff",
        Area::Funds => "funds",
        Area::Pricing => "pricing",
        Area::Advertising => "advertising",
        Area::Lists => "lists",
    }
}

/// Today's date in `region`'s civil time (Beijing time when none is named).
pub(crate) fn today(region: Option<RegionCode>) -> Date {
    let zone = region.map_or("Asia/Shanghai", |code| code.civil_time_zone());
    let zone = jiff::tz::TimeZone::get(zone)
        .unwrap_or_else(|_| jiff::tz::TimeZone::fixed(jiff::tz::offset(8)));
    zone.to_datetime(jiff::Timestamp::now()).date()
}
