//! Edge tests of the lesson, licensing and staff rules.

use tutorwatch_events::kinds::{Category, GradeBand, LicensedModes, Mode, Subject};
use tutorwatch_events::registry::{
    LicenceRevoked, LicenceSuspended, RevocationGrounds, SiteAdded, TeacherHired,
};
use tutorwatch_events::schedule::{CourseCancelled, CourseRescheduled};
use tutorwatch_events::Producer;

use super::*;
use tutorwatch_findings::{Basis, FindingStatus, Measure};

/// A licensed institution with an online and an offline maths course, then `lessons` delivered.
fn deliver(mode: Mode, subject: Subject, lessons: &[(&str, &str, &str)]) -> Booked {
    let mut log = Log::new();
    log.licensed_subject_institution();
    log.push(
        "2019-01-01T00:00:00Z",
        course(
            "c-1",
            subject,
            GradeBand::Primary,
            mode,
            vec![session(
                "plan-1",
                "2030-01-07T09:00:00+08:00",
                "2030-01-07T09:20:00+08:00",
            )],
        ),
    );
    for (lesson, start, end) in lessons {
        log.push(end, delivered("c-1", lesson, start, end));
    }
    run(&log.events)
}

#[test]
fn an_online_lesson_of_exactly_30_minutes_is_legal_and_one_second_more_is_not() {
    let p = deliver(
        Mode::Online,
        Subject::Mathematics,
        &[(
            "l-1",
            "2025-09-01T19:00:00+08:00",
            "2025-09-01T19:30:00+08:00",
        )],
    );
    assert!(of_rule(&p, RuleId::OnlineLessonMax30Min).is_empty());
    let p = deliver(
        Mode::Online,
        Subject::Mathematics,
        &[(
            "l-1",
            "2025-09-01T19:00:00+08:00",
            "2025-09-01T19:30:01+08:00",
        )],
    );
    let found = of_rule(&p, RuleId::OnlineLessonMax30Min);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].description,
        "online lesson 30 min 1 s > 30 min (national, from 2021-07-24)"
    );
    assert_eq!(found[0].figures[0].value, Measure::Seconds(1801));
    assert_eq!(found[0].policy_version, "cn-national-2025.1");
    assert_eq!(found[0].occurred_local.to_string(), "2025-09-01T19:00:00");
    assert_eq!(found[0].basis, Basis::Actual);
}

#[test]
fn a_2020_lesson_is_judged_by_the_40_minute_rule_then_in_force() {
    let p = deliver(
        Mode::Online,
        Subject::Mathematics,
        &[(
            "l-1",
            "2020-09-01T19:00:00+08:00",
            "2020-09-01T19:40:00+08:00",
        )],
    );
    assert!(of_rule(&p, RuleId::OnlineLessonMax30Min).is_empty());
    let p = deliver(
        Mode::Online,
        Subject::Mathematics,
        &[(
            "l-1",
            "2020-09-01T19:00:00+08:00",
            "2020-09-01T19:40:01+08:00",
        )],
    );
    let found = of_rule(&p, RuleId::OnlineLessonMax30Min);
    assert_eq!(found.len(), 1);
    assert!(
        found[0]
            .description
            .ends_with("> 40 min (national, from 2019-07-01)"),
        "{}",
        found[0].description
    );
}

#[test]
fn online_lessons_end_by_21_00_00_local_time() {
    let p = deliver(
        Mode::Online,
        Subject::Mathematics,
        &[(
            "l-1",
            "2025-09-01T20:30:00+08:00",
            "2025-09-01T21:00:00+08:00",
        )],
    );
    assert!(of_rule(&p, RuleId::OnlineEndBy2100).is_empty());
    // 13:00:01 UTC is 21:00:01 in Asia/Shanghai.
    let p = deliver(
        Mode::Online,
        Subject::Mathematics,
        &[("l-1", "2025-09-01T12:30:01Z", "2025-09-01T13:00:01Z")],
    );
    let found = of_rule(&p, RuleId::OnlineEndBy2100);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].description,
        "online lesson ends 21:00:01 > 21:00:00 (national, from 2019-07-01)"
    );
    assert!(of_rule(&p, RuleId::OnlineLessonMax30Min).is_empty());
}

#[test]
fn offline_lessons_end_by_20_30() {
    let p = deliver(
        Mode::Offline,
        Subject::Mathematics,
        &[(
            "l-1",
            "2025-09-01T19:00:00+08:00",
            "2025-09-01T20:30:00+08:00",
        )],
    );
    assert!(of_rule(&p, RuleId::OfflineEndBy2030).is_empty());
    // Offline lessons have no length cap.
    assert!(of_rule(&p, RuleId::OnlineLessonMax30Min).is_empty());
    let p = deliver(
        Mode::Offline,
        Subject::Mathematics,
        &[(
            "l-1",
            "2025-09-01T19:00:00+08:00",
            "2025-09-01T20:30:01+08:00",
        )],
    );
    assert_eq!(of_rule(&p, RuleId::OfflineEndBy2030).len(), 1);
}

#[test]
fn online_lessons_need_a_10_minute_break_whatever_order_they_arrive_in() {
    let first = (
        "l-1",
        "2025-09-01T18:00:00+08:00",
        "2025-09-01T18:30:00+08:00",
    );
    let p = deliver(
        Mode::Online,
        Subject::Mathematics,
        &[
            first,
            (
                "l-2",
                "2025-09-01T18:40:00+08:00",
                "2025-09-01T19:10:00+08:00",
            ),
        ],
    );
    assert!(of_rule(&p, RuleId::OnlineBreakMin10Min).is_empty());
    let second = (
        "l-2",
        "2025-09-01T18:39:59+08:00",
        "2025-09-01T19:09:59+08:00",
    );
    let in_order = of_rule(
        &deliver(Mode::Online, Subject::Mathematics, &[first, second]),
        RuleId::OnlineBreakMin10Min,
    );
    assert_eq!(in_order.len(), 1);
    assert_eq!(in_order[0].figures[0].value, Measure::Seconds(599));
    assert_eq!(in_order[0].evidence.len(), 2);
    let reversed = of_rule(
        &deliver(Mode::Online, Subject::Mathematics, &[second, first]),
        RuleId::OnlineBreakMin10Min,
    );
    assert_eq!(reversed.len(), 1);
}

/// Two online maths courses with one lesson each, 18:00–18:30 and then from `second_start`, each
/// delivered with the learner keys given, in the order given.
fn two_courses_one_student(
    second_start: &str,
    second_end: &str,
    learners: (&[&str], &[&str]),
    reversed: bool,
) -> Booked {
    let mut log = Log::new();
    log.licensed_subject_institution();
    let lessons = [
        (
            "c-1",
            "2025-09-01T18:00:00+08:00",
            "2025-09-01T18:30:00+08:00",
            learners.0,
        ),
        ("c-2", second_start, second_end, learners.1),
    ];
    for (id, start, end, _) in lessons {
        log.push(
            "2025-08-20T10:00:00+08:00",
            course(
                id,
                Subject::Mathematics,
                GradeBand::Primary,
                Mode::Online,
                vec![session("l-1", start, end)],
            ),
        );
    }
    let mut order = lessons.to_vec();
    if reversed {
        order.reverse();
    }
    for (id, start, end, keys) in order {
        let mut lesson = delivered(id, "l-1", start, end);
        lesson.learners = keys
            .iter()
            .map(|k| tutorwatch_events::ids::StudentRef::parse(k).expect("a learner key"))
            .collect();
        log.push("2025-09-01T20:00:00+08:00", lesson);
    }
    run(&log.events)
}

