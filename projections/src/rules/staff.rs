//! Staff (area `staff` of the rule catalogue): NO_INSERVICE_TEACHER and FOREIGN_STAFF when a teacher is hired,
//! TEACHER_QUAL_SUBJECT for each teacher of a subject course, planned or delivered.

use tutorwatch_events::kinds::Category;
use tutorwatch_events::registry::TeacherHired;
use tutorwatch_events::{Event, LoggedEvent};

use crate::context::Context;
use crate::rules::{local_date, CourseCheck, RuleArea};
use tutorwatch_findings::{identity, Figure, Finding, Measure, RuleId};

/// The staff rules (stateless).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StaffRules;

impl RuleArea for StaffRules {
    fn on_event(&mut self, ctx: &Context<'_>, event: &LoggedEvent) -> Vec<Finding> {
        match &event.envelope.event {
            Event::TeacherHired(t) => hire(ctx, event, t),
            _ => Vec::new(),
        }
    }

    fn on_course(&self, check: &CourseCheck<'_>) -> Vec<Finding> {
        let course = check.course;
        let key = check.key;
        let mut findings = Vec::new();
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
