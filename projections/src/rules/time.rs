//! Training time (area `time` of the rule catalogue): ONLINE_LESSON_MAX_30MIN, ONLINE_BREAK_MIN_10MIN,
//! ONLINE_END_BY_2100, OFFLINE_END_BY_2030, NO_CONFLICT_SCHOOL_HOURS (where the region's school
//! timetable is set) and SUBJECT_NO_HOLIDAY_WEEKEND_VACATION, judged on each
//! lesson, planned or delivered, and on the break between two consecutive online lessons; and
//! UNDECLARED_TRAINING, a lesson delivered outside any published schedule ([`undeclared`]).
//!
//! **Invariant:** every time is judged in the region's civil time, against the policy value in
//! force on the lesson's local start date, to the whole second. A lesson is judged over its whole
//! interval: the evening cut-offs bar the night until `night_ends_local`, and the day rules look at
//! every local date it touches.

use jiff::civil::{Date, DateTime, Time};
use tutorwatch_events::ids::{CourseId, LessonId};
use tutorwatch_events::kinds::{Category, GradeBand, Mode};
use tutorwatch_events::{Event, LoggedEvent, UtcTime};

use crate::context::Context;
use crate::facts::local_time;
use crate::policy::RestDayRule;
use crate::rules::{local_date, since, since_zh, LessonCheck, RuleArea, Stage};
use tutorwatch_findings::{identity, Evidence, Figure, Finding, Lang, Measure, RuleId};

/// The training-time rules (stateless).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimeRules;

impl RuleArea for TimeRules {
    fn on_lesson(&self, check: &LessonCheck<'_>) -> Vec<Finding> {
        lesson_findings(check)
    }

    fn on_break(
        &self,
        ctx: &Context<'_>,
        event: &LoggedEvent,
        course: &CourseId,
        earlier: (UtcTime, &LessonId),
        later: (UtcTime, &LessonId),
        other: Option<Evidence>,
    ) -> Option<Finding> {
        break_finding(ctx, event, (course, course), earlier, later, other)
    }
}

/// ONLINE_BREAK_MIN_10MIN between two delivered online lessons one student attended (by its
/// learner key), of the same course or two: `other` is the delivery of the lesson that is not
/// `event`'s. Named as the per-course finding of the same two deliveries is, so a pair found both
/// ways is one finding.
pub(crate) fn learner_break(
    ctx: &Context<'_>,
    event: &LoggedEvent,
    earlier: (UtcTime, &CourseId, &LessonId),
    later: (UtcTime, &CourseId, &LessonId),
    other: Evidence,
) -> Option<Finding> {
    break_finding(
        ctx,
        event,
        (earlier.1, later.1),
        (earlier.0, earlier.2),
        (later.0, later.2),
        Some(other),
    )
}

/// Why a delivered lesson was outside the declared schedule.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Undeclared {
    /// Its course was never published.
    NeverPublished,
    /// It started after its course was cancelled (by this event, at this time).
    AfterCancellation(Evidence, UtcTime),
}

/// UNDECLARED_TRAINING: a delivered lesson (`event`, a `schedule.lesson_delivered`) of a course
/// that was never published, or that started after the course was cancelled. Its id is the
/// delivery's, like the lesson's other findings.
pub(crate) fn undeclared(
    ctx: &Context<'_>,
    event: &LoggedEvent,
    course: &CourseId,
    start: UtcTime,
    why: Undeclared,
) -> Option<Finding> {
    let date = local_date(ctx, event, start);
    if !ctx.policy.enabled(event.envelope.region, date, |p| {
        p.declared_schedule_required.as_ref()
    }) {
        return None;
    }
    let draft = ctx
        .draft(event, RuleId::UndeclaredTraining, start)
        .figure(Figure::new("course", Measure::Text(course.to_string())))
        .figure(Figure::new("date", Measure::Date(date)));
    let draft = match why {
        Undeclared::NeverPublished => draft
            .figure(Figure::new(
                "declared",
                Measure::Text("never published".into()),
            ))
            .describe(format!(
                "lesson of course {course} delivered on {date}, a course never published"
            ))
            .in_chinese(format!("{date} 实际上课的课程 {course} 从未发布排课")),
        Undeclared::AfterCancellation(by, at) => {
            let cancelled_on = local_date(ctx, event, at);
            draft
                .figure(Figure::new("cancelled_on", Measure::Date(cancelled_on)))
                .with_evidence(by)
                .describe(format!(
                    "lesson of course {course} delivered on {date}, after the course was cancelled on {cancelled_on}"
                ))
                .in_chinese(format!(
                    "课程 {course} 已于 {cancelled_on} 取消，{date} 仍实际上课"
                ))
        }
    };
    Some(draft.build(&identity(&[&"undeclared", &event.envelope.event_id])))
}

