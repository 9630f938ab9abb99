//! The mechanics of plans: a course's plan (`course_published`, `course_rescheduled`) and each
//! lesson delivered are judged by every area's course and lesson rules (`rules::course_rules`,
//! `rules::lesson_rules`) and the break rule, and a change of plan withdraws what the old plan
//! raised and the new one does not.
//!
//! Findings from a plan are withdrawn when the course is rescheduled or cancelled before the
//! lesson; findings from a delivered lesson (its actual times) stand. "Before the lesson" is
//! judged by the institution's own clock (the latest instant its own events prove has passed,
//! see `clocks`), or the change's `occurred_at` if that is later: a change dated in the past
//! cannot reach back to lessons the institution's earlier events already showed under way. A
//! planned lesson reported delivered (`schedule.lesson_delivered`) keeps its plan's findings
//! whatever a later change says, and so do the course-level findings of a course with any lesson
//! delivered.
//!
//! A plan's findings are remembered only while a change can still withdraw them: after each
//! event about a course, those whose lesson the institution's clock has reached, or that were
//! delivered, are forgotten (`Plans::forget_settled`).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use tutorwatch_events::ids::{CourseId, FindingId, LessonId};
use tutorwatch_events::kinds::Mode;
use tutorwatch_events::schedule::{LessonDelivered, Session};
use tutorwatch_events::{Event, LoggedEvent, Producer, UtcTime};

use crate::context::Context;
use crate::facts::{evidence, Course, CourseKey};
use crate::rules::licence::course_standing;
use crate::rules::time::{self, TimeRules, Undeclared};
use crate::rules::{
    course_rules, lesson_rules, local_date, raise, CourseCheck, Lesson, LessonCheck, RuleArea,
    Stage,
};
use crate::sizes::StatePart;
use tutorwatch_findings::{Finding, FindingChange};

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

/// The plans' findings, per course, so that a change of plan can withdraw them: only those a
/// change can still withdraw (a course with none has no entry).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plans {
    planned: BTreeMap<CourseKey, Vec<PlannedFinding>>,
}

impl Plans {
    /// Takes in another partition's remembered plan findings (`crate::partition`).
    pub(crate) fn absorb(&mut self, other: Plans) {
        crate::partition::append_disjoint(&mut self.planned, other.planned);
    }

    /// The size of the remembered plan findings.
    pub(crate) fn sizes(&self) -> Vec<StatePart> {
        vec![StatePart::measure(
            "plans",
            self.planned.values().map(Vec::len).sum(),
            "plan findings remembered",
            &self.planned,
        )]
    }

    /// Judges one event; returns the findings to raise or withdraw.
    pub(crate) fn apply(&mut self, ctx: &Context<'_>, event: &LoggedEvent) -> Vec<FindingChange> {
        let envelope = &event.envelope;
        let key = |course: &CourseId| CourseKey {
            institution: envelope.institution.clone(),
            course: course.clone(),
        };
        let changes = self.judge(ctx, event, &key);
        if let Some(course) = course_named(&envelope.event) {
            self.forget_settled(ctx, &key(course));
        }
        changes
    }

