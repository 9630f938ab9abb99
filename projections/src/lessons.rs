//! Lesson, licensing and staff rules: training time (B), preschool (C), licensing and sites (D),
//! staff (E), judged on published plans and on delivered lessons.
//!
//! Findings from a plan (`course_published`, `course_rescheduled`) are withdrawn when the course
//! is rescheduled or cancelled before the lesson; findings from a delivered lesson (its actual
//! times) stand. "Before the lesson" is judged by the institution's own clock (the latest
//! instant its own events prove has passed, see `clocks`), or the change's `occurred_at` if
//! that is later: a change dated in the past cannot reach back to lessons the institution's
//! earlier events already showed under way. A planned lesson reported delivered
//! (`schedule.lesson_delivered`) keeps its plan's findings whatever a later change says, and so
//! do the course-level findings of a course with any lesson delivered.
//!
//! **Invariant:** every time is judged in the institution's local time zone, against the policy
//! value in force on the lesson's local start date, to the whole second.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, DateTime, Time};
use serde::{Deserialize, Serialize};
use tutorwatch_events::ids::{CourseId, FindingId, LessonId, SiteId, TeacherId};
use tutorwatch_events::kinds::{Category, GradeBand, Mode};
use tutorwatch_events::registry::{InstitutionRegistered, TeacherHired};
use tutorwatch_events::schedule::{LessonDelivered, Session};
use tutorwatch_events::{Event, LoggedEvent, Producer, UtcTime};

use crate::context::Context;
use crate::facts::{evidence, local_time, Course, CourseKey, Standing};
use crate::finding::{identity, Figure, Finding, FindingChange, Measure, RuleId, Severity};
use crate::policy::{Level, RestDayRule};

/// A finding raised from a plan, remembered so a later change of plan can withdraw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedFinding {
    pub id: FindingId,
    /// When the lesson it is about was to start (the first lesson, for course-level findings).
    pub lesson_start: UtcTime,
    /// The lesson it is about (the later one, for a break); `None` for course-level findings.
    pub lesson: Option<LessonId>,
    /// About the course as a whole (licence, content, staff) rather than one lesson's times:
    /// a reschedule does not withdraw it, a cancellation does.
    pub course_level: bool,
}

/// The lesson projection's own state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonRules {
    planned: BTreeMap<CourseKey, Vec<PlannedFinding>>,
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

fn since(level: Level, from: Date) -> String {
    format!("{level}, from {from}")
}

/// Whether a lesson from `start` to `end` (local) ends after `limit` on its start day.
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

/// Which stage a course-level judgement is made at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Plan,
    Delivered,
}

impl Stage {
    fn name(self) -> &'static str {
        match self {
            Stage::Plan => "plan",
            Stage::Delivered => "delivered",
        }
    }
}

/// The lesson being judged.
struct Lesson<'a> {
    course_id: &'a CourseId,
    lesson: &'a LessonId,
    start: UtcTime,
    end: UtcTime,
}

impl LessonRules {
    /// Judges one event; returns the findings to raise or withdraw.
    pub fn apply(&mut self, ctx: &Context<'_>, event: &LoggedEvent) -> Vec<FindingChange> {
        let envelope = &event.envelope;
        let key = |course: &CourseId| CourseKey {
            institution: envelope.institution.clone(),
            course: course.clone(),
        };
        let mut changes = match &envelope.event {
            Event::CoursePublished(_) | Event::CourseRescheduled(_) | Event::LessonDelivered(_) => {
                raise(standing_registration(ctx, event).into_iter().collect())
            }
            _ => Vec::new(),
        };
        changes.extend(self.judge(ctx, event, &key));
        changes
    }

    /// The event's own rules.
    fn judge(
        &mut self,
        ctx: &Context<'_>,
        event: &LoggedEvent,
        key: &dyn Fn(&CourseId) -> CourseKey,
    ) -> Vec<FindingChange> {
        let envelope = &event.envelope;
        match &envelope.event {
            Event::InstitutionRegistered(r) => raise(registration(ctx, event, r)),
            Event::TeacherHired(t) => raise(hire(ctx, event, t)),
            // A republished or rescheduled course is judged again: findings the new plan raises
            // again stand, lesson-level ones it no longer raises are withdrawn. Course-level
            // findings are re-judged under the same ids and only a cancellation withdraws them.
            Event::CoursePublished(c) => self.replan(ctx, event, &key(&c.course)),
            Event::CourseRescheduled(c) => self.replan(ctx, event, &key(&c.course)),
            Event::CourseCancelled(c) => {
                self.withdraw(ctx, event, &key(&c.course), true, &BTreeSet::new())
            }
            Event::LessonDelivered(l) => raise(delivered(ctx, event, l)),
            _ => Vec::new(),
        }
    }

