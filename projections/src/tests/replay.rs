//! Property tests: a log applied in one go equals the same log applied in batches with a
//! postcard snapshot and restore between them, and a replay gives identical findings and digest.

use proptest::prelude::*;
use tutorwatch_events::advertising::{AdChannel, AdvertisementObserved};
use tutorwatch_events::ids::AdId;
use tutorwatch_events::kinds::{GradeBand, Mode, Subject};
use tutorwatch_events::registry::{LicenceRestored, LicenceSuspended};
use tutorwatch_events::schedule::CourseRescheduled;
use tutorwatch_events::supervision::CaseAction;

use super::*;
use crate::projector::{Booked, Snapshot};

/// One generated step: what kind of event, and a few numbers to vary it.
pub(super) type Step = (u8, u32, u32, u64);

fn build_log(steps: &[Step], actions: &[(usize, u8)]) -> Vec<LoggedEvent> {
    build_log_for(Log::new(), steps, actions)
}

/// [`build_log`] for the institution `log` is about.
pub(super) fn build_log_for(
    mut log: Log,
    steps: &[Step],
    actions: &[(usize, u8)],
) -> Vec<LoggedEvent> {
    log.licensed_subject_institution();
    log.push(
        "2025-08-01T10:00:00+08:00",
        course(
            "c-1",
            Subject::Mathematics,
            GradeBand::Primary,
            Mode::Online,
            vec![
                session(
                    "s-1",
                    "2025-09-06T18:00:00+08:00",
                    "2025-09-06T18:31:00+08:00",
                ),
                session(
                    "s-2",
                    "2025-09-08T20:40:00+08:00",
                    "2025-09-08T21:05:00+08:00",
                ),
            ],
        ),
    );
    log.push(
        "2025-08-01T10:00:01+08:00",
        course(
            "c-2",
            Subject::Music,
            GradeBand::Preschool,
            Mode::Offline,
            vec![session(
                "s-1",
                "2025-09-09T20:00:00+08:00",
                "2025-09-09T20:40:00+08:00",
            )],
        ),
    );
    let base = t("2025-08-02T00:00:00+08:00").as_nanos();
    for (i, (kind, a, b, amount)) in steps.iter().enumerate() {
        let hours = i128::try_from(i).unwrap_or(0) * 7 + i128::from(*a % 5);
        let at = UtcTime::from_nanos(base + hours * 3_600_000_000_000).expect("in range");
        let at_text = at.to_string();
        let start = UtcTime::from_nanos(at.as_nanos() - 3_600_000_000_000).expect("in range");
        let end =
            UtcTime::from_nanos(start.as_nanos() + i128::from(1500 + b % 600) * 1_000_000_000)
                .expect("in range");
        let (start, end) = (start.to_string(), end.to_string());
        let contract = format!("k-{}", a % 3);
        let money = Fen::new(1 + amount % 700_000);
        match kind % 11 {
            0 => {
                log.push(&at_text, delivered("c-1", &format!("l-{i}"), &start, &end));
            }
            1 => {
                log.push(&at_text, delivered("c-2", &format!("l-{i}"), &start, &end));
            }
            2 => {
                let mut f = fee(
                    &contract,
                    money,
                    1 + b % 80,
                    "2025-09-01",
                    if a % 2 == 0 {
                        "2025-11-30"
                    } else {
                        "2025-12-15"
                    },
                );
                if b % 7 == 0 {
                    f.supervised_account = None;
                }
                f.course = Some(tok!(CourseId, if a % 2 == 0 { "c-1" } else { "c-2" }));
                log.push(&at_text, f);
            }
            3 => {
                log.push(&at_text, release(&contract, money, 1));
            }
            4 => {
                log.push(&at_text, refund_requested(&contract, money));
            }
            5 => {
                log.push(&at_text, refund_paid(&contract, money));
            }
            6 => {
                let day = crate::facts::local_time("UTC", at).date();
                if a % 3 == 0 {
                    // Another bank, its clock weeks ahead of everyone's: producers' clocks
                    // must survive snapshot and restore too.
                    let ahead = UtcTime::from_nanos(
                        at.as_nanos() + i128::from(b % 60) * 86_400_000_000_000,
                    )
                    .expect("in range");
                    log.push_by(
                        bank("bank-2"),
                        &ahead.to_string(),
                        balance(&day.to_string(), money),
                    );
                } else {
                    log.push(&at_text, balance(&day.to_string(), money));
                }
            }
            7 => {
                let mut observed = AdvertisementObserved {
                    ad: tok!(AdId, &format!("ad-{i}")),
                    channel: if a % 2 == 0 {
                        AdChannel::PublicPlace
                    } else {
                        AdChannel::OwnPremises
                    },
                    subject_training: b % 2 == 0,
                    aimed_at_minors: true,
                    carrier: None,
                    course: Some(tok!(CourseId, "c-1")),
                    claimed_former_price: Some(Fen::yuan(100 + u64::from(a % 2) * 50)),
                    advertised_price: Some(Fen::yuan(80)),
                    claimed_percent_off: Some(20),
                    description: text("广告"),
                };
                if b % 3 == 0 {
                    observed.claimed_former_price = None;
                }
                log.push(&at_text, observed);
            }
            8 => {
                if a % 2 == 0 {
                    log.push(
                        &at_text,
                        LicenceSuspended {
                            reason: text("整改"),
                            until: None,
                        },
                    );
                } else {
                    log.push(
                        &at_text,
                        LicenceRestored {
                            note: text("恢复")
                        },
                    );
                }
            }
            9 => {
                log.push(
                    &at_text,
                    CourseRescheduled {
                        course: tok!(CourseId, "c-1"),
                        sessions: vec![session(
                            "s-3",
                            &end,
                            &UtcTime::from_nanos(t(&end).as_nanos() + 1_800_000_000_000)
                                .expect("in range")
                                .to_string(),
                        )],
                    },
                );
            }
            _ => {
                log.push(&at_text, account_closed());
            }
        }
    }
    // Officers act on findings the log so far produced.
    let findings: Vec<Finding> = run(&log.events).findings().cloned().collect();
    for (i, (pick, action)) in actions.iter().enumerate() {
        if findings.is_empty() {
            break;
        }
        let finding = &findings[pick % findings.len()];
        let action = match action % 3 {
            0 => CaseAction::Acknowledged,
            1 => CaseAction::Resolved,
            _ => CaseAction::RectificationOrdered {
                due: date("2026-01-31"),
            },
        };
        log.push(
            &format!("2026-01-01T10:{:02}:00+08:00", i % 60),
            officer(finding, action),
        );
    }
    log.events
}

