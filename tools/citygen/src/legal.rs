//! Legal traffic: institutions that keep every rule, with a term of courses, lessons, fees,
//! per-lesson releases, refunds on cancellation, weekly balance statements and advertisements;
//! and four edge institutions whose events sit exactly on (inside) each limit.
//!
//! **Invariant:** nothing here raises a finding. Every lesson ends by 20:30 offline and 21:00
//! online, lasts at most 30 min online, a subject lesson falls on a school day, one course's
//! lessons are a week apart, a fee covers under 3 months and at most 60 lessons (¥5,000 for
//! non-subject training), releases follow delivered lessons, and a statement's balance covers at
//! least 110 % of what families are owed.

use jiff::civil::{Date, Weekday};
use tutorwatch_events::advertising::{AdChannel, AdvertisementObserved};
use tutorwatch_events::escrow::{
    DailyBalanceStated, FundsReleased, RefundPaid, SupervisedAccountClosed, SupervisedAccountOpened,
};
use tutorwatch_events::ids::{AccountId, AdId, TeacherId};
use tutorwatch_events::kinds::{Category, GradeBand, LicensedModes, Mode, Subject};
use tutorwatch_events::schedule::{CourseCancelled, CourseRescheduled, LessonDelivered, Session};
use tutorwatch_events::{Fen, RegionCode, UtcTime};

use crate::clock::{add_days, local, next_weekday, plus, subject_school_day, TERM_END, TERM_START};
use crate::emit::Emitter;
use crate::inst::{text, token, Inst, Licence, Plan};
use crate::GenError;

/// Money in and out of one supervised account: (when, +collected or -released/refunded).
#[derive(Debug, Default)]
struct Ledger {
    moves: Vec<(UtcTime, i128)>,
}

impl Ledger {
    fn add(&mut self, at: UtcTime, fen: Fen, sign: i128) {
        self.moves.push((at, sign * i128::from(fen.get())));
    }

    /// What families are owed before `at`.
    fn owed(&self, at: UtcTime) -> u64 {
        let sum: i128 = self
            .moves
            .iter()
            .filter(|(t, _)| *t < at)
            .map(|(_, m)| m)
            .sum();
        u64::try_from(sum.max(0)).unwrap_or(u64::MAX)
    }
}

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

/// Legal institution number `n`; `i` is its rank among the legal ones (the first four carry
/// the edge cases).
pub(crate) fn institution(
    em: &mut Emitter,
    n: u32,
    region: RegionCode,
    i: u32,
) -> Result<(), GenError> {
    let (region, mut licence) = match i {
        0 | 1 => (region, Licence::subject()),
        2 => (region, Licence::non_subject()),
        3 => (
            crate::region(crate::GUIDE_PRICE_REGION)?,
            Licence::subject(),
        ),
        _ if em.chance(600) => (region, Licence::subject()),
        _ => (region, Licence::non_subject()),
    };
    if i > 3 {
        licence.modes = match em.pick(0, 5) {
            0 => LicensedModes::OnlineOnly,
            1 => LicensedModes::OfflineOnly,
            _ => LicensedModes::Both,
        };
    }
    let mut inst = Inst::new(em, n, region, licence)?;
    inst.background(em)?;
    let mut ledger = Ledger::default();
    let mut exact_cover = false;
    match i {
        0 => lesson_edges(em, &mut inst)?,
        1 => {
            money_edges(em, &mut inst, &mut ledger)?;
            exact_cover = true;
        }
        2 => non_subject_edges(em, &mut inst, &mut ledger)?,
        3 => guide_price_edges(em, &mut inst)?,
        _ => {}
    }
    // The Shanghai institution keeps to its two guidance-priced courses.
    let courses = if i == 3 { 0 } else { em.pick(1, 3) };
    let mut plans = Vec::new();
    for _ in 0..courses {
        if let Some(plan) = course(em, &mut inst, &mut ledger)? {
            plans.push(plan);
        }
    }
    for (k, plan) in plans.iter().enumerate() {
        if em.chance(400) {
            advertise(em, &inst, plan, k)?;
        }
    }
    statements(em, &inst, &ledger, exact_cover)
}

