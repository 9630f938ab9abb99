//! The planted violations: one case per institution, each just outside a limit (or plainly
//! against a rule), with the findings it must raise, named as the projections name them.
//!
//! **Invariant:** a case's institution has a legal background (see `inst`) and does nothing but
//! the case, so the case's expected findings are all the findings it raises. No case collects a
//! fee after something that puts the institution on the black list, except `black_listed_sale`,
//! whose point that is.

use jiff::civil::Date;
use tutorwatch_events::advertising::{AdChannel, AdvertisementObserved, SchoolCarrier};
use tutorwatch_events::escrow::{
    DailyBalanceStated, FeeCollected, FundsReleased, RefundRequested, SupervisedAccountClosed,
};
use tutorwatch_events::ids::{AccountId, AdId, SiteId, TeacherId};
use tutorwatch_events::kinds::{GradeBand, LicensedModes, Mode, Subject};
use tutorwatch_events::registry::{LicenceRevoked, LicenceSuspended, TeacherHired};
use tutorwatch_events::schedule::{CourseCancelled, CourseRescheduled, LessonDelivered};
use tutorwatch_events::{EventId, Fen, RegionCode, UtcTime};
use tutorwatch_projections::finding::{identity, RuleId};

use crate::clock::local;
use crate::emit::Emitter;
use crate::inst::{text, token, Inst, Licence, Plan};
use crate::truth::Expected;
use crate::GenError;

/// Every planted case, by name. A city with violations plants each at least once.
pub const CASES: &[&str] = &[
    "online_lesson_30m01s_planned",
    "online_lesson_30m01s_delivered",
    "online_lesson_31m_withdrawn_by_reschedule",
    "online_lesson_31m_kept_by_reschedule",
    "online_break_9m59s_planned",
    "online_break_9m59s_delivered",
    "online_end_21h00m01s_planned",
    "online_end_21h00m01s_delivered",
    "offline_end_20h30m01s_planned",
    "offline_end_20h30m01s_delivered",
    "subject_on_saturday_planned",
    "subject_on_holiday_delivered",
    "subject_in_vacation_planned",
    "preschool_online",
    "preschool_online_withdrawn_by_cancel",
    "preschool_offline_subject",
    "subject_registered_for_profit",
    "subject_non_profit_enterprise_code",
    "online_subject_without_online_licence",
    "offline_course_online_only_licence",
    "subject_licensee_non_subject_course",
    "subject_outside_licensed_subjects",
    "non_subject_institution_teaches_maths",
    "unapproved_site_planned",
    "unapproved_site_delivered",
    "course_before_approval",
    "fee_before_approval",
    "course_while_suspended",
    "lesson_after_revocation",
    "teacher_unqualified",
    "teacher_not_on_staff",
    "teacher_wrong_subject",
    "teacher_in_service",
    "teacher_abroad",
    "prepay_61_lessons",
    "prepay_3_months",
    "prepay_5000_yuan_01",
    "fee_outside_supervised_account",
    "fee_into_unknown_account",
    "fee_training_loan",
    "release_ahead_of_lessons",
    "refund_unpaid",
    "escrow_coverage_109_99",
    "escrow_coverage_100_00",
    "escrow_coverage_99_99",
    "account_closed_while_owed",
    "guide_price_8801_per_45min",
    "ad_former_price_never_charged",
    "ad_discount_off_by_101_fen",
    "ad_public_place",
    "ad_transit",
    "ad_on_workbook",
    "ad_inside_school",
    "black_listed_sale",
];

/// The day most cases' lessons are on (a Wednesday in term), and the day their plans are
/// published.
const DAY: Date = jiff::civil::date(2025, 11, 12);
const PUBLISHED: Date = jiff::civil::date(2025, 11, 2);

type Hms = (i8, i8, i8);

fn span(date: Date, from: Hms, to: Hms) -> Result<(UtcTime, UtcTime), GenError> {
    Ok((
        local(date, from.0, from.1, from.2, 0)?,
        local(date, to.0, to.1, to.2, 0)?,
    ))
}

fn at(date: Date, h: i8) -> Result<UtcTime, GenError> {
    local(date, h, 0, 0, 0)
}

/// The identity key of a planned lesson's finding.
fn plan_key(plan: &Plan, index: usize) -> String {
    let s = &plan.sessions[index];
    identity(&[&"plan", &plan.course, &s.lesson, &s.start, &s.end])
}