#[test]
fn a_students_break_is_judged_across_courses() {
    let (start, end) = ("2025-09-01T18:39:59+08:00", "2025-09-01T19:09:59+08:00");
    for reversed in [false, true] {
        let found = of_rule(
            &two_courses_one_student(start, end, (&["k-a", "k-b"], &["k-b", "k-c"]), reversed),
            RuleId::OnlineBreakMin10Min,
        );
        assert_eq!(
            found.len(),
            1,
            "one finding for the pair (reversed: {reversed})"
        );
        assert_eq!(found[0].figures[0].value, Measure::Seconds(599));
        assert_eq!(found[0].evidence.len(), 2);
        assert!(
            found[0].description_zh.contains("同一学生"),
            "{}",
            found[0].description_zh
        );
    }
    // Different students, or a 10-minute break, raise nothing.
    let apart = two_courses_one_student(start, end, (&["k-a"], &["k-c"]), false);
    assert!(of_rule(&apart, RuleId::OnlineBreakMin10Min).is_empty());
    let ten = two_courses_one_student(
        "2025-09-01T18:40:00+08:00",
        "2025-09-01T19:10:00+08:00",
        (&["k-a"], &["k-a"]),
        false,
    );
    assert!(of_rule(&ten, RuleId::OnlineBreakMin10Min).is_empty());
}

#[test]
fn planned_sessions_too_close_together_are_found_in_the_plan() {
    let mut log = Log::new();
    log.licensed_subject_institution();
    log.push(
        "2025-08-20T10:00:00+08:00",
        course(
            "c-1",
            Subject::Mathematics,
            GradeBand::Primary,
            Mode::Online,
            vec![
                session(
                    "l-1",
                    "2025-09-01T18:00:00+08:00",
                    "2025-09-01T18:30:00+08:00",
                ),
                session(
                    "l-2",
                    "2025-09-01T18:35:00+08:00",
                    "2025-09-01T19:05:00+08:00",
                ),
            ],
        ),
    );
    let found = of_rule(&run(&log.events), RuleId::OnlineBreakMin10Min);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].basis, Basis::Planned);
}

fn subject_lesson_on(region_code: &str, day: &str, subject: Subject) -> Booked {
    let mut log = Log::for_institution(CODE, region_code);
    log.licensed_subject_institution();
    log.push(
        "2019-01-01T00:00:00Z",
        course(
            "c-1",
            subject,
            GradeBand::Primary,
            Mode::Offline,
            vec![session(
                "p",
                "2030-01-07T09:00:00+08:00",
                "2030-01-07T09:20:00+08:00",
            )],
        ),
    );
    log.push(
        "2030-01-01T00:00:00Z",
        delivered(
            "c-1",
            "l-1",
            &format!("{day}T09:00:00+08:00"),
            &format!("{day}T10:00:00+08:00"),
        ),
    );
    run(&log.events)
}

#[test]
fn subject_training_is_barred_on_holidays_rest_days_and_vacations_but_not_makeup_workdays() {
    let barred = |region: &str, day: &str| {
        !of_rule(
            &subject_lesson_on(region, day, Subject::Mathematics),
            RuleId::SubjectNoHolidayWeekendVacation,
        )
        .is_empty()
    };
    assert!(barred(REGION, "2025-10-01"), "National Day");
    assert!(
        barred(REGION, "2025-10-08"),
        "last day of the 2025 National Day break"
    );
    assert!(!barred(REGION, "2025-10-09"), "a Thursday after the break");
    assert!(!barred(REGION, "2025-09-28"), "Sunday make-up working day");
    assert!(
        !barred(REGION, "2025-10-11"),
        "Saturday make-up working day"
    );
    assert!(barred(REGION, "2025-09-27"), "an ordinary Saturday");
    assert!(barred(REGION, "2026-02-16"), "Spring Festival 2026");
    assert!(
        !barred("110101", "2026-02-14"),
        "2026 Saturday make-up working day"
    );
    assert!(
        barred(REGION, "2026-02-14"),
        "inside the Guangdong (example) winter vacation"
    );
    assert!(
        barred(REGION, "2025-07-15"),
        "Guangdong (example) summer vacation"
    );
    assert!(
        !barred("110101", "2025-07-15"),
        "no vacation configured for Beijing"
    );
    // 江苏 (example) says 周末: a make-up working Sunday is still barred there.
    assert!(barred("320102", "2025-09-28"));
    // Before the 意见 took effect, weekends were not barred.
    assert!(!barred(REGION, "2021-07-17"));
    assert!(barred(REGION, "2021-07-24"));
}

#[test]
fn the_night_after_the_cut_off_runs_until_the_morning_whatever_the_date() {
    let night = |mode: Mode, start: &str, end: &str, rule: RuleId| {
        let p = deliver(mode, Subject::Mathematics, &[("l-1", start, end)]);
        of_rule(&p, rule)
    };
    // After midnight: an online lesson 00:30-01:00 and an offline one 00:30-01:30.
    let found = night(
        Mode::Online,
        "2025-09-02T00:30:00+08:00",
        "2025-09-02T01:00:00+08:00",
        RuleId::OnlineEndBy2100,
    );
    assert_eq!(found.len(), 1);
    assert!(
        found[0].description.contains("runs into the night"),
        "{}",
        found[0].description
    );
    assert_eq!(
        night(
            Mode::Offline,
            "2025-09-02T00:30:00+08:00",
            "2025-09-02T01:30:00+08:00",
            RuleId::OfflineEndBy2030
        )
        .len(),
        1
    );
    // Across midnight, as before.
    assert_eq!(
        night(
            Mode::Online,
            "2025-09-01T23:40:00+08:00",
            "2025-09-02T00:10:00+08:00",
            RuleId::OnlineEndBy2100
        )
        .len(),
        1
    );
    // The morning edge: from 06:00:00 is legal, from 05:59:59 is not.
    assert!(night(
        Mode::Online,
        "2025-09-02T06:00:00+08:00",
        "2025-09-02T06:30:00+08:00",
        RuleId::OnlineEndBy2100
    )
    .is_empty());
    assert_eq!(
        night(
            Mode::Online,
            "2025-09-02T05:59:59+08:00",
            "2025-09-02T06:29:59+08:00",
            RuleId::OnlineEndBy2100
        )
        .len(),
        1
    );
    // Daytime lessons are untouched.
    assert!(night(
        Mode::Offline,
        "2025-09-02T09:00:00+08:00",
        "2025-09-02T10:00:00+08:00",
        RuleId::OfflineEndBy2030
    )
    .is_empty());
}