/// Whole seconds from `start` to `end` (rounded down).
fn whole_seconds(start: UtcTime, end: UtcTime) -> i64 {
    let nanos = end.as_nanos() - start.as_nanos();
    i64::try_from(nanos.div_euclid(1_000_000_000)).unwrap_or(i64::MAX)
}

/// A local date-time truncated to the second.
fn to_second(at: DateTime) -> DateTime {
    at.with().subsec_nanosecond(0).build().unwrap_or(at)
}

/// Whether a lesson from `start` to `end` (local times) runs into a night: after `cutoff` on
/// any date it touches and before `morning` on the next. Ending exactly at the cut-off, or
/// starting exactly at the morning hour, is not in the night.
fn in_night(start: DateTime, end: DateTime, cutoff: Time, morning: Time) -> bool {
    let end = to_second(end);
    let mut date = start.date().yesterday().unwrap_or(start.date());
    while date <= end.date() {
        let night_start = date.to_datetime(cutoff);
        let night_end = date
            .tomorrow()
            .map_or(DateTime::MAX, |next| next.to_datetime(morning));
        if start < night_end && end > night_start {
            return true;
        }
        match date.tomorrow() {
            Ok(next) => date = next,
            Err(_) => break,
        }
    }
    false
}

/// The years of the local dates `event`'s lessons touch whose official holiday schedule the
/// policy does not have: the day rules there know only the fixed-date holidays, so the service
/// reports them (readiness, a metric, the log).
pub fn years_without_calendar(
    policy: &crate::policy::Policy,
    event: &LoggedEvent,
) -> std::collections::BTreeSet<i16> {
    let zone = event.envelope.region.civil_time_zone();
    let spans: Vec<(UtcTime, UtcTime)> = match &event.envelope.event {
        Event::CoursePublished(c) => c.sessions.iter().map(|s| (s.start, s.end)).collect(),
        Event::CourseRescheduled(c) => c.sessions.iter().map(|s| (s.start, s.end)).collect(),
        Event::LessonDelivered(l) => vec![(l.start, l.end)],
        _ => Vec::new(),
    };
    spans
        .into_iter()
        .flat_map(|(start, end)| dates_touched(local_time(zone, start), local_time(zone, end)))
        .map(|date| date.year())
        .filter(|year| !policy.has_calendar(*year))
        .collect()
}

/// Every local date a lesson from `start` to `end` touches (a lesson ending at midnight does not
/// touch the next date).
fn dates_touched(start: DateTime, end: DateTime) -> Vec<Date> {
    let last = if end > start && end.time() == Time::midnight() {
        end.date().yesterday().unwrap_or(end.date())
    } else {
        end.date()
    };
    let mut dates = vec![start.date()];
    while let Some(&date) = dates.last() {
        if date >= last {
            break;
        }
        match date.tomorrow() {
            Ok(next) => dates.push(next),
            Err(_) => break,
        }
    }
    dates
}