/// Delivers lesson `index` of `plan` from `start` to `end`, at `site`.
fn deliver(
    em: &mut Emitter,
    inst: &Inst,
    plan: &Plan,
    index: usize,
    times: (UtcTime, UtcTime),
    site: Option<SiteId>,
) -> EventId {
    let event = LessonDelivered {
        course: plan.course.clone(),
        lesson: plan.sessions[index].lesson.clone(),
        start: times.0,
        end: times.1,
        site,
        teachers: plan.teachers.clone(),
        attendees: 12,
    };
    em.emit(&inst.who, times.1, event)
}

/// Delivers lesson `index` as planned.
fn deliver_as_planned(em: &mut Emitter, inst: &Inst, plan: &Plan, index: usize) -> EventId {
    let s = &plan.sessions[index];
    deliver(em, inst, plan, index, (s.start, s.end), plan.site.clone())
}

/// A new institution with its background; also returns its registration's id.
fn violator(
    em: &mut Emitter,
    n: u32,
    region: RegionCode,
    licence: Licence,
) -> Result<(Inst, EventId), GenError> {
    let mut inst = Inst::new(em, n, region, licence)?;
    let registered = inst.background(em)?;
    Ok((inst, registered))
}

/// A fee of `amount` for `lessons` lessons with no course, for `period`.
fn fee(
    inst: &mut Inst,
    amount: u64,
    lessons: u32,
    period: (Date, Date),
    account: Option<AccountId>,
) -> Result<FeeCollected, GenError> {
    let (contract, student) = inst.next_contract()?;
    Ok(FeeCollected {
        contract,
        student,
        course: None,
        amount: Fen::new(amount),
        lessons,
        service_start: period.0,
        service_end: period.1,
        supervised_account: account,
        training_loan: false,
    })
}

fn ad(id: AdId, channel: AdChannel) -> Result<AdvertisementObserved, GenError> {
    Ok(AdvertisementObserved {
        ad: id,
        channel,
        subject_training: true,
        aimed_at_minors: true,
        carrier: None,
        course: None,
        claimed_former_price: None,
        advertised_price: None,
        claimed_percent_off: None,
        description: text("小升初数学冲刺班，名师授课")?,
    })
}

