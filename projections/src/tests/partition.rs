//! A fold split by institution (`crate::partition`) against one fold of the whole log: on logs
//! of several institutions in several regions that share a bank, the partitions together make
//! the same changes event by event, and joined they hold the same state, byte for byte, and give
//! the same findings, lists and digest.

use std::collections::VecDeque;

use proptest::prelude::*;
use tutorwatch_events::supervision::CaseAction;
use tutorwatch_findings::{Change, FindingBook};

use super::replay::{build_log_for, steps, Step};
use super::*;
use crate::partition::{self, owner, Partition};

/// The regions the generated institutions are in, in turn (the national defaults, and two
/// regions with overrides: 320000 counts prepaid lessons per subject, 310000 has guide prices).
const REGIONS: [&str; 3] = ["440200", "320500", "310100"];

/// The `n`th generated institution's credit code (with its check character).
fn institution_code(n: usize) -> String {
    let body = format!("52440200MJL{:02}2345", n % 100);
    let unchecked = code(&format!("{body}0"));
    format!("{body}{}", unchecked.expected_check_char())
}

/// An officer's action on `finding`, sent under the envelope of `institution` (not always the
/// finding's: a forged or mistaken envelope must act on the finding wherever it is held).
fn officer_event(
    seq: u64,
    institution: &CreditCode,
    finding: &Finding,
    action: CaseAction,
) -> LoggedEvent {
    let at = t(&format!("2026-01-02T09:{:02}:00+08:00", seq % 60));
    LoggedEvent {
        seq,
        recorded_at: at,
        envelope: Envelope {
            event_id: EventId::from_uuid(uuid::Uuid::from_u64_pair(0x0ff1_ce00, seq)),
            institution: institution.clone(),
            region: region(REGIONS[0]),
            producer: Producer::Officer(tok!(OfficerId, "officer-2")),
            occurred_at: at,
            event: Event::OfficerActed(officer(finding, action)),
        },
    }
}

/// One institution's generated steps and officers' actions (as `build_log` takes them).
type InstitutionSteps = (Vec<Step>, Vec<(usize, u8)>);

/// Each institution's generated log, interleaved by `order` (each pick takes the next event of
/// one institution), with bank statements put in at `statements` (institution, days after
/// 2025-08-16, position), numbered as one log; then officers' actions on findings of the whole.
fn city_log(
    institutions: &[InstitutionSteps],
    order: &[usize],
    statements: &[(usize, u8, usize)],
    actions: &[(usize, u8, usize)],
) -> Vec<LoggedEvent> {
    let codes: Vec<CreditCode> = (1..=institutions.len())
        .map(|n| code(&institution_code(n)))
        .collect();
    let mut queues: Vec<VecDeque<LoggedEvent>> = institutions
        .iter()
        .enumerate()
        .map(|(i, (steps, actions))| {
            let log = Log::for_institution(codes[i].as_str(), REGIONS[i % REGIONS.len()]);
            build_log_for(log, steps, actions).into()
        })
        .collect();
    let mut merged = Vec::new();
    for pick in order {
        let count = queues.len();
        if let Some(event) = queues[pick % count].pop_front() {
            merged.push(event);
        }
    }
    merged.extend(queues.into_iter().flatten());
    // bank-1's statements about one institution, dated late enough to make refunds requested at
    // any institution overdue (bank-1 holds every institution's account).
    for (i, (institution, days, position)) in statements.iter().enumerate() {
        let day = date("2025-08-16")
            .checked_add(jiff::Span::new().days(i64::from(days % 30)))
            .expect("in range");
        let mut log = Log::for_institution(
            codes[institution % codes.len()].as_str(),
            REGIONS[institution % codes.len() % REGIONS.len()],
        );
        let mut statement = log.push_by(
            bank("bank-1"),
            &format!("{}T01:00:00+08:00", day.tomorrow().expect("in range")),
            balance(&day.to_string(), Fen::yuan(100)),
        );
        statement.envelope.event_id =
            EventId::from_uuid(uuid::Uuid::from_u64_pair(0xba4c_0000, i as u64));
        merged.insert(position % (merged.len() + 1), statement);
    }
    for (i, event) in merged.iter_mut().enumerate() {
        event.seq = i as u64 + 1;
    }
    let findings: Vec<Finding> = run(&merged).findings().cloned().collect();
    for (pick, action, envelope) in actions {
        if findings.is_empty() {
            break;
        }
        let action = match action % 3 {
            0 => CaseAction::Acknowledged,
            1 => CaseAction::Resolved,
            _ => CaseAction::RectificationOrdered {
                due: date("2026-01-31"),
            },
        };
        let seq = merged.len() as u64 + 1;
        merged.push(officer_event(
            seq,
            &codes[envelope % codes.len()],
            &findings[pick % findings.len()],
            action,
        ));
    }
    merged
}