/// A random legal course: planned, perhaps rescheduled, paid for, delivered (or cancelled and
/// refunded), released lesson by lesson.
fn course(
    em: &mut Emitter,
    inst: &mut Inst,
    ledger: &mut Ledger,
) -> Result<Option<Plan>, GenError> {
    let subjects = inst.licence.subjects.clone();
    let subject = subjects[usize::try_from(em.pick(0, subjects.len() as u64 - 1)).unwrap_or(0)];
    let mode = match inst.licence.modes {
        LicensedModes::OnlineOnly => Mode::Online,
        LicensedModes::OfflineOnly => Mode::Offline,
        LicensedModes::Both if em.chance(500) => Mode::Online,
        LicensedModes::Both => Mode::Offline,
    };
    let subject_course = subject.category() == Category::Subject;
    let band = match (subject_course, mode, em.pick(0, 3)) {
        (false, Mode::Offline, 0) => GradeBand::Preschool,
        (_, _, 1) => GradeBand::Junior,
        (true, _, 2) => GradeBand::Senior,
        _ => GradeBand::Primary,
    };
    let weekday = if subject_course {
        WEEKDAYS[usize::try_from(em.pick(0, 4)).unwrap_or(0)]
    } else {
        WEEKDAYS[usize::try_from(em.pick(0, 6)).unwrap_or(0)]
    };
    let first = next_weekday(
        add_days(TERM_START, i64::try_from(em.pick(3, 60)).unwrap_or(3))?,
        weekday,
    )?;
    let last_allowed = add_days(first, 77)?.min(TERM_END);
    let count = em.pick(4, 12);
    let (minutes, start_slots): (i64, &[(i8, i8)]) = match mode {
        // Online: at most 30 minutes, over by 21:00.
        Mode::Online => (
            i64::try_from(em.pick(4, 6)).unwrap_or(5) * 5,
            &[(18, 0), (18, 30), (19, 0), (19, 30), (20, 0)],
        ),
        // Offline: 45 to 90 minutes, over by 20:30.
        Mode::Offline => (
            i64::try_from(em.pick(3, 6)).unwrap_or(3) * 15,
            &[(17, 0), (17, 30), (18, 0), (18, 30), (19, 0)],
        ),
    };
    let slot = start_slots[usize::try_from(em.pick(0, start_slots.len() as u64 - 1)).unwrap_or(0)];
    let limit = match mode {
        Mode::Online => 21 * 60,
        Mode::Offline => 20 * 60 + 30,
    };
    let slot = if i64::from(slot.0) * 60 + i64::from(slot.1) + minutes > limit {
        (17, 0)
    } else {
        slot
    };
    let mut lessons = Vec::new();
    let mut day = first;
    while lessons.len() < usize::try_from(count).unwrap_or(0) && day <= last_allowed {
        if !subject_course || subject_school_day(day) {
            let start = local(day, slot.0, slot.1, 0, 0)?;
            lessons.push((start, plus(start, minutes * 60)?));
        }
        day = add_days(day, 7)?;
    }
    if lessons.is_empty() {
        return Ok(None);
    }
    let price = match (subject_course, mode) {
        (true, Mode::Online) => em.pick(40, 100) * 100,
        (true, Mode::Offline) => em.pick(60, 200) * 100,
        // Non-subject: a whole course for one family stays within ¥5,000.
        (false, _) => (em.pick(20, 300) * 100).min(500_000 / lessons.len() as u64 / 100 * 100),
    };
    let mut plan = inst.plan(subject, mode, price, &lessons)?;
    if plan.teachers.is_empty() {
        return Ok(None);
    }
    inst.publish(em, local(add_days(first, -10)?, 10, 0, 0, 0)?, &plan, band)?;
    if em.chance(100) {
        // Same days, half an hour earlier: still legal, and fees are not yet collected.
        let sessions: Vec<Session> = plan
            .sessions
            .iter()
            .map(|s| {
                Ok(Session {
                    lesson: s.lesson.clone(),
                    start: plus(s.start, -1800)?,
                    end: plus(s.end, -1800)?,
                })
            })
            .collect::<Result<_, GenError>>()?;
        em.emit(
            &inst.who,
            local(add_days(first, -8)?, 10, 0, 0, 0)?,
            CourseRescheduled {
                course: plan.course.clone(),
                sessions: sessions.clone(),
            },
        );
        plan.sessions = sessions;
    }
    let students = em.pick(1, 4);
    let mut contracts = Vec::new();
    for s in 0..students {
        let charge = inst.fee_for(&plan)?;
        let at = local(add_days(first, -5)?, 10, i8::try_from(s).unwrap_or(0), 0, 0)?;
        ledger.add(at, charge.amount, 1);
        contracts.push(charge.contract.clone());
        em.emit(&inst.who, at, charge);
    }
    let total = plan.sessions.len();
    let delivered = if total >= 2 && em.chance(80) {
        usize::try_from(em.pick(1, total as u64 - 1)).unwrap_or(1)
    } else {
        total
    };
    for session in plan.sessions.iter().take(delivered) {
        let event = LessonDelivered {
            course: plan.course.clone(),
            lesson: session.lesson.clone(),
            start: session.start,
            end: session.end,
            site: plan.site.clone(),
            teachers: plan.teachers.clone(),
            attendees: u32::try_from(students).unwrap_or(1),
            undeclared: None,
            learners: Vec::new(),
        };
        em.emit(&inst.who, session.end, event);
        let at = plus(session.end, 3600)?;
        for contract in &contracts {
            let release = FundsReleased {
                account: inst.account.clone(),
                contract: contract.clone(),
                amount: plan.price,
                lessons: 1,
            };
            ledger.add(at, plan.price, -1);
            em.emit(&inst.who, at, release);
        }
    }
    if delivered < total {
        let cancelled = plus(plan.sessions[delivered - 1].end, 86_400)?;
        em.emit(
            &inst.who,
            cancelled,
            CourseCancelled {
                course: plan.course.clone(),
                reason: text("报名人数不足，停课退费")?,
            },
        );
        let refund = Fen::new(plan.price.get() * (total - delivered) as u64);
        let at = plus(cancelled, 3600)?;
        for contract in &contracts {
            ledger.add(at, refund, -1);
            em.emit(
                &inst.who,
                at,
                RefundPaid {
                    contract: contract.clone(),
                    account: Some(inst.account.clone()),
                    amount: refund,
                },
            );
        }
    }
    Ok(Some(plan))
}

