//! Tests of the black/white list.

use tutorwatch_events::kinds::{GradeBand, Mode, Subject};
use tutorwatch_events::supervision::CaseAction;

use super::*;
use tutorwatch_findings::list::{ListReason, ListStatus, ReasonKind, REASON_EVIDENCE_MAX};

fn reason_of(p: &Booked, kind: ReasonKind) -> Option<ListReason> {
    p.list_entry(&code(CODE))
        .and_then(|e| e.reasons.iter().find(|r| r.kind == kind).cloned())
}

fn status(p: &Booked) -> ListStatus {
    p.list_entry(&code(CODE))
        .map(|e| e.status)
        .expect("an entry")
}

#[test]
fn a_licensed_non_profit_institution_with_an_account_is_white_and_without_one_unlisted() {
    let mut log = Log::new();
    log.licensed_subject_institution();
    assert_eq!(status(&run(&log.events)), ListStatus::White);
    let p = run(&log.events[..2]);
    let entry = p.list_entry(&code(CODE)).expect("an entry");
    assert_eq!(entry.status, ListStatus::Unlisted);
    assert_eq!(entry.reasons[0].kind, ReasonKind::NoSupervisedAccount);
}

#[test]
fn collecting_outside_escrow_blacklists_until_an_officer_resolves_it() {
    let mut log = Log::new();
    log.licensed_subject_institution();
    let mut outside = fee("k-1", Fen::yuan(1000), 10, "2025-09-01", "2025-11-30");
    outside.supervised_account = None;
    log.push("2025-09-01T10:00:00+08:00", outside);
    let p = run(&log.events);
    assert_eq!(status(&p), ListStatus::Black);
    let finding = of_rule(&p, RuleId::PrepayDedicatedAccount).remove(0);
    let entry = p.list_entry(&code(CODE)).expect("an entry");
    assert_eq!(entry.reasons[0].kind, ReasonKind::SeriousFundFinding);
    assert_eq!(entry.reasons[0].findings, vec![finding.id]);
    assert_eq!(entry.reasons[0].findings_total, 1);
    assert_eq!(
        entry.reasons[0].events,
        finding
            .evidence
            .iter()
            .map(|e| e.event_id)
            .collect::<Vec<_>>()
    );
    assert_eq!(entry.since.seq, 4);

    // Selling while black is itself a finding.
    log.push(
        "2025-09-02T10:00:00+08:00",
        fee("k-2", Fen::yuan(100), 1, "2025-09-02", "2025-09-02"),
    );
    assert_eq!(of_rule(&run(&log.events), RuleId::BlackWhiteList).len(), 1);

    log.push(
        "2025-09-03T10:00:00+08:00",
        officer(&finding, CaseAction::Acknowledged),
    );
    assert_eq!(
        status(&run(&log.events)),
        ListStatus::Black,
        "acknowledging is not resolving"
    );
    log.push(
        "2025-09-04T10:00:00+08:00",
        officer(
            &finding,
            CaseAction::Penalty {
                penalty: tutorwatch_events::supervision::PenaltyKind::Fine,
                fine: Some(Fen::yuan(10_000)),
            },
        ),
    );
    assert_eq!(
        status(&run(&log.events)),
        ListStatus::Black,
        "a penalty is not a resolution"
    );
    let bw = of_rule(&run(&log.events), RuleId::BlackWhiteList).remove(0);
    log.push(
        "2025-09-05T10:00:00+08:00",
        officer(&finding, CaseAction::Resolved),
    );
    log.push(
        "2025-09-05T10:00:01+08:00",
        officer(&bw, CaseAction::Resolved),
    );
    let p = run(&log.events);
    assert_eq!(status(&p), ListStatus::White);
    assert_eq!(
        p.finding(&finding.id).map(|f| f.status.clone()),
        Some(tutorwatch_findings::FindingStatus::Resolved)
    );
}