    /// Judges the course's new plan, withdraws what the old plan raised and the new one does not,
    /// and remembers the new plan's findings.
    fn replan(
        &mut self,
        ctx: &Context<'_>,
        event: &LoggedEvent,
        key: &CourseKey,
    ) -> Vec<FindingChange> {
        let planned = self.judge_plan(ctx, event, key);
        let kept: BTreeSet<FindingId> = planned.iter().map(|(f, _, _)| f.id).collect();
        let mut changes = self.withdraw(ctx, event, key, false, &kept);
        if let Some(remembered) = self.planned.get_mut(key) {
            // Re-remembered below, with the new plan's lesson starts.
            remembered.retain(|p| !kept.contains(&p.id));
        }
        changes.extend(self.remember(key, planned));
        changes
    }

    /// Withdraws the plan's findings about lessons that had not started when the plan changed
    /// (by the institution's own clock, see the module doc) and were not reported delivered,
    /// except those in `kept`.
    fn withdraw(
        &mut self,
        ctx: &Context<'_>,
        event: &LoggedEvent,
        key: &CourseKey,
        course_level_too: bool,
        kept: &BTreeSet<FindingId>,
    ) -> Vec<FindingChange> {
        let own_clock = ctx
            .facts
            .clocks
            .get(&Producer::Institution(key.institution.clone()));
        let changed_at = own_clock.map_or(event.envelope.occurred_at, |clock| {
            clock.max(event.envelope.occurred_at)
        });
        let Some(planned) = self.planned.get_mut(key) else {
            return Vec::new();
        };
        let delivered = ctx.facts.courses.get(key).map(|c| &c.delivered);
        let was_delivered = |lesson: &Option<LessonId>| match lesson {
            Some(lesson) => delivered.is_some_and(|d| d.contains_key(lesson)),
            None => delivered.is_some_and(|d| !d.is_empty()),
        };
        let by = evidence(event);
        let mut changes = Vec::new();
        planned.retain(|p| {
            let withdraw = p.lesson_start > changed_at
                && !was_delivered(&p.lesson)
                && (course_level_too || !p.course_level)
                && !kept.contains(&p.id);
            if withdraw {
                changes.push(FindingChange::Withdraw { id: p.id, by });
            }
            !withdraw
        });
        changes
    }

    /// Judges the course's current plan (just published or rescheduled): each finding with the
    /// start of the lesson it is about and that lesson (`None`: about the course as a whole).
    fn judge_plan(
        &self,
        ctx: &Context<'_>,
        event: &LoggedEvent,
        key: &CourseKey,
    ) -> Vec<(Finding, UtcTime, Option<LessonId>)> {
        let Some(course) = ctx.facts.courses.get(key) else {
            return Vec::new();
        };
        let mut sessions: Vec<&Session> = course.sessions.iter().collect();
        sessions.sort_by_key(|s| (s.start, s.end));
        let Some(first) = sessions.first() else {
            return Vec::new();
        };
        let mut planned = Vec::new();
        for finding in course_findings(
            ctx,
            event,
            key,
            course,
            Stage::Plan,
            first.start,
            course.site.as_ref(),
            &course.teachers,
        ) {
            planned.push((finding, first.start, None));
        }
        for session in &sessions {
            let lesson = Lesson {
                course_id: &key.course,
                lesson: &session.lesson,
                start: session.start,
                end: session.end,
            };
            for finding in lesson_findings(ctx, event, course, &lesson, Stage::Plan) {
                planned.push((finding, session.start, Some(session.lesson.clone())));
            }
        }
        if course.mode == Mode::Online {
            for pair in sessions.windows(2) {
                if let Some(finding) = break_finding(
                    ctx,
                    event,
                    &key.course,
                    (pair[0].end, &pair[0].lesson),
                    (pair[1].start, &pair[1].lesson),
                    None,
                ) {
                    planned.push((finding, pair[1].start, Some(pair[1].lesson.clone())));
                }
            }
        }
        planned
    }

