//! Edge tests of the fund-supervision and pricing rules.

use tutorwatch_events::kinds::{GradeBand, Mode, Subject};
use tutorwatch_events::registry::{Site, SiteAdded};
use tutorwatch_findings::Measure;

use super::*;

fn with_fee(f: FeeCollected) -> Booked {
    let mut log = Log::new();
    log.licensed_subject_institution();
    log.push(
        "2025-08-20T10:00:00+08:00",
        course(
            "c-1",
            Subject::Music,
            GradeBand::Primary,
            Mode::Offline,
            vec![session(
                "l-1",
                "2025-09-01T17:00:00+08:00",
                "2025-09-01T17:30:00+08:00",
            )],
        ),
    );
    log.push("2025-09-01T10:00:00+08:00", f);
    run(&log.events)
}

fn music_fee(amount: Fen, lessons: u32, start: &str, end: &str) -> FeeCollected {
    let mut f = fee("k-1", amount, lessons, start, end);
    f.course = Some(tok!(CourseId, "c-1"));
    f
}

#[test]
fn the_5000_yuan_cap_for_non_subject_training() {
    let p = with_fee(music_fee(Fen::yuan(5000), 20, "2025-09-01", "2025-11-30"));
    assert!(of_rule(&p, RuleId::PrepayMax5000).is_empty());
    let p = with_fee(music_fee(Fen::new(500_001), 20, "2025-09-01", "2025-11-30"));
    let found = of_rule(&p, RuleId::PrepayMax5000);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].description,
        "one charge of ¥5000.01 > ¥5000.00 (national, from 2022-12-01)"
    );
    // Subject training has no national ¥5,000 entry.
    let mut maths = fee("k-1", Fen::yuan(6000), 20, "2025-09-01", "2025-11-30");
    maths.course = None;
    let p = with_fee(maths);
    assert!(of_rule(&p, RuleId::PrepayMax5000).is_empty());
}

#[test]
fn three_months_or_60_lessons() {
    let p = with_fee(music_fee(Fen::yuan(1000), 60, "2025-09-01", "2025-11-30"));
    assert!(of_rule(&p, RuleId::PrepayMax3m60h).is_empty());
    let p = with_fee(music_fee(Fen::yuan(1000), 61, "2025-09-01", "2025-11-30"));
    assert_eq!(of_rule(&p, RuleId::PrepayMax3m60h).len(), 1);
    let p = with_fee(music_fee(Fen::yuan(1000), 20, "2025-09-01", "2025-12-01"));
    assert_eq!(of_rule(&p, RuleId::PrepayMax3m60h).len(), 1);
}

#[test]
fn fees_go_into_an_open_supervised_account_and_never_through_a_loan() {
    let mut outside = music_fee(Fen::yuan(1000), 20, "2025-09-01", "2025-11-30");
    outside.supervised_account = None;
    assert_eq!(
        of_rule(&with_fee(outside), RuleId::PrepayDedicatedAccount).len(),
        1
    );
    let mut unknown = music_fee(Fen::yuan(1000), 20, "2025-09-01", "2025-11-30");
    unknown.supervised_account = Some(tok!(AccountId, "acct-x"));
    assert_eq!(
        of_rule(&with_fee(unknown), RuleId::PrepayDedicatedAccount).len(),
        1
    );
    let fine = music_fee(Fen::yuan(1000), 20, "2025-09-01", "2025-11-30");
    assert!(of_rule(&with_fee(fine.clone()), RuleId::PrepayDedicatedAccount).is_empty());
    let mut loan = fine;
    loan.training_loan = true;
    assert_eq!(of_rule(&with_fee(loan), RuleId::NoTrainingLoan).len(), 1);
}

/// A 10-lesson ¥1,000 contract for course c-1 with `delivered` lessons delivered, then a release.
fn release_after(delivered_lessons: usize, released: Fen) -> Booked {
    let mut log = Log::new();
    log.licensed_subject_institution();
    log.push(
        "2025-08-20T10:00:00+08:00",
        course(
            "c-1",
            Subject::Mathematics,
            GradeBand::Primary,
            Mode::Offline,
            vec![session(
                "l-1",
                "2025-09-01T17:00:00+08:00",
                "2025-09-01T17:30:00+08:00",
            )],
        ),
    );
    let mut f = fee("k-1", Fen::yuan(1000), 10, "2025-09-01", "2025-11-30");
    f.course = Some(tok!(CourseId, "c-1"));
    log.push("2025-08-25T10:00:00+08:00", f);
    for i in 0..delivered_lessons {
        let day = format!("2025-09-{:02}", i + 1);
        log.push(
            &format!("{day}T18:00:00+08:00"),
            delivered(
                "c-1",
                &format!("l-{i}"),
                &format!("{day}T17:00:00+08:00"),
                &format!("{day}T17:30:00+08:00"),
            ),
        );
    }
    log.push("2025-09-20T10:00:00+08:00", release("k-1", released, 3));
    run(&log.events)
}

