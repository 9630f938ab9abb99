//! An institution's file, for officers of its jurisdiction: registration, licence, sites and
//! teachers, list status with its reasons, a week's timetable with the lessons that standing
//! findings are about marked, its fund position over time as a chart (`funds`, from the
//! projection store's daily fund rows), its standing findings and the officers' actions on them. Read
//! through the API's `get_institution` with the session's principal, so an institution outside
//! the jurisdiction is refused exactly as the API refuses it; the timetable (from the courses'
//! plans) and the fund rows are read from the projection store only after that.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Json;
use maud::{html, Markup};
use serde::Deserialize;
use tutorwatch_events::kinds::Subject;
use tutorwatch_events::{CreditCode, RegionCode, UtcTime};
use tutorwatch_findings::PlannedCourse;
use tutorwatch_findings::RuleId;

use super::i18n::Lang;
use super::rules::rule_text;
use crate::api::views::FindingView;

use super::feed::row;
use super::funds;
use super::i18n;
use super::{fresh, page, problem_page, region_cell, Area, Console, Session};
use crate::api::institutions::get_institution;
use crate::api::offload::blocking;
use crate::api::problem::Problem;

/// The most lessons a timetable shows.
const LESSONS_SHOWN_MAX: usize = 500;

/// The most courses a timetable reads of an institution (in course-id order); courses past it
/// are not shown. Far above any one institution's courses in a term.
const COURSES_READ_MAX: usize = 5_000;

/// Which week the timetable shows: any day of it (`YYYY-MM-DD`).
#[derive(Debug, Default, Deserialize)]
pub(super) struct WeekQuery {
    #[serde(default)]
    week: String,
}

/// A planned lesson in the week shown.
struct Lesson {
    course: String,
    subject: Subject,
    online: bool,
    start: UtcTime,
    end: UtcTime,
    /// The rules of the standing findings about it.
    rules: Vec<&'static str>,
}

/// Midnight starting a local date, in the region's civil time.
fn midnight(region: RegionCode, date: jiff::civil::Date) -> Option<UtcTime> {
    let zoned = date.in_tz(region.civil_time_zone()).ok()?;
    Some(UtcTime::from_timestamp(zoned.timestamp()))
}

fn monday_of(date: jiff::civil::Date) -> jiff::civil::Date {
    let back = i64::from(date.weekday().to_monday_zero_offset());
    date.checked_sub(jiff::Span::new().days(back))
        .unwrap_or(date)
}

/// The institution's planned (not cancelled) lessons in the week starting `monday` (or, with
/// none given, in the week of its latest lesson), with that week's Monday. Read from the plans
/// the projection store holds (at most [`COURSES_READ_MAX`] courses, in course-id order).
async fn lessons(
    console: &Console,
    code: &CreditCode,
    region: RegionCode,
    monday: Option<jiff::civil::Date>,
    standing: &[FindingView],
) -> Result<(jiff::civil::Date, Vec<Lesson>), Problem> {
    let today = region.local_date(UtcTime::now());
    let store = console.state.projections.clone();
    let asked = code.clone();
    let courses: Vec<PlannedCourse> =
        blocking(move || store.planned_courses(&asked, COURSES_READ_MAX)).await?;
    let courses: Vec<PlannedCourse> = courses.into_iter().filter(|c| !c.cancelled).collect();
    let monday = monday.unwrap_or_else(|| {
        courses
            .iter()
            .flat_map(|c| c.sessions.iter().map(|s| s.start))
            .max()
            .map_or(today, |latest| region.local_date(latest))
    });
    let monday = monday_of(monday);
    let (Some(from), Some(until)) = (
        midnight(region, monday),
        monday
            .checked_add(jiff::Span::new().days(7))
            .ok()
            .and_then(|next| midnight(region, next)),
    ) else {
        return Ok((monday, Vec::new()));
    };
    let mut shown = Vec::new();
    'courses: for course in &courses {
        for session in &course.sessions {
            if session.start < from || session.start >= until {
                continue;
            }
            if shown.len() == LESSONS_SHOWN_MAX {
                break 'courses;
            }
            let rules = standing
                .iter()
                .filter(|f| f.occurred_at >= session.start && f.occurred_at <= session.end)
                .filter_map(|f| RuleId::parse(&f.rule).map(RuleId::as_str))
                .collect();
            shown.push(Lesson {
                course: course.course.as_str().to_owned(),
                subject: course.subject,
                online: course.online,
                start: session.start,
                end: session.end,
                rules,
            });
        }
    }
    shown.sort_by_key(|l| l.start);
    Ok((monday, shown))
}