/// A legal ad for `plan`: on the institution's own premises with a true discount, or in a
/// public place aimed at adults.
fn advertise(em: &mut Emitter, inst: &Inst, plan: &Plan, k: usize) -> Result<(), GenError> {
    let percent = [10u8, 20, 50][usize::try_from(em.pick(0, 2)).unwrap_or(0)];
    let adults = em.chance(300);
    let ad = AdvertisementObserved {
        ad: token::<AdId>(format!("ad-{}-{}", inst.n, k + 1))?,
        channel: if adults {
            AdChannel::PublicPlace
        } else {
            AdChannel::OwnPremises
        },
        subject_training: plan.subject.category() == Category::Subject,
        aimed_at_minors: !adults,
        carrier: None,
        course: Some(plan.course.clone()),
        claimed_former_price: Some(plan.price),
        advertised_price: Some(Fen::new(
            plan.price.get() * (100 - u64::from(percent)) / 100,
        )),
        claimed_percent_off: Some(percent),
        description: text("秋季班报名优惠")?,
    };
    em.emit(
        &inst.who,
        local(jiff::civil::date(2025, 12, 1), 10, 0, 0, 0)?,
        ad,
    );
    Ok(())
}

/// Weekly (Friday) statements for the account, each covering at least 110 % of what is owed
/// (exactly 110 % when `exact`).
fn statements(em: &mut Emitter, inst: &Inst, ledger: &Ledger, exact: bool) -> Result<(), GenError> {
    let mut date = next_weekday(jiff::civil::date(2025, 8, 22), Weekday::Friday)?;
    let last = jiff::civil::date(2026, 1, 30);
    while date <= last {
        let at = local(add_days(date, 1)?, 0, 30, 0, 0)?;
        let owed = ledger.owed(at);
        let cover = owed + owed.div_ceil(10);
        let balance = if exact {
            cover
        } else {
            cover + em.pick(0, 500) * 100
        };
        em.emit(
            &inst.who,
            at,
            DailyBalanceStated {
                account: inst.account.clone(),
                date,
                balance: Fen::new(balance),
            },
        );
        date = add_days(date, 7)?;
    }
    Ok(())
}