/// The rules about one lesson's times: length, end time, barred days.
fn lesson_findings(check: &LessonCheck<'_>) -> Vec<Finding> {
    let LessonCheck {
        ctx,
        event,
        course,
        lesson,
        stage,
    } = *check;
    let zone = ctx.time_zone(&event.envelope.institution);
    let start = local_time(zone, lesson.start);
    let end = local_time(zone, lesson.end);
    let date = start.date();
    let region = event.envelope.region;
    let policy = ctx.policy;
    let id = match stage {
        // Named by the lesson and its times (see `break_finding`): a reschedule that keeps
        // them keeps the finding, one that changes them withdraws it.
        Stage::Plan => identity(&[
            &"plan",
            lesson.course_id,
            lesson.lesson,
            &lesson.start,
            &lesson.end,
        ]),
        Stage::Delivered => identity(&[&"lesson", &event.envelope.event_id]),
    };
    let noun_zh = match (stage, course.mode) {
        (Stage::Plan, Mode::Online) => "排课的线上课程",
        (Stage::Plan, Mode::Offline) => "排课的线下课程",
        (Stage::Delivered, Mode::Online) => "实际上课的线上课程",
        (Stage::Delivered, Mode::Offline) => "实际上课的线下课程",
    };
    let noun = match (stage, course.mode) {
        (Stage::Plan, Mode::Online) => "planned online lesson",
        (Stage::Plan, Mode::Offline) => "planned offline lesson",
        (Stage::Delivered, Mode::Online) => "online lesson",
        (Stage::Delivered, Mode::Offline) => "offline lesson",
    };
    let draft = || ctx.draft(event, RuleId::OnlineLessonMax30Min, lesson.start);
    let mut findings = Vec::new();
    let mut push = |rule: RuleId, figures: Vec<Figure>, (zh, en): (String, String)| {
        let mut d = draft();
        for f in figures {
            d = d.figure(f);
        }
        let mut finding = d.describe(en).in_chinese(zh).build(&id);
        finding.rule = rule;
        finding.severity = rule.severity();
        finding.id = tutorwatch_findings::finding_id(rule, &finding.institution, &id);
        findings.push(finding);
    };
    let online_max = match course.mode {
        Mode::Online => policy.lookup(region, date, |p| p.online_lesson_max_seconds.as_ref()),
        Mode::Offline => None,
    };
    if let Some(limit) = online_max {
        let seconds = whole_seconds(lesson.start, lesson.end);
        let max = i64::from(*limit.value);
        if seconds > max {
            push(
                RuleId::OnlineLessonMax30Min,
                vec![
                    Figure::new("actual", Measure::Seconds(seconds)),
                    Figure::new("limit", Measure::Seconds(max)),
                ],
                (
                    format!(
                        "{noun_zh}课时 {}，超过 {} 分钟（{}）",
                        Measure::Seconds(seconds).text(Lang::Zh),
                        max / 60,
                        since_zh(limit.level, limit.from)
                    ),
                    format!(
                        "{noun} {} > {} min ({})",
                        Measure::Seconds(seconds),
                        max / 60,
                        since(limit.level, limit.from)
                    ),
                ),
            );
        }
    }
    // The latest end: 21:00 online, 20:30 offline (each a policy figure).
    let (end_rule, end_limit) = match course.mode {
        Mode::Online => (
            RuleId::OnlineEndBy2100,
            policy.lookup(region, date, |p| p.online_end_local.as_ref()),
        ),
        Mode::Offline => (
            RuleId::OfflineEndBy2030,
            policy.lookup(region, date, |p| p.offline_end_local.as_ref()),
        ),
    };
    if let Some(limit) = end_limit {
        let morning = policy
            .value(region, date, |p| p.night_ends_local.as_ref())
            .unwrap_or(Time::midnight());
        if in_night(start, end, *limit.value, morning) {
            let same_day_end = to_second(end).date() == start.date() && end.time() > *limit.value;
            let description = if same_day_end {
                (
                    format!(
                        "{noun_zh}结束于 {}，晚于 {}（{}）",
                        Measure::LocalTime(to_second(end).time()),
                        Measure::LocalTime(*limit.value),
                        since_zh(limit.level, limit.from)
                    ),
                    format!(
                        "{noun} ends {} > {} ({})",
                        Measure::LocalTime(to_second(end).time()),
                        Measure::LocalTime(*limit.value),
                        since(limit.level, limit.from)
                    ),
                )
            } else {
                (
                    format!(
                        "{noun_zh}从 {} 到 {}，进入夜间：{} 至次日 {} 不得培训（{}）",
                        start.strftime("%Y-%m-%d %H:%M:%S"),
                        to_second(end).strftime("%Y-%m-%d %H:%M:%S"),
                        Measure::LocalTime(*limit.value),
                        Measure::LocalTime(morning),
                        since_zh(limit.level, limit.from)
                    ),
                    format!(
                        "{noun} from {} to {} runs into the night: no training between {} and {} ({})",
                        start.strftime("%Y-%m-%d %H:%M:%S"),
                        to_second(end).strftime("%Y-%m-%d %H:%M:%S"),
                        Measure::LocalTime(*limit.value),
                        Measure::LocalTime(morning),
                        since(limit.level, limit.from)
                    ),
                )
            };
            push(
                end_rule,
                vec![
                    Figure::new("actual", Measure::LocalTime(to_second(end).time())),
                    Figure::new("limit", Measure::LocalTime(*limit.value)),
                    Figure::new("night_ends", Measure::LocalTime(morning)),
                ],
                description,
            );
        }
    }
    if course.grade_band != GradeBand::Preschool {
        if let Some((day, from, to)) = school_hours_overlap(ctx, region, start, end) {
            push(
                RuleId::NoConflictSchoolHours,
                vec![
                    Figure::new("date", Measure::Date(day)),
                    Figure::new("school_hours_start", Measure::LocalTime(from)),
                    Figure::new("school_hours_end", Measure::LocalTime(to)),
                ],
                (
                    format!(
                        "课程 {} 的{noun_zh}（{} 至 {}）与 {day} 的在校教学时间（{} 至 {}）冲突",
                        lesson.course_id,
                        start.strftime("%H:%M:%S"),
                        to_second(end).strftime("%H:%M:%S"),
                        Measure::LocalTime(from),
                        Measure::LocalTime(to)
                    ),
                    format!(
                        "{noun} of course {} from {} to {} overlaps school hours on {day}, a school day ({} to {})",
                        lesson.course_id,
                        start.strftime("%H:%M:%S"),
                        to_second(end).strftime("%H:%M:%S"),
                        Measure::LocalTime(from),
                        Measure::LocalTime(to)
                    ),
                ),
            );
        }
    }
    if course.category() == Category::Subject
        && policy.enabled(region, date, |p| {
            p.subject_no_holiday_weekend_vacation.as_ref()
        })
    {
        let rule = policy
            .value(region, date, |p| p.rest_day_rule.as_ref())
            .unwrap_or(RestDayRule::RestDay);
        let childrens_day = policy
            .value(region, date, |p| p.childrens_day_is_holiday.as_ref())
            .unwrap_or(false);
        // Every local date the lesson touches: 23:50 on the eve of a holiday to 00:20 on it is
        // training on the holiday.
        let barred_day = dates_touched(start, end).into_iter().find_map(|date| {
            let day = policy.day(region, date);
            day.barred(rule, childrens_day)
                .map(|barred| (date, day, barred))
        });
        if let Some((date, day, barred)) = barred_day {
            let (note, note_zh) = if day.calendar_loaded {
                ("", "")
            } else {
                (
                    " (no official holiday calendar loaded for that year)",
                    "（该年未载入官方节假日安排）",
                )
            };
            push(
                RuleId::SubjectNoHolidayWeekendVacation,
                vec![
                    Figure::new("date", Measure::Date(date)),
                    Figure::new("day", Measure::Text(barred.describe())),
                ],
                (
                    format!(
                        "学科类课程 {} 的{noun_zh}在 {date}，当日为{}{note_zh}",
                        lesson.course_id,
                        barred.describe_zh()
                    ),
                    format!(
                        "{noun} of subject course {} on {date}, a {}{note}",
                        lesson.course_id,
                        barred.describe()
                    ),
                ),
            );
        }
    }
    findings
}

