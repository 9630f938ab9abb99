//! Edge tests of the fund-supervision and pricing rules.

use tutorwatch_events::kinds::{GradeBand, Mode, Subject};

use super::*;

fn with_fee(f: FeeCollected) -> Projector {
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
fn release_after(delivered_lessons: usize, released: Fen) -> Projector {
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

fn with_money(extra: impl FnOnce(&mut Log)) -> Projector {
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