#[test]
fn releases_follow_delivered_lessons() {
    assert!(of_rule(&release_after(3, Fen::yuan(300)), RuleId::ReleasePerLesson).is_empty());
    let found = of_rule(
        &release_after(3, Fen::new(30_001)),
        RuleId::ReleasePerLesson,
    );
    assert_eq!(found.len(), 1);
    assert!(
        found[0].description.contains("¥300.01 > ¥300.00"),
        "{}",
        found[0].description
    );
}

fn with_money(extra: impl FnOnce(&mut Log)) -> Booked {
    let mut log = Log::new();
    log.licensed_subject_institution();
    log.push(
        "2025-09-01T10:00:00+08:00",
        fee("k-1", Fen::yuan(1000), 10, "2025-09-01", "2025-11-30"),
    );
    extra(&mut log);
    run(&log.events)
}

#[test]
fn escrow_balance_against_what_families_are_owed() {
    // Owed ¥1,000: warning below 110 % (¥1,100), serious below 100 %.
    let p = with_money(|log| {
        log.push(
            "2025-09-02T01:00:00+08:00",
            balance("2025-09-01", Fen::yuan(1100)),
        );
    });
    assert!(of_rule(&p, RuleId::EscrowShortfallWarn).is_empty());
    let p = with_money(|log| {
        log.push(
            "2025-09-02T01:00:00+08:00",
            balance("2025-09-01", Fen::new(109_999)),
        );
        log.push(
            "2025-09-03T01:00:00+08:00",
            balance("2025-09-02", Fen::new(109_999)),
        );
        log.push(
            "2025-09-04T01:00:00+08:00",
            balance("2025-09-03", Fen::yuan(1000)),
        );
    });
    assert_eq!(
        of_rule(&p, RuleId::EscrowShortfallWarn).len(),
        1,
        "one per episode"
    );
    assert!(
        of_rule(&p, RuleId::EscrowShortfall).is_empty(),
        "exactly covered is not a shortfall"
    );
    let p = with_money(|log| {
        log.push(
            "2025-09-02T01:00:00+08:00",
            balance("2025-09-01", Fen::new(99_999)),
        );
    });
    assert_eq!(of_rule(&p, RuleId::EscrowShortfall).len(), 1);
}

#[test]
fn closing_an_account_while_families_are_owed() {
    let p = with_money(|log| {
        log.push("2025-09-05T10:00:00+08:00", account_closed());
    });
    assert_eq!(of_rule(&p, RuleId::AccountClosedWhileOwed).len(), 1);
    let p = with_money(|log| {
        log.push(
            "2025-09-04T10:00:00+08:00",
            release("k-1", Fen::yuan(1000), 10),
        );
        log.push("2025-09-05T10:00:00+08:00", account_closed());
    });
    assert!(of_rule(&p, RuleId::AccountClosedWhileOwed).is_empty());
}