fn late_offline_lessons(days: &[&str]) -> Booked {
    let mut log = Log::new();
    log.licensed_subject_institution();
    log.push(
        "2025-01-03T10:00:00+08:00",
        course(
            "c-1",
            Subject::Mathematics,
            GradeBand::Primary,
            Mode::Offline,
            vec![session(
                "p",
                "2030-01-07T09:00:00+08:00",
                "2030-01-07T09:20:00+08:00",
            )],
        ),
    );
    for (i, day) in days.iter().enumerate() {
        log.push(
            &format!("{day}T21:00:00+08:00"),
            delivered(
                "c-1",
                &format!("l-{i}"),
                &format!("{day}T20:00:00+08:00"),
                &format!("{day}T20:45:00+08:00"),
            ),
        );
    }
    run(&log.events)
}

#[test]
fn three_serious_violations_within_180_days_blacklist() {
    // Weekdays, so only OFFLINE_END_BY_2030 (HIGH) fires.
    assert_eq!(
        status(&late_offline_lessons(&["2025-03-12", "2025-04-01"])),
        ListStatus::White
    );
    // 2025-03-12 (Wed) to 2025-09-08 (Mon) is exactly 180 days.
    let p = late_offline_lessons(&["2025-03-12", "2025-04-01", "2025-09-08"]);
    assert_eq!(status(&p), ListStatus::Black);
    let entry = p.list_entry(&code(CODE)).expect("an entry");
    assert_eq!(entry.reasons[0].kind, ReasonKind::RepeatedViolations);
    assert_eq!(entry.reasons[0].findings.len(), 3);
    assert_eq!(entry.reasons[0].findings_total, 3);
    // 2025-03-11 to 2025-09-08 is 181 days.
    assert_eq!(
        status(&late_offline_lessons(&[
            "2025-03-11",
            "2025-04-01",
            "2025-09-08"
        ])),
        ListStatus::White
    );
}

#[test]
fn an_officers_resolution_takes_a_finding_out_of_its_black_reason() {
    let mut log = Log::new();
    log.licensed_subject_institution();
    for (contract, day) in [("k-1", "2025-09-01"), ("k-2", "2025-09-02")] {
        let mut outside = fee(contract, Fen::yuan(1000), 10, day, "2025-11-30");
        outside.supervised_account = None;
        log.push(&format!("{day}T10:00:00+08:00"), outside);
    }
    let p = run(&log.events);
    let outside = of_rule(&p, RuleId::PrepayDedicatedAccount);
    assert_eq!(outside.len(), 2);
    let reason = reason_of(&p, ReasonKind::SeriousFundFinding).expect("a fund reason");
    assert_eq!(reason.findings_total, 2);

    log.push(
        "2025-09-03T10:00:00+08:00",
        officer(&outside[0], CaseAction::Acknowledged),
    );
    log.push(
        "2025-09-04T10:00:00+08:00",
        officer(&outside[1], CaseAction::Resolved),
    );
    let p = run(&log.events);
    assert_eq!(status(&p), ListStatus::Black);
    let reason = reason_of(&p, ReasonKind::SeriousFundFinding).expect("still a fund reason");
    assert_eq!(reason.findings, vec![outside[0].id]);
    assert_eq!(reason.findings_total, 1);
    assert!(!reason.events.contains(&outside[1].evidence[0].event_id));

    log.push(
        "2025-09-05T10:00:00+08:00",
        officer(&outside[0], CaseAction::Resolved),
    );
    let p = run(&log.events);
    assert_eq!(reason_of(&p, ReasonKind::SeriousFundFinding), None);
}

