//! The generator against the real projector: every planted finding is raised with its status,
//! nothing else is, and a seed always gives the same city.

use std::collections::BTreeMap;

use tutorwatch_events::{encode_json, LoggedEvent, UtcTime};
use tutorwatch_findings::FindingStatus;
use tutorwatch_projections::policy::Policy;
use tutorwatch_projections::projector::Booked;

use crate::{generate, ExpectedStatus, Options};

fn options(seed: u64) -> Options {
    Options {
        seed,
        institutions: 120,
        violation_permille: 50,
    }
}

fn json_lines(seed: u64) -> Vec<u8> {
    let city = generate(&options(seed), &mut |_, _| {}).expect("generate");
    let mut out = Vec::new();
    for event in &city.events {
        out.extend(encode_json(event).expect("encode"));
        out.push(b'\n');
    }
    for expected in &city.truth {
        out.extend(expected.to_json_line().expect("truth").into_bytes());
        out.push(b'\n');
    }
    out
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_other_bytes() {
    let a = json_lines(7);
    assert_eq!(a, json_lines(7));
    assert_ne!(a, json_lines(8));
}

#[test]
fn the_projector_raises_exactly_the_planted_findings() {
    for seed in [42, 1, 2, 3] {
        projector_agrees(seed);
    }
}

fn projector_agrees(seed: u64) {
    let city = generate(&options(seed), &mut |_, _| {}).expect("generate");
    assert!(city.planted_cases as usize >= crate::CASES.len());
    let policy = Policy::national().expect("national policy");
    let mut projector = Booked::new(policy);
    // Recorded "now": long after the term, as a live ingest would record it.
    let recorded_at = UtcTime::parse("2026-11-01T00:00:00Z").expect("time");
    for (i, envelope) in city.events.iter().enumerate() {
        envelope
            .validate(&tutorwatch_events::ValidationContext::default())
            .unwrap_or_else(|e| panic!("event {i} is invalid: {e}"));
        projector.apply(&LoggedEvent {
            seq: i as u64 + 1,
            recorded_at,
            envelope: envelope.clone(),
        });
    }
    let found: BTreeMap<_, _> = projector
        .findings()
        .map(|f| {
            (
                f.id,
                (
                    f.rule,
                    f.status == FindingStatus::Withdrawn,
                    f.description.clone(),
                ),
            )
        })
        .collect();
    let mut missed = Vec::new();
    for expected in &city.truth {
        match found.get(&expected.finding_id) {
            Some((rule, withdrawn, _))
                if *rule == expected.rule
                    && *withdrawn == (expected.status == ExpectedStatus::Withdrawn) => {}
            other => missed.push(format!(
                "{} {} {:?} -> {other:?}",
                expected.case, expected.rule, expected.status
            )),
        }
    }
    let expected_ids: std::collections::BTreeSet<_> =
        city.truth.iter().map(|e| e.finding_id).collect();
    let extra: Vec<String> = found
        .iter()
        .filter(|(id, _)| !expected_ids.contains(id))
        .map(|(_, (rule, _, description))| format!("{rule}: {description}"))
        .collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "missed: {missed:#?}\nextra: {extra:#?}"
    );
    let covered: std::collections::BTreeSet<_> = city.truth.iter().map(|e| e.rule).collect();
    let uncovered: Vec<_> = tutorwatch_findings::RuleId::ALL
        .iter()
        .filter(|rule| !covered.contains(rule))
        .collect();
    assert!(
        uncovered.is_empty(),
        "rules without a planted case: {uncovered:?}"
    );
}

#[test]
fn the_day_9_refund_is_sent_after_other_banks_clocks_passed_its_deadline() {
    // The case is only a test of per-producer clocks if, in log order, another bank's event
    // dated past the deadline (00:00 on 6 December) comes before the payment; the exact-truth
    // test above then demands that no REFUND_PRORATA finding is raised for it.
    let deadline = UtcTime::parse("2025-12-06T00:00:00+08:00").expect("time");
    for seed in [42, 1] {
        let city = generate(&options(seed), &mut |_, _| {}).expect("generate");
        let (index, paid) = city
            .events
            .iter()
            .enumerate()
            .find(|(_, e)| {
                matches!(
                    &e.producer,
                    tutorwatch_events::Producer::Bank(b) if b.as_str().starts_with("bank-case-")
                ) && matches!(e.event, tutorwatch_events::Event::RefundPaid(_))
            })
            .expect("the case is planted");
        assert!(paid.occurred_at < deadline, "paid in time");
        let overtaken = city.events[..index].iter().any(|e| {
            matches!(&e.producer, tutorwatch_events::Producer::Bank(_))
                && e.producer != paid.producer
                && e.occurred_at >= deadline
        });
        assert!(
            overtaken,
            "seed {seed}: no other bank's clock passed the deadline first"
        );
    }
}

#[test]
fn the_rule_catalogue_and_the_planted_cases_name_each_other() {
    let planted: std::collections::BTreeSet<&str> = crate::cases::CASES.iter().copied().collect();
    let mut named = std::collections::BTreeSet::new();
    for rule in tutorwatch_findings::RuleId::ALL {
        for case in rule.spec().city_cases {
            assert!(
                planted.contains(case),
                "{rule} names city case {case}, which the city does not plant"
            );
            named.insert(*case);
        }
    }
    for case in planted {
        assert!(
            named.contains(case),
            "the city plants {case}, which no rule of the catalogue names"
        );
    }
}
