//! Edge tests of the advertising rules and NO_FAKE_ORIGINAL_PRICE.

use tutorwatch_events::advertising::{AdChannel, AdvertisementObserved, SchoolCarrier};
use tutorwatch_events::ids::AdId;
use tutorwatch_events::kinds::{GradeBand, Mode, Subject};

use super::*;

fn ad(channel: AdChannel, subject_training: bool) -> AdvertisementObserved {
    AdvertisementObserved {
        ad: tok!(AdId, "ad-1"),
        channel,
        subject_training,
        aimed_at_minors: true,
        carrier: None,
        course: None,
        claimed_former_price: None,
        advertised_price: None,
        claimed_percent_off: None,
        description: text("广告"),
    }
}

fn observe(region_code: &str, observed: AdvertisementObserved) -> Booked {
    let mut log = Log::for_institution(CODE, region_code);
    log.licensed_subject_institution();
    log.push(
        "2025-08-20T10:00:00+08:00",
        course(
            "c-1",
            Subject::Mathematics,
            GradeBand::Primary,
            Mode::Online,
            vec![session(
                "l-1",
                "2025-09-01T17:00:00+08:00",
                "2025-09-01T17:30:00+08:00",
            )],
        ),
    );
    log.push("2025-09-01T10:00:00+08:00", observed);
    run(&log.events)
}

#[test]
fn the_channel_ban_covers_non_subject_ads_unless_a_region_narrows_it() {
    assert_eq!(
        of_rule(
            &observe(REGION, ad(AdChannel::PublicPlace, false)),
            RuleId::AdChannelBan
        )
        .len(),
        1
    );
    assert_eq!(
        of_rule(
            &observe(REGION, ad(AdChannel::Transit, true)),
            RuleId::AdChannelBan
        )
        .len(),
        1
    );
    assert!(of_rule(
        &observe(REGION, ad(AdChannel::OwnPremises, true)),
        RuleId::AdChannelBan
    )
    .is_empty());
    // 德宏州 (example) bans subject ads only.
    assert!(of_rule(
        &observe("533102", ad(AdChannel::PublicPlace, false)),
        RuleId::AdChannelBan
    )
    .is_empty());
    assert_eq!(
        of_rule(
            &observe("533102", ad(AdChannel::PublicPlace, true)),
            RuleId::AdChannelBan
        )
        .len(),
        1
    );
}

#[test]
fn no_ads_on_school_supplies() {
    let mut observed = ad(AdChannel::Other, true);
    observed.carrier = Some(SchoolCarrier::Workbook);
    assert_eq!(
        of_rule(&observe(REGION, observed), RuleId::AdSchoolSupplies).len(),
        1
    );
    assert_eq!(
        of_rule(
            &observe(REGION, ad(AdChannel::School, false)),
            RuleId::AdSchoolSupplies
        )
        .len(),
        1
    );
    assert!(of_rule(
        &observe(REGION, ad(AdChannel::Other, false)),
        RuleId::AdSchoolSupplies
    )
    .is_empty());
}

#[test]
fn a_former_price_must_have_been_charged_and_the_discount_must_add_up() {
    let priced = |former: Option<Fen>, offered: Fen, percent: u8| {
        let mut observed = ad(AdChannel::OwnPremises, true);
        observed.course = Some(tok!(CourseId, "c-1"));
        observed.claimed_former_price = former;
        observed.advertised_price = Some(offered);
        observed.claimed_percent_off = Some(percent);
        of_rule(&observe(REGION, observed), RuleId::NoFakeOriginalPrice)
    };
    // The course was published at ¥100 a lesson.
    assert!(priced(Some(Fen::yuan(100)), Fen::yuan(80), 20).is_empty());
    assert!(
        priced(Some(Fen::yuan(100)), Fen::yuan(81), 20).is_empty(),
        "within the ¥1 tolerance"
    );
    assert_eq!(priced(Some(Fen::yuan(100)), Fen::new(8101), 20).len(), 1);
    assert_eq!(
        priced(Some(Fen::yuan(150)), Fen::yuan(120), 20).len(),
        1,
        "never charged ¥150"
    );
    assert_eq!(
        priced(None, Fen::yuan(50), 20).len(),
        1,
        "20 % off ¥100 is not ¥50"
    );
}

#[test]
fn an_event_naming_another_region_cannot_move_a_registered_institution() {
    let mut log = Log::for_institution(CODE, REGION);
    log.licensed_subject_institution();
    // An inspector elsewhere files an ad naming their own city (the trust policy refuses this
    // today; an old log may still hold it).
    log.region = region("440300");
    log.push(
        "2025-09-01T10:00:00+08:00",
        ad(AdChannel::PublicPlace, true),
    );
    let projector = run(&log.events);
    let findings = of_rule(&projector, RuleId::AdChannelBan);
    assert_eq!(findings.len(), 1);
    assert_eq!(
        findings[0].region,
        region(REGION),
        "filed where it is registered"
    );
    let facts = projector
        .projector()
        .facts()
        .institution(&code(CODE))
        .expect("registered");
    assert_eq!(facts.region, region(REGION));
}

#[test]
fn an_ad_promising_results_or_invoking_examiners_is_found_with_the_phrases_it_used() {
    let said = |text_of_ad: &str| {
        let mut observed = ad(AdChannel::OwnPremises, true);
        observed.description = text(text_of_ad);
        of_rule(&observe(REGION, observed), RuleId::AdContent)
    };
    let found = said("数学冲刺，保证提分，命题专家押题");
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].figures[0].value,
        tutorwatch_findings::Measure::Text("保证提分、命题专家、押题".into())
    );
    for clean in [
        "小升初数学冲刺班，名师授课",
        "秋季班报名优惠",
        "保证安全，接送到家",
    ] {
        assert!(said(clean).is_empty(), "{clean}");
    }
    // Before the advertising law's rule took effect, nothing.
    let mut log = Log::new();
    log.licensed_subject_institution();
    let mut observed = ad(AdChannel::OwnPremises, true);
    observed.description = text("保过");
    log.push("2015-08-01T10:00:00+08:00", observed);
    assert!(of_rule(&run(&log.events), RuleId::AdContent).is_empty());
}