#[test]
fn refunds_are_judged_late_only_when_a_later_event_proves_the_deadline_passed() {
    // Requested 9/1; 15 days: due by the end of 9/16 (Asia/Shanghai).
    let requested = |log: &mut Log| {
        log.push(
            "2025-09-01T12:00:00+08:00",
            refund_requested("k-1", Fen::yuan(500)),
        );
    };
    let p = with_money(|log| {
        requested(log);
        log.push(
            "2025-09-16T23:59:59+08:00",
            refund_paid("k-1", Fen::yuan(500)),
        );
        log.push(
            "2025-10-01T01:00:00+08:00",
            balance("2025-09-30", Fen::yuan(500)),
        );
    });
    assert!(of_rule(&p, RuleId::RefundProrata).is_empty());
    let p = with_money(|log| {
        requested(log);
        log.push(
            "2025-09-17T00:00:00+08:00",
            refund_paid("k-1", Fen::yuan(500)),
        );
    });
    assert_eq!(
        of_rule(&p, RuleId::RefundProrata).len(),
        1,
        "paid one second late"
    );
    let p = with_money(|log| {
        requested(log);
        // The bank's statement for 9/16, sent early on 9/16 (as the log records it), proves 9/16 is over.
        log.push(
            "2025-09-16T08:00:00+08:00",
            balance("2025-09-16", Fen::yuan(1000)),
        );
    });
    let found = of_rule(&p, RuleId::RefundProrata);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].evidence.len(), 2);
    let p = with_money(|log| {
        requested(log);
        log.push(
            "2025-09-16T08:00:00+08:00",
            balance("2025-09-15", Fen::yuan(1000)),
        );
    });
    assert!(
        of_rule(&p, RuleId::RefundProrata).is_empty(),
        "nothing proves the deadline passed"
    );
}

#[test]
fn a_refund_naming_its_lessons_is_owed_their_price_pro_rata() {
    // ¥1,000 for 10 lessons; 2 released (delivered) by 9/10. Withdrawing from 5 of the 8 left
    // is owed ¥500 whatever the request says; from 9 (more than are left), the 8 left: ¥800.
    let run_with = |lessons: u32, asked: Fen, paid: Fen| {
        with_money(|log| {
            log.push(
                "2025-09-10T10:00:00+08:00",
                release("k-1", Fen::yuan(200), 2),
            );
            let mut request = refund_requested("k-1", asked);
            request.lessons = Some(lessons);
            log.push("2025-09-11T12:00:00+08:00", request);
            log.push("2025-09-20T10:00:00+08:00", refund_paid("k-1", paid));
            // The bank's statement for 9/30 proves the deadline (end of 9/26) passed.
            log.push(
                "2025-10-01T01:00:00+08:00",
                balance("2025-09-30", Fen::yuan(1000)),
            );
        })
    };
    let exact = run_with(5, Fen::yuan(500), Fen::yuan(500));
    assert!(of_rule(&exact, RuleId::RefundProrata).is_empty());
    let short = run_with(5, Fen::new(49_999), Fen::new(49_999));
    let found = of_rule(&short, RuleId::RefundProrata);
    assert_eq!(found.len(), 1, "1 fen short of pro rata");
    let figure = |name: &str| {
        found[0]
            .figures
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.clone())
    };
    assert_eq!(figure("unpaid"), Some(Measure::Money(Fen::new(1))));
    assert_eq!(figure("due_pro_rata"), Some(Measure::Money(Fen::yuan(500))));
    assert_eq!(figure("withdrawn_lessons"), Some(Measure::Count(5)));
    // Asking for more than pro rata is owed in full, as before.
    let asked_more = run_with(5, Fen::yuan(600), Fen::yuan(500));
    assert_eq!(of_rule(&asked_more, RuleId::RefundProrata).len(), 1);
    // Withdrawing from more lessons than are left is owed the ones left.
    let capped = run_with(9, Fen::yuan(800), Fen::yuan(800));
    assert!(of_rule(&capped, RuleId::RefundProrata).is_empty());
    let capped_short = run_with(9, Fen::yuan(800), Fen::new(79_999));
    assert_eq!(of_rule(&capped_short, RuleId::RefundProrata).len(), 1);
}

/// The refund every clock test waits on: ¥500 of contract k-1 (fees in acct-1, held by bank-1),
/// requested on 9/1, so 15 days allow paying until the end of 9/16 (Asia/Shanghai).
fn request_refund(log: &mut Log) {
    log.push(
        "2025-09-01T12:00:00+08:00",
        refund_requested("k-1", Fen::yuan(500)),
    );
}

/// The instant the refund of [`request_refund`] falls due.
const DUE: &str = "2025-09-17T00:00:00+08:00";

/// Pushes `event` about another institution (with no money owed anywhere), sent by `producer`.
fn about_other(log: &mut Log, producer: Producer, at: &str, event: impl Into<Event>) {
    let own = std::mem::replace(&mut log.institution, code(FOR_PROFIT_CODE));
    log.push_by(producer, at, event);
    log.institution = own;
}

/// The other institution as a producer.
fn other_institution() -> Producer {
    Producer::Institution(code(FOR_PROFIT_CODE))
}