    /// Remembers a plan's findings (so a later change can withdraw them) and raises them.
    fn remember(
        &mut self,
        key: &CourseKey,
        planned: Vec<(Finding, UtcTime, Option<LessonId>)>,
    ) -> Vec<FindingChange> {
        let remembered = self.planned.entry(key.clone()).or_default();
        planned
            .into_iter()
            .map(|(mut finding, lesson_start, lesson)| {
                finding.basis = crate::finding::Basis::Planned;
                remembered.push(PlannedFinding {
                    id: finding.id,
                    lesson_start,
                    course_level: lesson.is_none(),
                    lesson,
                });
                FindingChange::Raise(Box::new(finding))
            })
            .collect()
    }
}

fn raise(findings: Vec<Finding>) -> Vec<FindingChange> {
    findings
        .into_iter()
        .map(|f| FindingChange::Raise(Box::new(f)))
        .collect()
}

fn local_date(ctx: &Context<'_>, event: &LoggedEvent, at: UtcTime) -> Date {
    local_time(ctx.time_zone(&event.envelope.institution), at).date()
}

/// SUBJECT_MUST_BE_NONPROFIT as a standing fact, judged again at each activity of the
/// institution: a subject institution registered for-profit before the rule took effect breaks it
/// from the day the rule took effect. The finding has the registration's id (so it is raised once,
/// whether at registration or later) and is dated to when the breach began.
fn standing_registration(ctx: &Context<'_>, event: &LoggedEvent) -> Option<Finding> {
    let institution = ctx.facts.institution(&event.envelope.institution)?;
    let registration = institution.registration.as_ref()?;
    if registration.category != Category::Subject || registration.non_profit {
        return None;
    }
    let region = institution.region;
    let today = local_date(ctx, event, event.envelope.occurred_at);
    let rule = ctx
        .policy
        .lookup(region, today, |p| p.subject_must_be_nonprofit.as_ref())?;
    if !*rule.value {
        return None;
    }
    let began = UtcTime::from_timestamp(
        rule.from
            .max(registration.approved_on)
            .in_tz(institution.time_zone())
            .ok()?
            .timestamp(),
    );
    Some(
        ctx.draft(event, RuleId::SubjectMustBeNonprofit, began)
            .figure(Figure::new(
                "registered",
                Measure::Text("for-profit".into()),
            ))
            .with_evidence(registration.evidence)
            .describe(format!(
                "subject-training institution registered as for-profit (must be non-profit since {}), still operating",
                rule.from
            ))
            .build(&identity(&[&"reg", &registration.evidence.event_id])),
    )
}

/// SUBJECT_MUST_BE_NONPROFIT, judged when an institution registers.
fn registration(ctx: &Context<'_>, event: &LoggedEvent, r: &InstitutionRegistered) -> Vec<Finding> {
    let at = event.envelope.occurred_at;
    let date = local_date(ctx, event, at);
    let region = event.envelope.region;
    if r.category != Category::Subject
        || !ctx
            .policy
            .enabled(region, date, |p| p.subject_must_be_nonprofit.as_ref())
    {
        return Vec::new();
    }
    let id = identity(&[&"reg", &event.envelope.event_id]);
    let code = &event.envelope.institution;
    if !r.non_profit {
        return vec![ctx
            .draft(event, RuleId::SubjectMustBeNonprofit, at)
            .figure(Figure::new(
                "registered",
                Measure::Text("for-profit".into()),
            ))
            .describe(
                "subject-training institution registered as for-profit (must be non-profit)".into(),
            )
            .build(&id)];
    }
    if !code.is_civil_affairs_non_enterprise() {
        // The prefix cross-check is an inference (RULES.md marks it R), so it is only MED.
        let prefix: String = code.as_str().chars().take(2).collect();
        return vec![ctx
            .draft(event, RuleId::SubjectMustBeNonprofit, at)
            .severity(Severity::Med)
            .figure(Figure::new("credit_code_prefix", Measure::Text(prefix.clone())))
            .describe(format!(
                "registered non-profit, but credit code starts {prefix} (expected 52, 民办非企业单位)"
            ))
            .build(&identity(&[&"reg-prefix", &event.envelope.event_id]))];
    }
    Vec::new()
}

