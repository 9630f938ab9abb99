//! Tests of policy loading, inheritance, effective dates and the calendar.

use super::*;

fn date(text: &str) -> Date {
    text.parse().expect("valid date")
}

fn region(text: &str) -> RegionCode {
    RegionCode::parse(text).expect("valid region")
}

fn national() -> Policy {
    Policy::national().expect("the shipped policy is valid")
}

#[test]
fn the_shipped_policy_loads_and_has_a_version() {
    assert_eq!(national().version(), "cn-national-2025.1");
}

#[test]
fn the_online_cap_follows_its_effective_dates() {
    let policy = national();
    let at = |d: &str| {
        policy.value(region("440203"), date(d), |p| {
            p.online_lesson_max_seconds.as_ref()
        })
    };
    assert_eq!(at("2019-06-30"), None);
    assert_eq!(at("2020-09-01"), Some(2400));
    assert_eq!(at("2021-07-23"), Some(2400));
    assert_eq!(at("2021-07-24"), Some(1800));
}

#[test]
fn the_5000_cap_is_non_subject_and_dated() {
    let policy = national();
    let cap = |cat, d: &str| {
        policy.value(region("440200"), date(d), |p| {
            p.prepay_max_fen.as_ref().and_then(|c| c.get(cat))
        })
    };
    use tutorwatch_events::kinds::Category;
    assert_eq!(cap(Category::NonSubject, "2022-11-30"), None);
    assert_eq!(cap(Category::NonSubject, "2022-12-01"), Some(500_000));
    assert_eq!(cap(Category::Subject, "2025-01-01"), None);
}

#[test]
fn a_county_inherits_from_its_province_and_a_prefecture_override_wins() {
    let text = format!(
        "{NATIONAL_POLICY_TOML}\n[regions.\"320100\"]\n[regions.\"320100\".parameters]\nrest_day_rule = [{{ from = \"2023-01-01\", value = \"rest_day\" }}]\n"
    );
    let policy = Policy::from_toml(&text).expect("valid");
    let rule = |r: &str, d: &str| policy.value(region(r), date(d), |p| p.rest_day_rule.as_ref());
    // 320102 is a district of 南京 (320100): the prefecture's 2023 value wins from 2023 ...
    assert_eq!(rule("320102", "2024-03-02"), Some(RestDayRule::RestDay));
    // ... and before 2023 the province's value applies.
    assert_eq!(rule("320102", "2022-03-05"), Some(RestDayRule::Weekend));
    assert_eq!(rule("320500", "2024-03-02"), Some(RestDayRule::Weekend));
    assert_eq!(rule("440203", "2024-03-02"), Some(RestDayRule::RestDay));
    let level = policy
        .lookup(region("320102"), date("2024-01-01"), |p| {
            p.rest_day_rule.as_ref()
        })
        .map(|v| v.level);
    assert_eq!(level, Some(Level::Region(region("320100"))));
}

#[test]
fn the_2025_calendar_knows_holidays_and_makeup_days() {
    let policy = national();
    let day = policy.day(region("110101"), date("2025-02-08"));
    assert!(day.weekend && day.makeup_workday && day.holiday.is_none());
    assert_eq!(day.barred(RestDayRule::RestDay, false), None);
    assert_eq!(
        day.barred(RestDayRule::Weekend, false),
        Some(BarredDay::Weekend)
    );
    let day = policy.day(region("110101"), date("2025-10-08"));
    assert_eq!(day.holiday.as_deref(), Some("国庆节、中秋节"));
    let day = policy.day(region("110101"), date("2025-10-09"));
    assert_eq!(day.barred(RestDayRule::RestDay, false), None);
    let day = policy.day(region("110101"), date("2026-02-28"));
    assert!(day.makeup_workday);
    let day = policy.day(region("110101"), date("2025-06-01"));
    assert_eq!(day.holiday.as_deref(), Some("端午节"));
    let day = policy.day(region("110101"), date("2026-06-01"));
    assert!(day.childrens_day);
    assert_eq!(day.barred(RestDayRule::RestDay, false), None);
    assert_eq!(
        day.barred(RestDayRule::RestDay, true),
        Some(BarredDay::ChildrensDay)
    );
}

#[test]
fn vacations_apply_to_the_region_and_below_only() {
    let policy = national();
    let summer = policy.day(region("440203"), date("2025-07-15"));
    assert!(summer.vacation.is_some());
    let elsewhere = policy.day(region("110101"), date("2025-07-15"));
    assert!(elsewhere.vacation.is_none());
}

#[test]
fn errors_name_the_key() {
    let err = Policy::from_toml("version = \"x\"\n[national]\nonline_lesson_max_seconds = [{ from = \"2021-07-24\", value = \"thirty\" }]\n")
        .expect_err("a string is not a number");
    match err {
        PolicyError::Syntax { key, .. } => {
            assert_eq!(key, "national.online_lesson_max_seconds[0].value")
        }
        other => panic!("unexpected {other:?}"),
    }
    let err = Policy::from_toml("version = \"x\"\n[national]\nno_such_figure = 1\n")
        .expect_err("unknown key");
    assert!(err.to_string().contains("national"), "{err}");
    let err = Policy::from_toml("version = \"x\"\n[national]\nonline_lesson_max_seconds = [{ from = \"2021-07-24\", value = 1 }, { from = \"2019-07-01\", value = 2 }]\n")
        .expect_err("unordered");
    assert_eq!(
        err,
        PolicyError::Unordered {
            key: "national.online_lesson_max_seconds".to_owned()
        }
    );
    let err = Policy::from_toml("version = \"x\"\n[[calendar]]\nyear = 2025\nholidays = []\nmakeup_workdays = [\"2025-01-27\"]\n")
        .expect_err("a Monday");
    assert!(
        matches!(err, PolicyError::MakeupNotWeekend { ref key, .. } if key == "calendar[0].makeup_workdays[0]"),
        "{err:?}"
    );
    let err = Policy::from_toml("version = \"x\"\n[regions.\"99\"]\n").expect_err("bad region");
    assert!(matches!(err, PolicyError::Region { ref key, .. } if key == "99"));
    assert_eq!(
        Policy::from_toml("version = \" \"\n"),
        Err(PolicyError::EmptyVersion)
    );
}
