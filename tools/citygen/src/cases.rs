//! The planted violations: one case per institution, each just outside a limit (or plainly
//! against a rule), with the findings it must raise, named as the projections name them.
//!
//! **Invariant:** a case's institution has a legal background (see `inst`) and does nothing but
//! the case, so the case's expected findings are all the findings it raises. No case collects a
//! fee after something that puts the institution on the black list, except `black_listed_sale`,
//! whose point that is.

use jiff::civil::Date;
use tutorwatch_events::advertising::{AdChannel, AdvertisementObserved};
use tutorwatch_events::escrow::FeeCollected;
use tutorwatch_events::ids::{AccountId, AdId, SiteId};
use tutorwatch_events::kinds::LicensedModes;
use tutorwatch_events::schedule::LessonDelivered;
use tutorwatch_events::{EventId, Fen, RegionCode, UtcTime};
use tutorwatch_findings::identity;

use crate::clock::local;
use crate::emit::Emitter;
use crate::inst::{text, Inst, Licence, Plan};
use crate::truth::Expected;
use crate::GenError;

mod ads;
mod lessons;
mod licence;
mod money;

/// Every planted case, by name. A city with violations plants each at least once.
pub const CASES: &[&str] = &[
    "online_lesson_30m01s_planned",
    "online_lesson_30m01s_delivered",
    "school_hours_lesson_starts_15h59m59s_on_a_school_day",
    "online_lesson_31m_withdrawn_by_reschedule",
    "online_lesson_31m_kept_by_reschedule",
    "online_break_9m59s_planned",
    "online_break_9m59s_delivered",
    "online_break_9m59s_same_student_two_courses",
    "online_end_21h00m01s_planned",
    "online_end_21h00m01s_delivered",
    "offline_end_20h30m01s_planned",
    "offline_end_20h30m01s_delivered",
    "subject_on_saturday_planned",
    "subject_on_holiday_delivered",
    "subject_in_vacation_planned",
    "undeclared_lesson_never_published",
    "undeclared_lesson_after_cancel",
    "undeclared_online_lesson_at_23h",
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
    "non_subject_course_titled_with_english",
    "subject_course_titled_summer_camp",
    "subject_course_described_as_day_care",
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
    "inspection_full_time_staff_9_of_19",
    "offline_class_of_51_with_one_teacher",
    "offline_class_taught_by_a_part_timer",
    "site_of_100_m2_with_34_students_at_once",
    "prepay_61_lessons",
    "prepay_3_months",
    "prepay_5000_yuan_01",
    "prepay_30_and_31_lessons_of_one_subject",
    "fee_collected_1_month_1_day_early",
    "fee_outside_supervised_account",
    "fee_into_unknown_account",
    "fee_training_loan",
    "release_ahead_of_lessons",
    "refund_unpaid",
    "refund_paid_day_15",
    "refund_paid_day_16",
    "refund_paid_day_9_sent_after_other_banks_day_15",
    "refund_pro_rata_1_fen_short",
    "refund_pro_rata_paid_in_full",
    "escrow_coverage_109_99",
    "escrow_coverage_100_00",
    "escrow_coverage_99_99",
    "account_closed_while_owed",
    "guide_price_8801_per_45min",
    "guide_price_8800_rescheduled_to_44min",
    "fee_above_posted_price_by_1_fen",
    "fee_at_old_price_after_price_cut",
    "guide_price_8800_raised_to_8801",
    "ad_former_price_never_charged",
    "ad_discount_off_by_101_fen",
    "ad_public_place",
    "ad_transit",
    "ad_on_workbook",
    "ad_inside_school",
    "ad_promises_results",
    "ad_examiner_claim",
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
    em.emit(&inst.who, times.1, delivery(plan, index, times, site, 12))
}

/// Lesson `index` of `plan` as delivered at `times` at `site`, taught by the plan's teachers to
/// `attendees` students (no learner keys).
fn delivery(
    plan: &Plan,
    index: usize,
    times: (UtcTime, UtcTime),
    site: Option<SiteId>,
    attendees: u32,
) -> LessonDelivered {
    LessonDelivered {
        course: plan.course.clone(),
        lesson: plan.sessions[index].lesson.clone(),
        start: times.0,
        end: times.1,
        site,
        teachers: plan.teachers.clone(),
        attendees,
        undeclared: None,
        learners: Vec::new(),
    }
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
    let (inst, registered) = match name {
        "preschool_online"
        | "preschool_online_withdrawn_by_cancel"
        | "non_subject_institution_teaches_maths"
        | "non_subject_course_titled_with_english"
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
        "fee_collected_1_month_1_day_early"
        | "prepay_30_and_31_lessons_of_one_subject"
        | "school_hours_lesson_starts_15h59m59s_on_a_school_day" => violator(
            em,
            n,
            crate::region(crate::LOCAL_RULES_REGION)?,
            Licence::subject(),
        )?,
        "guide_price_8801_per_45min"
        | "guide_price_8800_rescheduled_to_44min"
        | "guide_price_8800_raised_to_8801" => violator(
            em,
            n,
            crate::region(crate::GUIDE_PRICE_REGION)?,
            Licence::subject(),
        )?,
        // Its own bank: no other institution's statements move that bank's clock.
        "refund_paid_day_9_sent_after_other_banks_day_15" => {
            let mut inst = Inst::new(em, n, region, Licence::subject())?;
            inst.who.bank = crate::inst::token(format!("bank-case-{n}"))?;
            let registered = inst.background(em)?;
            (inst, registered)
        }
        _ => violator(em, n, region, Licence::subject())?,
    };
    let mut case = Case {
        em,
        inst,
        name,
        n,
        registered,
    };
    for plant in [lessons::plant, licence::plant, money::plant, ads::plant] {
        if let Some(expected) = plant(&mut case)? {
            return Ok(expected);
        }
    }
    Err(GenError::Token(format!("unknown case {name:?}")))
}

/// What a case module plants into.
struct Case<'a> {
    em: &'a mut Emitter,
    inst: Inst,
    name: &'a str,
    n: u32,
    registered: EventId,
}
