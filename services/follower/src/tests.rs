//! Tests of the follower and of replay, on real temporary sled directories, with events from the
//! catalogue's examples.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tutorwatch_events::examples::{example, ExampleParams};
use tutorwatch_events::{encode, CreditCode, Envelope, EventId, RegionCode, UtcTime, EVENT_TYPES};
use tutorwatch_findings::{digest, Digest, InstitutionProfile, PlannedCourse, RuleId};
use tutorwatch_log::EventLog;
use tutorwatch_projection_store::{FeedQuery, ProjectionStore, Scope};
use tutorwatch_projections::policy::NATIONAL_POLICY_TOML;
use tutorwatch_projections::{Policy, Projector};

use super::*;

/// Registration, a teacher, a supervised account, an online course with a 31-minute session and
/// that lesson delivered: raises a planned and an actual ONLINE_LESSON_MAX_30MIN, among others.
const SCENARIO_CODES: &[u16] = &[1, 6, 40, 20, 23];
/// How long a test waits for the follower to catch up.
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(20);

fn index_of(code: u16) -> usize {
    EVENT_TYPES
        .iter()
        .position(|info| info.code == code)
        .expect("code in the catalogue")
}

/// A well-formed credit code registered in `region`, varied by `n`.
fn credit_code(region: &str, n: u32) -> CreditCode {
    let base = format!("52{region}MJL1234{:02}", n % 100);
    let draft = CreditCode::parse(&format!("{base}0")).expect("well-formed");
    CreditCode::parse(&format!("{base}{}", draft.expected_check_char())).expect("well-formed")
}

/// A temporary data directory with the log and the projection store side by side.
struct Data {
    _dir: tempfile::TempDir,
    log: Arc<EventLog>,
    store: Arc<ProjectionStore>,
    next_id: u128,
}

impl Data {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = EventLog::open(&dir.path().join("log")).expect("opens the log");
        let store = ProjectionStore::open(&dir.path().join("projections")).expect("opens");
        Self {
            _dir: dir,
            log: Arc::new(log),
            store: Arc::new(store),
            next_id: 0,
        }
    }

    fn envelopes(&mut self, n: u32, region: &str) -> Vec<Envelope> {
        let institution = credit_code(region, n);
        SCENARIO_CODES
            .iter()
            .map(|code| {
                self.next_id += 1;
                let id = EventId::from_uuid(uuid::Uuid::from_u128(
                    0x0190_0000_0000_7000_8000_0000_0000_0000 | self.next_id,
                ));
                let mut params = ExampleParams::new(id);
                params.institution = institution.clone();
                params.region = RegionCode::parse(region).expect("region");
                params.lesson_seconds = 31 * 60;
                params.tag = format!("i{n}");
                example(index_of(*code), &params)
            })
            .collect()
    }

    /// Appends the scenario for institutions `range` in `region`.
    fn append(&mut self, range: std::ops::Range<u32>, region: &str) {
        let batch: Vec<(EventId, Vec<u8>)> = range
            .flat_map(|n| self.envelopes(n, region))
            .map(|e| (e.event_id, encode(&e)))
            .collect();
        let at = UtcTime::parse("2025-09-02T00:00:00Z").expect("time");
        self.log.append(&batch, at).expect("appends");
    }

    fn follow(&self, policy: Policy, batch: usize, snapshot_every: u64) -> Follow {
        let mut follow = Follow::new(Arc::clone(&self.log), Arc::clone(&self.store), policy);
        follow.settings = FollowSettings {
            events_per_batch_max: batch,
            snapshot_every_events: snapshot_every,
        };
        follow
    }

    fn stored_digest(&self) -> Digest {
        digest(&self.store.outcome().expect("reads the store"))
    }

    /// What the store holds of the facts for readers: the profiles and the plans.
    fn stored_facts(&self) -> (Vec<InstitutionProfile>, Vec<PlannedCourse>) {
        (
            self.store.institution_profiles().expect("reads"),
            self.store.all_planned_courses().expect("reads"),
        )
    }

    /// The same, from a replay of the log.
    fn replayed_facts(&self, policy: Policy) -> (Vec<InstitutionProfile>, Vec<PlannedCourse>) {
        let replayed = replay(&self.log, policy, 1, |_| {}).expect("replays");
        let facts = replayed.projector().facts();
        (
            facts.profiles().collect(),
            facts.planned_courses().collect(),
        )
    }

    fn replayed_digest(&self, policy: Policy) -> Digest {
        replay(&self.log, policy, 1, |_| {})
            .expect("replays")
            .digest()
    }
}