/// A legal offline music course of the institution, with one lesson on `day` (YYYY-MM-DD).
fn music_course(id: &str, day: &str) -> CoursePublished {
    course(
        id,
        Subject::Music,
        GradeBand::Primary,
        Mode::Offline,
        vec![session(
            "l-1",
            &format!("{day}T17:00:00+08:00"),
            &format!("{day}T17:30:00+08:00"),
        )],
    )
}

/// Every producer but the awaited bank moves its clock past 9/16: another bank (about another
/// institution and about a second account of this one), another institution, the registry and
/// the institution that owes the refund.
fn others_move_past_day_15(log: &mut Log) {
    about_other(
        log,
        bank("bank-2"),
        "2025-09-30T01:00:00+08:00",
        balance("2025-09-29", Fen::yuan(1)),
    );
    log.push_by(
        bank("bank-2"),
        "2025-09-30T01:00:00+08:00",
        DailyBalanceStated {
            account: tok!(AccountId, "acct-2"),
            date: date("2025-09-29"),
            balance: Fen::yuan(1),
        },
    );
    about_other(
        log,
        other_institution(),
        "2025-09-30T10:00:00+08:00",
        music_course("c-9", "2025-10-13"),
    );
    log.push(
        "2025-09-30T11:00:00+08:00",
        music_course("c-1", "2025-10-14"),
    );
    log.push(
        "2025-09-30T12:00:00+08:00",
        SiteAdded {
            site: Site {
                id: tok!(SiteId, "site-2"),
                address: text("韶关市浈江区风度中路2号"),
            },
        },
    );
}

#[test]
fn an_event_dated_2030_from_another_bank_makes_no_refund_overdue() {
    let p = with_money(|log| {
        request_refund(log);
        about_other(
            log,
            bank("bank-2"),
            "2030-01-01T10:00:00+08:00",
            balance("2029-12-31", Fen::yuan(1)),
        );
        // An older event of the same bank does not move its clock back.
        about_other(
            log,
            bank("bank-2"),
            "2025-09-02T10:00:00+08:00",
            balance("2025-09-01", Fen::yuan(1)),
        );
    });
    assert!(of_rule(&p, RuleId::RefundProrata).is_empty());
    let clocks = &p.projector().facts().clocks;
    assert_eq!(
        clocks.get(&bank("bank-2")),
        Some(t("2030-01-01T10:00:00+08:00")),
        "monotone"
    );
    assert_eq!(
        clocks.get(&bank("bank-1")),
        Some(t("2025-09-01T12:00:00+08:00"))
    );
    // One clock per producer: the registry, bank-1 and bank-2.
    assert_eq!(clocks.len(), 3);
}

#[test]
fn other_producers_clocks_past_the_deadline_make_no_refund_overdue() {
    let p = with_money(|log| {
        request_refund(log);
        others_move_past_day_15(log);
    });
    assert!(
        of_rule(&p, RuleId::RefundProrata).is_empty(),
        "another bank, another institution, the registry and the institution itself are not \
         the bank that pays the refund"
    );
}

#[test]
fn a_refund_paid_on_day_9_is_in_time_after_other_producers_passed_day_15() {
    let p = with_money(|log| {
        request_refund(log);
        others_move_past_day_15(log);
        // bank-1's backlog arrives after everyone else's later events.
        log.push(
            "2025-09-10T15:00:00+08:00",
            refund_paid("k-1", Fen::yuan(500)),
        );
        log.push(
            "2025-10-01T01:00:00+08:00",
            balance("2025-09-30", Fen::yuan(500)),
        );
    });
    assert!(of_rule(&p, RuleId::RefundProrata).is_empty());
}

#[test]
fn the_awaited_banks_own_clock_past_day_15_makes_the_unpaid_refund_late() {
    // bank-1's statement for another institution's account proves 9/16 is over at bank-1.
    let p = with_money(|log| {
        request_refund(log);
        others_move_past_day_15(log);
        about_other(
            log,
            bank("bank-1"),
            "2025-09-17T01:00:00+08:00",
            balance("2025-09-16", Fen::yuan(1)),
        );
    });
    let found = of_rule(&p, RuleId::RefundProrata);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].institution,
        code(CODE),
        "about the institution owing it"
    );
    assert_eq!(found[0].occurred_at, t(DUE));
    assert_eq!(found[0].evidence.len(), 2, "the request and the statement");
    // Its statement for 9/15 proves only that 9/15 is over.
    let p = with_money(|log| {
        request_refund(log);
        about_other(
            log,
            bank("bank-1"),
            "2025-09-16T01:00:00+08:00",
            balance("2025-09-15", Fen::yuan(1)),
        );
    });
    assert!(of_rule(&p, RuleId::RefundProrata).is_empty());
}