#[test]
fn lessons_are_judged_in_the_region_s_civil_time_whatever_zone_was_declared() {
    let mut log = Log::new();
    let mut london = registration(Category::Subject, LicensedModes::Both, true);
    london.time_zone = text("Europe/London");
    log.push("2025-01-02T09:00:00+08:00", london);
    log.push(
        "2025-08-20T10:00:00+08:00",
        course(
            "c-1",
            Subject::Mathematics,
            GradeBand::Primary,
            Mode::Online,
            vec![session(
                "l-1",
                "2025-09-01T20:40:00+08:00",
                "2025-09-01T21:05:00+08:00",
            )],
        ),
    );
    let p = run(&log.events);
    let found = of_rule(&p, RuleId::OnlineEndBy2100);
    assert_eq!(found.len(), 1, "21:05 Beijing time is after the cut-off");
    assert_eq!(found[0].time_zone, "Asia/Shanghai");
}

#[test]
fn a_year_without_its_calendar_keeps_the_fixed_date_holidays_and_is_reported() {
    // The national policy has the 2025 and 2026 schedules, not 2027's.
    let p = deliver(
        Mode::Offline,
        Subject::Mathematics,
        &[(
            "l-1",
            "2027-10-01T09:00:00+08:00",
            "2027-10-01T10:00:00+08:00",
        )],
    );
    let found = of_rule(&p, RuleId::SubjectNoHolidayWeekendVacation);
    assert_eq!(found.len(), 1, "National Day is a fixed date");
    assert!(
        found[0]
            .description
            .contains("no official holiday calendar loaded"),
        "{}",
        found[0].description
    );
    // A weekday with no fixed holiday is not barred (its bridging days are unknown).
    let p = deliver(
        Mode::Offline,
        Subject::Mathematics,
        &[(
            "l-1",
            "2027-10-08T09:00:00+08:00",
            "2027-10-08T10:00:00+08:00",
        )],
    );
    assert!(of_rule(&p, RuleId::SubjectNoHolidayWeekendVacation).is_empty());

    let mut log = Log::new();
    let lesson = log.push(
        "2027-10-08T10:00:00+08:00",
        delivered(
            "c-1",
            "l-1",
            "2027-10-08T09:00:00+08:00",
            "2027-10-08T10:00:00+08:00",
        ),
    );
    let gaps = crate::rules::time::years_without_calendar(&policy(), &lesson);
    assert_eq!(gaps.into_iter().collect::<Vec<_>>(), vec![2027]);
    let covered = log.push(
        "2026-10-08T10:00:00+08:00",
        delivered(
            "c-1",
            "l-2",
            "2026-12-31T23:30:00+08:00",
            "2027-01-01T00:30:00+08:00",
        ),
    );
    assert_eq!(
        crate::rules::time::years_without_calendar(&policy(), &covered)
            .into_iter()
            .collect::<Vec<_>>(),
        vec![2027],
        "a lesson across New Year touches 2027"
    );
}

#[test]
fn day_rules_judge_every_local_date_a_lesson_touches() {
    // 23:50 on the eve of National Day (a Tuesday, a school day) to 00:20 on 1 October.
    let p = deliver(
        Mode::Offline,
        Subject::Mathematics,
        &[(
            "l-1",
            "2025-09-30T23:50:00+08:00",
            "2025-10-01T00:20:00+08:00",
        )],
    );
    let found = of_rule(&p, RuleId::SubjectNoHolidayWeekendVacation);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].description.contains("2025-10-01"),
        "{}",
        found[0].description
    );
    // Ending at midnight does not touch the next date.
    let p = deliver(
        Mode::Offline,
        Subject::Mathematics,
        &[(
            "l-1",
            "2025-09-30T23:30:00+08:00",
            "2025-10-01T00:00:00+08:00",
        )],
    );
    assert!(of_rule(&p, RuleId::SubjectNoHolidayWeekendVacation).is_empty());
    assert_eq!(
        of_rule(&p, RuleId::OfflineEndBy2030).len(),
        1,
        "it is at night"
    );
}

#[test]
fn non_subject_training_may_run_on_rest_days() {
    let p = subject_lesson_on(REGION, "2025-10-01", Subject::Music);
    assert!(of_rule(&p, RuleId::SubjectNoHolidayWeekendVacation).is_empty());
}

#[test]
fn a_planned_violation_is_withdrawn_when_rescheduled_before_the_lesson_and_stands_after() {
    let mut log = Log::new();
    log.licensed_subject_institution();
    log.push(
        "2025-09-01T10:00:00+08:00",
        course(
            "c-1",
            Subject::Mathematics,
            GradeBand::Primary,
            Mode::Offline,
            vec![session(
                "l-1",
                "2025-09-27T09:00:00+08:00",
                "2025-09-27T10:00:00+08:00",
            )],
        ),
    );
    let found = of_rule(&run(&log.events), RuleId::SubjectNoHolidayWeekendVacation);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].basis, Basis::Planned);

    let mut before = Log {
        events: log.events.clone(),
        ..Log::new()
    };
    before.push(
        "2025-09-20T10:00:00+08:00",
        CourseRescheduled {
            course: tok!(CourseId, "c-1"),
            sessions: vec![session(
                "l-1",
                "2025-09-29T16:00:00+08:00",
                "2025-09-29T17:00:00+08:00",
            )],
        },
    );
    let p = run(&before.events);
    let all = of_rule(&p, RuleId::SubjectNoHolidayWeekendVacation);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].status, FindingStatus::Withdrawn);

    let mut after = Log {
        events: log.events.clone(),
        ..Log::new()
    };
    after.push(
        "2025-09-28T10:00:00+08:00",
        CourseCancelled {
            course: tok!(CourseId, "c-1"),
            reason: text("late"),
        },
    );
    let all = of_rule(&run(&after.events), RuleId::SubjectNoHolidayWeekendVacation);
    assert_eq!(all[0].status, FindingStatus::Open);

    let mut cancelled = Log {
        events: log.events.clone(),
        ..Log::new()
    };
    cancelled.push(
        "2025-09-20T10:00:00+08:00",
        CourseCancelled {
            course: tok!(CourseId, "c-1"),
            reason: text("few students"),
        },
    );
    let all = of_rule(
        &run(&cancelled.events),
        RuleId::SubjectNoHolidayWeekendVacation,
    );
    assert_eq!(all[0].status, FindingStatus::Withdrawn);
}

fn publish_for(
    category: Category,
    modes: LicensedModes,
    published: tutorwatch_events::schedule::CoursePublished,
) -> Booked {
    let mut log = Log::new();
    log.push(
        "2025-01-02T09:00:00+08:00",
        registration(category, modes, true),
    );
    log.push("2025-08-20T10:00:00+08:00", published);
    run(&log.events)
}

fn weekday_session() -> Vec<Session> {
    vec![session(
        "l-1",
        "2025-09-01T17:00:00+08:00",
        "2025-09-01T17:30:00+08:00",
    )]
}