fn clock(at: UtcTime, region: RegionCode) -> String {
    at.timestamp()
        .in_tz(region.civil_time_zone())
        .map(|z| format!("{:02}:{:02}", z.hour(), z.minute()))
        .unwrap_or_default()
}

/// The week as seven columns, Monday first, each lesson a block; lessons standing findings are
/// about are marked with their rules.
fn timetable(
    lang: Lang,
    code: &CreditCode,
    region: RegionCode,
    monday: jiff::civil::Date,
    lessons: &[Lesson],
) -> Markup {
    const DAYS_ZH: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
    const DAYS_EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let day = |i: i64| {
        monday
            .checked_add(jiff::Span::new().days(i))
            .unwrap_or(monday)
    };
    let week_link = |date: jiff::civil::Date| format!("/console/institutions/{code}?week={date}");
    html! {
        p.paging {
            a id="week-before" href=(week_link(day(-7))) { (lang.t("‹ 上一周", "‹ Week before")) }
            " " strong { (i18n::date(lang, monday)) " – " (i18n::date(lang, day(6))) } " "
            a id="week-after" href=(week_link(day(7))) { (lang.t("下一周 ›", "Week after ›")) }
        }
        table.timetable id="timetable" {
            thead { tr { @for i in 0..7i64 {
                th { (lang.t(DAYS_ZH[i as usize], DAYS_EN[i as usize])) br; span.code { (day(i).to_string()) } }
            } } }
            tbody { tr { @for i in 0..7i64 {
                td { @for lesson in lessons.iter().filter(|l| region.local_date(l.start) == day(i)) {
                    div.lesson.bad[!lesson.rules.is_empty()] {
                        strong { (clock(lesson.start, region)) "–" (clock(lesson.end, region)) }
                        br; (lesson.course) " · " (i18n::subject(lang, lesson.subject)) " · "
                        (if lesson.online { lang.t("线上", "online") } else { lang.t("线下", "offline") })
                        @for rule in &lesson.rules {
                            br; span.rule-flag { "⚠ " (RuleId::parse(rule).map_or(*rule, |r| rule_text(r).name(lang))) }
                        }
                    }
                } }
            } } }
        }
        @if lessons.is_empty() { p.none id="no-lessons" { (lang.t("本周没有排课。", "No lessons planned this week.")) } }
    }
}

