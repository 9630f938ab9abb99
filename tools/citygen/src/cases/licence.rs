//! Planted registration, licence, site and staff cases: for-profit subject institutions, courses
//! outside the licence (and an arts course whose title names a subject), unapproved sites, operating unlicensed, suspended or revoked, teachers
//! who may not teach, an inspection finding too few full-time staff, a class too large for its
//! teacher, and a site too small for the students present at once.

use tutorwatch_events::ids::{SiteId, TeacherId};
use tutorwatch_events::kinds::{GradeBand, Mode, Subject};
use tutorwatch_events::registry::{
    InspectionRecorded, LicenceRevoked, LicenceSuspended, RevocationGrounds, TeacherHired,
};
use tutorwatch_events::EventId;
use tutorwatch_findings::{identity, RuleId};

use crate::inst::{text, token, Inst, Plan};
use crate::truth::Expected;
use crate::GenError;

use super::*;

/// Plants `case` if it is one of this module's; `None` if it is not.
/// A maths course of one offline lesson on `DAY`, 17:00–17:45, at 4,000 fen.
fn evening_offline_maths(inst: &mut Inst) -> Result<Plan, GenError> {
    inst.plan(
        Subject::Mathematics,
        Mode::Offline,
        4000,
        &[span(DAY, (17, 0, 0), (17, 45, 0))?],
    )
}