#[test]
fn preschool_children_get_no_online_and_no_offline_subject_training() {
    let p = publish_for(
        Category::Subject,
        LicensedModes::Both,
        course(
            "c-1",
            Subject::Mathematics,
            GradeBand::Preschool,
            Mode::Online,
            weekday_session(),
        ),
    );
    assert_eq!(of_rule(&p, RuleId::PreschoolNoOnline).len(), 1);
    let p = publish_for(
        Category::Subject,
        LicensedModes::Both,
        course(
            "c-1",
            Subject::ForeignLanguage,
            GradeBand::Preschool,
            Mode::Offline,
            weekday_session(),
        ),
    );
    assert_eq!(of_rule(&p, RuleId::PreschoolNoOfflineSubject).len(), 1);
    let p = publish_for(
        Category::NonSubject,
        LicensedModes::Both,
        course(
            "c-1",
            Subject::Music,
            GradeBand::Preschool,
            Mode::Offline,
            weekday_session(),
        ),
    );
    assert!(of_rule(&p, RuleId::PreschoolNoOfflineSubject).is_empty());
    assert!(of_rule(&p, RuleId::PreschoolNoOnline).is_empty());
}

#[test]
fn licence_scope_rules() {
    let maths_online = || {
        course(
            "c-1",
            Subject::Mathematics,
            GradeBand::Primary,
            Mode::Online,
            weekday_session(),
        )
    };
    let p = publish_for(Category::NonSubject, LicensedModes::Both, maths_online());
    assert_eq!(of_rule(&p, RuleId::NonsubjectNoSubjectContent).len(), 1);
    let p = publish_for(
        Category::Subject,
        LicensedModes::OfflineOnly,
        maths_online(),
    );
    assert_eq!(of_rule(&p, RuleId::OnlineSubjectLicense).len(), 1);
    assert!(of_rule(&p, RuleId::LicenseModeMatch).is_empty());
    let p = publish_for(Category::Subject, LicensedModes::Both, maths_online());
    assert!(of_rule(&p, RuleId::OnlineSubjectLicense).is_empty());
    let p = publish_for(
        Category::Subject,
        LicensedModes::OnlineOnly,
        course(
            "c-1",
            Subject::Mathematics,
            GradeBand::Primary,
            Mode::Offline,
            weekday_session(),
        ),
    );
    assert_eq!(of_rule(&p, RuleId::LicenseModeMatch).len(), 1);
    let p = publish_for(
        Category::Subject,
        LicensedModes::Both,
        course(
            "c-1",
            Subject::Music,
            GradeBand::Primary,
            Mode::Offline,
            weekday_session(),
        ),
    );
    assert_eq!(of_rule(&p, RuleId::LicenseModeMatch).len(), 1);
}

#[test]
fn subject_institutions_must_be_non_profit() {
    let mut log = Log::new();
    log.push(
        "2025-01-02T09:00:00+08:00",
        registration(Category::Subject, LicensedModes::Both, false),
    );
    assert_eq!(
        of_rule(&run(&log.events), RuleId::SubjectMustBeNonprofit)[0].severity,
        tutorwatch_findings::Severity::Crit
    );
    let mut log = Log::for_institution(FOR_PROFIT_CODE, REGION);
    log.push(
        "2025-01-02T09:00:00+08:00",
        registration(Category::Subject, LicensedModes::Both, true),
    );
    assert_eq!(
        of_rule(&run(&log.events), RuleId::SubjectMustBeNonprofit)[0].severity,
        tutorwatch_findings::Severity::Med
    );
    let mut log = Log::new();
    log.push(
        "2025-01-02T09:00:00+08:00",
        registration(Category::Subject, LicensedModes::Both, true),
    );
    assert!(of_rule(&run(&log.events), RuleId::SubjectMustBeNonprofit).is_empty());
}

#[test]
fn offline_teaching_at_an_unapproved_site() {
    let mut log = Log::new();
    log.licensed_subject_institution();
    let mut published = course(
        "c-1",
        Subject::Mathematics,
        GradeBand::Primary,
        Mode::Offline,
        weekday_session(),
    );
    published.site = Some(tok!(SiteId, "site-2"));
    log.push("2025-08-20T10:00:00+08:00", published.clone());
    assert_eq!(
        of_rule(&run(&log.events), RuleId::MultiSiteUnapproved).len(),
        1
    );
    let mut log = Log::new();
    log.licensed_subject_institution();
    log.push(
        "2025-08-19T10:00:00+08:00",
        SiteAdded {
            site: Site {
                id: tok!(SiteId, "site-2"),
                address: text("二号校区"),
            },
        },
    );
    log.push("2025-08-20T10:00:00+08:00", published);
    assert!(of_rule(&run(&log.events), RuleId::MultiSiteUnapproved).is_empty());
}

#[test]
fn staff_rules() {
    let mut log = Log::new();
    log.licensed_subject_institution();
    let hire = |teacher: &str, cert: bool, in_service: bool, abroad: bool| TeacherHired {
        teacher: tok!(TeacherId, teacher),
        subjects: vec![Subject::Mathematics],
        qualification: cert.then(|| tok!(CertificateNo, "cert-9")),
        in_service_school_teacher: in_service,
        located_abroad: abroad,
        full_time: true,
    };
    log.push(
        "2025-08-01T10:00:00+08:00",
        hire("t-2", false, false, false),
    );
    log.push("2025-08-01T10:00:01+08:00", hire("t-3", true, true, false));
    log.push("2025-08-01T10:00:02+08:00", hire("t-4", true, false, true));
    let mut published = course(
        "c-1",
        Subject::Mathematics,
        GradeBand::Primary,
        Mode::Online,
        weekday_session(),
    );
    published.teachers = vec![
        tok!(TeacherId, "t-1"),
        tok!(TeacherId, "t-2"),
        tok!(TeacherId, "t-ghost"),
    ];
    log.push("2025-08-20T10:00:00+08:00", published);
    let p = run(&log.events);
    assert_eq!(of_rule(&p, RuleId::NoInserviceTeacher).len(), 1);
    assert_eq!(of_rule(&p, RuleId::ForeignStaff).len(), 1);
    let qual = of_rule(&p, RuleId::TeacherQualSubject);
    assert_eq!(qual.len(), 2, "{qual:#?}");
}

#[test]
fn operating_without_a_valid_licence() {
    let lesson = || {
        delivered(
            "c-9",
            "l-1",
            "2025-09-01T17:00:00+08:00",
            "2025-09-01T17:30:00+08:00",
        )
    };
    let mut log = Log::new();
    log.push("2025-09-01T18:00:00+08:00", lesson());
    assert_eq!(
        of_rule(&run(&log.events), RuleId::OperatingUnlicensed).len(),
        1
    );

    let mut log = Log::new();
    log.licensed_subject_institution();
    log.push(
        "2025-08-01T10:00:00+08:00",
        LicenceSuspended {
            reason: text("整改"),
            until: Some(date("2025-08-31")),
        },
    );
    log.push(
        "2025-08-30T18:00:00+08:00",
        delivered(
            "c-9",
            "l-0",
            "2025-08-30T17:00:00+08:00",
            "2025-08-30T17:30:00+08:00",
        ),
    );
    log.push("2025-09-01T18:00:00+08:00", lesson());
    let p = run(&log.events);
    let suspended = of_rule(&p, RuleId::OperatingSuspended);
    assert_eq!(
        suspended.len(),
        1,
        "the lesson on 8/30 only; the suspension ended 8/31"
    );
    assert_eq!(suspended[0].evidence.len(), 2);

    let mut log = Log::new();
    log.licensed_subject_institution();
    log.push(
        "2025-08-01T10:00:00+08:00",
        LicenceRevoked {
            reason: text("吊销"),
            grounds: RevocationGrounds::Penalty,
        },
    );
    log.push("2025-09-01T18:00:00+08:00", lesson());
    assert_eq!(
        of_rule(&run(&log.events), RuleId::OperatingRevoked).len(),
        1
    );
}