fn national() -> Policy {
    Policy::national().expect("national policy")
}

/// The national policy under another version, with a 31-minute limit for online lessons (so the
/// scenario's lessons are no longer too long).
fn relaxed() -> Policy {
    let text = NATIONAL_POLICY_TOML
        .replacen(
            "version = \"cn-national-2025.1\"",
            "version = \"test-relaxed\"",
            1,
        )
        .replacen(
            "{ from = \"2021-07-24\", value = 1800 }",
            "{ from = \"2021-07-24\", value = 1860 }",
            1,
        );
    let policy = Policy::from_toml(&text).expect("valid policy");
    assert_eq!(policy.version(), "test-relaxed");
    policy
}

struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<Result<(), ProjectorError>>,
    stats: Arc<ProjectorStats>,
}

fn start(follow: Follow) -> Running {
    let (stop, shutdown) = watch::channel(false);
    let stats = Arc::clone(&follow.stats);
    let task = tokio::spawn(run(follow, shutdown));
    Running { stop, task, stats }
}

impl Running {
    async fn caught_up_with(&self, log: &EventLog) {
        let target = log.last_seq();
        let waited = tokio::time::timeout(CATCH_UP_TIMEOUT, async {
            while self.stats.snapshot().applied_seq < target {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        assert!(waited.is_ok(), "the follower reached {target} in time");
    }

    async fn stop(self) {
        self.stop.send_replace(true);
        self.task
            .await
            .expect("the task ran")
            .expect("the follower stopped cleanly");
    }

    /// Drops the follower without letting it write its final snapshot (a crash).
    async fn kill(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

#[tokio::test]
async fn the_stored_projections_equal_a_replay() {
    let mut data = Data::new();
    data.append(0..6, "440203");
    let running = start(data.follow(national(), 7, 10));
    running.caught_up_with(&data.log).await;
    let stats = running.stats.snapshot();
    running.stop().await;

    let replayed = data.replayed_digest(national());
    assert!(replayed.findings >= 12, "{replayed:?}");
    let facts = data.replayed_facts(national());
    assert_eq!((facts.0.len(), facts.1.len()), (6, 6), "{facts:?}");
    assert_eq!(data.stored_facts(), facts);
    assert!(replayed
        .per_rule
        .contains_key(RuleId::OnlineLessonMax30Min.as_str()));
    assert_eq!(data.stored_digest(), replayed);
    assert_eq!(
        data.store.applied_seq().expect("reads"),
        data.log.last_seq()
    );
    let (seq, _) = data
        .store
        .load_snapshot::<Projector>()
        .expect("reads")
        .expect("a snapshot");
    assert_eq!(seq, data.log.last_seq(), "a final snapshot on shutdown");
    assert_eq!(stats.findings_raised, replayed.findings);
    assert!(stats.batches >= 5, "30 events in batches of 7");
}

#[tokio::test]
async fn events_appended_while_it_runs_are_projected() {
    let mut data = Data::new();
    data.append(0..2, "440203");
    let running = start(data.follow(national(), 100, 1_000));
    running.caught_up_with(&data.log).await;
    let before = data.stored_digest().findings;
    assert!(before > 0);

    data.append(2..3, "440200");
    running.caught_up_with(&data.log).await;
    let shaoguan = data
        .store
        .query(&FeedQuery::new(Scope::Institution(credit_code(
            "440200", 2,
        ))))
        .expect("queries");
    assert!(!shaoguan.findings.is_empty());
    assert!(data.stored_digest().findings > before);
    running.stop().await;
    assert_eq!(data.stored_digest(), data.replayed_digest(national()));
}

#[tokio::test]
async fn a_killed_follower_resumes_to_the_same_projections() {
    let mut data = Data::new();
    data.append(0..5, "440203");
    // Snapshots every 10 events in batches of 4: the kill leaves events after the snapshot.
    let running = start(data.follow(national(), 4, 10));
    running.caught_up_with(&data.log).await;
    running.kill().await;
    let (snapshot_seq, _) = data
        .store
        .load_snapshot::<Projector>()
        .expect("reads")
        .expect("a snapshot");
    let applied = data.store.applied_seq().expect("reads");
    assert_eq!(applied, 25);
    assert!(snapshot_seq < applied, "snapshot {snapshot_seq}");
    let raised_before: Vec<_> = data
        .store
        .findings()
        .expect("reads")
        .into_iter()
        .map(|s| (s.finding.id, s.raised_seq))
        .collect();

    data.append(5..7, "440203");
    let running = start(data.follow(national(), 4, 10));
    running.caught_up_with(&data.log).await;
    running.stop().await;
    assert_eq!(data.stored_digest(), data.replayed_digest(national()));
    assert_eq!(data.stored_facts(), data.replayed_facts(national()));
    for (id, raised_seq) in raised_before {
        let stored = data.store.finding(&id).expect("reads").expect("kept");
        assert_eq!(
            stored.raised_seq, raised_seq,
            "re-applying keeps raised_seq"
        );
    }
}

#[tokio::test]
async fn a_new_policy_version_rebuilds_the_projections() {
    let mut data = Data::new();
    data.append(0..3, "440203");
    let running = start(data.follow(national(), 50, 1_000));
    running.caught_up_with(&data.log).await;
    running.stop().await;
    let national_digest = data.stored_digest();

    let running = start(data.follow(relaxed(), 50, 1_000));
    running.caught_up_with(&data.log).await;
    running.stop().await;
    let relaxed_digest = data.replayed_digest(relaxed());
    assert_ne!(national_digest, relaxed_digest);
    assert!(!relaxed_digest
        .per_rule
        .contains_key(RuleId::OnlineLessonMax30Min.as_str()));
    assert_eq!(data.stored_digest(), relaxed_digest);
    assert_eq!(
        data.store.policy_version().expect("reads"),
        Some(format!(
            "test-relaxed+state{}",
            tutorwatch_projections::STATE_FORMAT
        ))
    );
    for stored in data.store.findings().expect("reads") {
        assert_eq!(stored.finding.policy_version, "test-relaxed");
    }
}

#[test]
fn a_replay_split_into_partitions_gives_what_one_fold_gives() {
    let mut data = Data::new();
    data.append(0..6, "440203");
    data.append(6..10, "320506");
    let one = replay(&data.log, national(), 1, |_| {}).expect("replays");
    assert!(one.findings().count() > 10, "the scenario raises findings");
    let one_state = one.projector().snapshot();
    for partitions in [2, 3, 7] {
        let split = replay(&data.log, national(), partitions, |_| {}).expect("replays");
        assert_eq!(split.digest(), one.digest(), "{partitions} partitions");
        assert!(
            split.projector().snapshot() == one_state,
            "{partitions} partitions hold another state"
        );
        let projector =
            replay_projector(&data.log, national(), partitions, |_| {}).expect("replays");
        assert!(
            projector.snapshot() == one_state,
            "{partitions} partitions without a book hold another state"
        );
    }
}

#[tokio::test]
async fn an_entry_that_does_not_decode_stops_the_follower_naming_it() {
    let mut data = Data::new();
    data.append(0..2, "440203");
    let mut record = data.log.read_from(7, 1).expect("reads").remove(0);
    record.event = vec![0xff, 0x00];
    data.log
        .tamper_for_tests(7, &record.encode())
        .expect("tampers");
    let (_stop, shutdown) = watch::channel(false);
    let err = run(data.follow(national(), 100, 1_000), shutdown)
        .await
        .expect_err("stops");
    assert!(
        matches!(err, ProjectorError::Decode { seq: 7, .. }),
        "{err}"
    );
    assert!(matches!(
        replay(&data.log, national(), 2, |_| {}),
        Err(ProjectorError::Decode { seq: 7, .. })
    ));
}

#[tokio::test]
async fn the_follower_and_a_replay_stop_at_a_sampled_event_the_id_index_does_not_point_back_at() {
    let mut data = Data::new();
    data.append(0..2, "440203");
    assert!(replay(&data.log, national(), 1, |_| {}).is_ok());
    let sampled = crate::read::ID_INDEX_CHECK_EVERY;
    assert!(data.log.last_seq() > sampled);
    let record = data.log.read_from(sampled, 1).expect("reads").remove(0);
    let id = record.envelope().expect("decodes").event_id;
    data.log.forget_id_for_tests(&id).expect("forgets");
    let missing_at_sampled = |err: &ProjectorError| {
        matches!(
            err,
            ProjectorError::IdIndex { seq, found: None } if *seq == sampled
        )
    };
    let err = replay(&data.log, national(), 2, |_| {}).expect_err("stops");
    assert!(missing_at_sampled(&err), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "log entry {sampled}'s event id is missing from the id index (run `tutorwatch log verify`)"
        )
    );
    let err = replay_funds(&data.log).expect_err("stops");
    assert!(missing_at_sampled(&err), "{err}");
    let (_stop, shutdown) = watch::channel(false);
    let err = run(data.follow(national(), 100, 1_000), shutdown)
        .await
        .expect_err("stops");
    assert!(missing_at_sampled(&err), "{err}");
}

#[tokio::test]
async fn shutdown_before_any_event_is_clean() {
    let data = Data::new();
    let running = start(data.follow(national(), 100, 1_000));
    tokio::time::sleep(Duration::from_millis(50)).await;
    running.stop().await;
    assert_eq!(data.store.applied_seq().expect("reads"), 0);
    assert_eq!(data.replayed_digest(national()), data.stored_digest());
}

#[tokio::test]
async fn a_snapshot_that_no_longer_decodes_is_rebuilt_from_the_log() {
    let mut data = Data::new();
    data.append(0..3, "440203");
    let running = start(data.follow(national(), 50, 1_000));
    running.caught_up_with(&data.log).await;
    running.stop().await;
    data.store
        .tamper_snapshot_for_tests(b"\x01not a snapshot")
        .expect("tampers");

    let running = start(data.follow(national(), 50, 1_000));
    running.caught_up_with(&data.log).await;
    running.stop().await;
    assert_eq!(data.stored_digest(), data.replayed_digest(national()));
    assert!(data
        .store
        .load_snapshot::<Projector>()
        .expect("decodes again")
        .is_some());
}

/// A store written before profiles and plans were rows (layout 3) has none: the first start of
/// this build rebuilds it from the log, so the institution record and the timetable have them.
#[tokio::test]
async fn a_store_of_the_layout_before_profiles_is_rebuilt_with_them() {
    let mut data = Data::new();
    data.append(0..3, "440203");
    let running = start(data.follow(national(), 50, 1_000));
    running.caught_up_with(&data.log).await;
    running.stop().await;
    data.store.as_layout_3_for_tests().expect("rewrites");
    assert_eq!(data.stored_facts(), (Vec::new(), Vec::new()));
    assert!(!data.store.is_current().expect("reads"));

    let running = start(data.follow(national(), 50, 1_000));
    running.caught_up_with(&data.log).await;
    running.stop().await;
    let replayed = data.replayed_facts(national());
    assert_eq!(replayed.0.len(), 3);
    assert_eq!(data.stored_facts(), replayed);
    assert!(data.store.is_current().expect("reads"));
    assert_eq!(data.stored_digest(), data.replayed_digest(national()));
}
