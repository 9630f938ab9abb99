//! Planted lesson cases: lengths, breaks (one a student's, across two courses) and end times just
//! past their limits, a lesson a second
//! into school hours (江苏), subject lessons on barred days, preschool courses, and plans withdrawn (or kept) by a reschedule or cancellation.

use tutorwatch_events::ids::StudentRef;
use tutorwatch_events::kinds::{GradeBand, Mode, Subject};
use tutorwatch_events::schedule::{
    CourseCancelled, CourseRescheduled, LessonDelivered, UndeclaredCourse,
};
use tutorwatch_events::EventId;
use tutorwatch_findings::{identity, RuleId};

use crate::clock::local;
use crate::inst::{text, token, Plan};
use crate::truth::Expected;
use crate::GenError;

use super::*;

/// Plants `case` if it is one of this module's; `None` if it is not.
pub(super) fn plant(case: &mut Case<'_>) -> Result<Option<Vec<Expected>>, GenError> {
    let (em, inst, name) = (&mut *case.em, &mut case.inst, case.name);
    let published = at(PUBLISHED, 10)?;
    let maths = Subject::Mathematics;
    let code = inst.who.code.clone();
    let expect = |rule: RuleId, key: String, evidence: Vec<EventId>| {
        Expected::new(name, rule, &code, key, evidence)
    };
    let plan_stage = |plan: &Plan| identity(&[&"plan", &plan.course]);
    let out = match name {
        "online_lesson_30m01s_planned" => {
            let plan = inst.plan(
                maths,
                Mode::Online,
                5000,
                &[span(DAY, (19, 0, 0), (19, 30, 1))?],
            )?;
            let e = inst.publish(em, published, &plan, GradeBand::Primary)?;
            vec![expect(
                RuleId::OnlineLessonMax30Min,
                plan_key(&plan, 0),
                vec![e],
            )]
        }
        "online_lesson_30m01s_delivered" => {
            let plan = inst.plan(
                maths,
                Mode::Online,
                5000,
                &[span(DAY, (19, 0, 0), (19, 30, 0))?],
            )?;
            inst.publish(em, published, &plan, GradeBand::Primary)?;
            let e = deliver(
                em,
                inst,
                &plan,
                0,
                span(DAY, (19, 0, 0), (19, 30, 1))?,
                None,
            );
            vec![expect(
                RuleId::OnlineLessonMax30Min,
                identity(&[&"lesson", &e]),
                vec![e],
            )]
        }
        // In 江苏, whose (example) school hours end at 16:00: an offline lesson from 15:59:59
        // on a Wednesday overlaps them by a second.
        "school_hours_lesson_starts_15h59m59s_on_a_school_day" => {
            let plan = inst.plan(
                maths,
                Mode::Offline,
                5000,
                &[span(DAY, (15, 59, 59), (16, 44, 59))?],
            )?;
            let e = inst.publish(em, published, &plan, GradeBand::Primary)?;
            vec![expect(
                RuleId::NoConflictSchoolHours,
                plan_key(&plan, 0),
                vec![e],
            )]
        }
        "online_lesson_31m_withdrawn_by_reschedule" => {
            let plan = inst.plan(
                maths,
                Mode::Online,
                5000,
                &[span(DAY, (19, 0, 0), (19, 31, 0))?],
            )?;
            let e = inst.publish(em, published, &plan, GradeBand::Primary)?;
            let key = plan_key(&plan, 0);
            let mut fixed = plan.sessions.clone();
            fixed[0].end = local(DAY, 19, 30, 0, 0)?;
            em.emit(
                &inst.who,
                at(PUBLISHED, 15)?,
                CourseRescheduled {
                    course: plan.course.clone(),
                    sessions: fixed,
                },
            );
            vec![expect(RuleId::OnlineLessonMax30Min, key, vec![e]).withdrawn()]
        }
        "online_lesson_31m_kept_by_reschedule" => {
            let next = crate::clock::add_days(DAY, 7)?;
            let plan = inst.plan(
                maths,
                Mode::Online,
                5000,
                &[
                    span(DAY, (19, 0, 0), (19, 31, 0))?,
                    span(next, (19, 0, 0), (19, 30, 0))?,
                ],
            )?;
            let e = inst.publish(em, published, &plan, GradeBand::Primary)?;
            let mut moved = plan.sessions.clone();
            let (start, end) = span(crate::clock::add_days(next, 1)?, (19, 0, 0), (19, 30, 0))?;
            moved[1].start = start;
            moved[1].end = end;
            em.emit(
                &inst.who,
                at(PUBLISHED, 15)?,
                CourseRescheduled {
                    course: plan.course.clone(),
                    sessions: moved,
                },
            );
            vec![expect(
                RuleId::OnlineLessonMax30Min,
                plan_key(&plan, 0),
                vec![e],
            )]
        }
        "online_break_9m59s_planned" => {
            let plan = inst.plan(
                maths,
                Mode::Online,
                5000,
                &[
                    span(DAY, (18, 0, 0), (18, 30, 0))?,
                    span(DAY, (18, 39, 59), (19, 9, 59))?,
                ],
            )?;
            let e = inst.publish(em, published, &plan, GradeBand::Junior)?;
            let (a, b) = (&plan.sessions[0], &plan.sessions[1]);
            let key = identity(&[
                &"plan-break",
                &plan.course,
                &a.lesson,
                &a.end,
                &b.lesson,
                &b.start,
            ]);
            vec![expect(RuleId::OnlineBreakMin10Min, key, vec![e])]
        }
        "online_break_9m59s_delivered" => {
            let plan = inst.plan(
                maths,
                Mode::Online,
                5000,
                &[
                    span(DAY, (18, 0, 0), (18, 30, 0))?,
                    span(DAY, (18, 40, 0), (19, 10, 0))?,
                ],
            )?;
            inst.publish(em, published, &plan, GradeBand::Junior)?;
            let first = deliver_as_planned(em, inst, &plan, 0);
            let second = deliver(
                em,
                inst,
                &plan,
                1,
                span(DAY, (18, 39, 59), (19, 9, 59))?,
                None,
            );
            vec![expect(
                RuleId::OnlineBreakMin10Min,
                identity(&[&"break", &first, &second]),
                vec![first, second],
            )]
        }
        // One student in two online courses: 18:00–18:30 in one, 18:39:59 in the other. Each
        // course alone is legal; the student's break is 9:59.
        "online_break_9m59s_same_student_two_courses" => {
            let learner: StudentRef = token(format!("learner-{}-1", inst.n))?;
            let mut delivered = Vec::new();
            for (from, to) in [((18, 0, 0), (18, 30, 0)), ((18, 39, 59), (19, 9, 59))] {
                let plan = inst.plan(maths, Mode::Online, 5000, &[span(DAY, from, to)?])?;
                inst.publish(em, published, &plan, GradeBand::Junior)?;
                let s = &plan.sessions[0];
                let mut lesson = delivery(&plan, 0, (s.start, s.end), None, 12);
                lesson.learners = vec![learner.clone()];
                delivered.push(em.emit(&inst.who, s.end, lesson));
            }
            vec![expect(
                RuleId::OnlineBreakMin10Min,
                identity(&[&"break", &delivered[0], &delivered[1]]),
                delivered,
            )]
        }
        "online_end_21h00m01s_planned" => {
            let plan = inst.plan(
                maths,
                Mode::Online,
                5000,
                &[span(DAY, (20, 30, 1), (21, 0, 1))?],
            )?;
            let e = inst.publish(em, published, &plan, GradeBand::Junior)?;
            vec![expect(RuleId::OnlineEndBy2100, plan_key(&plan, 0), vec![e])]
        }
        "online_end_21h00m01s_delivered" => {
            let plan = inst.plan(
                maths,
                Mode::Online,
                5000,
                &[span(DAY, (20, 30, 0), (21, 0, 0))?],
            )?;
            inst.publish(em, published, &plan, GradeBand::Junior)?;
            let e = deliver(
                em,
                inst,
                &plan,
                0,
                span(DAY, (20, 30, 1), (21, 0, 1))?,
                None,
            );
            vec![expect(
                RuleId::OnlineEndBy2100,
                identity(&[&"lesson", &e]),
                vec![e],
            )]
        }
        "offline_end_20h30m01s_planned" => {
            let plan = inst.plan(
                maths,
                Mode::Offline,
                8000,
                &[span(DAY, (19, 0, 0), (20, 30, 1))?],
            )?;
            let e = inst.publish(em, published, &plan, GradeBand::Primary)?;
            vec![expect(
                RuleId::OfflineEndBy2030,
                plan_key(&plan, 0),
                vec![e],
            )]
        }
        "offline_end_20h30m01s_delivered" => {
            let plan = inst.plan(
                maths,
                Mode::Offline,
                8000,
                &[span(DAY, (19, 0, 0), (20, 30, 0))?],
            )?;
            inst.publish(em, published, &plan, GradeBand::Primary)?;
            let e = deliver(
                em,
                inst,
                &plan,
                0,
                span(DAY, (19, 0, 0), (20, 30, 1))?,
                plan.site.clone(),
            );
            vec![expect(
                RuleId::OfflineEndBy2030,
                identity(&[&"lesson", &e]),
                vec![e],
            )]
        }
        "subject_on_saturday_planned" => {
            let plan = inst.plan(
                maths,
                Mode::Offline,
                8000,
                &[span(
                    jiff::civil::date(2025, 11, 15),
                    (10, 0, 0),
                    (11, 30, 0),
                )?],
            )?;
            let e = inst.publish(em, published, &plan, GradeBand::Primary)?;
            vec![expect(
                RuleId::SubjectNoHolidayWeekendVacation,
                plan_key(&plan, 0),
                vec![e],
            )]
        }
        "subject_on_holiday_delivered" => {
            let plan = inst.plan(
                maths,
                Mode::Offline,
                8000,
                &[span(
                    jiff::civil::date(2025, 9, 30),
                    (18, 30, 0),
                    (20, 0, 0),
                )?],
            )?;
            inst.publish(
                em,
                at(jiff::civil::date(2025, 9, 20), 10)?,
                &plan,
                GradeBand::Primary,
            )?;
            let e = deliver(
                em,
                inst,
                &plan,
                0,
                span(jiff::civil::date(2025, 10, 2), (18, 30, 0), (20, 0, 0))?,
                plan.site.clone(),
            );
            vec![expect(
                RuleId::SubjectNoHolidayWeekendVacation,
                identity(&[&"lesson", &e]),
                vec![e],
            )]
        }
        "subject_in_vacation_planned" => {
            let plan = inst.plan(
                maths,
                Mode::Offline,
                8000,
                &[span(
                    jiff::civil::date(2026, 1, 26),
                    (18, 30, 0),
                    (20, 0, 0),
                )?],
            )?;
            let e = inst.publish(em, published, &plan, GradeBand::Junior)?;
            vec![expect(
                RuleId::SubjectNoHolidayWeekendVacation,
                plan_key(&plan, 0),
                vec![e],
            )]
        }
        "preschool_online" | "preschool_online_withdrawn_by_cancel" => {
            let plan = inst.plan(
                Subject::Music,
                Mode::Online,
                3000,
                &[span(DAY, (10, 0, 0), (10, 20, 0))?],
            )?;
            let e = inst.publish(em, published, &plan, GradeBand::Preschool)?;
            let expected = expect(RuleId::PreschoolNoOnline, plan_stage(&plan), vec![e]);
            if name == "preschool_online" {
                vec![expected]
            } else {
                em.emit(
                    &inst.who,
                    at(PUBLISHED, 15)?,
                    CourseCancelled {
                        course: plan.course.clone(),
                        reason: text("不得面向学龄前儿童开展线上培训")?,
                    },
                );
                vec![expected.withdrawn()]
            }
        }
        "preschool_offline_subject" => {
            let plan = inst.plan(
                Subject::ForeignLanguage,
                Mode::Offline,
                8000,
                &[span(DAY, (18, 30, 0), (19, 30, 0))?],
            )?;
            let e = inst.publish(em, published, &plan, GradeBand::Preschool)?;
            vec![expect(
                RuleId::PreschoolNoOfflineSubject,
                plan_stage(&plan),
                vec![e],
            )]
        }
        "undeclared_lesson_never_published" | "undeclared_online_lesson_at_23h" => {
            let (mode, band, times) = if name == "undeclared_lesson_never_published" {
                (
                    Mode::Offline,
                    GradeBand::Primary,
                    span(DAY, (18, 30, 0), (19, 30, 0))?,
                )
            } else {
                (
                    Mode::Online,
                    GradeBand::Junior,
                    span(DAY, (23, 0, 0), (23, 30, 0))?,
                )
            };
            // A plan drawn up but never published.
            let plan = inst.plan(maths, mode, 8000, &[times])?;
            let e = deliver_undeclared(em, inst, &plan, band);
            let mut found = vec![expect(
                RuleId::UndeclaredTraining,
                identity(&[&"undeclared", &e]),
                vec![e],
            )];
            if mode == Mode::Online {
                found.push(expect(
                    RuleId::OnlineEndBy2100,
                    identity(&[&"lesson", &e]),
                    vec![e],
                ));
            }
            found
        }
        "undeclared_lesson_after_cancel" => {
            let plan = inst.plan(
                maths,
                Mode::Offline,
                8000,
                &[span(DAY, (18, 30, 0), (20, 0, 0))?],
            )?;
            inst.publish(em, published, &plan, GradeBand::Primary)?;
            let cancelled = em.emit(
                &inst.who,
                at(PUBLISHED, 15)?,
                CourseCancelled {
                    course: plan.course.clone(),
                    reason: text("停课")?,
                },
            );
            let e = deliver_as_planned(em, inst, &plan, 0);
            vec![expect(
                RuleId::UndeclaredTraining,
                identity(&[&"undeclared", &e]),
                vec![cancelled, e],
            )]
        }
        _ => return Ok(None),
    };
    Ok(Some(out))
}

/// Delivers lesson 0 of a plan that was never published, saying what it taught.
fn deliver_undeclared(em: &mut Emitter, inst: &Inst, plan: &Plan, band: GradeBand) -> EventId {
    let session = &plan.sessions[0];
    let event = LessonDelivered {
        course: plan.course.clone(),
        lesson: session.lesson.clone(),
        start: session.start,
        end: session.end,
        site: plan.site.clone(),
        teachers: plan.teachers.clone(),
        attendees: 12,
        undeclared: Some(UndeclaredCourse {
            subject: plan.subject,
            grade_band: band,
            mode: plan.mode,
        }),
        learners: Vec::new(),
    };
    em.emit(&inst.who, session.end, event)
}