#[test]
fn a_lesson_is_judged_by_the_licence_as_it_stood_on_its_own_date() {
    let lesson = |id: &str, start: &str, end: &str| delivered("c-9", id, start, end);
    // Taught before the suspension, reported after it: nothing.
    let mut log = Log::new();
    log.licensed_subject_institution();
    log.push(
        "2025-09-10T10:00:00+08:00",
        LicenceSuspended {
            reason: text("整改"),
            until: None,
        },
    );
    log.push(
        "2025-09-12T10:00:00+08:00",
        lesson(
            "l-early",
            "2025-09-05T17:00:00+08:00",
            "2025-09-05T17:30:00+08:00",
        ),
    );
    assert!(of_rule(&run(&log.events), RuleId::OperatingSuspended).is_empty());

    // Taught during the suspension, reported after the reinstatement: a finding.
    log.push(
        "2025-09-20T10:00:00+08:00",
        tutorwatch_events::registry::LicenceRestored {
            note: text("整改完成"),
        },
    );
    log.push(
        "2025-09-25T10:00:00+08:00",
        lesson(
            "l-during",
            "2025-09-15T17:00:00+08:00",
            "2025-09-15T17:30:00+08:00",
        ),
    );
    // And one after the reinstatement: nothing.
    log.push(
        "2025-09-25T10:05:00+08:00",
        lesson(
            "l-after",
            "2025-09-22T17:00:00+08:00",
            "2025-09-22T17:30:00+08:00",
        ),
    );
    let p = run(&log.events);
    let found = of_rule(&p, RuleId::OperatingSuspended);
    assert_eq!(found.len(), 1, "{found:?}");
    let during = log.events[6].envelope.event_id;
    assert!(
        found[0].evidence.iter().any(|e| e.event_id == during),
        "the finding is about the lesson taught during the suspension: {found:?}"
    );
    let institution = p
        .projector()
        .facts()
        .institution(&code(CODE))
        .expect("registered");
    assert_eq!(
        institution.licence_history.len(),
        3,
        "registered, suspended, restored"
    );
    assert!(matches!(
        institution.licence,
        crate::facts::LicenceState::Active
    ));

    // A restoration dated before a suspension, sent after it, does not lift it.
    let mut log = Log::new();
    log.licensed_subject_institution();
    log.push(
        "2025-09-10T10:00:00+08:00",
        LicenceSuspended {
            reason: text("整改"),
            until: None,
        },
    );
    log.push(
        "2025-09-05T10:00:00+08:00",
        tutorwatch_events::registry::LicenceRestored {
            note: text("补录")
        },
    );
    let p = run(&log.events);
    let institution = p
        .projector()
        .facts()
        .institution(&code(CODE))
        .expect("registered");
    assert!(matches!(
        institution.licence,
        crate::facts::LicenceState::Suspended { .. }
    ));
}

#[test]
fn a_for_profit_registration_from_before_the_rule_is_judged_when_the_institution_operates() {
    let lesson = |id: &str, start: &str, end: &str| delivered("c-9", id, start, end);
    let mut log = Log::new();
    // Registered for-profit in 2020, before SUBJECT_MUST_BE_NONPROFIT (2021-07-24).
    log.push(
        "2020-03-01T09:00:00+08:00",
        registration(Category::Subject, LicensedModes::Both, false),
    );
    assert!(of_rule(&run(&log.events), RuleId::SubjectMustBeNonprofit).is_empty());
    // Still teaching in 2025: the breach is found, dated to when the rule took effect.
    log.push(
        "2025-09-01T18:00:00+08:00",
        lesson(
            "l-1",
            "2025-09-01T17:00:00+08:00",
            "2025-09-01T17:30:00+08:00",
        ),
    );
    log.push(
        "2025-09-02T18:00:00+08:00",
        lesson(
            "l-2",
            "2025-09-02T17:00:00+08:00",
            "2025-09-02T17:30:00+08:00",
        ),
    );
    let found = of_rule(&run(&log.events), RuleId::SubjectMustBeNonprofit);
    assert_eq!(found.len(), 1, "once, however often it operates");
    assert_eq!(found[0].occurred_at, t("2021-07-24T00:00:00+08:00"));
    let registration_id = log.events[0].envelope.event_id;
    assert!(found[0]
        .evidence
        .iter()
        .any(|e| e.event_id == registration_id));

    // Registered for-profit after the rule: found at registration, not again at a lesson.
    let mut log = Log::new();
    log.push(
        "2025-03-01T09:00:00+08:00",
        registration(Category::Subject, LicensedModes::Both, false),
    );
    let at_registration = of_rule(&run(&log.events), RuleId::SubjectMustBeNonprofit);
    log.push(
        "2025-09-01T18:00:00+08:00",
        lesson(
            "l-1",
            "2025-09-01T17:00:00+08:00",
            "2025-09-01T17:30:00+08:00",
        ),
    );
    assert_eq!(
        of_rule(&run(&log.events), RuleId::SubjectMustBeNonprofit),
        at_registration
    );
}

fn online_course_with(sessions: Vec<tutorwatch_events::schedule::Session>) -> Log {
    let mut log = Log::new();
    log.licensed_subject_institution();
    log.push(
        "2025-09-01T10:00:00+08:00",
        course(
            "c-1",
            Subject::Mathematics,
            GradeBand::Primary,
            Mode::Online,
            sessions,
        ),
    );
    log
}

fn reschedule(log: &mut Log, at: &str, sessions: Vec<tutorwatch_events::schedule::Session>) {
    log.push(
        at,
        CourseRescheduled {
            course: tok!(CourseId, "c-1"),
            sessions,
        },
    );
}

#[test]
fn a_reschedule_that_keeps_the_offending_lesson_keeps_its_finding() {
    let long = || {
        session(
            "l-1",
            "2025-09-09T19:00:00+08:00",
            "2025-09-09T19:31:00+08:00",
        )
    };
    let other = session(
        "l-2",
        "2025-09-10T19:00:00+08:00",
        "2025-09-10T19:30:00+08:00",
    );
    let mut log = online_course_with(vec![long()]);
    let before = of_rule(&run(&log.events), RuleId::OnlineLessonMax30Min);
    reschedule(&mut log, "2025-09-05T10:00:00+08:00", vec![long(), other]);
    let after = of_rule(&run(&log.events), RuleId::OnlineLessonMax30Min);
    assert_eq!(
        after.len(),
        1,
        "one finding, not a withdrawn one and a new one"
    );
    assert_eq!(after[0].id, before[0].id);
    assert_eq!(after[0].status, FindingStatus::Open);
}