#[test]
fn a_refund_waits_on_the_bank_holding_the_account_whoever_reports_the_request() {
    let requested_by_bank_2 = |log: &mut Log| {
        log.push_by(
            bank("bank-2"),
            "2025-09-01T12:00:00+08:00",
            refund_requested("k-1", Fen::yuan(500)),
        );
        log.push_by(
            bank("bank-2"),
            "2025-09-30T01:00:00+08:00",
            DailyBalanceStated {
                account: tok!(AccountId, "acct-2"),
                date: date("2025-09-29"),
                balance: Fen::yuan(1),
            },
        );
    };
    let p = with_money(requested_by_bank_2);
    assert!(of_rule(&p, RuleId::RefundProrata).is_empty());
    let p = with_money(|log| {
        requested_by_bank_2(log);
        log.push(
            "2025-09-30T01:00:00+08:00",
            balance("2025-09-29", Fen::yuan(1000)),
        );
    });
    assert_eq!(of_rule(&p, RuleId::RefundProrata).len(), 1);
}

#[test]
fn a_payment_dated_after_the_deadline_is_late_whoever_reports_it() {
    let paid_by_bank_2 = |at: &'static str| {
        with_money(move |log| {
            request_refund(log);
            log.push_by(bank("bank-2"), at, refund_paid("k-1", Fen::yuan(500)));
        })
    };
    assert_eq!(
        of_rule(&paid_by_bank_2(DUE), RuleId::RefundProrata).len(),
        1,
        "paid at 00:00 on 9/17"
    );
    assert!(of_rule(
        &paid_by_bank_2("2025-09-16T23:59:59+08:00"),
        RuleId::RefundProrata
    )
    .is_empty());
}

#[test]
fn guidance_prices_allow_ten_percent_above_the_base() {
    let published = |price: Fen| {
        let mut log = Log::for_institution(CODE, "310104");
        log.licensed_subject_institution();
        let mut c = course(
            "c-1",
            Subject::Mathematics,
            GradeBand::Primary,
            Mode::Offline,
            vec![session(
                "l-1",
                "2025-09-01T17:00:00+08:00",
                "2025-09-01T17:45:00+08:00",
            )],
        );
        c.price_per_lesson = price;
        c.class_size_max = 30;
        log.push("2025-08-20T10:00:00+08:00", c);
        of_rule(&run(&log.events), RuleId::GovGuidePrice)
    };
    // Band 10–35: ¥60 base, +10 % = ¥66 per 45 minutes.
    assert!(published(Fen::yuan(66)).is_empty());
    assert_eq!(published(Fen::new(6601)).len(), 1);
}

#[test]
fn a_reschedule_that_shortens_the_lessons_is_judged_against_the_guidance_price_again() {
    let rescheduled_to = |end: &str| {
        let mut log = Log::for_institution(CODE, "310104");
        log.licensed_subject_institution();
        let mut c = course(
            "c-1",
            Subject::Mathematics,
            GradeBand::Primary,
            Mode::Offline,
            vec![session(
                "l-1",
                "2025-09-01T17:00:00+08:00",
                "2025-09-01T17:45:00+08:00",
            )],
        );
        c.price_per_lesson = Fen::yuan(66);
        c.class_size_max = 30;
        log.push("2025-08-20T10:00:00+08:00", c);
        log.push(
            "2025-08-21T10:00:00+08:00",
            tutorwatch_events::schedule::CourseRescheduled {
                course: tutorwatch_events::ids::CourseId::parse("c-1").expect("id"),
                sessions: vec![session("l-1", "2025-09-01T17:00:00+08:00", end)],
            },
        );
        let reschedule = log.events.last().expect("pushed").envelope.event_id;
        (
            of_rule(&run(&log.events), RuleId::GovGuidePrice),
            reschedule,
        )
    };
    // ¥66 for 45 minutes is the limit; the same ¥66 for 44 minutes is ¥67.50 per 45.
    assert!(rescheduled_to("2025-09-01T17:45:00+08:00").0.is_empty());
    let (findings, reschedule) = rescheduled_to("2025-09-01T17:44:00+08:00");
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].evidence[0].event_id, reschedule);
    assert!(
        findings[0].description.contains("67.50"),
        "{}",
        findings[0].description
    );
}