pub(super) fn steps() -> impl Strategy<Value = (Vec<Step>, Vec<(usize, u8)>)> {
    (
        proptest::collection::vec(
            (any::<u8>(), any::<u32>(), any::<u32>(), any::<u64>()),
            0..40,
        ),
        proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
    )
}

/// The projector's snapshot as the projection store writes it (borrowing the state) and reads it
/// back; the bytes are those of the owned snapshot.
fn round_trip(projector: &Projector) -> Snapshot {
    let bytes = postcard::to_allocvec(&tutorwatch_findings::ProjectionSource::snapshot(projector))
        .expect("the snapshot encodes");
    let owned = postcard::to_allocvec(&(projector.last_seq(), projector.snapshot()))
        .expect("the snapshot encodes");
    assert_eq!(
        bytes, owned,
        "the borrowed snapshot is written as the owned one"
    );
    let (seq, snapshot): (u64, Snapshot) =
        postcard::from_bytes(&bytes).expect("the snapshot decodes");
    assert_eq!(seq, projector.last_seq());
    snapshot
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn batches_with_snapshot_and_restore_equal_one_go(
        (steps, actions) in steps(),
        cuts in proptest::collection::vec(any::<usize>(), 0..4),
    ) {
        let log = build_log(&steps, &actions);
        let mut whole = Booked::new(policy());
        let mut whole_changes = Vec::new();
        for event in &log {
            whole_changes.extend(whole.apply(event));
        }
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (log.len() + 1)).collect();
        cuts.push(log.len());
        cuts.sort_unstable();
        let mut batched = Booked::new(policy());
        let mut batched_changes = Vec::new();
        let mut from = 0;
        for cut in cuts {
            for event in &log[from..cut] {
                batched_changes.extend(batched.apply(event));
            }
            from = cut;
            let (projector, book) = batched.into_parts();
            let restored = Projector::restore(policy(), round_trip(&projector)).expect("same policy");
            batched = Booked::from_parts(restored, book);
        }
        prop_assert_eq!(&whole_changes, &batched_changes);
        prop_assert_eq!(whole.projector().snapshot(), batched.projector().snapshot());
        prop_assert_eq!(whole.digest(), batched.digest());
    }

    /// A restart resumes from the last snapshot while the findings written after it stay where
    /// they are (the store's rows are ahead of the snapshot): applying the events after the
    /// snapshot again must leave every finding as one run in one go left it.
    #[test]
    fn a_resume_from_an_older_snapshot_rewrites_findings_to_the_same_versions(
        (steps, actions) in steps(),
        snapshot_at in any::<usize>(),
        crash_at in any::<usize>(),
    ) {
        let log = build_log(&steps, &actions);
        let mut whole = Booked::new(policy());
        for event in &log {
            whole.apply_quietly(event);
        }
        let snapshot_at = snapshot_at % (log.len() + 1);
        let crash_at = snapshot_at + crash_at % (log.len() + 1 - snapshot_at);
        let mut first = Booked::new(policy());
        for event in &log[..snapshot_at] {
            first.apply_quietly(event);
        }
        let snapshot = round_trip(first.projector());
        for event in &log[snapshot_at..crash_at] {
            first.apply_quietly(event);
        }
        let (_, book_ahead) = first.into_parts();
        let restored = Projector::restore(policy(), snapshot).expect("same policy");
        let mut resumed = Booked::from_parts(restored, book_ahead);
        for event in &log[snapshot_at..] {
            resumed.apply_quietly(event);
        }
        prop_assert_eq!(whole.outcome(), resumed.outcome());
    }

    #[test]
    fn a_replay_gives_identical_findings_and_digest((steps, actions) in steps()) {
        let log = build_log(&steps, &actions);
        let first = run(&log);
        let second = run(&log);
        prop_assert_eq!(first.outcome(), second.outcome());
        prop_assert_eq!(first.digest(), second.digest());
        prop_assert!(tutorwatch_findings::diff(&first.outcome(), &second.outcome()).is_empty());
        // Applying the log twice changes nothing the second time.
        let mut again = run(&log);
        for event in &log {
            prop_assert!(again.apply(event).is_empty());
        }
    }

    /// The parts `state_sizes` names cover the whole state: their encoded sizes add up to the
    /// snapshot's state, less the last sequence, so a field added to the state and left out of
    /// the sizes fails here.
    #[test]
    fn the_state_sizes_add_up_to_the_snapshot((steps, actions) in steps()) {
        let log = build_log(&steps, &actions);
        let booked = run(&log);
        let projector = booked.projector();
        let parts = projector.state_sizes();
        let top_level = crate::sizes::encoded_total(&parts);
        let snapshot = projector.snapshot();
        let whole = postcard::experimental::serialized_size(&snapshot.state).expect("size");
        let last_seq = postcard::experimental::serialized_size(&projector.last_seq()).expect("size");
        prop_assert_eq!(top_level + last_seq, whole);
        let heads = parts.iter().find(|part| part.name == "heads").expect("heads");
        prop_assert_eq!(heads.entries, projector.finding_count());
    }
}