#[test]
fn a_withdrawn_plan_finding_is_reopened_when_a_later_plan_brings_the_lesson_back() {
    let long = || {
        session(
            "l-1",
            "2025-09-09T19:00:00+08:00",
            "2025-09-09T19:31:00+08:00",
        )
    };
    let fixed = || {
        session(
            "l-1",
            "2025-09-09T19:00:00+08:00",
            "2025-09-09T19:30:00+08:00",
        )
    };
    let mut log = online_course_with(vec![long()]);
    reschedule(&mut log, "2025-09-05T10:00:00+08:00", vec![fixed()]);
    let withdrawn = of_rule(&run(&log.events), RuleId::OnlineLessonMax30Min);
    assert_eq!(withdrawn[0].status, FindingStatus::Withdrawn);
    reschedule(&mut log, "2025-09-06T10:00:00+08:00", vec![long()]);
    let reopened = of_rule(&run(&log.events), RuleId::OnlineLessonMax30Min);
    assert_eq!(reopened.len(), 1);
    assert_eq!(reopened[0].id, withdrawn[0].id);
    assert_eq!(reopened[0].status, FindingStatus::Open);
    assert_eq!(
        reopened[0].status_events.len(),
        2,
        "withdrawn, then reopened"
    );
}

#[test]
fn two_institutions_with_the_same_course_id_get_separate_findings() {
    let long = || {
        session(
            "l-1",
            "2025-09-09T19:00:00+08:00",
            "2025-09-09T19:31:00+08:00",
        )
    };
    let mut first = online_course_with(vec![long()]);
    let mut second = Log::for_institution(FOR_PROFIT_CODE, REGION);
    second.licensed_subject_institution();
    second.push(
        "2025-09-01T10:00:00+08:00",
        course(
            "c-1",
            Subject::Mathematics,
            GradeBand::Primary,
            Mode::Online,
            vec![long()],
        ),
    );
    // One log: the second institution's events follow the first's.
    let offset = first.events.len() as u64;
    for mut event in second.events {
        event.seq += offset;
        first.events.push(event);
    }
    let found = of_rule(&run(&first.events), RuleId::OnlineLessonMax30Min);
    assert_eq!(found.len(), 2);
    assert_ne!(found[0].id, found[1].id);
}

/// Lesson l-1 of c-1 on 9/9 at 19:00 as planned first (31 minutes online, a planned finding).
fn long_l1() -> Session {
    session(
        "l-1",
        "2025-09-09T19:00:00+08:00",
        "2025-09-09T19:31:00+08:00",
    )
}

/// The plan that fixes l-1 (30 minutes).
fn fixed_l1() -> Session {
    session(
        "l-1",
        "2025-09-09T19:00:00+08:00",
        "2025-09-09T19:30:00+08:00",
    )
}

/// The status of l-1's planned ONLINE_LESSON_MAX_30MIN finding.
fn planned_l1_status(log: &Log) -> FindingStatus {
    let planned: Vec<Finding> = of_rule(&run(&log.events), RuleId::OnlineLessonMax30Min)
        .into_iter()
        .filter(|f| f.basis == Basis::Planned)
        .collect();
    assert_eq!(planned.len(), 1, "{planned:#?}");
    planned[0].status.clone()
}

fn delivered_l1() -> LessonDelivered {
    delivered(
        "c-1",
        "l-1",
        "2025-09-09T19:00:00+08:00",
        "2025-09-09T19:31:00+08:00",
    )
}

fn an_officer() -> Producer {
    Producer::Officer(tok!(OfficerId, "officer-1"))
}

#[test]
fn a_backdated_reschedule_does_not_withdraw_the_finding_of_a_delivered_lesson() {
    let mut log = online_course_with(vec![long_l1()]);
    log.push("2025-09-09T19:31:00+08:00", delivered_l1());
    // Dated before the lesson, sent after it was delivered.
    reschedule(&mut log, "2025-09-05T10:00:00+08:00", vec![fixed_l1()]);
    assert_eq!(planned_l1_status(&log), FindingStatus::Open);
    let actual = of_rule(&run(&log.events), RuleId::OnlineLessonMax30Min)
        .into_iter()
        .filter(|f| f.basis == Basis::Actual)
        .count();
    assert_eq!(actual, 1, "the delivered lesson's own finding stands too");
}

#[test]
fn a_lesson_reported_delivered_keeps_its_plan_finding_even_ahead_of_the_institutions_clock() {
    // Recorded by an officer, so the institution's own clock is still at 9/1 when the
    // institution's reschedule dated 9/5 arrives.
    let mut log = online_course_with(vec![long_l1()]);
    log.push_by(an_officer(), "2025-09-09T19:31:00+08:00", delivered_l1());
    reschedule(&mut log, "2025-09-05T10:00:00+08:00", vec![fixed_l1()]);
    assert_eq!(planned_l1_status(&log), FindingStatus::Open);
}

#[test]
fn a_change_dated_before_what_the_institutions_own_events_proved_does_not_reach_back() {
    // Nothing reports l-1 delivered, but the institution's own later event (9/10) proves that
    // l-1 (9/9 19:00) had started by the time the change dated 9/5 arrived.
    let mut log = online_course_with(vec![long_l1()]);
    log.push(
        "2025-09-10T10:00:00+08:00",
        course(
            "c-2",
            Subject::Mathematics,
            GradeBand::Primary,
            Mode::Online,
            vec![session(
                "m-1",
                "2025-09-17T19:00:00+08:00",
                "2025-09-17T19:30:00+08:00",
            )],
        ),
    );
    reschedule(&mut log, "2025-09-05T10:00:00+08:00", vec![fixed_l1()]);
    assert_eq!(planned_l1_status(&log), FindingStatus::Open);
}

#[test]
fn a_legitimate_reschedule_withdraws_whatever_other_producers_clocks_say() {
    let mut log = online_course_with(vec![long_l1()]);
    // The institution's own clock: 9/4. Everyone else's: past the lesson.
    log.push(
        "2025-09-04T10:00:00+08:00",
        course(
            "c-2",
            Subject::Mathematics,
            GradeBand::Primary,
            Mode::Online,
            vec![session(
                "m-1",
                "2025-09-17T19:00:00+08:00",
                "2025-09-17T19:30:00+08:00",
            )],
        ),
    );
    log.push(
        "2025-09-20T01:00:00+08:00",
        balance("2025-09-19", Fen::yuan(1)),
    );
    log.push(
        "2025-09-20T10:00:00+08:00",
        TeacherHired {
            teacher: tok!(TeacherId, "t-2"),
            subjects: vec![Subject::Mathematics],
            qualification: Some(tok!(CertificateNo, "cert-2")),
            in_service_school_teacher: false,
            located_abroad: false,
            full_time: true,
        },
    );
    let own = std::mem::replace(&mut log.institution, code(FOR_PROFIT_CODE));
    log.push(
        "2025-09-20T11:00:00+08:00",
        course(
            "c-1",
            Subject::Mathematics,
            GradeBand::Primary,
            Mode::Online,
            vec![session(
                "l-1",
                "2025-09-27T19:00:00+08:00",
                "2025-09-27T19:30:00+08:00",
            )],
        ),
    );
    log.institution = own;
    reschedule(&mut log, "2025-09-05T10:00:00+08:00", vec![fixed_l1()]);
    assert_eq!(planned_l1_status(&log), FindingStatus::Withdrawn);
}