/// A licensed institution with a music course, then `fees` (and releases) in order.
fn with_charges(charges: Vec<(&str, Event)>) -> Booked {
    let mut log = Log::new();
    log.licensed_subject_institution();
    log.push(
        "2025-08-20T10:00:00+08:00",
        course(
            "c-1",
            Subject::Music,
            GradeBand::Primary,
            Mode::Offline,
            vec![session(
                "l-1",
                "2025-09-01T17:00:00+08:00",
                "2025-09-01T17:30:00+08:00",
            )],
        ),
    );
    for (at, event) in charges {
        log.push(at, event);
    }
    run(&log.events)
}

#[test]
fn split_charges_on_one_contract_are_judged_together() {
    // 40 + 40 lessons minutes apart: 80 prepaid and undelivered > 60.
    let p = with_charges(vec![
        (
            "2025-09-01T10:00:00+08:00",
            music_fee(Fen::yuan(1000), 40, "2025-09-01", "2025-11-01").into(),
        ),
        (
            "2025-09-01T10:05:00+08:00",
            music_fee(Fen::yuan(1000), 40, "2025-09-01", "2025-11-01").into(),
        ),
    ]);
    let found = of_rule(&p, RuleId::PrepayMax3m60h);
    assert_eq!(found.len(), 1, "the second charge crosses the cap");
    assert!(
        found[0].description.contains("80 lessons > 60")
            && found[0].description.contains("prepaid and undelivered"),
        "{}",
        found[0].description
    );
    // ¥3,000 + ¥3,000 on a non-subject contract: ¥6,000 > ¥5,000.
    let p = with_charges(vec![
        (
            "2025-09-01T10:00:00+08:00",
            music_fee(Fen::yuan(3000), 10, "2025-09-01", "2025-11-01").into(),
        ),
        (
            "2025-09-01T10:05:00+08:00",
            music_fee(Fen::yuan(3000), 10, "2025-09-01", "2025-11-01").into(),
        ),
    ]);
    assert_eq!(of_rule(&p, RuleId::PrepayMax5000).len(), 1);
    // What was delivered and released no longer counts: 40, 30 released, then 40 = 50.
    let p = with_charges(vec![
        (
            "2025-09-01T10:00:00+08:00",
            music_fee(Fen::yuan(1000), 40, "2025-09-01", "2025-11-01").into(),
        ),
        (
            "2025-10-01T10:00:00+08:00",
            release("k-1", Fen::yuan(750), 30).into(),
        ),
        (
            "2025-10-01T10:05:00+08:00",
            music_fee(Fen::yuan(1000), 40, "2025-10-01", "2025-11-30").into(),
        ),
    ]);
    assert!(of_rule(&p, RuleId::PrepayMax3m60h).is_empty());
    // Exactly at the cap (30 + 30) is legal.
    let p = with_charges(vec![
        (
            "2025-09-01T10:00:00+08:00",
            music_fee(Fen::yuan(1000), 30, "2025-09-01", "2025-11-01").into(),
        ),
        (
            "2025-09-01T10:05:00+08:00",
            music_fee(Fen::yuan(1000), 30, "2025-09-01", "2025-11-01").into(),
        ),
    ]);
    assert!(of_rule(&p, RuleId::PrepayMax3m60h).is_empty());
}

#[test]
fn in_jiangsu_a_fee_may_be_collected_a_month_before_the_service_and_not_a_day_earlier() {
    let collected_on = |region: &'static str, at: &str| {
        let mut log = Log::for_institution(CODE, region);
        log.licensed_subject_institution();
        log.push_by(
            bank("bank-1"),
            at,
            fee("k-1", Fen::yuan(1000), 10, "2025-12-03", "2026-01-31"),
        );
        of_rule(&run(&log.events), RuleId::PrepayEarliestCollect)
    };
    // A month before 3 December is 3 November, in Nanjing's civil time.
    assert!(collected_on("320102", "2025-11-03T00:00:00+08:00").is_empty());
    let early = collected_on("320102", "2025-11-02T23:59:59+08:00");
    assert_eq!(early.len(), 1, "{early:?}");
    assert!(
        early[0].description.contains("2025-11-03"),
        "{}",
        early[0].description
    );
    // Not a national rule: Shanghai sets no such figure.
    assert!(collected_on("310104", "2025-10-01T10:00:00+08:00").is_empty());
}