    /// Forgets the course's remembered plan findings that no change of plan can withdraw any
    /// more: those whose lesson the institution's clock has reached (a withdrawal needs the
    /// lesson to start after the change, and the clock only moves forward), and those whose
    /// lesson was reported delivered (for a course-level finding, any lesson of the course;
    /// delivered lessons are never forgotten, not even by a republish). A later plan that raises
    /// one of them again remembers it again, as [`Plans::replan`] does with every finding it
    /// keeps. Run after each event about the course, so the course's list holds only what a
    /// change can still withdraw.
    fn forget_settled(&mut self, ctx: &Context<'_>, key: &CourseKey) {
        let Some(planned) = self.planned.get_mut(key) else {
            return;
        };
        let own_clock = ctx
            .facts
            .clocks
            .get(&Producer::Institution(key.institution.clone()));
        let course = ctx.facts.courses.get(key);
        planned.retain(|p| {
            let started = own_clock.is_some_and(|clock| p.lesson_start <= clock);
            !started && !was_delivered(course, p.lesson.as_ref())
        });
        if planned.is_empty() {
            self.planned.remove(key);
        }
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
            // A republished or rescheduled course is judged again: findings the new plan raises
            // again stand, lesson-level ones it no longer raises are withdrawn. Course-level
            // findings are re-judged under the same ids and only a cancellation withdraws them.
            Event::CoursePublished(c) => self.replan(ctx, event, &key(&c.course)),
            Event::CourseRescheduled(c) => self.replan(ctx, event, &key(&c.course)),
            // The price is part of the plan (GOV_GUIDE_PRICE is judged on it).
            Event::CoursePriceChanged(c) => self.replan(ctx, event, &key(&c.course)),
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
        let course = ctx.facts.courses.get(key);
        let by = evidence(event);
        let mut changes = Vec::new();
        planned.retain(|p| {
            let withdraw = p.lesson_start > changed_at
                && !was_delivered(course, p.lesson.as_ref())
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
        let course_check = CourseCheck {
            ctx,
            event,
            key,
            course,
            stage: Stage::Plan,
            at: first.start,
            date: local_date(ctx, event, first.start),
            site: course.site.as_ref(),
            teachers: &course.teachers,
        };
        for finding in course_rules(&course_check) {
            planned.push((finding, first.start, None));
        }
        for session in &sessions {
            let lesson = Lesson {
                course_id: &key.course,
                lesson: &session.lesson,
                start: session.start,
                end: session.end,
            };
            let lesson_check = LessonCheck {
                ctx,
                event,
                course,
                lesson: &lesson,
                stage: Stage::Plan,
            };
            for finding in lesson_rules(&lesson_check) {
                planned.push((finding, session.start, Some(session.lesson.clone())));
            }
        }
        if course.mode == Mode::Online {
            for pair in sessions.windows(2) {
                if let Some(finding) = TimeRules.on_break(
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
                finding.basis = tutorwatch_findings::Basis::Planned;
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

/// Whether a plan finding's lesson was reported delivered (`None`, a course-level finding:
/// whether any lesson of the course was).
fn was_delivered(course: Option<&Course>, lesson: Option<&LessonId>) -> bool {
    course.is_some_and(|course| match lesson {
        Some(lesson) => course.delivered.contains_key(lesson),
        None => !course.delivered.is_empty(),
    })
}

/// The course an event is about, for the events that change or deliver a course's plan.
fn course_named(event: &Event) -> Option<&CourseId> {
    match event {
        Event::CoursePublished(c) => Some(&c.course),
        Event::CourseRescheduled(c) => Some(&c.course),
        Event::CoursePriceChanged(c) => Some(&c.course),
        Event::CourseCancelled(c) => Some(&c.course),
        Event::LessonDelivered(l) => Some(&l.course),
        _ => None,
    }
}

/// Judges a delivered lesson: its times, its course, its standing and the break before/after it;
/// and, outside any published schedule (a course never published, or after its cancellation),
/// that too (UNDECLARED_TRAINING). A lesson of a course never published is judged by what it
/// says it taught (`undeclared`); without that, only its standing is.
fn delivered(ctx: &Context<'_>, event: &LoggedEvent, l: &LessonDelivered) -> Vec<Finding> {
    let institution = &event.envelope.institution;
    let key = CourseKey {
        institution: institution.clone(),
        course: l.course.clone(),
    };
    let Some(course) = ctx.facts.courses.get(&key) else {
        let mut findings: Vec<Finding> =
            time::undeclared(ctx, event, &l.course, l.start, Undeclared::NeverPublished)
                .into_iter()
                .collect();
        match l.undeclared {
            Some(what) => {
                let course = Course::undeclared(what, l, evidence(event));
                findings.extend(judge_delivered(ctx, event, l, &key, &course));
            }
            None => findings.extend(course_standing(
                ctx,
                event,
                &l.course,
                Stage::Delivered,
                l.start,
            )),
        }
        return findings;
    };
    let mut findings = judge_delivered(ctx, event, l, &key, course);
    if let (Some(by), Some(at)) = (course.cancelled, course.cancelled_at) {
        if l.start > at {
            findings.extend(time::undeclared(
                ctx,
                event,
                &l.course,
                l.start,
                Undeclared::AfterCancellation(by, at),
            ));
        }
    }
    findings
}

/// Judges a delivered lesson of `course` by every course and lesson rule and, online, the
/// breaks before and after it.
fn judge_delivered(
    ctx: &Context<'_>,
    event: &LoggedEvent,
    l: &LessonDelivered,
    key: &CourseKey,
    course: &Course,
) -> Vec<Finding> {
    let site = l.site.as_ref().or(course.site.as_ref());
    let mut findings = course_rules(&CourseCheck {
        ctx,
        event,
        key,
        course,
        stage: Stage::Delivered,
        at: l.start,
        date: local_date(ctx, event, l.start),
        site,
        teachers: &l.teachers,
    });
    let lesson = Lesson {
        course_id: &l.course,
        lesson: &l.lesson,
        start: l.start,
        end: l.end,
    };
    findings.extend(lesson_rules(&LessonCheck {
        ctx,
        event,
        course,
        lesson: &lesson,
        stage: Stage::Delivered,
    }));
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
            findings.extend(TimeRules.on_break(
                ctx,
                event,
                &l.course,
                (d.end, id),
                (l.start, &l.lesson),
                Some(d.evidence),
            ));
        }
        if let Some((id, d)) = after {
            findings.extend(TimeRules.on_break(
                ctx,
                event,
                &l.course,
                (l.end, &l.lesson),
                (d.start, id),
                Some(d.evidence),
            ));
        }
        findings.extend(learner_breaks(ctx, event, l));
    }
    // A pair found both per course and per student is one finding.
    let mut seen = BTreeSet::new();
    findings.retain(|f| seen.insert(f.id));
    findings
}

/// The breaks before and after `l` for each student it names, whatever course their neighbouring
/// online lesson was of.
fn learner_breaks(ctx: &Context<'_>, event: &LoggedEvent, l: &LessonDelivered) -> Vec<Finding> {
    let Some(institution) = ctx.facts.institution(&event.envelope.institution) else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    for learner in &l.learners {
        let Some(lessons) = institution.learner_lessons.get(learner) else {
            continue;
        };
        let before = lessons
            .range(..l.start)
            .next_back()
            .and_then(|(_, at)| at.iter().next());
        if let Some(((course, lesson), d)) = before {
            findings.extend(time::learner_break(
                ctx,
                event,
                (d.end, course, lesson),
                (l.start, &l.course, &l.lesson),
                d.evidence,
            ));
        }
        let after = lessons
            .range((
                std::ops::Bound::Excluded(l.start),
                std::ops::Bound::Unbounded,
            ))
            .next();
        if let Some((start, at)) = after {
            if let Some(((course, lesson), d)) = at.iter().next() {
                findings.extend(time::learner_break(
                    ctx,
                    event,
                    (l.end, &l.course, &l.lesson),
                    (*start, course, lesson),
                    d.evidence,
                ));
            }
        }
    }
    findings
}