#[test]
fn cancelling_a_course_with_a_lesson_delivered_keeps_its_course_level_findings() {
    let preschool = |deliver_first: bool| {
        let mut log = Log::new();
        log.licensed_subject_institution();
        log.push(
            "2025-09-01T10:00:00+08:00",
            course(
                "c-1",
                Subject::Music,
                GradeBand::Preschool,
                Mode::Online,
                vec![
                    session(
                        "l-1",
                        "2025-09-09T10:00:00+08:00",
                        "2025-09-09T10:20:00+08:00",
                    ),
                    session(
                        "l-2",
                        "2025-09-16T10:00:00+08:00",
                        "2025-09-16T10:20:00+08:00",
                    ),
                ],
            ),
        );
        if deliver_first {
            log.push_by(
                an_officer(),
                "2025-09-09T10:20:00+08:00",
                delivered(
                    "c-1",
                    "l-1",
                    "2025-09-09T10:00:00+08:00",
                    "2025-09-09T10:20:00+08:00",
                ),
            );
        }
        log.push(
            "2025-09-05T10:00:00+08:00",
            CourseCancelled {
                course: tok!(CourseId, "c-1"),
                reason: text("backdated"),
            },
        );
        of_rule(&run(&log.events), RuleId::PreschoolNoOnline)
            .into_iter()
            .filter(|f| f.basis == Basis::Planned)
            .map(|f| f.status)
            .collect::<Vec<_>>()
    };
    assert_eq!(preschool(false), vec![FindingStatus::Withdrawn]);
    assert_eq!(preschool(true), vec![FindingStatus::Open]);
}

/// The rules of the findings `projector` holds, sorted.
fn rules_of(projector: &Booked) -> Vec<RuleId> {
    let mut rules: Vec<RuleId> = projector.findings().map(|f| f.rule).collect();
    rules.sort();
    rules
}

#[test]
fn a_lesson_of_a_course_never_published_is_undeclared_and_judged_by_what_it_taught() {
    use tutorwatch_events::schedule::UndeclaredCourse;
    // Without saying what it taught: only that it was undeclared (and the licence standing).
    let mut log = Log::new();
    log.licensed_subject_institution();
    let bare = log.push(
        "2025-09-09T19:30:00+08:00",
        delivered(
            "c-9",
            "l-1",
            "2025-09-09T18:30:00+08:00",
            "2025-09-09T19:30:00+08:00",
        ),
    );
    let p = run(&log.events);
    assert_eq!(rules_of(&p), vec![RuleId::UndeclaredTraining]);
    let finding = of_rule(&p, RuleId::UndeclaredTraining).remove(0);
    assert_eq!(finding.evidence[0].event_id, bare.envelope.event_id);
    assert!(finding.figures.iter().any(|f| f.name == "declared"));

    // Saying it taught online maths from 00:30 to 01:00: every lesson rule judges it too.
    let mut night = delivered(
        "c-9",
        "l-2",
        "2025-09-10T00:30:00+08:00",
        "2025-09-10T01:00:00+08:00",
    );
    night.undeclared = Some(UndeclaredCourse {
        subject: Subject::Mathematics,
        grade_band: GradeBand::Junior,
        mode: Mode::Online,
    });
    log.push("2025-09-10T01:00:00+08:00", night.clone());
    let p = run(&log.events);
    assert_eq!(
        rules_of(&p),
        vec![
            RuleId::OnlineEndBy2100,
            RuleId::UndeclaredTraining,
            RuleId::UndeclaredTraining
        ]
    );

    // Before the policy asked for declared schedules, there is no such finding.
    let mut old = Log::new();
    old.licensed_subject_institution();
    old.push(
        "2021-07-01T19:30:00+08:00",
        delivered(
            "c-9",
            "l-1",
            "2021-07-01T18:30:00+08:00",
            "2021-07-01T19:30:00+08:00",
        ),
    );
    assert!(of_rule(&run(&old.events), RuleId::UndeclaredTraining).is_empty());
}

#[test]
fn a_lesson_after_its_course_was_cancelled_is_undeclared_but_one_before_it_is_not() {
    let mut log = Log::new();
    log.licensed_subject_institution();
    log.push(
        "2025-09-01T10:00:00+08:00",
        course(
            "c-1",
            Subject::Mathematics,
            GradeBand::Primary,
            Mode::Offline,
            vec![
                session(
                    "l-1",
                    "2025-09-09T18:30:00+08:00",
                    "2025-09-09T19:30:00+08:00",
                ),
                session(
                    "l-2",
                    "2025-09-16T18:30:00+08:00",
                    "2025-09-16T19:30:00+08:00",
                ),
            ],
        ),
    );
    let cancelled = log.push(
        "2025-09-12T10:00:00+08:00",
        CourseCancelled {
            course: tok!(CourseId, "c-1"),
            reason: text("停课"),
        },
    );
    // Taught before the cancellation, reported after it: declared when it was taught.
    log.push(
        "2025-09-13T10:00:00+08:00",
        delivered(
            "c-1",
            "l-1",
            "2025-09-09T18:30:00+08:00",
            "2025-09-09T19:30:00+08:00",
        ),
    );
    assert!(of_rule(&run(&log.events), RuleId::UndeclaredTraining).is_empty());
    // Taught after it.
    let late = log.push(
        "2025-09-16T19:30:00+08:00",
        delivered(
            "c-1",
            "l-2",
            "2025-09-16T18:30:00+08:00",
            "2025-09-16T19:30:00+08:00",
        ),
    );
    let found = of_rule(&run(&log.events), RuleId::UndeclaredTraining);
    assert_eq!(found.len(), 1, "{found:#?}");
    let ids: Vec<_> = found[0].evidence.iter().map(|e| e.event_id).collect();
    // Evidence in log order: the cancellation, then the lesson.
    assert_eq!(
        ids,
        vec![cancelled.envelope.event_id, late.envelope.event_id]
    );
}