#[test]
fn in_jiangsu_the_60_lessons_are_counted_per_subject_across_a_students_contracts() {
    // Two maths courses and one music course; one student buys `lessons` of each, one contract
    // per course, and 5 of the first maths contract's lessons are released before the last.
    let judge = |region: &'static str, lessons: [u32; 3], released: u32| {
        let mut log = Log::for_institution(CODE, region);
        log.licensed_subject_institution();
        for (id, subject) in [
            ("c-1", Subject::Mathematics),
            ("c-2", Subject::Mathematics),
            ("c-3", Subject::Music),
        ] {
            log.push(
                "2025-08-20T10:00:00+08:00",
                course(
                    id,
                    subject,
                    GradeBand::Primary,
                    Mode::Offline,
                    vec![session(
                        "l-1",
                        "2025-09-01T17:00:00+08:00",
                        "2025-09-01T17:30:00+08:00",
                    )],
                ),
            );
        }
        for (i, (id, count)) in ["c-1", "c-3", "c-2"].iter().zip(lessons).enumerate() {
            let contract = format!("k-{}", i + 1);
            let mut f = fee(
                &contract,
                Fen::yuan(100 * u64::from(count)),
                count,
                "2025-09-01",
                "2025-10-31",
            );
            f.course = Some(tok!(CourseId, id));
            if i == 2 && released > 0 {
                log.push(
                    "2025-09-05T10:00:00+08:00",
                    release("k-1", Fen::yuan(100 * u64::from(released)), released),
                );
            }
            log.push(
                &format!(
                    "2025-09-0{}T10:00:00+08:00",
                    i + 1 + 4 * usize::from(i == 2)
                ),
                f,
            );
        }
        of_rule(&run(&log.events), RuleId::PrepayMax3m60h)
    };
    // 30 + 30 maths is the cap; the music contract's 40 do not count.
    assert!(judge("320102", [30, 40, 30], 0).is_empty());
    let found = judge("320102", [30, 40, 31], 0);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].description_zh.contains("数学"),
        "{}",
        found[0].description_zh
    );
    // Lessons already delivered (released) no longer count.
    assert!(judge("320102", [30, 40, 35], 5).is_empty());
    // Nationally each contract is judged alone.
    assert!(judge("440204", [30, 40, 31], 0).is_empty());
}

#[test]
fn a_fee_may_not_charge_more_per_lesson_than_the_course_was_last_published_at() {
    let charged = |prices: &[Fen], amount: Fen| {
        let mut log = Log::new();
        log.licensed_subject_institution();
        for (i, price) in prices.iter().enumerate() {
            let mut c = course(
                "c-1",
                Subject::Mathematics,
                GradeBand::Primary,
                Mode::Offline,
                vec![session(
                    "l-1",
                    "2025-09-03T17:00:00+08:00",
                    "2025-09-03T17:45:00+08:00",
                )],
            );
            c.price_per_lesson = *price;
            log.push(&format!("2025-08-2{i}T10:00:00+08:00"), c);
        }
        let mut f = fee("k-1", amount, 10, "2025-09-01", "2025-09-30");
        f.course = Some(tutorwatch_events::ids::CourseId::parse("c-1").expect("id"));
        log.push_by(bank("bank-1"), "2025-08-30T10:00:00+08:00", f);
        of_rule(&run(&log.events), RuleId::PriceDisclosure)
    };
    assert!(charged(&[Fen::yuan(66)], Fen::yuan(660)).is_empty());
    let found = charged(&[Fen::yuan(66)], Fen::new(66_001));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].description_zh.contains("660.00 元"),
        "{}",
        found[0].description_zh
    );
    // Republished at ¥70: the posted price is the latest.
    assert!(charged(&[Fen::yuan(66), Fen::yuan(70)], Fen::yuan(700)).is_empty());
    assert_eq!(
        charged(&[Fen::yuan(70), Fen::yuan(66)], Fen::yuan(700)).len(),
        1
    );
}