fn city() -> impl Strategy<Value = Vec<LoggedEvent>> {
    (
        proptest::collection::vec(steps(), 2..5),
        proptest::collection::vec(any::<usize>(), 0..120),
        proptest::collection::vec((any::<usize>(), any::<u8>(), any::<usize>()), 0..4),
        proptest::collection::vec((any::<usize>(), any::<u8>(), any::<usize>()), 0..6),
    )
        .prop_map(|(institutions, order, statements, actions)| {
            city_log(&institutions, &order, &statements, &actions)
        })
}

/// Each change encoded, sorted: the changes of one event, whatever order the partitions made
/// them in.
fn encoded(changes: &[Change]) -> Vec<Vec<u8>> {
    let mut encoded: Vec<Vec<u8>> = changes
        .iter()
        .map(|change| postcard::to_allocvec(change).expect("a change encodes"))
        .collect();
    encoded.sort();
    encoded
}

/// Folds `log` in `count` partitions beside one fold of the whole, comparing each event's
/// changes; returns the joined partitions (with their books) and the whole.
fn fold_both(log: &[LoggedEvent], count: usize) -> (Booked, Booked) {
    let mut whole = Booked::new(policy());
    let mut parts: Vec<(Partition, FindingBook)> = (0..count)
        .map(|index| (Partition::new(policy(), index, count), FindingBook::new()))
        .collect();
    for event in log {
        let expected = encoded(&whole.apply(event));
        let mut made = Vec::new();
        for (part, book) in &mut parts {
            let changes = part.apply(event);
            book.record(part.projector(), &changes);
            made.extend(changes);
        }
        assert_eq!(
            encoded(&made),
            expected,
            "the partitions changed something else at event {}",
            event.seq
        );
    }
    let joined = partition::join_booked(parts).expect("at least one partition");
    (joined, whole)
}

fn snapshot_bytes(projector: &Projector) -> Vec<u8> {
    postcard::to_allocvec(&projector.snapshot()).expect("the snapshot encodes")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn partitions_joined_equal_one_fold(log in city(), count in 1usize..=4) {
        let (joined, whole) = fold_both(&log, count);
        prop_assert_eq!(
            snapshot_bytes(joined.projector()),
            snapshot_bytes(whole.projector())
        );
        prop_assert_eq!(joined.outcome(), whole.outcome());
        prop_assert_eq!(joined.digest(), whole.digest());
    }
}

/// Two institutions in different partitions of two. Returns their codes.
fn apart() -> (String, String) {
    let first = institution_code(1);
    let second = (2..100)
        .map(institution_code)
        .find(|other| owner(&code(other), 2) != owner(&code(&first), 2))
        .expect("some code falls in the other partition");
    (first, second)
}

#[test]
fn a_bank_statement_about_one_institution_makes_another_partitions_refund_overdue() {
    let (first, second) = apart();
    let mut a = Log::for_institution(&first, REGION);
    a.licensed_subject_institution();
    a.push(
        "2025-09-01T10:00:00+08:00",
        fee("k-1", Fen::yuan(1000), 10, "2025-09-01", "2025-11-30"),
    );
    // Requested 9/1: due by the end of 9/16, awaiting bank-1, which holds the account.
    a.push(
        "2025-09-01T12:00:00+08:00",
        refund_requested("k-1", Fen::yuan(500)),
    );
    let mut b = Log::for_institution(&second, "320500");
    b.licensed_subject_institution();
    // bank-1's statement about the other institution proves 9/30 is over.
    b.push(
        "2025-10-01T01:00:00+08:00",
        balance("2025-09-30", Fen::yuan(500)),
    );
    let mut log = a.events;
    log.extend(b.events);
    for (i, event) in log.iter_mut().enumerate() {
        event.seq = i as u64 + 1;
    }
    let statement_seq = log.len() as u64;
    // An officer resolves the overdue finding under the envelope of the other institution.
    let overdue = of_rule(&run(&log), RuleId::RefundProrata);
    assert_eq!(overdue.len(), 1, "the statement makes the refund overdue");
    assert_eq!(overdue[0].institution.as_str(), first);
    assert!(
        overdue[0].evidence.iter().any(|e| e.seq == statement_seq),
        "the statement about the other institution is its evidence"
    );
    log.push(officer_event(
        statement_seq + 1,
        &code(&second),
        &overdue[0],
        CaseAction::Resolved,
    ));

    let (joined, whole) = fold_both(&log, 2);
    let resolved = of_rule(&whole, RuleId::RefundProrata);
    assert_eq!(
        resolved[0].status,
        tutorwatch_findings::FindingStatus::Resolved
    );
    assert_eq!(
        snapshot_bytes(joined.projector()),
        snapshot_bytes(whole.projector())
    );
    assert_eq!(joined.outcome(), whole.outcome());
}

#[test]
fn codes_spread_over_partitions() {
    let codes: Vec<CreditCode> = (1..100).map(|n| code(&institution_code(n))).collect();
    for count in 2..=4 {
        for index in 0..count {
            let held = codes.iter().filter(|c| owner(c, count) == index).count();
            assert!(
                held >= 99 / count / 2,
                "partition {index} of {count} holds {held} of 99 codes"
            );
        }
    }
}