/// `/console/institutions/{code}`.
pub(super) async fn institution_page(
    State(console): State<Console>,
    session: Session,
    Path(code): Path<String>,
    Query(week): Query<WeekQuery>,
) -> Response {
    let lang = session.lang;
    let record =
        match get_institution(State(console.state.clone()), session.caller(), Path(code)).await {
            Ok(Json(record)) => record,
            Err(problem) => return problem_page(lang, Some(&session), problem),
        };
    let name = record
        .registration
        .as_ref()
        .map_or(record.credit_code.to_string(), |r| r.name.clone());
    let names: HashMap<_, _> = [(record.credit_code.clone(), name.clone())].into();
    let list_status = record
        .list
        .as_ref()
        .map_or("unlisted", |l| l.status.as_str());
    let chosen = week.week.parse::<jiff::civil::Date>().ok();
    let (monday, week_lessons) = match lessons(
        &console,
        &record.credit_code,
        record.region,
        chosen,
        &record.standing_findings,
    )
    .await
    {
        Ok(read) => read,
        Err(problem) => return problem_page(lang, Some(&session), problem),
    };
    let store = console.state.projections.clone();
    let code = record.credit_code.clone();
    let (fund_points, fund_by_week) =
        match tokio::task::spawn_blocking(move || store.fund_days(&code)).await {
            Ok(Ok(days)) => funds::points(days),
            Ok(Err(e)) => return problem_page(lang, Some(&session), Problem::internal(&e)),
            Err(e) => return problem_page(lang, Some(&session), Problem::internal(&e)),
        };
    let body = html! {
        p.crumbs { a href="/console/feed" { (lang.t("违规线索", "Findings")) } " › " (lang.t("机构档案", "Institution")) }
        h1 id="institution-name" { (name) }
        p { span.code id="credit-code" { (record.credit_code) } " · " (region_cell(record.region)) }
        h2 { (lang.t("登记与许可", "Registration and licence")) }
        dl.facts id="registration" {
            @if let Some(r) = &record.registration {
                dt { (lang.t("办学许可证号", "Licence no.")) } dd { (r.licence_no) }
                dt { (lang.t("培训类别", "Category")) } dd { (i18n::category(lang, &r.category)) }
                dt { (lang.t("营利性质", "Profit status")) } dd { (if r.non_profit { lang.t("非营利性", "non-profit") } else { lang.t("营利性", "for-profit") }) }
                dt { (lang.t("批准日期", "Approved on")) } dd { (r.approved_on.parse::<jiff::civil::Date>().map_or(r.approved_on.clone(), |d| i18n::date(lang, d))) }
            } @else {
                dt { (lang.t("登记", "Registration")) } dd { (lang.t("未登记", "not registered")) }
            }
            dt { (lang.t("许可证状态", "Licence")) } dd id="licence" { (i18n::licence(lang, &record.licence)) }
            dt { (lang.t("培训场所", "Sites")) } dd { (record.sites) }
            dt { (lang.t("教师", "Teachers")) } dd { (record.teachers) }
            dt { (lang.t("预收费监管账户", "Supervised accounts")) } dd { (record.open_supervised_accounts) }
        }
        h2 { (lang.t("名单状态", "List status")) }
        p id="list-status" class={ "list-" (list_status) } { (i18n::list_status(lang, list_status))
            @if let Some(list) = &record.list { " · " (lang.t("自 ", "since ")) (i18n::local_day(lang, list.since, Some(record.region))) }
        }
        @if let Some(list) = &record.list { @if !list.reasons.is_empty() {
            ul.reasons id="reasons" { @for reason in &list.reasons {
                li { (i18n::reason(lang, &reason.kind))
                    @if reason.findings_total > 0 { " （" (reason.findings_total) (lang.t(" 条违规）", " findings)")) }
                }
            } }
        } }
        h2 { (lang.t("预收费资金状况", "Prepaid fees over time")) }
        (funds::chart(lang, &fund_points, fund_by_week))
        h2 { (lang.t("一周课表", "The week's timetable")) }
        (timetable(lang, &record.credit_code, record.region, monday, &week_lessons))
        h2 { (lang.t("未办结的违规线索", "Standing findings")) }
        table.feed id="standing" {
            tbody {
                @for view in &record.standing_findings { (row(lang, view, &names, false)) }
                @if record.standing_findings.is_empty() { tr.empty { td colspan="6" { (lang.t("无", "None")) } } }
            }
        }
        p { a id="all-findings" href={ "/console/feed?institution=" (record.credit_code) } { (lang.t("查看该机构全部线索", "All its findings")) } }
        h2 { (lang.t("处理记录", "Officers' actions")) }
        @if record.actions.is_empty() { p.none { (lang.t("尚无处理记录。", "No action yet.")) } }
        @else { ol.timeline { @for a in &record.actions { li {
            (i18n::local_time(lang, a.occurred_at, Some(record.region))) " · "
            strong { (i18n::action(lang, a.action.as_str().or_else(|| a.action.as_object().and_then(|o| o.keys().next()).map(String::as_str)).unwrap_or(""))) } " · "
            (lang.t("执法人员 ", "officer ")) (a.officer) " · " q { (a.note) } " · "
            a href={ "/console/findings/" (a.finding) } { (lang.t("线索", "finding")) }
        } } } }
    };
    fresh(page(lang, &name, Area::Feed, Some(&session), body))
}
