//! The rules on inspection facts at their edges: STAFF_RATIO_FULLTIME (half the staff full
//! time), STAFF_RATIO_CLASS (2 % of pupils, 6 % of preschool children) and
//! FLOOR_AREA_PER_STUDENT (3 m² per student present at once).

use tutorwatch_events::ids::SiteId;
use tutorwatch_events::kinds::{GradeBand, Mode, Subject};
use tutorwatch_events::registry::InspectionRecorded;

use super::*;

fn inspection(staff_total: u32, full_time: u32, floor_area_m2: Option<u32>) -> InspectionRecorded {
    InspectionRecorded {
        staff_total,
        full_time_teaching_staff: full_time,
        site: floor_area_m2.map(|_| tok!(SiteId, "site-1")),
        floor_area_m2,
    }
}

#[test]
fn half_the_staff_full_time_passes_and_less_is_found() {
    let judge = |total: u32, full_time: u32| {
        let mut log = Log::new();
        log.licensed_subject_institution();
        log.push(
            "2025-09-01T10:00:00+08:00",
            inspection(total, full_time, None),
        );
        of_rule(&run(&log.events), RuleId::StaffRatioFulltime).len()
    };
    assert_eq!(judge(10, 5), 0);
    assert_eq!(judge(19, 9), 1);
    assert_eq!(judge(10_000, 4_999), 1);
    assert_eq!(judge(1, 1), 0);
}

/// Adds course `c-1` of `subject` and `band`, offline at site-1, and its one lesson on 9/3
/// 17:00–17:45 delivered to `attendees` students by the registered t-1.
fn one_offline_lesson(log: &mut Log, subject: Subject, band: GradeBand, attendees: u32) {
    let (start, end) = ("2025-09-03T17:00:00+08:00", "2025-09-03T17:45:00+08:00");
    log.push(
        "2025-09-01T10:00:00+08:00",
        course(
            "c-1",
            subject,
            band,
            Mode::Offline,
            vec![session("l-1", start, end)],
        ),
    );
    let mut lesson = delivered("c-1", "l-1", start, end);
    lesson.attendees = attendees;
    log.push(end, lesson);
}

/// An offline maths lesson of `band` with `attendees`.
fn class(band: GradeBand, attendees: u32) -> Booked {
    let mut log = Log::new();
    log.licensed_subject_institution();
    one_offline_lesson(&mut log, Subject::Mathematics, band, attendees);
    run(&log.events)
}

#[test]
fn a_part_time_teacher_does_not_count_for_the_class() {
    let taught_by = |full_time: bool| {
        let mut log = Log::new();
        log.licensed_subject_institution_with_teacher(full_time);
        one_offline_lesson(&mut log, Subject::Mathematics, GradeBand::Primary, 12);
        of_rule(&run(&log.events), RuleId::StaffRatioClass).len()
    };
    assert_eq!(taught_by(true), 0);
    assert_eq!(taught_by(false), 1);
}

#[test]
fn one_teacher_may_teach_50_pupils_or_16_preschool_children() {
    assert!(of_rule(&class(GradeBand::Primary, 50), RuleId::StaffRatioClass).is_empty());
    let found = of_rule(&class(GradeBand::Primary, 51), RuleId::StaffRatioClass);
    assert_eq!(found.len(), 1);
    assert!(found[0].description_zh.contains("51"), "{:?}", found[0]);
    assert!(of_rule(&class(GradeBand::Preschool, 16), RuleId::StaffRatioClass).is_empty());
    assert_eq!(
        of_rule(&class(GradeBand::Preschool, 17), RuleId::StaffRatioClass).len(),
        1
    );
}

/// Two overlapping offline lessons at site-1 (17:00–17:45 and 17:30–18:15) of `each` students,
/// at a site inspected at `area` m²; the second is reported first when `late_first`.
fn two_classes(area: u32, each: u32, late_first: bool) -> Booked {
    let mut log = Log::new();
    log.licensed_subject_institution();
    log.push("2025-09-01T09:00:00+08:00", inspection(4, 2, Some(area)));
    let times = [
        (
            "c-1",
            "2025-09-03T17:00:00+08:00",
            "2025-09-03T17:45:00+08:00",
        ),
        (
            "c-2",
            "2025-09-03T17:30:00+08:00",
            "2025-09-03T18:15:00+08:00",
        ),
    ];
    for (id, start, end) in times {
        log.push(
            "2025-09-01T10:00:00+08:00",
            course(
                id,
                Subject::Mathematics,
                GradeBand::Primary,
                Mode::Offline,
                vec![session("l-1", start, end)],
            ),
        );
    }
    let mut order: Vec<_> = times.to_vec();
    if late_first {
        order.reverse();
    }
    for (id, start, end) in order {
        let mut lesson = delivered(id, "l-1", start, end);
        lesson.attendees = each;
        log.push("2025-09-03T18:30:00+08:00", lesson);
    }
    run(&log.events)
}

#[test]
fn students_present_at_once_share_the_inspected_floor_area() {
    // 2 × 17 = 34 students need 102 m²; 2 × 16 = 32 need 96.
    assert!(of_rule(&two_classes(100, 16, false), RuleId::FloorAreaPerStudent).is_empty());
    assert!(of_rule(&two_classes(102, 17, false), RuleId::FloorAreaPerStudent).is_empty());
    for late_first in [false, true] {
        let found = of_rule(
            &two_classes(100, 17, late_first),
            RuleId::FloorAreaPerStudent,
        );
        assert_eq!(found.len(), 1, "late_first: {late_first}");
        // The inspection and both lessons present at the peak prove it.
        assert_eq!(found[0].evidence.len(), 3, "{:?}", found[0].evidence);
    }
    // Alone, 34 students in one lesson are found too; 33 are not.
    let alone = |attendees: u32| {
        let mut log = Log::new();
        log.licensed_subject_institution();
        log.push("2025-09-01T09:00:00+08:00", inspection(4, 2, Some(100)));
        one_offline_lesson(
            &mut log,
            Subject::Mathematics,
            GradeBand::Primary,
            attendees,
        );
        of_rule(&run(&log.events), RuleId::FloorAreaPerStudent).len()
    };
    assert_eq!(alone(33), 0);
    assert_eq!(alone(34), 1);
}

#[test]
fn an_uninspected_site_is_not_judged_by_area() {
    let mut log = Log::new();
    log.licensed_subject_institution();
    one_offline_lesson(&mut log, Subject::Music, GradeBand::Primary, 500);
    assert!(of_rule(&run(&log.events), RuleId::FloorAreaPerStudent).is_empty());
}