/// Plants case `name` in a new institution numbered `n`; returns the findings it must raise.
pub(crate) fn plant(em: &mut Emitter, n: u32, name: &str) -> Result<Vec<Expected>, GenError> {
    let region = crate::county(em)?;
    let published = at(PUBLISHED, 10)?;
    let maths = Subject::Mathematics;
    let (mut inst, registered) = match name {
        "preschool_online"
        | "preschool_online_withdrawn_by_cancel"
        | "non_subject_institution_teaches_maths"
        | "prepay_5000_yuan_01" => violator(em, n, region, Licence::non_subject())?,
        "subject_registered_for_profit" => violator(
            em,
            n,
            region,
            Licence {
                non_profit: false,
                ..Licence::subject()
            },
        )?,
        "subject_non_profit_enterprise_code" => violator(
            em,
            n,
            region,
            Licence {
                prefix: "91",
                ..Licence::subject()
            },
        )?,
        "online_subject_without_online_licence" => violator(
            em,
            n,
            region,
            Licence {
                modes: LicensedModes::OfflineOnly,
                ..Licence::subject()
            },
        )?,
        "offline_course_online_only_licence" => violator(
            em,
            n,
            region,
            Licence {
                modes: LicensedModes::OnlineOnly,
                ..Licence::subject()
            },
        )?,
        "course_before_approval" | "fee_before_approval" => violator(
            em,
            n,
            region,
            Licence {
                approved_on: jiff::civil::date(2025, 12, 1),
                ..Licence::subject()
            },
        )?,
        "guide_price_8801_per_45min" => violator(
            em,
            n,
            crate::region(crate::GUIDE_PRICE_REGION)?,
            Licence::subject(),
        )?,
        _ => violator(em, n, region, Licence::subject())?,
    };
    let code = inst.who.code.clone();
    let account = inst.account.clone();
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
                &inst,
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
            let first = deliver_as_planned(em, &inst, &plan, 0);
            let second = deliver(
                em,
                &inst,
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
                &inst,
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
                &inst,
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
                &inst,
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
            let e = deliver(em, &inst, &plan, 0, (s.start, s.end), Some(site.clone()));
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
        "fee_before_approval" => {
            let charge = fee(
                &mut inst,
                100_000,
                10,
                (DAY, crate::clock::add_days(DAY, 60)?),
                Some(account.clone()),
            )?;
            let e = em.emit(&inst.who, published, charge);
            vec![expect(
                RuleId::OperatingUnlicensed,
                identity(&[&"fee", &e]),
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
                },
            );
            let e = deliver_as_planned(em, &inst, &plan, 0);
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
        "teacher_in_service" | "teacher_abroad" => {
            let in_service = name == "teacher_in_service";
            let event = TeacherHired {
                teacher: token(format!("t-{n}-50"))?,
                subjects: vec![maths],
                qualification: Some(token(format!("cert-{n}-50"))?),
                in_service_school_teacher: in_service,
                located_abroad: !in_service,
            };
            let e = em.emit(&inst.who, at(PUBLISHED, 9)?, event);
            let rule = if in_service {
                RuleId::NoInserviceTeacher
            } else {
                RuleId::ForeignStaff
            };
            vec![expect(rule, identity(&[&"hire", &e]), vec![e])]
        }
        "prepay_61_lessons" | "prepay_3_months" | "prepay_5000_yuan_01" => {
            let start = jiff::civil::date(2025, 9, 1);
            let (amount, lessons, end, rule) = match name {
                "prepay_61_lessons" => (
                    61 * 5000,
                    61,
                    jiff::civil::date(2025, 11, 29),
                    RuleId::PrepayMax3m60h,
                ),
                "prepay_3_months" => (
                    20 * 5000,
                    20,
                    jiff::civil::date(2025, 12, 1),
                    RuleId::PrepayMax3m60h,
                ),
                _ => (
                    500_001,
                    10,
                    jiff::civil::date(2025, 11, 30),
                    RuleId::PrepayMax5000,
                ),
            };
            let charge = fee(
                &mut inst,
                amount,
                lessons,
                (start, end),
                Some(account.clone()),
            )?;
            let e = em.emit(&inst.who, at(jiff::civil::date(2025, 8, 28), 10)?, charge);
            vec![expect(rule, identity(&[&"fee", &e]), vec![e])]
        }
        "fee_outside_supervised_account" | "fee_into_unknown_account" | "fee_training_loan" => {
            let account = match name {
                "fee_outside_supervised_account" => None,
                "fee_into_unknown_account" => Some(token::<AccountId>(format!("acct-{n}-9"))?),
                _ => Some(account.clone()),
            };
            let mut charge = fee(
                &mut inst,
                100_000,
                10,
                (DAY, crate::clock::add_days(DAY, 60)?),
                account,
            )?;
            charge.training_loan = name == "fee_training_loan";
            let e = em.emit(&inst.who, published, charge);
            let rule = if name == "fee_training_loan" {
                RuleId::NoTrainingLoan
            } else {
                RuleId::PrepayDedicatedAccount
            };
            vec![expect(rule, identity(&[&"fee", &e]), vec![e])]
        }
        "release_ahead_of_lessons" => {
            let days = [
                DAY,
                crate::clock::add_days(DAY, 7)?,
                crate::clock::add_days(DAY, 14)?,
                crate::clock::add_days(DAY, 21)?,
            ];
            let lessons = days
                .iter()
                .map(|d| span(*d, (18, 30, 0), (20, 0, 0)))
                .collect::<Result<Vec<_>, _>>()?;
            let plan = inst.plan(maths, Mode::Offline, 8000, &lessons)?;
            inst.publish(em, published, &plan, GradeBand::Primary)?;
            let charge = inst.fee_for(&plan)?;
            let contract = charge.contract.clone();
            em.emit(&inst.who, at(PUBLISHED, 11)?, charge);
            deliver_as_planned(em, &inst, &plan, 0);
            let release = FundsReleased {
                account: inst.account.clone(),
                contract,
                amount: Fen::new(16_000),
                lessons: 2,
            };
            let e = em.emit(&inst.who, at(crate::clock::add_days(DAY, 1)?, 10)?, release);
            vec![expect(
                RuleId::ReleasePerLesson,
                identity(&[&"release", &e]),
                vec![e],
            )]
        }
        "refund_unpaid" => {
            let charge = fee(
                &mut inst,
                100_000,
                10,
                (DAY, crate::clock::add_days(DAY, 60)?),
                Some(account.clone()),
            )?;
            let contract = charge.contract.clone();
            em.emit(&inst.who, published, charge);
            let e = em.emit(
                &inst.who,
                at(jiff::civil::date(2025, 11, 20), 10)?,
                RefundRequested {
                    contract,
                    amount: Fen::new(50_000),
                },
            );
            vec![expect(
                RuleId::RefundProrata,
                identity(&[&"refund", &e]),
                vec![e],
            )]
        }
        "escrow_coverage_109_99" | "escrow_coverage_100_00" | "escrow_coverage_99_99" => {
            let (balance, rule) = match name {
                "escrow_coverage_109_99" => (109_999, RuleId::EscrowShortfallWarn),
                "escrow_coverage_100_00" => (100_000, RuleId::EscrowShortfallWarn),
                _ => (99_999, RuleId::EscrowShortfall),
            };
            let charge = fee(
                &mut inst,
                100_000,
                10,
                (DAY, crate::clock::add_days(DAY, 60)?),
                Some(account.clone()),
            )?;
            em.emit(&inst.who, published, charge);
            let date = jiff::civil::date(2025, 11, 7);
            let statement = DailyBalanceStated {
                account: inst.account.clone(),
                date,
                balance: Fen::new(balance),
            };
            let e = em.emit(
                &inst.who,
                local(crate::clock::add_days(date, 1)?, 0, 30, 0, 0)?,
                statement,
            );
            vec![expect(
                rule,
                identity(&[&"shortfall", &inst.account, &e]),
                vec![e],
            )]
        }
        "account_closed_while_owed" => {
            let charge = fee(
                &mut inst,
                100_000,
                10,
                (DAY, crate::clock::add_days(DAY, 60)?),
                Some(account.clone()),
            )?;
            em.emit(&inst.who, published, charge);
            let e = em.emit(
                &inst.who,
                at(jiff::civil::date(2025, 11, 10), 10)?,
                SupervisedAccountClosed {
                    account: inst.account.clone(),
                },
            );
            vec![expect(
                RuleId::AccountClosedWhileOwed,
                identity(&[&"closed", &e]),
                vec![e],
            )]
        }
        "guide_price_8801_per_45min" => {
            let mut plan = inst.plan(
                maths,
                Mode::Offline,
                8801,
                &[span(DAY, (19, 0, 0), (19, 45, 0))?],
            )?;
            plan.class_size = 9;
            let e = inst.publish(em, published, &plan, GradeBand::Primary)?;
            vec![expect(
                RuleId::GovGuidePrice,
                identity(&[&"price", &e]),
                vec![e],
            )]
        }
        "ad_former_price_never_charged"
        | "ad_discount_off_by_101_fen"
        | "ad_public_place"
        | "ad_transit"
        | "ad_on_workbook"
        | "ad_inside_school" => {
            let plan = inst.plan(
                maths,
                Mode::Offline,
                8000,
                &[span(DAY, (18, 30, 0), (20, 0, 0))?],
            )?;
            inst.publish(em, published, &plan, GradeBand::Primary)?;
            let id: AdId = token(format!("ad-{n}-1"))?;
            let (mut observed, rule) = match name {
                "ad_public_place" => (ad(id, AdChannel::PublicPlace)?, RuleId::AdChannelBan),
                "ad_transit" => (ad(id, AdChannel::Transit)?, RuleId::AdChannelBan),
                "ad_inside_school" => (ad(id, AdChannel::School)?, RuleId::AdSchoolSupplies),
                "ad_on_workbook" => (
                    AdvertisementObserved {
                        carrier: Some(SchoolCarrier::Workbook),
                        ..ad(id, AdChannel::OwnPremises)?
                    },
                    RuleId::AdSchoolSupplies,
                ),
                _ => (ad(id, AdChannel::OwnPremises)?, RuleId::NoFakeOriginalPrice),
            };
            observed.course = Some(plan.course.clone());
            if name == "ad_former_price_never_charged" {
                observed.claimed_former_price = Some(Fen::new(9000));
            } else if name == "ad_discount_off_by_101_fen" {
                observed.claimed_former_price = Some(Fen::new(8000));
                observed.claimed_percent_off = Some(20);
                observed.advertised_price = Some(Fen::new(6400 + 101));
            }
            let e = em.emit(
                &inst.who,
                at(jiff::civil::date(2025, 11, 20), 10)?,
                observed,
            );
            vec![expect(rule, identity(&[&"ad", &e]), vec![e])]
        }
        "black_listed_sale" => {
            let outside = fee(
                &mut inst,
                100_000,
                10,
                (DAY, crate::clock::add_days(DAY, 60)?),
                None,
            )?;
            let first = em.emit(&inst.who, published, outside);
            let legal = fee(
                &mut inst,
                100_000,
                10,
                (DAY, crate::clock::add_days(DAY, 60)?),
                Some(account.clone()),
            )?;
            let second = em.emit(&inst.who, at(PUBLISHED, 15)?, legal);
            vec![
                expect(
                    RuleId::PrepayDedicatedAccount,
                    identity(&[&"fee", &first]),
                    vec![first],
                ),
                expect(
                    RuleId::BlackWhiteList,
                    identity(&[&"sale", &second]),
                    vec![second],
                ),
            ]
        }
        other => return Err(GenError::Token(format!("unknown case {other:?}"))),
    };
    Ok(out)
}
