//! Planted money cases: prepayment caps just exceeded (one per subject across two contracts, where
//! a local rule counts so), a fee collected a day before a local
//! rule allows, fees outside supervised accounts or on
//! loans, releases ahead of lessons, unpaid and late refunds (and one paid on the last day, and
//! one paid on day 9 whose bank sends it after other banks' clocks passed day 15), a refund a fen
//! short of its pro-rata share (and one paid in full), escrow
//! coverage just below its thresholds, an account closed while owed, a guidance price 1 fen
//! over (and one at the limit until a reschedule shortens its lesson or its price rises a fen),
//! a fee a fen above the posted price (and one at the price a price cut left behind), and a sale
//! while black-listed.

use tutorwatch_events::escrow::{
    DailyBalanceStated, FundsReleased, RefundPaid, RefundRequested, SupervisedAccountClosed,
};
use tutorwatch_events::ids::AccountId;
use tutorwatch_events::kinds::{GradeBand, Mode, Subject};
use tutorwatch_events::schedule::CoursePriceChanged;
use tutorwatch_events::{EventId, Fen};
use tutorwatch_findings::{identity, RuleId};

use crate::clock::local;
use crate::inst::token;
use crate::truth::Expected;
use crate::GenError;

use super::*;

/// Plants `case` if it is one of this module's; `None` if it is not.
pub(super) fn plant(case: &mut Case<'_>) -> Result<Option<Vec<Expected>>, GenError> {
    let (em, inst, name) = (&mut *case.em, &mut case.inst, case.name);
    let n = case.n;
    let published = at(PUBLISHED, 10)?;
    let maths = Subject::Mathematics;
    let account = inst.account.clone();
    let code = inst.who.code.clone();
    let expect = |rule: RuleId, key: String, evidence: Vec<EventId>| {
        Expected::new(name, rule, &code, key, evidence)
    };
    let out = match name {
        "fee_before_approval" => {
            let charge = fee(
                inst,
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
        // In 江苏, where a fee may not be collected earlier than a month before the service
        // starts: collected on 2 November for a service starting on 3 December.
        "fee_collected_1_month_1_day_early" => {
            let charge = fee(
                inst,
                100_000,
                10,
                (
                    jiff::civil::date(2025, 12, 3),
                    jiff::civil::date(2026, 1, 31),
                ),
                Some(account.clone()),
            )?;
            let e = em.emit(&inst.who, published, charge);
            vec![expect(
                RuleId::PrepayEarliestCollect,
                identity(&[&"fee", &e]),
                vec![e],
            )]
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
            let charge = fee(inst, amount, lessons, (start, end), Some(account.clone()))?;
            let e = em.emit(&inst.who, at(jiff::civil::date(2025, 8, 28), 10)?, charge);
            vec![expect(rule, identity(&[&"fee", &e]), vec![e])]
        }
        // In 江苏, where the 60 lessons are counted per subject: one student buys 30 lessons of
        // one maths course and then 31 of another (61 undelivered, each contract legal alone).
        "prepay_30_and_31_lessons_of_one_subject" => {
            let mut student = None;
            let mut last = None;
            for (lessons, hour) in [(30u32, 12), (31, 13)] {
                let plan = inst.plan(
                    maths,
                    Mode::Offline,
                    5000,
                    &[span(DAY, (17, 0, 0), (17, 45, 0))?],
                )?;
                inst.publish(em, published, &plan, GradeBand::Primary)?;
                let mut charge = inst.fee_for(&plan)?;
                let buyer = student.get_or_insert_with(|| charge.student.clone());
                charge.student = buyer.clone();
                charge.lessons = lessons;
                charge.amount = Fen::new(plan.price.get() * u64::from(lessons));
                charge.service_start = DAY;
                charge.service_end = crate::clock::add_days(DAY, 60)?;
                last = Some(em.emit(&inst.who, at(PUBLISHED, hour)?, charge));
            }
            let e = last.ok_or_else(|| GenError::Token("no fee".into()))?;
            vec![expect(
                RuleId::PrepayMax3m60h,
                identity(&[&"fee", &e]),
                vec![e],
            )]
        }
        "fee_outside_supervised_account" | "fee_into_unknown_account" | "fee_training_loan" => {
            let account = match name {
                "fee_outside_supervised_account" => None,
                "fee_into_unknown_account" => Some(token::<AccountId>(format!("acct-{n}-9"))?),
                _ => Some(account.clone()),
            };
            let mut charge = fee(
                inst,
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
            deliver_as_planned(em, inst, &plan, 0);
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
                inst,
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
                    lessons: None,
                },
            );
            // Its bank's own statement for 6 December proves the deadline passed at the bank
            // that pays the refund (other banks' clocks do not count).
            let day = jiff::civil::date(2025, 12, 6);
            em.emit(
                &inst.who,
                local(crate::clock::add_days(day, 1)?, 0, 30, 0, 0)?,
                DailyBalanceStated {
                    account: inst.account.clone(),
                    date: day,
                    balance: Fen::new(150_000),
                },
            );
            vec![expect(
                RuleId::RefundProrata,
                identity(&[&"refund", &e]),
                vec![e],
            )]
        }
        "refund_paid_day_15" | "refund_paid_day_16" => {
            // Requested on 20 November; 15 days allow paying until the end of 5 December
            // (local time). Paid at 23:59:59 that day is in time; at 00:00 on the 6th it is late.
            let charge = fee(
                inst,
                100_000,
                10,
                (DAY, crate::clock::add_days(DAY, 60)?),
                Some(account.clone()),
            )?;
            let contract = charge.contract.clone();
            em.emit(&inst.who, published, charge);
            let requested = em.emit(
                &inst.who,
                at(jiff::civil::date(2025, 11, 20), 10)?,
                RefundRequested {
                    contract: contract.clone(),
                    amount: Fen::new(50_000),
                    lessons: None,
                },
            );
            let paid_at = if name == "refund_paid_day_15" {
                local(jiff::civil::date(2025, 12, 5), 23, 59, 59, 0)?
            } else {
                local(jiff::civil::date(2025, 12, 6), 0, 0, 0, 0)?
            };
            em.emit(
                &inst.who,
                paid_at,
                RefundPaid {
                    contract,
                    account: Some(account.clone()),
                    amount: Fen::new(50_000),
                },
            );
            if name == "refund_paid_day_15" {
                Vec::new()
            } else {
                vec![expect(
                    RuleId::RefundProrata,
                    identity(&[&"refund", &requested]),
                    vec![requested],
                )]
            }
        }
        "refund_paid_day_9_sent_after_other_banks_day_15" => {
            // Requested on 20 November, paid on the 29th (day 9), but the bank's backlog is
            // sent on 20 December, after other banks' statements past 5 December. The deadline
            // is judged by this bank's clock (it pays the refund), so the payment is in time.
            let charge = fee(
                inst,
                100_000,
                10,
                (DAY, crate::clock::add_days(DAY, 60)?),
                Some(account.clone()),
            )?;
            let contract = charge.contract.clone();
            em.emit(&inst.who, published, charge);
            em.emit(
                &inst.who,
                at(jiff::civil::date(2025, 11, 20), 10)?,
                RefundRequested {
                    contract: contract.clone(),
                    amount: Fen::new(50_000),
                    lessons: None,
                },
            );
            em.emit_sent(
                &inst.who,
                at(jiff::civil::date(2025, 11, 29), 15)?,
                at(jiff::civil::date(2025, 12, 20), 9)?,
                RefundPaid {
                    contract,
                    account: Some(account.clone()),
                    amount: Fen::new(50_000),
                },
            );
            Vec::new()
        }
        "refund_pro_rata_1_fen_short" | "refund_pro_rata_paid_in_full" => {
            // ¥1,000 for 10 lessons, none delivered; the family withdraws from 5 and asks for
            // 1 fen less than their price, which the bank pays on day 9. Pro rata it is owed
            // ¥500.00: 1 fen short is still owed once the bank's clock passes day 15 (its
            // statement for 6 December); paying the full ¥500.00 settles it.
            let short = name == "refund_pro_rata_1_fen_short";
            let charge = fee(
                inst,
                100_000,
                10,
                (DAY, crate::clock::add_days(DAY, 60)?),
                Some(account.clone()),
            )?;
            let contract = charge.contract.clone();
            em.emit(&inst.who, published, charge);
            let amount = Fen::new(if short { 49_999 } else { 50_000 });
            let requested = em.emit(
                &inst.who,
                at(jiff::civil::date(2025, 11, 20), 10)?,
                RefundRequested {
                    contract: contract.clone(),
                    amount,
                    lessons: Some(5),
                },
            );
            em.emit(
                &inst.who,
                at(jiff::civil::date(2025, 11, 29), 15)?,
                RefundPaid {
                    contract,
                    account: Some(account.clone()),
                    amount,
                },
            );
            let day = jiff::civil::date(2025, 12, 6);
            em.emit(
                &inst.who,
                local(crate::clock::add_days(day, 1)?, 0, 30, 0, 0)?,
                DailyBalanceStated {
                    account: inst.account.clone(),
                    date: day,
                    balance: Fen::new(150_000),
                },
            );
            if short {
                vec![expect(
                    RuleId::RefundProrata,
                    identity(&[&"refund", &requested]),
                    vec![requested],
                )]
            } else {
                Vec::new()
            }
        }
        "escrow_coverage_109_99" | "escrow_coverage_100_00" | "escrow_coverage_99_99" => {
            let (balance, rule) = match name {
                "escrow_coverage_109_99" => (109_999, RuleId::EscrowShortfallWarn),
                "escrow_coverage_100_00" => (100_000, RuleId::EscrowShortfallWarn),
                _ => (99_999, RuleId::EscrowShortfall),
            };
            let charge = fee(
                inst,
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
                inst,
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
        // At ¥88.00 per 45 minutes a course is at the limit: published at ¥88.01 it is over it,
        // and so it is once a reschedule shortens the lesson to 44 minutes (¥90.00 per 45) or
        // the posted price rises a fen. The event that put it over is the evidence.
        "guide_price_8801_per_45min"
        | "guide_price_8800_rescheduled_to_44min"
        | "guide_price_8800_raised_to_8801" => {
            let published_price = if name == "guide_price_8801_per_45min" {
                8801
            } else {
                8800
            };
            let mut plan = inst.plan(
                maths,
                Mode::Offline,
                published_price,
                &[span(DAY, (19, 0, 0), (19, 45, 0))?],
            )?;
            plan.class_size = 9;
            let publication = inst.publish(em, published, &plan, GradeBand::Primary)?;
            let change: Option<tutorwatch_events::Event> = match name {
                "guide_price_8800_raised_to_8801" => Some(
                    CoursePriceChanged {
                        course: plan.course.clone(),
                        price_per_lesson: Fen::new(8801),
                    }
                    .into(),
                ),
                "guide_price_8800_rescheduled_to_44min" => {
                    let mut shorter = plan.sessions.clone();
                    shorter[0].end = local(DAY, 19, 44, 0, 0)?;
                    Some(
                        tutorwatch_events::schedule::CourseRescheduled {
                            course: plan.course.clone(),
                            sessions: shorter,
                        }
                        .into(),
                    )
                }
                _ => None,
            };
            let e = match change {
                Some(change) => em.emit(&inst.who, at(PUBLISHED, 15)?, change),
                None => publication,
            };
            vec![expect(
                RuleId::GovGuidePrice,
                identity(&[&identity(&[&"plan", &plan.course]), &"guide_price"]),
                vec![e],
            )]
        }
        // A fee a fen above the posted price: ¥50.01 for a lesson of a course published at
        // ¥50.00, or ¥50.00 once its price was cut to ¥49.99 the hour before.
        "fee_above_posted_price_by_1_fen" | "fee_at_old_price_after_price_cut" => {
            let plan = inst.plan(
                maths,
                Mode::Offline,
                5000,
                &[span(DAY, (18, 0, 0), (18, 45, 0))?],
            )?;
            inst.publish(em, published, &plan, GradeBand::Primary)?;
            let mut charge = inst.fee_for(&plan)?;
            if name == "fee_at_old_price_after_price_cut" {
                let cut = CoursePriceChanged {
                    course: plan.course.clone(),
                    price_per_lesson: Fen::new(4999),
                };
                em.emit(&inst.who, at(PUBLISHED, 11)?, cut);
            } else {
                charge.amount = Fen::new(charge.amount.get() + 1);
            }
            let e = em.emit(&inst.who, at(PUBLISHED, 12)?, charge);
            vec![expect(
                RuleId::PriceDisclosure,
                identity(&[&"fee", &e]),
                vec![e],
            )]
        }
        "black_listed_sale" => {
            let outside = fee(
                inst,
                100_000,
                10,
                (DAY, crate::clock::add_days(DAY, 60)?),
                None,
            )?;
            let first = em.emit(&inst.who, published, outside);
            let legal = fee(
                inst,
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

        _ => return Ok(None),
    };
    Ok(Some(out))
}