/// NO_INSERVICE_TEACHER and FOREIGN_STAFF, judged when a teacher is hired.
fn hire(ctx: &Context<'_>, event: &LoggedEvent, t: &TeacherHired) -> Vec<Finding> {
    let at = event.envelope.occurred_at;
    let date = local_date(ctx, event, at);
    let region = event.envelope.region;
    let id = identity(&[&"hire", &event.envelope.event_id]);
    let mut findings = Vec::new();
    if t.in_service_school_teacher
        && ctx
            .policy
            .enabled(region, date, |p| p.no_inservice_teacher.as_ref())
    {
        findings.push(
            ctx.draft(event, RuleId::NoInserviceTeacher, at)
                .figure(Figure::new("teacher", Measure::Text(t.teacher.to_string())))
                .describe(format!("hired {}, an in-service school teacher", t.teacher))
                .build(&id),
        );
    }
    if t.located_abroad
        && ctx
            .policy
            .enabled(region, date, |p| p.foreign_staff_abroad_ban.as_ref())
    {
        findings.push(
            ctx.draft(event, RuleId::ForeignStaff, at)
                .figure(Figure::new("teacher", Measure::Text(t.teacher.to_string())))
                .describe(format!(
                    "engaged {}, who is located abroad, to teach",
                    t.teacher
                ))
                .build(&id),
        );
    }
    findings
}

/// Judges a delivered lesson: its times, its course, its standing and the break before/after it.
fn delivered(ctx: &Context<'_>, event: &LoggedEvent, l: &LessonDelivered) -> Vec<Finding> {
    let institution = &event.envelope.institution;
    let key = CourseKey {
        institution: institution.clone(),
        course: l.course.clone(),
    };
    let Some(course) = ctx.facts.courses.get(&key) else {
        // Without the course we do not know its mode or subject; only the standing is judged.
        return course_standing(ctx, event, &l.course, Stage::Delivered, l.start)
            .into_iter()
            .collect();
    };
    let site = l.site.as_ref().or(course.site.as_ref());
    let mut findings = course_findings(
        ctx,
        event,
        &key,
        course,
        Stage::Delivered,
        l.start,
        site,
        &l.teachers,
    );
    let lesson = Lesson {
        course_id: &l.course,
        lesson: &l.lesson,
        start: l.start,
        end: l.end,
    };
    findings.extend(lesson_findings(
        ctx,
        event,
        course,
        &lesson,
        Stage::Delivered,
    ));
    if course.mode == Mode::Online {
        let others = course.delivered.iter().filter(|(id, _)| *id != &l.lesson);
        let before = others
            .clone()
            .filter(|(_, d)| d.start < l.start)
            .max_by_key(|(_, d)| d.start);
        let after = others
            .filter(|(_, d)| d.start > l.start)
            .min_by_key(|(_, d)| d.start);
        if let Some((id, d)) = before {
            findings.extend(break_finding(
                ctx,
                event,
                &l.course,
                (d.end, id),
                (l.start, &l.lesson),
                Some(d.evidence),
            ));
        }
        if let Some((id, d)) = after {
            findings.extend(break_finding(
                ctx,
                event,
                &l.course,
                (l.end, &l.lesson),
                (d.start, id),
                Some(d.evidence),
            ));
        }
    }
    findings
}

/// Operating without a licence, while suspended or after revocation: `what` the institution did
/// at `at`, e.g. "published course c-1"; `id` identifies the act.
pub(crate) fn standing_finding(
    ctx: &Context<'_>,
    event: &LoggedEvent,
    at: UtcTime,
    what: &str,
    id: &str,
) -> Option<Finding> {
    let date = local_date(ctx, event, at);
    let region = event.envelope.region;
    if !ctx
        .policy
        .enabled(region, date, |p| p.operating_requires_licence.as_ref())
    {
        return None;
    }
    let institution = ctx.facts.institution(&event.envelope.institution)?;
    let (rule, why, extra) = match institution.standing_at(at, date) {
        Standing::Licensed => return None,
        Standing::Unlicensed => (RuleId::OperatingUnlicensed, "without a licence", None),
        Standing::Suspended(by) => (
            RuleId::OperatingSuspended,
            "while its licence is suspended",
            Some(by),
        ),
        Standing::Revoked(by) => (
            RuleId::OperatingRevoked,
            "after its licence was revoked",
            Some(by),
        ),
    };
    let mut draft = ctx
        .draft(event, rule, at)
        .figure(Figure::new("date", Measure::Date(date)))
        .describe(format!("{what} on {date} {why}"));
    let mut id = id.to_owned();
    if let Some(by) = extra {
        draft = draft.with_evidence(by);
        id = identity(&[&id, &by.event_id]);
    }
    Some(draft.build(&id))
}