#[test]
fn thousands_of_violations_list_a_bounded_sample_and_count_them_all() {
    // One busy evening: 5,000 late offline lessons, all serious, all within the window.
    let p = late_offline_lessons(&["2025-03-12"; 5000]);
    assert_eq!(status(&p), ListStatus::Black);
    let late = of_rule(&p, RuleId::OfflineEndBy2030);
    assert_eq!(late.len(), 5000);
    let reason = reason_of(&p, ReasonKind::RepeatedViolations).expect("a repeat reason");
    assert_eq!(reason.findings_total, 5000);
    let first: Vec<_> = late
        .iter()
        .take(REASON_EVIDENCE_MAX)
        .map(|f| f.id)
        .collect();
    assert_eq!(
        reason.findings, first,
        "the first findings by id are listed"
    );
    let mut events: Vec<_> = late
        .iter()
        .take(REASON_EVIDENCE_MAX)
        .flat_map(|f| f.evidence.iter().map(|e| e.event_id))
        .collect();
    events.sort();
    events.dedup();
    assert_eq!(reason.events, events, "the listed findings' evidence");
}

#[test]
fn a_revocation_as_a_penalty_blacklists_until_restored_and_a_surrender_only_unlists() {
    use tutorwatch_events::registry::{LicenceRestored, LicenceRevoked, RevocationGrounds};
    for (grounds, expected) in [
        (RevocationGrounds::Penalty, ListStatus::Black),
        (RevocationGrounds::Surrendered, ListStatus::Unlisted),
        (RevocationGrounds::Lapsed, ListStatus::Unlisted),
    ] {
        let mut log = Log::new();
        log.licensed_subject_institution();
        assert_eq!(status(&run(&log.events)), ListStatus::White);
        let revoked = log.push(
            "2025-09-01T10:00:00+08:00",
            LicenceRevoked {
                reason: text("依法吊销"),
                grounds,
            },
        );
        let p = run(&log.events);
        assert_eq!(status(&p), expected, "{grounds:?}");
        let entry = p.list_entry(&code(CODE)).expect("an entry");
        assert_eq!(entry.since.event_id, revoked.envelope.event_id);
        match grounds {
            RevocationGrounds::Penalty => {
                // The registry act is the reason and its evidence; no finding stands behind it.
                let reason = reason_of(&p, ReasonKind::LicenceRevokedAsPenalty).expect("reason");
                assert_eq!(reason.events, vec![revoked.envelope.event_id]);
                assert!(reason.findings.is_empty());
                assert_eq!(entry.reasons.len(), 1, "{:?}", entry.reasons);
            }
            RevocationGrounds::Surrendered | RevocationGrounds::Lapsed => {
                let reason = reason_of(&p, ReasonKind::LicenceNotActive).expect("reason");
                assert_eq!(reason.events, vec![revoked.envelope.event_id]);
                assert!(reason_of(&p, ReasonKind::LicenceRevokedAsPenalty).is_none());
            }
        }
        // Restoring the licence (an appeal upheld) ends the registry act's reason.
        log.push(
            "2025-09-20T10:00:00+08:00",
            LicenceRestored {
                note: text("行政复议撤销吊销决定"),
            },
        );
        assert_eq!(status(&run(&log.events)), ListStatus::White, "{grounds:?}");
    }
}

#[test]
fn a_penalty_revocation_keeps_finding_reasons_beside_it_in_reason_order() {
    use tutorwatch_events::registry::{LicenceRevoked, RevocationGrounds};
    let mut log = Log::new();
    log.licensed_subject_institution();
    let mut outside = fee("k-1", Fen::yuan(1000), 10, "2025-09-01", "2025-11-30");
    outside.supervised_account = None;
    log.push("2025-09-01T10:00:00+08:00", outside);
    log.push(
        "2025-09-02T10:00:00+08:00",
        LicenceRevoked {
            reason: text("依法吊销"),
            grounds: RevocationGrounds::Penalty,
        },
    );
    let p = run(&log.events);
    let kinds: Vec<ReasonKind> = p
        .list_entry(&code(CODE))
        .expect("an entry")
        .reasons
        .iter()
        .map(|r| r.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![
            ReasonKind::LicenceRevokedAsPenalty,
            ReasonKind::SeriousFundFinding
        ]
    );
}
