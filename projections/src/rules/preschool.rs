//! Preschool children (area `preschool` of the rule catalogue): PRESCHOOL_NO_ONLINE and PRESCHOOL_NO_OFFLINE_SUBJECT,
//! judged on a course's plan and on each lesson delivered.

use tutorwatch_events::kinds::{Category, GradeBand, Mode};

use crate::rules::{CourseCheck, RuleArea};
use tutorwatch_findings::{Figure, Finding, Measure, RuleId};

/// The preschool rules (stateless).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PreschoolRules;

impl RuleArea for PreschoolRules {
    fn on_course(&self, check: &CourseCheck<'_>) -> Vec<Finding> {
        let course = check.course;
        let key = check.key;
        let mut findings = Vec::new();
        if course.grade_band != GradeBand::Preschool {
            return findings;
        }
        let base = check.base();
        if course.mode == Mode::Online && check.on(|p| p.preschool_no_online.as_ref()) {
            findings.push(check.finding(
                RuleId::PreschoolNoOnline,
                Figure::new("grade_band", Measure::Text("preschool".into())),
                (
                    format!("面向学龄前儿童的线上课程 {}", key.course),
                    format!("online course {} for preschool children", key.course),
                ),
                &base,
            ));
        }
        if course.mode == Mode::Offline
            && course.category() == Category::Subject
            && check.on(|p| p.preschool_no_offline_subject.as_ref())
        {
            findings.push(check.finding(
                RuleId::PreschoolNoOfflineSubject,
                Figure::new("subject", Measure::Text(course.subject.to_string())),
                (
                    format!(
                        "面向学龄前儿童的线下学科类课程 {}（{}）",
                        key.course,
                        course.subject.name_zh()
                    ),
                    format!(
                        "offline subject course {} ({}) for preschool children",
                        key.course, course.subject
                    ),
                ),
                &base,
            ));
        }
        findings
    }
}