fn course_standing(
    ctx: &Context<'_>,
    event: &LoggedEvent,
    course: &CourseId,
    stage: Stage,
    at: UtcTime,
) -> Option<Finding> {
    let what = match stage {
        Stage::Plan => format!("published course {course}"),
        Stage::Delivered => format!("delivered a lesson of course {course}"),
    };
    standing_finding(ctx, event, at, &what, &identity(&[&stage.name(), course]))
}

/// The rules about a course as a whole: standing, licence scope, content, preschool, site, staff.
#[allow(clippy::too_many_arguments)]
fn course_findings(
    ctx: &Context<'_>,
    event: &LoggedEvent,
    key: &CourseKey,
    course: &Course,
    stage: Stage,
    at: UtcTime,
    site: Option<&SiteId>,
    teachers: &[TeacherId],
) -> Vec<Finding> {
    let date = local_date(ctx, event, at);
    let region = event.envelope.region;
    let on = |get: fn(&crate::policy::ParameterSet) -> Option<&crate::policy::Timeline<bool>>| {
        ctx.policy.enabled(region, date, get)
    };
    let base = identity(&[&stage.name(), &key.course]);
    let mut findings: Vec<Finding> = course_standing(ctx, event, &key.course, stage, at)
        .into_iter()
        .collect();
    let mut add = |rule: RuleId, figure: Figure, description: String, id: &str| {
        findings.push(
            ctx.draft(event, rule, at)
                .figure(figure)
                .describe(description)
                .build(id),
        );
    };
    let category = course.category();
    let institution = ctx.facts.institution(&key.institution);
    if let Some(reg) = institution.and_then(|i| i.registration.as_ref()) {
        let subject_text = Measure::Text(format!("{:?}", course.subject));
        if reg.category == Category::NonSubject
            && category == Category::Subject
            && on(|p| p.nonsubject_no_subject_content.as_ref())
        {
            add(
                RuleId::NonsubjectNoSubjectContent,
                Figure::new("subject", subject_text.clone()),
                format!(
                    "non-subject institution teaches subject course {} ({:?})",
                    key.course, course.subject
                ),
                &base,
            );
        }
        let online_subject = course.mode == Mode::Online && category == Category::Subject;
        let licensed_online_subject =
            reg.category == Category::Subject && reg.modes.allows(Mode::Online);
        if online_subject && !licensed_online_subject && on(|p| p.online_subject_license.as_ref()) {
            add(
                RuleId::OnlineSubjectLicense,
                Figure::new(
                    "licence",
                    Measure::Text(format!("{:?} {:?}", reg.category, reg.modes)),
                ),
                format!(
                    "online subject course {} without a licence for online subject training",
                    key.course
                ),
                &base,
            );
        } else if on(|p| p.license_mode_match.as_ref()) {
            let mismatch = if !reg.modes.allows(course.mode) {
                Some(format!(
                    "{:?} course {} under a {:?} licence",
                    course.mode, key.course, reg.modes
                ))
            } else if reg.category == Category::Subject && category == Category::NonSubject {
                Some(format!(
                    "subject licensee runs non-subject course {} ({:?})",
                    key.course, course.subject
                ))
            } else if reg.category == category && !reg.subjects.contains(&course.subject) {
                Some(format!(
                    "course {} teaches {:?}, not among the licensed subjects",
                    key.course, course.subject
                ))
            } else {
                None
            };
            if let Some(description) = mismatch {
                add(
                    RuleId::LicenseModeMatch,
                    Figure::new("mode", Measure::Text(format!("{:?}", course.mode))),
                    description,
                    &base,
                );
            }
        }
        if course.mode == Mode::Offline && on(|p| p.multi_site_unapproved.as_ref()) {
            if let Some(site) = site.filter(|s| institution.is_some_and(|i| !i.sites.contains(*s)))
            {
                add(
                    RuleId::MultiSiteUnapproved,
                    Figure::new("site", Measure::Text(site.to_string())),
                    format!("course {} taught at unapproved site {site}", key.course),
                    &identity(&[&base, site]),
                );
            }
        }
    }
    if course.grade_band == GradeBand::Preschool {
        if course.mode == Mode::Online && on(|p| p.preschool_no_online.as_ref()) {
            add(
                RuleId::PreschoolNoOnline,
                Figure::new("grade_band", Measure::Text("preschool".into())),
                format!("online course {} for preschool children", key.course),
                &base,
            );
        }
        if course.mode == Mode::Offline
            && category == Category::Subject
            && on(|p| p.preschool_no_offline_subject.as_ref())
        {
            add(
                RuleId::PreschoolNoOfflineSubject,
                Figure::new("subject", Measure::Text(format!("{:?}", course.subject))),
                format!(
                    "offline subject course {} ({:?}) for preschool children",
                    key.course, course.subject
                ),
                &base,
            );
        }
    }
    if category == Category::Subject && on(|p| p.teacher_qual_subject.as_ref()) {
        for teacher in teachers {
            let staff = institution.and_then(|i| i.teachers.get(teacher));
            let problem = match staff {
                None => Some("is not on the institution's staff register".to_owned()),
                Some(t) if !t.qualified => Some("holds no teacher qualification".to_owned()),
                Some(t) if !t.subjects.contains(&course.subject) => Some(format!(
                    "is registered for {:?}, not {:?}",
                    t.subjects, course.subject
                )),
                Some(_) => None,
            };
            if let Some(problem) = problem {
                add(
                    RuleId::TeacherQualSubject,
                    Figure::new("teacher", Measure::Text(teacher.to_string())),
                    format!(
                        "teacher {teacher} of subject course {} {problem}",
                        key.course
                    ),
                    &identity(&[&base, teacher]),
                );
            }
        }
    }
    findings
}