#[test]
fn a_subject_course_under_a_disguise_label_is_found_and_a_non_subject_camp_is_not() {
    let described = |title: &str, description: Option<&str>, subject: Subject| {
        let mut log = Log::new();
        log.licensed_subject_institution();
        let mut c = course(
            "c-1",
            subject,
            GradeBand::Primary,
            Mode::Offline,
            vec![session(
                "l-1",
                "2025-09-10T18:30:00+08:00",
                "2025-09-10T19:30:00+08:00",
            )],
        );
        c.title = text(title);
        c.description = description.map(text);
        log.push("2025-09-01T10:00:00+08:00", c);
        of_rule(&run(&log.events), RuleId::DisguisedNames)
    };
    let published = |title: &str, subject: Subject| described(title, None, subject);
    // The description is read as the title is.
    let found = described(
        "小学数学提高班",
        Some("放学后托管，辅导作业"),
        Subject::Mathematics,
    );
    assert_eq!(found.len(), 1);
    assert!(
        found[0].description_zh.contains("介绍为“放学后托管"),
        "{}",
        found[0].description_zh
    );
    assert!(described("小学数学提高班", Some("每周两次"), Subject::Mathematics).is_empty());
    let found = published("小学数学托管班", Subject::Mathematics);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].figures[0].value,
        tutorwatch_findings::Measure::Text("托管".into())
    );
    assert_eq!(
        published("英语研学夏令营", Subject::ForeignLanguage).len(),
        1
    );
    assert!(published("小学数学提高班", Subject::Mathematics).is_empty());
    assert!(published("音乐夏令营", Subject::Music).is_empty());
}

#[test]
fn a_non_subject_institutions_course_titled_with_a_subject_teaches_subject_content() {
    let published = |category: Category, title: &str| {
        let mut log = Log::new();
        log.push(
            "2025-01-02T09:00:00+08:00",
            registration(category, LicensedModes::Both, true),
        );
        let mut c = course(
            "c-1",
            Subject::FineArts,
            GradeBand::Primary,
            Mode::Offline,
            vec![session(
                "l-1",
                "2025-09-13T10:00:00+08:00",
                "2025-09-13T11:00:00+08:00",
            )],
        );
        c.title = text(title);
        log.push("2025-09-01T10:00:00+08:00", c);
        of_rule(&run(&log.events), RuleId::NonsubjectNoSubjectContent)
    };
    let found = published(Category::NonSubject, "创意美术与英语绘本");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        found[0].figures[0].value,
        tutorwatch_findings::Measure::Text("英语".into())
    );
    assert_eq!(published(Category::NonSubject, "少儿奥数与作文").len(), 1);
    assert!(published(Category::NonSubject, "少儿创意美术").is_empty());
    // A subject institution's arts course is not this rule's (it may teach subjects).
    assert!(published(Category::Subject, "创意美术与英语绘本").is_empty());
}

#[test]
fn training_may_not_overlap_the_regions_school_hours_on_a_school_day() {
    let lesson = |region: &'static str, subject: Subject, band: GradeBand, from: &str, to: &str| {
        let mut log = Log::for_institution(CODE, region);
        log.licensed_subject_institution();
        log.push(
            "2025-09-01T10:00:00+08:00",
            course(
                "c-1",
                subject,
                band,
                Mode::Offline,
                vec![session("l-1", from, to)],
            ),
        );
        of_rule(&run(&log.events), RuleId::NoConflictSchoolHours)
    };
    // 江苏's (example) teaching hours are 08:00 to 16:00; 12 November 2025 is a Wednesday.
    let nanjing =
        |from: &str, to: &str| lesson("320102", Subject::Mathematics, GradeBand::Primary, from, to);
    assert!(nanjing("2025-11-12T16:00:00+08:00", "2025-11-12T16:45:00+08:00").is_empty());
    let found = nanjing("2025-11-12T15:59:59+08:00", "2025-11-12T16:44:59+08:00");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(nanjing("2025-11-12T07:15:00+08:00", "2025-11-12T08:00:00+08:00").is_empty());
    assert_eq!(
        nanjing("2025-11-12T07:15:00+08:00", "2025-11-12T08:00:01+08:00").len(),
        1
    );
    // Not on a Saturday (arts, which may be taught then), not for preschool, not where the
    // region has no timetable.
    let arts = |date: &str, band: GradeBand, region: &'static str| {
        lesson(
            region,
            Subject::FineArts,
            band,
            &format!("{date}T10:00:00+08:00"),
            &format!("{date}T11:00:00+08:00"),
        )
    };
    assert!(arts("2025-11-15", GradeBand::Primary, "320102").is_empty());
    assert_eq!(arts("2025-11-12", GradeBand::Primary, "320102").len(), 1);
    assert!(arts("2025-11-12", GradeBand::Preschool, "320102").is_empty());
    assert!(arts("2025-11-12", GradeBand::Primary, "310104").is_empty());
}

/// How many plan findings the projector remembers so that a change of plan can withdraw them.
fn remembered_plan_findings(log: &Log) -> usize {
    let booked = run(&log.events);
    let parts = booked.projector().state_sizes();
    let plans = parts.iter().find(|part| part.name == "plans");
    plans.map_or(0, |part| part.entries)
}

/// The statuses of the planned ONLINE_LESSON_MAX_30MIN findings: open ones first.
fn planned_statuses(log: &Log) -> Vec<FindingStatus> {
    let mut statuses: Vec<FindingStatus> = of_rule(&run(&log.events), RuleId::OnlineLessonMax30Min)
        .into_iter()
        .filter(|f| f.basis == Basis::Planned)
        .map(|f| f.status)
        .collect();
    statuses.sort_by_key(|status| *status != FindingStatus::Open);
    statuses
}

#[test]
fn plan_findings_are_forgotten_once_no_change_of_plan_can_withdraw_them() {
    let long_l2 = || {
        session(
            "l-2",
            "2025-09-20T19:00:00+08:00",
            "2025-09-20T19:31:00+08:00",
        )
    };
    let mut log = online_course_with(vec![long_l1(), long_l2()]);
    let at_first = remembered_plan_findings(&log);
    assert!(at_first >= 2, "both lessons' findings are remembered");

    // l-1 is delivered: its plan finding can no longer be withdrawn, so it is forgotten.
    log.push("2025-09-09T19:31:00+08:00", delivered_l1());
    let after_l1 = remembered_plan_findings(&log);
    assert!(after_l1 < at_first, "{after_l1} of {at_first}");
    assert_eq!(
        planned_statuses(&log),
        [FindingStatus::Open, FindingStatus::Open]
    );

    // l-2 is still ahead of the institution's clock: a reschedule still withdraws it.
    let fixed_l2 = session(
        "l-2",
        "2025-09-20T19:00:00+08:00",
        "2025-09-20T19:30:00+08:00",
    );
    let mut rescheduled = Log {
        events: log.events.clone(),
        ..Log::new()
    };
    reschedule(
        &mut rescheduled,
        "2025-09-15T10:00:00+08:00",
        vec![long_l1(), fixed_l2],
    );
    assert_eq!(
        planned_statuses(&rescheduled),
        [FindingStatus::Open, FindingStatus::Withdrawn],
        "l-1 stands, l-2 is withdrawn"
    );

    // Once the institution's own clock passes l-2, nothing is left to withdraw and nothing is
    // remembered; the same reschedule then withdraws nothing, as it did before anything was
    // forgotten (`a_change_dated_before_what_the_institutions_own_events_proved_does_not_reach_back`).
    log.push(
        "2025-09-21T10:00:00+08:00",
        delivered(
            "c-1",
            "l-2",
            "2025-09-20T19:00:00+08:00",
            "2025-09-20T19:31:00+08:00",
        ),
    );
    assert_eq!(remembered_plan_findings(&log), 0);
}
