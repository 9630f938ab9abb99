//! Staff (area `staff` of the rule catalogue): NO_INSERVICE_TEACHER and FOREIGN_STAFF when a teacher is hired,
//! TEACHER_QUAL_SUBJECT for each teacher of a subject course, planned or delivered,
//! STAFF_RATIO_FULLTIME on each inspection's staff counts, and STAFF_RATIO_CLASS on each offline
//! lesson delivered (its attendance against the full-time teachers it names who are on the staff
//! register; a hire that did not say, version 1, counts as full time: the lenient reading).

use tutorwatch_events::kinds::{Category, GradeBand};
use tutorwatch_events::registry::{InspectionRecorded, TeacherHired};
use tutorwatch_events::{Event, LoggedEvent};

use crate::context::Context;
use crate::rules::{local_date, CourseCheck, RuleArea};
use tutorwatch_findings::{identity, Figure, Finding, Lang, Measure, RuleId};

/// The staff rules (stateless).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StaffRules;

impl RuleArea for StaffRules {
    fn on_event(&mut self, ctx: &Context<'_>, event: &LoggedEvent) -> Vec<Finding> {
        match &event.envelope.event {
            Event::TeacherHired(t) => hire(ctx, event, t),
            Event::InspectionRecorded(inspection) => full_time_share(ctx, event, inspection)
                .into_iter()
                .collect(),
            _ => Vec::new(),
        }
    }

    fn on_course(&self, check: &CourseCheck<'_>) -> Vec<Finding> {
        let course = check.course;
        let key = check.key;
        let mut findings: Vec<Finding> = class_ratio(check).into_iter().collect();
        if course.category() != Category::Subject || !check.on(|p| p.teacher_qual_subject.as_ref())
        {
            return findings;
        }
        let institution = check.ctx.facts.institution(&key.institution);
        let base = check.base();
        for teacher in check.teachers {
            let staff = institution.and_then(|i| i.teachers.get(teacher));
            let problem = match staff {
                None => Some((
                    "不在机构的从业人员登记中".to_owned(),
                    "is not on the institution's staff register".to_owned(),
                )),
                Some(t) if !t.qualified => Some((
                    "不具备教师资格".to_owned(),
                    "holds no teacher qualification".to_owned(),
                )),
                Some(t) if !t.subjects.contains(&course.subject) => Some((
                    format!(
                        "登记的任教学科为{}，不含{}",
                        t.subjects
                            .iter()
                            .map(|s| s.name_zh())
                            .collect::<Vec<_>>()
                            .join("、"),
                        course.subject.name_zh()
                    ),
                    format!(
                        "is registered for {}, not {}",
                        t.subjects
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        course.subject
                    ),
                )),
                Some(_) => None,
            };
            if let Some((problem_zh, problem)) = problem {
                findings.push(check.finding(
                    RuleId::TeacherQualSubject,
                    Figure::new("teacher", Measure::Text(teacher.to_string())),
                    (
                        format!("学科类课程 {} 的教师 {teacher} {problem_zh}", key.course),
                        format!(
                            "teacher {teacher} of subject course {} {problem}",
                            key.course
                        ),
                    ),
                    &identity(&[&base, teacher]),
                ));
            }
        }
        findings
    }
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
                .in_chinese(format!("聘用在职中小学教师 {}", t.teacher))
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
                .in_chinese(format!("聘请在境外的人员 {} 开展培训", t.teacher))
                .build(&id),
        );
    }
    findings
}

/// STAFF_RATIO_FULLTIME: the full-time teaching and research staff an inspection counted, as a
/// share of all staff, below the policy's floor.
fn full_time_share(
    ctx: &Context<'_>,
    event: &LoggedEvent,
    inspection: &InspectionRecorded,
) -> Option<Finding> {
    let at = event.envelope.occurred_at;
    let date = local_date(ctx, event, at);
    let min_bp = ctx.policy.value(event.envelope.region, date, |p| {
        p.staff_full_time_min_bp.as_ref()
    })?;
    let (full_time, total) = (
        u64::from(inspection.full_time_teaching_staff),
        u64::from(inspection.staff_total),
    );
    if total == 0 || full_time * 10_000 >= total * u64::from(min_bp) {
        return None;
    }
    let share = full_time * 10_000 / total;
    Some(
        ctx.draft(event, RuleId::StaffRatioFulltime, at)
            .figure(Figure::new(
                "full_time_teaching_staff",
                Measure::Count(full_time),
            ))
            .figure(Figure::new("staff_total", Measure::Count(total)))
            .figure(Figure::new("share", Measure::BasisPoints(share)))
            .figure(Figure::new(
                "limit",
                Measure::BasisPoints(u64::from(min_bp)),
            ))
            .describe(format!(
                "{full_time} of {total} staff teach or do research full time ({}), below {}",
                Measure::BasisPoints(share),
                Measure::BasisPoints(u64::from(min_bp))
            ))
            .in_chinese(format!(
                "从业人员 {total} 人中专职教学、教研人员 {full_time} 人（{}），低于 {}",
                Measure::BasisPoints(share).text(Lang::Zh),
                Measure::BasisPoints(u64::from(min_bp)).text(Lang::Zh)
            ))
            .build(&identity(&[&"inspection", &event.envelope.event_id])),
    )
}

/// STAFF_RATIO_CLASS: a delivered offline lesson whose registered teachers are fewer, per
/// student present, than the policy's share (preschool children's for a preschool course).
fn class_ratio(check: &CourseCheck<'_>) -> Option<Finding> {
    let lesson = check.delivered_offline()?;
    let ratio = check
        .ctx
        .policy
        .value(check.event.envelope.region, check.date, |p| {
            p.staff_class_min_bp.as_ref()
        })?;
    let preschool = check.course.grade_band == GradeBand::Preschool;
    let min_bp = if preschool {
        ratio.preschool_bp
    } else {
        ratio.school_bp
    };
    let staff = check.ctx.facts.institution(&check.key.institution);
    let teachers = check
        .teachers
        .iter()
        .filter(|t| {
            staff
                .and_then(|i| i.teachers.get(*t))
                .is_some_and(|teacher| teacher.full_time)
        })
        .count() as u64;
    let attendees = u64::from(lesson.attendees);
    if teachers * 10_000 >= attendees * u64::from(min_bp) {
        return None;
    }
    let students = if preschool {
        ("儿童", "children")
    } else {
        ("学生", "students")
    };
    Some(
        check
            .ctx
            .draft(check.event, RuleId::StaffRatioClass, check.at)
            .figure(Figure::new("full_time_teachers", Measure::Count(teachers)))
            .figure(Figure::new("attendees", Measure::Count(attendees)))
            .figure(Figure::new("limit", Measure::BasisPoints(u64::from(min_bp))))
            .describe(format!(
                "lesson {} of course {} had {attendees} {} and {teachers} full-time registered teacher(s), below {} of attendance",
                lesson.lesson,
                check.key.course,
                students.1,
                Measure::BasisPoints(u64::from(min_bp))
            ))
            .in_chinese(format!(
                "课程 {} 的课次 {} 有{} {attendees} 人、在册专职授课教师 {teachers} 人，低于上课人数的 {}",
                check.key.course,
                lesson.lesson,
                students.0,
                Measure::BasisPoints(u64::from(min_bp)).text(Lang::Zh)
            ))
            .build(&identity(&[&check.base(), &lesson.lesson, &"class_ratio"])),
    )
}