/// The rules about one lesson's times: length, end time, barred days.
fn lesson_findings(
    ctx: &Context<'_>,
    event: &LoggedEvent,
    course: &Course,
    lesson: &Lesson<'_>,
    stage: Stage,
) -> Vec<Finding> {
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
    let noun = match (stage, course.mode) {
        (Stage::Plan, Mode::Online) => "planned online lesson",
        (Stage::Plan, Mode::Offline) => "planned offline lesson",
        (Stage::Delivered, Mode::Online) => "online lesson",
        (Stage::Delivered, Mode::Offline) => "offline lesson",
    };
    let draft = || ctx.draft(event, RuleId::OnlineLessonMax30Min, lesson.start);
    let mut findings = Vec::new();
    let mut push = |rule: RuleId, figures: Vec<Figure>, description: String| {
        let mut d = draft();
        for f in figures {
            d = d.figure(f);
        }
        let mut finding = d.describe(description).build(&id);
        finding.rule = rule;
        finding.severity = rule.severity();
        finding.id = crate::finding::finding_id(rule, &finding.institution, &id);
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
                format!(
                    "{noun} {} > {} min ({})",
                    Measure::Seconds(seconds),
                    max / 60,
                    since(limit.level, limit.from)
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
                format!(
                    "{noun} ends {} > {} ({})",
                    Measure::LocalTime(to_second(end).time()),
                    Measure::LocalTime(*limit.value),
                    since(limit.level, limit.from)
                )
            } else {
                format!(
                    "{noun} from {} to {} runs into the night: no training between {} and {} ({})",
                    start.strftime("%Y-%m-%d %H:%M:%S"),
                    to_second(end).strftime("%Y-%m-%d %H:%M:%S"),
                    Measure::LocalTime(*limit.value),
                    Measure::LocalTime(morning),
                    since(limit.level, limit.from)
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
            let note = if day.calendar_loaded {
                ""
            } else {
                " (no official holiday calendar loaded for that year)"
            };
            push(
                RuleId::SubjectNoHolidayWeekendVacation,
                vec![
                    Figure::new("date", Measure::Date(date)),
                    Figure::new("day", Measure::Text(barred.describe())),
                ],
                format!(
                    "{noun} of subject course {} on {date}, a {}{note}",
                    lesson.course_id,
                    barred.describe()
                ),
            );
        }
    }
    findings
}

/// ONLINE_BREAK_MIN_10MIN between two consecutive online lessons of one course (the same class
/// of students: lessons carry no student list).
fn break_finding(
    ctx: &Context<'_>,
    event: &LoggedEvent,
    course: &CourseId,
    earlier: (UtcTime, &LessonId),
    later: (UtcTime, &LessonId),
    other: Option<crate::finding::Evidence>,
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
        .describe(format!(
            "break between online lessons {earlier_lesson} and {later_lesson} of {course} {} < {} min ({})",
            Measure::Seconds(gap.max(0)),
            min / 60,
            since(limit.level, limit.from)
        ));
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