/// NO_CONFLICT_SCHOOL_HOURS: the first school day the lesson touches whose teaching hours (in
/// force that day in the region) it overlaps, with those hours. A school day is one schools
/// teach on: not a holiday, a vacation or a weekend (a make-up working day is one).
fn school_hours_overlap(
    ctx: &Context<'_>,
    region: tutorwatch_events::RegionCode,
    start: DateTime,
    end: DateTime,
) -> Option<(Date, Time, Time)> {
    dates_touched(start, end).into_iter().find_map(|day| {
        let from = ctx
            .policy
            .value(region, day, |p| p.school_hours_start_local.as_ref())?;
        let to = ctx
            .policy
            .value(region, day, |p| p.school_hours_end_local.as_ref())?;
        let school_day = ctx
            .policy
            .day(region, day)
            .barred(RestDayRule::RestDay, false)
            .is_none();
        let overlaps = start < day.to_datetime(to) && day.to_datetime(from) < end;
        (school_day && overlaps).then_some((day, from, to))
    })
}

/// ONLINE_BREAK_MIN_10MIN between two consecutive online lessons of one course (the same class
/// of students: lessons carry no student list).
fn break_finding(
    ctx: &Context<'_>,
    event: &LoggedEvent,
    (earlier_course, course): (&CourseId, &CourseId),
    earlier: (UtcTime, &LessonId),
    later: (UtcTime, &LessonId),
    other: Option<Evidence>,
) -> Option<Finding> {
    let (earlier_end, earlier_lesson) = earlier;
    let (later_start, later_lesson) = later;
    let date = local_date(ctx, event, later_start);
    let limit = ctx.policy.lookup(event.envelope.region, date, |p| {
        p.online_break_min_seconds.as_ref()
    })?;
    let gap = whole_seconds(earlier_end, later_start);
    let min = i64::from(*limit.value);
    if gap >= min {
        return None;
    }
    let mut draft = ctx
        .draft(event, RuleId::OnlineBreakMin10Min, later_start)
        .figure(Figure::new("actual", Measure::Seconds(gap.max(0))))
        .figure(Figure::new("limit", Measure::Seconds(min)))
        .describe(if earlier_course == course {
            format!(
                "break between online lessons {earlier_lesson} and {later_lesson} of {course} {} < {} min ({})",
                Measure::Seconds(gap.max(0)),
                min / 60,
                since(limit.level, limit.from)
            )
        } else {
            format!(
                "break between online lesson {earlier_lesson} of {earlier_course} and {later_lesson} of {course}, attended by the same student, {} < {} min ({})",
                Measure::Seconds(gap.max(0)),
                min / 60,
                since(limit.level, limit.from)
            )
        })
        .in_chinese(if earlier_course == course {
            format!(
                "课程 {course} 的线上课时 {earlier_lesson} 与 {later_lesson} 之间休息 {}，不足 {} 分钟（{}）",
                Measure::Seconds(gap.max(0)).text(Lang::Zh),
                min / 60,
                since_zh(limit.level, limit.from)
            )
        } else {
            format!(
                "同一学生先后参加课程 {earlier_course} 的线上课时 {earlier_lesson} 与课程 {course} 的课时 {later_lesson}，其间休息 {}，不足 {} 分钟（{}）",
                Measure::Seconds(gap.max(0)).text(Lang::Zh),
                min / 60,
                since_zh(limit.level, limit.from)
            )
        });
    let id = match other {
        Some(other) => {
            draft = draft.with_evidence(other);
            let (a, b) = if other.seq < event.seq {
                (other.event_id, event.envelope.event_id)
            } else {
                (event.envelope.event_id, other.event_id)
            };
            identity(&[&"break", &a, &b])
        }
        // A plan's finding is named by what it is about, not by the event that planned it, so
        // that a reschedule which keeps the offending lessons keeps the finding.
        None => identity(&[
            &"plan-break",
            course,
            earlier_lesson,
            &earlier_end,
            later_lesson,
            &later_start,
        ]),
    };
    Some(draft.build(&id))
}
