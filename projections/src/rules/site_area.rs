//! FLOOR_AREA_PER_STUDENT (area `licence` of the rule catalogue, called from `licence`): at a
//! site whose teaching floor area an inspection measured, the students present at any one time
//! may not have less than the policy's area each.
//!
//! A delivered offline lesson is judged with the other offline lessons delivered at the same
//! site (`Facts::site_lessons`): the headcount is the largest number of students present at one
//! instant while it runs (the instants where a lesson starts are the only ones to try). Lessons
//! are found among those starting up to [`LONGEST_LESSON_SECONDS`] before it; a lesson reported after
//! the others raises the finding when it completes the picture, with every lesson present at
//! the peak and the inspection as evidence.

use tutorwatch_events::ids::SiteId;
use tutorwatch_events::UtcTime;

use crate::facts::{Institution, SiteLesson};
use crate::rules::CourseCheck;
use tutorwatch_findings::{identity, Evidence, Figure, Finding, Measure, RuleId};

/// How far back lessons overlapping the one judged are looked for: none lasts longer.
const LONGEST_LESSON_SECONDS: i128 = 24 * 3600;

/// FLOOR_AREA_PER_STUDENT for a delivered offline lesson at an inspected site.
pub(crate) fn floor_area(check: &CourseCheck<'_>) -> Option<Finding> {
    let lesson = check.delivered_offline()?;
    let min_m2 = check
        .ctx
        .policy
        .value(check.event.envelope.region, check.date, |p| {
            p.floor_area_min_m2_per_student.as_ref()
        })?;
    let site = check.site?;
    let institution = check.ctx.facts.institution(&check.key.institution)?;
    let area = institution.floor_areas.get(site)?;
    let (headcount, present) = peak(institution, site, lesson.start, lesson.end);
    if u64::from(area.square_metres) >= headcount * u64::from(min_m2) {
        return None;
    }
    let mut draft = check
        .ctx
        .draft(check.event, RuleId::FloorAreaPerStudent, check.at)
        .figure(Figure::new(
            "floor_area_m2",
            Measure::Count(u64::from(area.square_metres)),
        ))
        .figure(Figure::new("headcount", Measure::Count(headcount)))
        .figure(Figure::new(
            "min_m2_per_student",
            Measure::Count(u64::from(min_m2)),
        ))
        .with_evidence(area.evidence);
    for evidence in present {
        draft = draft.with_evidence(evidence);
    }
    Some(
        draft
            .describe(format!(
                "{headcount} students at site {site} at once with {} m², less than {min_m2} m² each",
                area.square_metres
            ))
            .in_chinese(format!(
                "场所 {site} 同一时段有学生 {headcount} 人，面积 {} 平方米，生均不足 {min_m2} 平方米",
                area.square_metres
            ))
            .build(&identity(&[
                &check.base(),
                &lesson.lesson,
                &"floor_area",
            ])),
    )
}

/// The most students present at `site` at one instant within `[start, end)`, and the lessons
/// present then.
fn peak(
    institution: &Institution,
    site: &SiteId,
    start: UtcTime,
    end: UtcTime,
) -> (u64, Vec<Evidence>) {
    let Some(lessons) = institution.site_lessons.get(site) else {
        return (0, Vec::new());
    };
    let earliest = UtcTime::from_nanos(start.as_nanos() - LONGEST_LESSON_SECONDS * 1_000_000_000)
        .unwrap_or(start);
    let overlapping: Vec<(UtcTime, &SiteLesson)> = lessons
        .range(earliest..end)
        .flat_map(|(at, by_lesson)| by_lesson.values().map(move |l| (*at, l)))
        .filter(|(_, l)| l.end > start)
        .collect();
    let instants = std::iter::once(start).chain(
        overlapping
            .iter()
            .map(|(at, _)| *at)
            .filter(|at| *at > start),
    );
    let mut best = (0, Vec::new());
    for instant in instants {
        let here: Vec<&SiteLesson> = overlapping
            .iter()
            .filter(|(at, l)| *at <= instant && instant < l.end)
            .map(|(_, l)| *l)
            .collect();
        let headcount: u64 = here.iter().map(|l| u64::from(l.attendees)).sum();
        if headcount > best.0 {
            best = (headcount, here.iter().map(|l| l.evidence).collect());
        }
    }
    best
}