/// A local wall-clock time: hours, minutes, seconds, nanoseconds.
type Clock = (i8, i8, i8, i32);

fn lessons_on(
    inst: &mut Inst,
    subject: Subject,
    mode: Mode,
    price: u64,
    times: &[(Date, Clock, Clock)],
) -> Result<Plan, GenError> {
    let lessons = times
        .iter()
        .map(|(d, a, b)| {
            Ok((
                local(*d, a.0, a.1, a.2, a.3)?,
                local(*d, b.0, b.1, b.2, b.3)?,
            ))
        })
        .collect::<Result<Vec<_>, GenError>>()?;
    inst.plan(subject, mode, price, &lessons)
}

fn deliver_all(em: &mut Emitter, inst: &Inst, plan: &Plan, actual: &[Option<(UtcTime, UtcTime)>]) {
    for (i, session) in plan.sessions.iter().enumerate() {
        let (start, end) = actual
            .get(i)
            .copied()
            .flatten()
            .unwrap_or((session.start, session.end));
        let event = LessonDelivered {
            course: plan.course.clone(),
            lesson: session.lesson.clone(),
            start,
            end,
            site: plan.site.clone(),
            teachers: plan.teachers.clone(),
            attendees: 10,
            undeclared: None,
            learners: Vec::new(),
        };
        em.emit(&inst.who, end, event);
    }
}

/// Lessons exactly on the time limits (subject institution; no fees, so the long span of
/// dates is no prepayment).
fn lesson_edges(em: &mut Emitter, inst: &mut Inst) -> Result<(), GenError> {
    let d = jiff::civil::date;
    let published = local(d(2025, 8, 25), 10, 0, 0, 0)?;
    let online = lessons_on(
        inst,
        Subject::Mathematics,
        Mode::Online,
        5000,
        &[
            // 30:00 exactly, ending 21:00:00 exactly.
            (d(2025, 9, 3), (20, 30, 0, 0), (21, 0, 0, 0)),
            (d(2025, 9, 10), (20, 30, 0, 0), (21, 0, 0, 0)),
            // A break of exactly 10:00.
            (d(2025, 9, 17), (19, 0, 0, 0), (19, 30, 0, 0)),
            (d(2025, 9, 17), (19, 40, 0, 0), (20, 10, 0, 0)),
            // Make-up working days (a Sunday, a Saturday, a Sunday): school days.
            (d(2025, 9, 28), (19, 0, 0, 0), (19, 30, 0, 0)),
            (d(2025, 10, 11), (19, 0, 0, 0), (19, 30, 0, 0)),
            (d(2026, 1, 4), (19, 0, 0, 0), (19, 30, 0, 0)),
            // The Friday before the winter vacation.
            (d(2026, 1, 23), (19, 0, 0, 0), (19, 30, 0, 0)),
        ],
    )?;
    inst.publish(em, published, &online, GradeBand::Junior)?;
    // The second lesson runs 0.9 s over, which the rules (to the whole second) do not count.
    let over = Some((
        local(d(2025, 9, 10), 20, 30, 0, 0)?,
        local(d(2025, 9, 10), 21, 0, 0, 900_000_000)?,
    ));
    deliver_all(em, inst, &online, &[None, over]);
    let offline = lessons_on(
        inst,
        Subject::Chinese,
        Mode::Offline,
        8000,
        &[
            (d(2025, 9, 4), (19, 0, 0, 0), (20, 30, 0, 0)),
            (d(2025, 9, 11), (19, 0, 0, 0), (20, 30, 0, 0)),
        ],
    )?;
    inst.publish(em, published, &offline, GradeBand::Primary)?;
    let over = Some((
        local(d(2025, 9, 11), 19, 0, 0, 0)?,
        local(d(2025, 9, 11), 20, 30, 0, 500_000_000)?,
    ));
    deliver_all(em, inst, &offline, &[None, over]);
    Ok(())
}