#[test]
fn restoring_under_another_policy_version_is_refused() {
    let projector = run(&[]);
    let other = Policy::from_toml("version = \"other\"\n").expect("valid");
    assert!(Projector::restore(other, projector.projector().snapshot()).is_err());
}

#[test]
fn diff_shows_only_real_changes_when_only_the_policy_version_differs() {
    let mut log = Log::new();
    log.licensed_subject_institution();
    let mut outside = fee("k-1", Fen::yuan(1000), 10, "2025-09-01", "2025-11-30");
    outside.supervised_account = None;
    log.push("2025-09-01T10:00:00+08:00", outside);
    let baseline = run(&log.events).outcome();
    let relabelled_policy = crate::policy::NATIONAL_POLICY_TOML.replacen(
        "version = \"cn-national-2025.1\"",
        "version = \"what-if\"",
        1,
    );
    let relabelled = Policy::from_toml(&relabelled_policy).expect("valid");
    assert_eq!(relabelled.version(), "what-if");
    let mut what_if = Booked::new(relabelled);
    for event in &log.events {
        what_if.apply(event);
    }
    let what_if = what_if.outcome();
    assert!(!what_if.findings.is_empty());
    assert_ne!(what_if.findings, baseline.findings, "the labels differ");
    let d = tutorwatch_findings::diff(&baseline, &what_if);
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn diff_reports_added_removed_and_list_moves() {
    let mut log = Log::new();
    log.licensed_subject_institution();
    let before = run(&log.events).outcome();
    let mut outside = fee("k-1", Fen::yuan(1000), 10, "2025-09-01", "2025-11-30");
    outside.supervised_account = None;
    log.push("2025-09-01T10:00:00+08:00", outside);
    let after = run(&log.events).outcome();
    let d = tutorwatch_findings::diff(&before, &after);
    assert_eq!(d.added.len(), 1);
    assert!(d.removed.is_empty());
    assert_eq!(d.list_moves.len(), 1);
    assert_eq!(
        d.list_moves[0].new,
        Some(tutorwatch_findings::ListStatus::Black)
    );
    let back = tutorwatch_findings::diff(&after, &before);
    assert_eq!(back.removed.len(), 1);
    let digest = run(&log.events).digest();
    assert_eq!(
        digest
            .per_rule
            .get("PREPAY_DEDICATED_ACCOUNT")
            .map(|c| c.total),
        Some(1)
    );
    assert_eq!(digest.hash.len(), 64);
    assert_ne!(digest.hash, tutorwatch_findings::digest(&before).hash);
}
