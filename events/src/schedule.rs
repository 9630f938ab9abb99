//! Schedule events: what institutions publish about their courses and the lessons they deliver.

use serde::{Deserialize, Serialize};

use crate::ids::{CourseId, LessonId, SiteId, StudentRef, TeacherId, Text};
use crate::kinds::{GradeBand, Mode, Subject};
use crate::money::Fen;
use crate::time::UtcTime;
use crate::validate::{
    display_text, list_len, ordered, positive, Problem, Validate, Validation, ValidationError,
    LIST_ITEMS_MAX, SESSIONS_PER_COURSE_MAX,
};

/// One planned lesson.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Session {
    pub lesson: LessonId,
    pub start: UtcTime,
    pub end: UtcTime,
}

fn validate_sessions(sessions: &[Session]) -> Validation {
    list_len("data.sessions", sessions, SESSIONS_PER_COURSE_MAX, true)?;
    let mut seen = std::collections::BTreeSet::new();
    for (i, session) in sessions.iter().enumerate() {
        ordered(
            &format!("data.sessions[{i}].end"),
            &session.start,
            &session.end,
        )?;
        if !seen.insert(&session.lesson) {
            return Err(ValidationError::new(
                format!("data.sessions[{i}].lesson"),
                Problem::inconsistent(
                    format!("课时 {} 出现两次", session.lesson),
                    format!("lesson {} appears twice", session.lesson),
                ),
            ));
        }
    }
    Ok(())
}

/// A course was published with its planned lessons. Version 2 added `description`; a version-1
/// event has none (`upcast`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CoursePublished {
    pub course: CourseId,
    pub title: Text,
    /// The course's description as families are shown it (what the title does not say). The
    /// content rules read it as they read the title. May be omitted in JSON.
    #[serde(default)]
    pub description: Option<Text>,
    pub subject: Subject,
    pub grade_band: GradeBand,
    pub mode: Mode,
    /// The teaching site, for offline courses.
    pub site: Option<SiteId>,
    pub teachers: Vec<TeacherId>,
    pub price_per_lesson: Fen,
    /// The largest class the course enrols (for the guidance-price band).
    pub class_size_max: u32,
    pub sessions: Vec<Session>,
}

impl Validate for CoursePublished {
    fn validate(&self) -> Validation {
        display_text("data.title", &self.title)?;
        if let Some(description) = &self.description {
            display_text("data.description", description)?;
        }
        list_len("data.teachers", &self.teachers, LIST_ITEMS_MAX, false)?;
        positive("data.class_size_max", u64::from(self.class_size_max))?;
        if self.mode == Mode::Offline && self.site.is_none() {
            return Err(ValidationError::new(
                "data.site",
                Problem::inconsistent(
                    "线下课程须注明教学场所",
                    "an offline course must name its site",
                ),
            ));
        }
        validate_sessions(&self.sessions)
    }
}

/// A course's planned lessons were replaced by a new plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CourseRescheduled {
    pub course: CourseId,
    pub sessions: Vec<Session>,
}

impl Validate for CourseRescheduled {
    fn validate(&self) -> Validation {
        validate_sessions(&self.sessions)
    }
}

/// A course's posted price per lesson changed (明码标价: the price families are shown before they
/// pay). Fees collected afterwards are judged against it, and a subject course's price is judged
/// again against the guidance price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CoursePriceChanged {
    pub course: CourseId,
    pub price_per_lesson: Fen,
}

/// Any price is valid, a free course's too.
impl Validate for CoursePriceChanged {}

/// A course was cancelled; its remaining lessons will not take place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CourseCancelled {
    pub course: CourseId,
    pub reason: Text,
}

impl Validate for CourseCancelled {
    fn validate(&self) -> Validation {
        display_text("data.reason", &self.reason)
    }
}

/// What a lesson of a course that was never published taught: without a plan there is nothing
/// else to judge it by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UndeclaredCourse {
    pub subject: Subject,
    pub grade_band: GradeBand,
    pub mode: Mode,
}

/// A lesson took place, with its actual times. Version 2 added `undeclared`, version 3
/// `learners`; older events have neither (`upcast`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LessonDelivered {
    pub course: CourseId,
    pub lesson: LessonId,
    pub start: UtcTime,
    pub end: UtcTime,
    pub site: Option<SiteId>,
    pub teachers: Vec<TeacherId>,
    /// How many students attended (a count, never who).
    pub attendees: u32,
    /// For a lesson of a course that was never published: what it taught, so it is judged by
    /// every lesson rule (it is also training outside the declared schedule). Ignored for a
    /// published course, whose plan says what it teaches. May be omitted in JSON.
    #[serde(default)]
    pub undeclared: Option<UndeclaredCourse>,
    /// Who attended, as pseudonymous learner keys: a keyed hash the institution computes from
    /// its own student record (never a name, phone or ID number; see `StudentRef`), the same
    /// for one student across all its courses. The break between two online lessons is judged
    /// per student with them, across courses. At most `attendees` keys, each once; may be
    /// omitted (then breaks are judged per course only).
    #[serde(default)]
    pub learners: Vec<StudentRef>,
}

impl Validate for LessonDelivered {
    fn validate(&self) -> Validation {
        list_len("data.teachers", &self.teachers, LIST_ITEMS_MAX, false)?;
        list_len("data.learners", &self.learners, LIST_ITEMS_MAX, false)?;
        if self.learners.len() > usize::try_from(self.attendees).unwrap_or(usize::MAX) {
            return Err(ValidationError::new(
                "data.learners",
                Problem::inconsistent(
                    format!(
                        "学员标识 {} 个，多于上课人数 {} 人",
                        self.learners.len(),
                        self.attendees
                    ),
                    format!(
                        "{} learners for {} attendees",
                        self.learners.len(),
                        self.attendees
                    ),
                ),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, learner) in self.learners.iter().enumerate() {
            if !seen.insert(learner) {
                return Err(ValidationError::new(
                    format!("data.learners[{i}]"),
                    Problem::inconsistent(
                        format!("学员标识 {} 出现两次", learner.as_str()),
                        format!("learner {} appears twice", learner.as_str()),
                    ),
                ));
            }
        }
        ordered("data.end", &self.start, &self.end)
    }
}