/// Fees and accounts exactly on the limits: 60 lessons, 3 months less a day, an account closed
/// when exactly nothing is owed; the statements cover exactly 110 %.
fn money_edges(em: &mut Emitter, inst: &mut Inst, ledger: &mut Ledger) -> Result<(), GenError> {
    let d = jiff::civil::date;
    let (contract, student) = inst.next_contract()?;
    let at = local(d(2025, 8, 28), 10, 0, 0, 0)?;
    let charge = tutorwatch_events::escrow::FeeCollected {
        contract,
        student,
        course: None,
        amount: Fen::new(60 * 5000),
        lessons: 60,
        service_start: d(2025, 9, 1),
        service_end: d(2025, 11, 30),
        supervised_account: Some(inst.account.clone()),
        training_loan: false,
    };
    ledger.add(at, charge.amount, 1);
    em.emit(&inst.who, at, charge);
    // A second account: paid in, released lesson by lesson on the bank's own counts, closed at
    // exactly zero owed.
    let second: AccountId = token(format!("acct-{}-2", inst.n))?;
    em.emit(
        &inst.who,
        local(d(2025, 8, 29), 9, 0, 0, 0)?,
        SupervisedAccountOpened {
            account: second.clone(),
            bank: inst.who.bank.clone(),
        },
    );
    let (contract, student) = inst.next_contract()?;
    em.emit(
        &inst.who,
        local(d(2025, 8, 29), 10, 0, 0, 0)?,
        tutorwatch_events::escrow::FeeCollected {
            contract: contract.clone(),
            student,
            course: None,
            amount: Fen::new(20_000),
            lessons: 2,
            service_start: d(2025, 9, 1),
            service_end: d(2025, 9, 30),
            supervised_account: Some(second.clone()),
            training_loan: false,
        },
    );
    for day in [d(2025, 9, 8), d(2025, 9, 15)] {
        em.emit(
            &inst.who,
            local(day, 10, 0, 0, 0)?,
            FundsReleased {
                account: second.clone(),
                contract: contract.clone(),
                amount: Fen::new(10_000),
                lessons: 1,
            },
        );
    }
    em.emit(
        &inst.who,
        local(d(2025, 9, 20), 10, 0, 0, 0)?,
        SupervisedAccountClosed { account: second },
    );
    Ok(())
}