pub(super) fn plant(case: &mut Case<'_>) -> Result<Option<Vec<Expected>>, GenError> {
    let (em, inst, name) = (&mut *case.em, &mut case.inst, case.name);
    let n = case.n;
    let registered = case.registered;
    let published = at(PUBLISHED, 10)?;
    let maths = Subject::Mathematics;
    let code = inst.who.code.clone();
    let expect = |rule: RuleId, key: String, evidence: Vec<EventId>| {
        Expected::new(name, rule, &code, key, evidence)
    };
    let plan_stage = |plan: &Plan| identity(&[&"plan", &plan.course]);
    let out = match name {
        // 9 of 19 staff full time: 47.4 %, below half (the background's half passes).
        "inspection_full_time_staff_9_of_19" => {
            let e = em.emit(
                &inst.who,
                at(PUBLISHED, 9)?,
                InspectionRecorded {
                    staff_total: 19,
                    full_time_teaching_staff: 9,
                    site: None,
                    floor_area_m2: None,
                },
            );
            vec![expect(
                RuleId::StaffRatioFulltime,
                identity(&[&"inspection", &e]),
                vec![e],
            )]
        }
        // 51 pupils with one registered teacher: 1.96 %, below 2 % (50 would pass).
        "offline_class_of_51_with_one_teacher" => {
            let mut plan = evening_offline_maths(inst)?;
            plan.class_size = 60;
            inst.publish(em, published, &plan, GradeBand::Primary)?;
            let s = &plan.sessions[0];
            let lesson = delivery(&plan, 0, (s.start, s.end), plan.site.clone(), 51);
            let e = em.emit(&inst.who, s.end, lesson);
            vec![expect(
                RuleId::StaffRatioClass,
                identity(&[
                    &identity(&[&"delivered", &plan.course]),
                    &s.lesson,
                    &"class_ratio",
                ]),
                vec![e],
            )]
        }
        // A site inspected at 100 m²: two overlapping lessons of 17 pupils each put 34 there at
        // once, who need 102 m². The second lesson reported completes the picture.
        "site_of_100_m2_with_34_students_at_once" => {
            let inspected = em.emit(
                &inst.who,
                at(PUBLISHED, 9)?,
                InspectionRecorded {
                    staff_total: 4,
                    full_time_teaching_staff: 2,
                    site: Some(inst.site.clone()),
                    floor_area_m2: Some(100),
                },
            );
            let mut evidence = vec![inspected];
            let mut last = None;
            for (from, to) in [((16, 0, 0), (16, 45, 0)), ((16, 30, 0), (17, 15, 0))] {
                let plan = inst.plan(maths, Mode::Offline, 4000, &[span(DAY, from, to)?])?;
                inst.publish(em, published, &plan, GradeBand::Primary)?;
                let s = &plan.sessions[0];
                let lesson = delivery(&plan, 0, (s.start, s.end), plan.site.clone(), 17);
                evidence.push(em.emit(&inst.who, s.end, lesson));
                last = Some(plan);
            }
            let plan = last.ok_or_else(|| GenError::Token("no lesson".into()))?;
            vec![expect(
                RuleId::FloorAreaPerStudent,
                identity(&[
                    &identity(&[&"delivered", &plan.course]),
                    &plan.sessions[0].lesson,
                    &"floor_area",
                ]),
                evidence,
            )]
        }
        "subject_registered_for_profit" => {
            vec![expect(
                RuleId::SubjectMustBeNonprofit,
                identity(&[&"reg", &registered]),
                vec![registered],
            )]
        }
        "subject_non_profit_enterprise_code" => {
            vec![expect(
                RuleId::SubjectMustBeNonprofit,
                identity(&[&"reg-prefix", &registered]),
                vec![registered],
            )]
        }
        "online_subject_without_online_licence" => {
            let plan = inst.plan(
                maths,
                Mode::Online,
                5000,
                &[span(DAY, (19, 0, 0), (19, 30, 0))?],
            )?;
            let e = inst.publish(em, published, &plan, GradeBand::Primary)?;
            vec![expect(
                RuleId::OnlineSubjectLicense,
                plan_stage(&plan),
                vec![e],
            )]
        }
        "offline_course_online_only_licence" | "subject_licensee_non_subject_course" => {
            let subject = if name == "subject_licensee_non_subject_course" {
                Subject::Music
            } else {
                maths
            };
            let plan = inst.plan(
                subject,
                Mode::Offline,
                8000,
                &[span(DAY, (18, 30, 0), (20, 0, 0))?],
            )?;
            let e = inst.publish(em, published, &plan, GradeBand::Primary)?;
            vec![expect(RuleId::LicenseModeMatch, plan_stage(&plan), vec![e])]
        }
        "subject_outside_licensed_subjects" => {
            inst.hire(em, at(PUBLISHED, 9)?, Subject::Physics, true)?;
            let plan = inst.plan(
                Subject::Physics,
                Mode::Offline,
                8000,
                &[span(DAY, (18, 30, 0), (20, 0, 0))?],
            )?;
            let e = inst.publish(em, published, &plan, GradeBand::Junior)?;
            vec![expect(RuleId::LicenseModeMatch, plan_stage(&plan), vec![e])]
        }
        "non_subject_institution_teaches_maths" => {
            inst.hire(em, at(PUBLISHED, 9)?, maths, true)?;
            let plan = inst.plan(
                maths,
                Mode::Offline,
                8000,
                &[span(DAY, (18, 30, 0), (20, 0, 0))?],
            )?;
            let e = inst.publish(em, published, &plan, GradeBand::Primary)?;
            vec![expect(
                RuleId::NonsubjectNoSubjectContent,
                plan_stage(&plan),
                vec![e],
            )]
        }
        // An arts course of a non-subject institution, titled with a subject: 英语.
        "non_subject_course_titled_with_english" => {
            let mut plan = inst.plan(
                Subject::FineArts,
                Mode::Offline,
                8000,
                &[span(DAY, (18, 30, 0), (20, 0, 0))?],
            )?;
            plan.title = Some("创意美术与英语绘本".to_owned());
            let e = inst.publish(em, published, &plan, GradeBand::Primary)?;
            vec![expect(
                RuleId::NonsubjectNoSubjectContent,
                plan_stage(&plan),
                vec![e],
            )]
        }
        // A maths course under a disguise label: in its title (思维夏令营), or in its description
        // under a plain title (托管).
        "subject_course_titled_summer_camp" | "subject_course_described_as_day_care" => {
            let mut plan = inst.plan(
                maths,
                Mode::Offline,
                8000,
                &[span(DAY, (18, 30, 0), (20, 0, 0))?],
            )?;
            if name == "subject_course_titled_summer_camp" {
                plan.title = Some("小学数学思维夏令营".to_owned());
            } else {
                plan.title = Some("小学数学提高班".to_owned());
                plan.description = Some("放学后托管，辅导作业".to_owned());
            }
            let e = inst.publish(em, published, &plan, GradeBand::Primary)?;
            vec![expect(RuleId::DisguisedNames, plan_stage(&plan), vec![e])]
        }
        "unapproved_site_planned" => {
            let mut plan = inst.plan(
                maths,
                Mode::Offline,
                8000,
                &[span(DAY, (18, 30, 0), (20, 0, 0))?],
            )?;
            let site: SiteId = token(format!("site-{n}-9"))?;
            plan.site = Some(site.clone());
            let e = inst.publish(em, published, &plan, GradeBand::Primary)?;
            vec![expect(
                RuleId::MultiSiteUnapproved,
                identity(&[&plan_stage(&plan), &site]),
                vec![e],
            )]
        }
        "unapproved_site_delivered" => {
            let plan = inst.plan(
                maths,
                Mode::Offline,
                8000,
                &[span(DAY, (18, 30, 0), (20, 0, 0))?],
            )?;
            inst.publish(em, published, &plan, GradeBand::Primary)?;
            let site: SiteId = token(format!("site-{n}-9"))?;
            let s = &plan.sessions[0];
            let e = deliver(em, inst, &plan, 0, (s.start, s.end), Some(site.clone()));
            let base = identity(&[&"delivered", &plan.course]);
            vec![expect(
                RuleId::MultiSiteUnapproved,
                identity(&[&base, &site]),
                vec![e],
            )]
        }
        "course_before_approval" => {
            let plan = inst.plan(
                maths,
                Mode::Offline,
                8000,
                &[span(DAY, (18, 30, 0), (20, 0, 0))?],
            )?;
            let e = inst.publish(em, published, &plan, GradeBand::Primary)?;
            vec![expect(
                RuleId::OperatingUnlicensed,
                plan_stage(&plan),
                vec![e],
            )]
        }
        "course_while_suspended" => {
            let s = em.emit(
                &inst.who,
                at(jiff::civil::date(2025, 11, 1), 9)?,
                LicenceSuspended {
                    reason: text("整改期间暂停招生")?,
                    until: Some(jiff::civil::date(2026, 1, 31)),
                },
            );
            let plan = inst.plan(
                maths,
                Mode::Offline,
                8000,
                &[span(DAY, (18, 30, 0), (20, 0, 0))?],
            )?;
            let e = inst.publish(em, published, &plan, GradeBand::Primary)?;
            vec![expect(
                RuleId::OperatingSuspended,
                identity(&[&plan_stage(&plan), &s]),
                vec![e, s],
            )]
        }
        "lesson_after_revocation" => {
            let plan = inst.plan(
                maths,
                Mode::Offline,
                8000,
                &[span(DAY, (18, 30, 0), (20, 0, 0))?],
            )?;
            inst.publish(em, published, &plan, GradeBand::Primary)?;
            let r = em.emit(
                &inst.who,
                at(jiff::civil::date(2025, 11, 5), 9)?,
                LicenceRevoked {
                    reason: text("吊销办学许可证")?,
                    grounds: RevocationGrounds::Penalty,
                },
            );
            let e = deliver_as_planned(em, inst, &plan, 0);
            let base = identity(&[&"delivered", &plan.course]);
            vec![expect(
                RuleId::OperatingRevoked,
                identity(&[&base, &r]),
                vec![e, r],
            )]
        }
        "teacher_unqualified" | "teacher_not_on_staff" | "teacher_wrong_subject" => {
            let teacher: TeacherId = match name {
                "teacher_unqualified" => inst.hire(em, at(PUBLISHED, 9)?, maths, false)?.0,
                "teacher_not_on_staff" => token(format!("t-{n}-99"))?,
                _ => inst
                    .teacher_for(Subject::Chinese)
                    .into_iter()
                    .next()
                    .ok_or_else(|| GenError::Token("no Chinese teacher".into()))?,
            };
            let mut plan = inst.plan(
                maths,
                Mode::Offline,
                8000,
                &[span(DAY, (18, 30, 0), (20, 0, 0))?],
            )?;
            plan.teachers = vec![teacher.clone()];
            let e = inst.publish(em, published, &plan, GradeBand::Primary)?;
            vec![expect(
                RuleId::TeacherQualSubject,
                identity(&[&plan_stage(&plan), &teacher]),
                vec![e],
            )]
        }
        // An offline class of 12 taught by a qualified teacher hired part time only: no
        // full-time teacher for it.
        "offline_class_taught_by_a_part_timer" => {
            let teacher: TeacherId = token(format!("t-{n}-60"))?;
            let hire = TeacherHired {
                teacher: teacher.clone(),
                subjects: vec![maths],
                qualification: Some(token(format!("cert-{n}-60"))?),
                in_service_school_teacher: false,
                located_abroad: false,
                full_time: false,
            };
            em.emit(&inst.who, at(PUBLISHED, 9)?, hire);
            let mut plan = evening_offline_maths(inst)?;
            plan.teachers = vec![teacher];
            inst.publish(em, published, &plan, GradeBand::Primary)?;
            let e = deliver_as_planned(em, inst, &plan, 0);
            vec![expect(
                RuleId::StaffRatioClass,
                identity(&[
                    &identity(&[&"delivered", &plan.course]),
                    &plan.sessions[0].lesson,
                    &"class_ratio",
                ]),
                vec![e],
            )]
        }
        "teacher_in_service" | "teacher_abroad" => {
            let in_service = name == "teacher_in_service";
            let event = TeacherHired {
                teacher: token(format!("t-{n}-50"))?,
                subjects: vec![maths],
                qualification: Some(token(format!("cert-{n}-50"))?),
                in_service_school_teacher: in_service,
                located_abroad: !in_service,
                full_time: true,
            };
            let e = em.emit(&inst.who, at(PUBLISHED, 9)?, event);
            let rule = if in_service {
                RuleId::NoInserviceTeacher
            } else {
                RuleId::ForeignStaff
            };
            vec![expect(rule, identity(&[&"hire", &e]), vec![e])]
        }
        _ => return Ok(None),
    };
    Ok(Some(out))
}