/// Non-subject training exactly on its limits: a ¥5,000.00 charge, preschool offline music on a
/// Saturday, an online lesson on a holiday, an unqualified sports coach, adult-aimed ads in
/// banned channels and a discount exactly 1 yuan off (the tolerance).
fn non_subject_edges(
    em: &mut Emitter,
    inst: &mut Inst,
    ledger: &mut Ledger,
) -> Result<(), GenError> {
    let d = jiff::civil::date;
    let (contract, student) = inst.next_contract()?;
    let at = local(d(2025, 9, 1), 10, 0, 0, 0)?;
    let charge = tutorwatch_events::escrow::FeeCollected {
        contract,
        student,
        course: None,
        amount: Fen::new(500_000),
        lessons: 10,
        service_start: d(2025, 9, 6),
        service_end: d(2025, 11, 8),
        supervised_account: Some(inst.account.clone()),
        training_loan: false,
    };
    ledger.add(at, charge.amount, 1);
    em.emit(&inst.who, at, charge);
    let published = local(d(2025, 8, 26), 10, 0, 0, 0)?;
    let preschool = lessons_on(
        inst,
        Subject::Music,
        Mode::Offline,
        10_000,
        &[(d(2025, 9, 6), (10, 0, 0, 0), (11, 0, 0, 0))],
    )?;
    inst.publish(em, published, &preschool, GradeBand::Preschool)?;
    deliver_all(em, inst, &preschool, &[]);
    let holiday = lessons_on(
        inst,
        Subject::FineArts,
        Mode::Online,
        3000,
        &[(d(2025, 10, 3), (19, 0, 0, 0), (19, 30, 0, 0))],
    )?;
    inst.publish(em, published, &holiday, GradeBand::Primary)?;
    deliver_all(em, inst, &holiday, &[]);
    let (coach, _): (TeacherId, _) = inst.hire(
        em,
        local(d(2025, 8, 25), 9, 0, 0, 0)?,
        Subject::Sports,
        false,
    )?;
    let mut sports = lessons_on(
        inst,
        Subject::Sports,
        Mode::Offline,
        6000,
        &[(d(2025, 9, 13), (9, 0, 0, 0), (10, 30, 0, 0))],
    )?;
    sports.teachers = vec![coach];
    inst.publish(em, published, &sports, GradeBand::Primary)?;
    deliver_all(em, inst, &sports, &[]);
    let when = local(d(2025, 9, 20), 10, 0, 0, 0)?;
    for (k, channel) in [AdChannel::PublicPlace, AdChannel::Transit]
        .into_iter()
        .enumerate()
    {
        em.emit(
            &inst.who,
            when,
            AdvertisementObserved {
                ad: token(format!("ad-{}-e{k}", inst.n))?,
                channel,
                subject_training: false,
                aimed_at_minors: false,
                carrier: None,
                course: None,
                claimed_former_price: None,
                advertised_price: None,
                claimed_percent_off: None,
                description: text("成人钢琴体验课")?,
            },
        );
    }
    em.emit(
        &inst.who,
        when,
        AdvertisementObserved {
            ad: token(format!("ad-{}-e9", inst.n))?,
            channel: AdChannel::OwnPremises,
            subject_training: false,
            aimed_at_minors: true,
            carrier: None,
            course: Some(preschool.course.clone()),
            claimed_former_price: Some(Fen::new(10_000)),
            advertised_price: Some(Fen::new(8_100)),
            claimed_percent_off: Some(20),
            description: text("原价100元，8折")?,
        },
    );
    Ok(())
}

/// Shanghai guidance prices met exactly: ¥88 per 45-minute offline lesson in a class of up to
/// 9, ¥22 per 30-minute online lesson (guidance plus the 10 % markup).
fn guide_price_edges(em: &mut Emitter, inst: &mut Inst) -> Result<(), GenError> {
    let d = jiff::civil::date;
    let published = local(d(2025, 8, 25), 10, 0, 0, 0)?;
    let mut offline = lessons_on(
        inst,
        Subject::Mathematics,
        Mode::Offline,
        8800,
        &[(d(2025, 9, 2), (19, 0, 0, 0), (19, 45, 0, 0))],
    )?;
    offline.class_size = 9;
    inst.publish(em, published, &offline, GradeBand::Primary)?;
    let online = lessons_on(
        inst,
        Subject::Chinese,
        Mode::Online,
        2200,
        &[(d(2025, 9, 3), (19, 0, 0, 0), (19, 30, 0, 0))],
    )?;
    inst.publish(em, published, &online, GradeBand::Junior)?;
    Ok(())
}
