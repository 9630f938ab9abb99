//! Tests of the projection store against a real sled directory, with findings made by a real
//! projector from the catalogue's example events.

use std::collections::BTreeSet;

use tutorwatch_events::examples::{example, ExampleParams};
use tutorwatch_events::supervision::CaseAction;
use tutorwatch_events::{
    CreditCode, Envelope, Event, EventId, LoggedEvent, RegionCode, UtcTime, EVENT_TYPES,
};
use tutorwatch_findings::{
    digest, FindingStatus, InstitutionProfile, LicenceStanding, ListStatus, PlannedCourse, RuleId,
    Severity,
};
use tutorwatch_projections::{Booked, Policy, Projector};

use super::*;

/// Registration, a teacher, a supervised account, an online course with a 31-minute session and
/// that lesson delivered: raises (at least) a planned and an actual ONLINE_LESSON_MAX_30MIN.
const SCENARIO_CODES: &[u16] = &[1, 6, 40, 20, 23];
const OFFICER_ACTED: u16 = 80;

fn index_of(code: u16) -> usize {
    EVENT_TYPES
        .iter()
        .position(|info| info.code == code)
        .expect("code in the catalogue")
}

/// A well-formed credit code registered in `region`, varied by `n`.
fn credit_code(region: &str, n: u8) -> CreditCode {
    let base = format!("52{region}MJL12345{}", char::from(b'0' + n % 10));
    let draft = CreditCode::parse(&format!("{base}0")).expect("well-formed");
    CreditCode::parse(&format!("{base}{}", draft.expected_check_char())).expect("well-formed")
}

/// Hands out sequences and deterministic event ids, applies events and collects the batch.
struct Scenario {
    projector: Booked,
    seq: u64,
    batch: ProjectionBatch,
    /// Every event applied, in order.
    applied: Vec<LoggedEvent>,
}

impl Scenario {
    fn new() -> Self {
        Self {
            projector: Booked::new(Policy::national().expect("national policy")),
            seq: 0,
            batch: ProjectionBatch::default(),
            applied: Vec::new(),
        }
    }

    fn params(&self, institution: &CreditCode, region: &str, tag: &str) -> ExampleParams {
        let id = EventId::from_uuid(uuid::Uuid::from_u128(
            0x0190_0000_0000_7000_8000_0000_0000_0000 | u128::from(self.seq + 1),
        ));
        let mut params = ExampleParams::new(id);
        params.institution = institution.clone();
        params.region = RegionCode::parse(region).expect("region");
        params.at = UtcTime::parse("2025-09-01T11:00:00Z").expect("time");
        params.lesson_seconds = 31 * 60;
        params.tag = tag.to_owned();
        params
    }

    fn apply(&mut self, envelope: Envelope) -> u64 {
        self.seq += 1;
        let event = LoggedEvent {
            seq: self.seq,
            recorded_at: envelope.occurred_at,
            envelope,
        };
        let changes = self.projector.apply(&event);
        self.batch.record(&event, changes);
        self.applied.push(event);
        self.seq
    }

    /// The scenario for one institution; returns the sequence of the delivered lesson.
    fn institution(&mut self, institution: &CreditCode, region: &str, tag: &str) -> u64 {
        let mut last = 0;
        for code in SCENARIO_CODES {
            let envelope = example(index_of(*code), &self.params(institution, region, tag));
            last = self.apply(envelope);
        }
        last
    }

    fn officer_acts(&mut self, finding: FindingId, action: CaseAction) {
        let institution = self
            .projector
            .finding(&finding)
            .expect("known finding")
            .institution
            .clone();
        let mut envelope = example(
            index_of(OFFICER_ACTED),
            &self.params(&institution, "440200", "officer"),
        );
        if let Event::OfficerActed(acted) = &mut envelope.event {
            acted.finding = finding;
            acted.action = action;
        }
        self.apply(envelope);
    }

    fn write(&mut self, store: &ProjectionStore, snapshot: bool) {
        let mut batch = std::mem::take(&mut self.batch);
        batch.snapshot = snapshot;
        store
            .write(self.projector.projector(), &batch)
            .expect("writes");
    }
}

fn ids(page: &FeedPage) -> Vec<FindingId> {
    page.findings.iter().map(|s| s.finding.id).collect()
}

fn all_ids(store: &ProjectionStore, scope: Scope) -> Vec<FindingId> {
    let page = store.query(&FeedQuery::new(scope)).expect("queries");
    assert_eq!(page.next, None);
    ids(&page)
}

fn institution_ids(projector: &Booked, institution: &CreditCode) -> BTreeSet<FindingId> {
    projector
        .findings_of(institution)
        .iter()
        .map(|f| f.id)
        .collect()
}

fn set(ids: Vec<FindingId>) -> BTreeSet<FindingId> {
    ids.into_iter().collect()
}

#[test]
fn findings_and_list_entries_are_written_and_read_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ProjectionStore::open(dir.path()).expect("opens");
    assert_eq!(store.applied_seq().expect("reads"), 0);
    assert_eq!(store.load_snapshot::<Projector>().expect("reads"), None);
    let mut scenario = Scenario::new();
    let code = credit_code("440203", 1);
    scenario.institution(&code, "440203", "a");
    scenario.write(&store, false);

    assert!(scenario.projector.findings().count() >= 2);
    for finding in scenario.projector.findings() {
        let stored = store.finding(&finding.id).expect("reads").expect("stored");
        assert_eq!(&stored.finding, finding);
        assert!(stored.raised_seq >= 4, "raised by the course or the lesson");
    }
    assert!(scenario
        .projector
        .findings()
        .any(|f| f.rule == RuleId::OnlineLessonMax30Min));
    assert_eq!(
        store.list_entry(&code).expect("reads").as_ref(),
        scenario.projector.list_entry(&code)
    );
    assert_eq!(store.applied_seq().expect("reads"), scenario.seq);
    assert_eq!(
        store.policy_version().expect("reads").as_deref(),
        Some(tutorwatch_projections::derivation(scenario.projector.policy()).as_str())
    );
    assert_eq!(
        digest(&store.outcome().expect("reads")),
        scenario.projector.digest()
    );
}

#[test]
fn a_finding_keeps_the_sequence_that_first_raised_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ProjectionStore::open(dir.path()).expect("opens");
    let mut scenario = Scenario::new();
    let code = credit_code("440203", 1);
    scenario.institution(&code, "440203", "a");
    scenario.write(&store, false);
    let before = store.findings().expect("reads");
    let first = before[0].clone();
    scenario.officer_acts(first.finding.id, CaseAction::Acknowledged);
    scenario.write(&store, false);
    let after = store
        .finding(&first.finding.id)
        .expect("reads")
        .expect("stored");
    assert_eq!(after.raised_seq, first.raised_seq);
    assert_eq!(after.finding.status, FindingStatus::Acknowledged);
}

/// The projector keeps a finding's status, not its body: the store writes the body it holds with
/// the projector's status. After a restart from a snapshot older than the store's rows, the
/// status changes applied again must give the rows the first run wrote, not add their events a
/// second time.
#[test]
fn status_changes_applied_again_after_a_restart_rewrite_the_same_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ProjectionStore::open(dir.path()).expect("opens");
    let mut scenario = Scenario::new();
    let code = credit_code("440203", 1);
    scenario.institution(&code, "440203", "a");
    scenario.write(&store, true);
    let snapshot_seq = scenario.seq;
    let target = store.findings().expect("reads")[0].finding.id;
    scenario.officer_acts(target, CaseAction::Acknowledged);
    scenario.write(&store, false);
    scenario.officer_acts(target, CaseAction::Resolved);
    scenario.write(&store, false);
    let first_run = store.outcome().expect("reads");
    let row = store.finding(&target).expect("reads").expect("stored");
    assert_eq!(row.finding.status, FindingStatus::Resolved);
    assert_eq!(row.finding.status_events.len(), 2);
    assert!(!row.finding.description.is_empty(), "the body is kept");

    let (seq, snapshot) = store
        .load_snapshot::<Projector>()
        .expect("reads")
        .expect("a snapshot");
    assert_eq!(seq, snapshot_seq);
    let mut restored =
        Projector::restore(Policy::national().expect("policy"), snapshot).expect("restores");
    for event in scenario.applied.iter().filter(|e| e.seq > snapshot_seq) {
        let mut batch = ProjectionBatch::default();
        batch.record(event, restored.apply(event));
        store.write(&restored, &batch).expect("writes");
    }
    assert_eq!(store.outcome().expect("reads"), first_run);
}

/// A status change of a finding the store never received is refused with a typed error, not
/// written as a row without a body.
#[test]
fn a_status_change_of_a_finding_the_store_never_had_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ProjectionStore::open(dir.path()).expect("opens");
    let mut scenario = Scenario::new();
    scenario.institution(&credit_code("440203", 1), "440203", "a");
    // The raising batch is dropped, never written.
    let raised = std::mem::take(&mut scenario.batch);
    let target = raised
        .changes
        .iter()
        .find_map(|(_, change)| match change {
            Change::Raised(finding) => Some(finding.id),
            _ => None,
        })
        .expect("the scenario raises a finding");
    scenario.officer_acts(target, CaseAction::Acknowledged);
    let batch = std::mem::take(&mut scenario.batch);
    let error = store
        .write(scenario.projector.projector(), &batch)
        .expect_err("refused");
    assert!(
        matches!(error, ProjectionStoreError::MissingFinding { id } if id == target),
        "{error}"
    );
    assert_eq!(
        store.applied_seq().expect("reads"),
        0,
        "nothing was written"
    );
}

#[test]
fn region_scopes_follow_the_hierarchy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ProjectionStore::open(dir.path()).expect("opens");
    let mut scenario = Scenario::new();
    let county = credit_code("440203", 1); // a district of Shaoguan
    let prefecture = credit_code("440200", 2); // Shaoguan itself
    let other_county = credit_code("440103", 3); // a district of Guangzhou
    let other_province = credit_code("350102", 4); // a district of Fuzhou
    scenario.institution(&county, "440203", "a");
    scenario.institution(&prefecture, "440200", "b");
    scenario.institution(&other_county, "440103", "c");
    scenario.institution(&other_province, "350102", "d");
    scenario.write(&store, false);
    let p = &scenario.projector;
    let of = |code: &CreditCode| institution_ids(p, code);
    let region = |text: &str| Scope::Region(RegionCode::parse(text).expect("region"));

    let guangdong = set(all_ids(&store, region("440000")));
    let expected: BTreeSet<_> = [&county, &prefecture, &other_county]
        .iter()
        .flat_map(|c| of(c))
        .collect();
    assert_eq!(guangdong, expected);
    let shaoguan = set(all_ids(&store, region("440200")));
    assert_eq!(
        shaoguan,
        of(&county).union(&of(&prefecture)).copied().collect()
    );
    assert_eq!(set(all_ids(&store, region("440203"))), of(&county));
    assert_eq!(set(all_ids(&store, region("440103"))), of(&other_county));
    assert_eq!(set(all_ids(&store, region("350000"))), of(&other_province));
    assert!(all_ids(&store, region("440300")).is_empty());
    // Every finding appears once per scope, however many levels index it.
    let all = all_ids(&store, Scope::All);
    assert_eq!(all.len(), p.findings().count());
    assert_eq!(set(all.clone()).len(), all.len());
    assert_eq!(all_ids(&store, region("440000")).len(), expected.len());
}

#[test]
fn institution_rule_and_status_scopes_and_filters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ProjectionStore::open(dir.path()).expect("opens");
    let mut scenario = Scenario::new();
    let a = credit_code("440203", 1);
    let b = credit_code("440203", 2);
    scenario.institution(&a, "440203", "a");
    scenario.institution(&b, "440203", "b");
    scenario.write(&store, false);
    let p = &scenario.projector;

    assert_eq!(
        set(all_ids(&store, Scope::Institution(a.clone()))),
        institution_ids(p, &a)
    );
    let rule = RuleId::OnlineLessonMax30Min;
    let by_rule: BTreeSet<_> = p
        .findings()
        .filter(|f| f.rule == rule)
        .map(|f| f.id)
        .collect();
    assert_eq!(set(all_ids(&store, Scope::Rule(rule))), by_rule);
    let open: BTreeSet<_> = p
        .findings()
        .filter(|f| f.status == FindingStatus::Open)
        .map(|f| f.id)
        .collect();
    assert_eq!(set(all_ids(&store, Scope::Status(StatusTag::Open))), open);

    // Filters apply while scanning.
    let mut query = FeedQuery::new(Scope::Institution(a.clone()));
    query.rule = Some(rule);
    let filtered = set(ids(&store.query(&query).expect("queries")));
    let expected: BTreeSet<_> = institution_ids(p, &a)
        .intersection(&by_rule)
        .copied()
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(filtered, expected);
    let mut query = FeedQuery::new(Scope::All);
    query.occurred_until = Some(UtcTime::parse("2000-01-01T00:00:00Z").expect("time"));
    assert!(store.query(&query).expect("queries").findings.is_empty());
    let mut query = FeedQuery::new(Scope::All);
    query.min_severity = Some(Severity::Crit);
    for stored in store.query(&query).expect("queries").findings {
        assert_eq!(stored.finding.severity, Severity::Crit);
    }
}

#[test]
fn a_status_change_moves_the_status_index_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ProjectionStore::open(dir.path()).expect("opens");
    let mut scenario = Scenario::new();
    let code = credit_code("440203", 1);
    scenario.institution(&code, "440203", "a");
    scenario.write(&store, false);
    let target = all_ids(&store, Scope::Status(StatusTag::Open))[0];
    let open_before = all_ids(&store, Scope::Status(StatusTag::Open)).len();

    scenario.officer_acts(
        target,
        CaseAction::RectificationOrdered {
            due: "2025-10-01".parse().expect("date"),
        },
    );
    scenario.write(&store, false);
    let open_after = all_ids(&store, Scope::Status(StatusTag::Open));
    assert!(!open_after.contains(&target));
    assert_eq!(open_after.len(), open_before - 1);
    assert_eq!(
        all_ids(&store, Scope::Status(StatusTag::RectificationOrdered)),
        vec![target]
    );
    // The other indexes still list it once.
    assert_eq!(
        all_ids(&store, Scope::All)
            .iter()
            .filter(|id| **id == target)
            .count(),
        1
    );

    scenario.officer_acts(target, CaseAction::Resolved);
    scenario.write(&store, false);
    assert!(all_ids(&store, Scope::Status(StatusTag::RectificationOrdered)).is_empty());
    assert_eq!(
        all_ids(&store, Scope::Status(StatusTag::Resolved)),
        vec![target]
    );
    assert_eq!(
        digest(&store.outcome().expect("reads")),
        scenario.projector.digest()
    );
}

#[test]
fn pages_return_every_finding_once_while_new_findings_arrive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ProjectionStore::open(dir.path()).expect("opens");
    let mut scenario = Scenario::new();
    for n in 0..3u8 {
        let code = credit_code("440203", n);
        scenario.institution(&code, "440203", &format!("t{n}"));
    }
    scenario.write(&store, false);

    let mut seen = Vec::new();
    let mut after = None;
    let mut added = 3u8;
    loop {
        let mut query = FeedQuery::new(Scope::Region(RegionCode::parse("440000").expect("r")));
        query.after = after;
        query.limit = 2;
        let page = store.query(&query).expect("queries");
        assert!(page.findings.len() <= 2);
        seen.extend(ids(&page));
        if let Some(last) = page.findings.last() {
            // Raised order: each page continues where the last one stopped.
            after = Some(Cursor::of(last));
        }
        if added < 6 {
            let code = credit_code("440200", added);
            scenario.institution(&code, "440200", &format!("t{added}"));
            scenario.write(&store, false);
            added += 1;
            continue;
        }
        if page.next.is_none() {
            break;
        }
    }
    let expected: BTreeSet<_> = scenario.projector.findings().map(|f| f.id).collect();
    assert_eq!(seen.len(), expected.len(), "no finding twice");
    assert_eq!(set(seen), expected);
}

#[test]
fn pages_are_in_raised_order_and_next_marks_more() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ProjectionStore::open(dir.path()).expect("opens");
    let mut scenario = Scenario::new();
    for n in 0..3u8 {
        let code = credit_code("440203", n);
        scenario.institution(&code, "440203", &format!("t{n}"));
        scenario.write(&store, false);
    }
    let all = store.query(&FeedQuery::new(Scope::All)).expect("queries");
    let order: Vec<Cursor> = all.findings.iter().map(Cursor::of).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);

    let mut query = FeedQuery::new(Scope::All);
    query.limit = 1;
    let first = store.query(&query).expect("queries");
    assert_eq!(first.next, Some(order[0]));
    query.after = Some(order[order.len() - 2]);
    let last = store.query(&query).expect("queries");
    assert_eq!(last.findings.len(), 1);
    assert_eq!(last.next, None);
    query.limit = 0;
    query.after = None;
    assert_eq!(store.query(&query).expect("queries").findings.len(), 1);
}

#[test]
fn snapshots_round_trip_and_a_reopened_store_keeps_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut scenario = Scenario::new();
    let expected_digest;
    {
        let store = ProjectionStore::open(dir.path()).expect("opens");
        scenario.institution(&credit_code("440203", 1), "440203", "a");
        scenario.write(&store, true);
        scenario.institution(&credit_code("440203", 2), "440203", "b");
        scenario.write(&store, false);
        expected_digest = digest(&store.outcome().expect("reads"));
    }
    let store = ProjectionStore::open(dir.path()).expect("reopens");
    assert_eq!(store.applied_seq().expect("reads"), scenario.seq);
    assert_eq!(digest(&store.outcome().expect("reads")), expected_digest);
    assert_eq!(expected_digest, scenario.projector.digest());
    let (seq, snapshot) = store
        .load_snapshot::<Projector>()
        .expect("reads")
        .expect("a snapshot");
    assert_eq!(seq, 5);
    let restored =
        Projector::restore(Policy::national().expect("policy"), snapshot).expect("restores");
    assert_eq!(restored.last_seq(), 5);
    assert_eq!(
        store.list_entries().expect("reads"),
        scenario
            .projector
            .projector()
            .list_entries()
            .cloned()
            .collect::<Vec<_>>()
    );

    store.clear().expect("clears");
    assert_eq!(store.applied_seq().expect("reads"), 0);
    assert_eq!(store.load_snapshot::<Projector>().expect("reads"), None);
    assert_eq!(store.outcome().expect("reads"), Outcome::default());
    assert!(all_ids(&store, Scope::All).is_empty());
}

/// The names of the files in the store's snapshot directory, sorted.
fn snapshot_files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("snapshots"))
        .expect("lists")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .into_string()
                .expect("utf-8")
        })
        .collect();
    names.sort();
    names
}

#[test]
fn the_snapshot_is_one_file_that_its_row_names_and_other_files_are_removed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut scenario = Scenario::new();
    let store = ProjectionStore::open(dir.path()).expect("opens");
    assert!(snapshot_files(dir.path()).is_empty());
    scenario.institution(&credit_code("440203", 1), "440203", "a");
    scenario.write(&store, true);
    assert_eq!(
        snapshot_files(dir.path()),
        ["projector-00000000000000000005.snapshot"]
    );
    scenario.institution(&credit_code("440203", 2), "440203", "b");
    scenario.write(&store, true);
    // The newer file replaces the older once its row is written.
    assert_eq!(
        snapshot_files(dir.path()),
        ["projector-00000000000000000010.snapshot"]
    );
    drop(store);

    // A crash between a file and its batch leaves a file the row does not name (and perhaps a
    // partial one): opening the store removes them and keeps the named one.
    let snapshots = dir.path().join("snapshots");
    std::fs::write(
        snapshots.join("projector-00000000000000000099.snapshot"),
        b"\x01never named",
    )
    .expect("writes");
    std::fs::write(
        snapshots.join("projector-00000000000000000099.partial"),
        b"\x01half",
    )
    .expect("writes");
    let store = ProjectionStore::open(dir.path()).expect("reopens");
    assert_eq!(
        snapshot_files(dir.path()),
        ["projector-00000000000000000010.snapshot"]
    );
    let (seq, snapshot) = store
        .load_snapshot::<Projector>()
        .expect("reads")
        .expect("a snapshot");
    assert_eq!(seq, 10);
    let restored =
        Projector::restore(Policy::national().expect("policy"), snapshot).expect("restores");
    assert_eq!(restored.last_seq(), scenario.seq);

    // A named file that is gone is corrupt derived data (the follower rebuilds), not a panic.
    std::fs::remove_file(snapshots.join("projector-00000000000000000010.snapshot"))
        .expect("removes");
    let err = store.load_snapshot::<Projector>().expect_err("missing");
    assert!(
        matches!(&err, ProjectionStoreError::CorruptProjection { reason, .. } if reason.contains("missing")),
        "{err}"
    );

    store.clear().expect("clears");
    assert_eq!(store.load_snapshot::<Projector>().expect("reads"), None);
    assert!(snapshot_files(dir.path()).is_empty());
}

#[test]
fn a_value_that_does_not_decode_is_corruption_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ProjectionStore::open(dir.path()).expect("opens");
    let mut scenario = Scenario::new();
    scenario.institution(&credit_code("440203", 1), "440203", "a");
    scenario.write(&store, true);
    let id = all_ids(&store, Scope::All)[0];
    store
        .tree
        .insert(keys::finding(&id), &[VALUE_FORMAT_V1, 0xff, 0xff][..])
        .expect("tampers");
    let err = store.finding(&id).expect_err("corrupt");
    assert!(
        matches!(err, ProjectionStoreError::CorruptProjection { .. }),
        "{err}"
    );
    assert!(store.query(&FeedQuery::new(Scope::All)).is_err());
    store
        .tree
        .insert(keys::meta(keys::SNAPSHOT), &[0x7f][..])
        .expect("tampers");
    assert!(matches!(
        store.load_snapshot::<Projector>(),
        Err(ProjectionStoreError::CorruptProjection { .. })
    ));
    store
        .tree
        .insert(keys::meta(keys::APPLIED_SEQ), &[1, 2][..])
        .expect("tampers");
    assert!(store.applied_seq().is_err());
}

#[test]
fn cursors_have_a_stable_text_form() {
    let cursor = Cursor {
        raised_seq: 42,
        id: FindingId::from_bytes([0xab; 16]),
    };
    let text = cursor.to_string();
    assert_eq!(text.len(), 48);
    assert_eq!(text.parse::<Cursor>(), Ok(cursor));
    assert_eq!("zz".parse::<Cursor>(), Err(BadCursor));
    assert_eq!(
        StatusTag::parse("rectification_ordered"),
        Some(StatusTag::RectificationOrdered)
    );
    for tag in StatusTag::ALL {
        assert_eq!(StatusTag::parse(tag.as_str()), Some(*tag));
    }
}

/// Every credit code on list `status`, read a page of `limit` at a time.
fn listed(store: &ProjectionStore, status: ListStatus, limit: usize) -> Vec<CreditCode> {
    let mut codes = Vec::new();
    let mut after: Option<CreditCode> = None;
    loop {
        let page = store
            .list_page(status, after.as_ref(), limit)
            .expect("reads");
        assert!(page.entries.len() <= limit);
        assert!(page.entries.iter().all(|e| e.status == status));
        codes.extend(page.entries.iter().map(|e| e.institution.clone()));
        match page.next {
            Some(next) => {
                assert_eq!(Some(&next), codes.last(), "next is the page's last code");
                after = Some(next);
            }
            None => return codes,
        }
    }
}

/// What the list index must give: the stored entries of that status, in credit-code order.
fn expected_listed(store: &ProjectionStore, status: ListStatus) -> Vec<CreditCode> {
    store
        .list_entries()
        .expect("reads")
        .into_iter()
        .filter(|e| e.status == status)
        .map(|e| e.institution)
        .collect()
}

#[test]
fn list_pages_come_from_the_status_index_and_follow_moves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ProjectionStore::open(dir.path()).expect("opens");
    let mut scenario = Scenario::new();
    for n in 0..4 {
        let code = credit_code("440203", n);
        scenario.institution(&code, "440203", &format!("r{n}"));
    }
    // Two that were never registered: they teach without a licence.
    let unlicensed: Vec<CreditCode> = (5..7).map(|n| credit_code("440203", n)).collect();
    for code in &unlicensed {
        for event_code in &SCENARIO_CODES[3..] {
            let params = scenario.params(code, "440203", "u");
            scenario.apply(example(index_of(*event_code), &params));
        }
    }
    scenario.write(&store, false);
    let statuses = [ListStatus::Black, ListStatus::White, ListStatus::Unlisted];
    let check = |store: &ProjectionStore| {
        for status in statuses {
            let expected = expected_listed(store, status);
            assert_eq!(listed(store, status, 1), expected, "{status:?}, pages of 1");
            assert_eq!(listed(store, status, 2), expected, "{status:?}, pages of 2");
            let whole = store.list_page(status, None, 1_000).expect("reads");
            assert_eq!(whole.next, None);
            assert_eq!(whole.entries.len(), expected.len());
        }
    };
    check(&store);
    let occupied = statuses
        .iter()
        .filter(|s| !expected_listed(&store, **s).is_empty())
        .count();
    assert!(occupied >= 2, "the scenario puts institutions on two lists");
    assert_eq!(
        statuses
            .iter()
            .map(|s| expected_listed(&store, *s).len())
            .sum::<usize>(),
        6
    );

    // An officer resolves the findings that put one of them on the black list: it moves lists,
    // and the index moves with it.
    let moved = &unlicensed[0];
    let status_of = |store: &ProjectionStore| {
        store
            .list_entry(moved)
            .expect("reads")
            .expect("listed")
            .status
    };
    let before = status_of(&store);
    assert_eq!(before, ListStatus::Black);
    for id in institution_ids(&scenario.projector, moved) {
        scenario.officer_acts(id, CaseAction::Resolved);
    }
    scenario.write(&store, false);
    let after = status_of(&store);
    assert_ne!(
        before, after,
        "resolving its findings moves it off the black list"
    );
    check(&store);
    assert!(!listed(&store, before, 1_000).contains(moved));
    assert!(listed(&store, after, 1_000).contains(moved));
}

#[test]
fn a_query_within_a_region_never_hands_out_a_cursor_outside_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ProjectionStore::open(dir.path()).expect("opens");
    let mut scenario = Scenario::new();
    let inside = credit_code("440203", 1);
    let outside = credit_code("350102", 2);
    let also_inside = credit_code("440203", 3);
    scenario.institution(&inside, "440203", "a");
    scenario.institution(&outside, "350102", "b");
    scenario.institution(&also_inside, "440203", "c");
    scenario.write(&store, false);
    let guangdong = RegionCode::parse("440000").expect("region");
    let of = |code: &CreditCode| institution_ids(&scenario.projector, code);
    assert!(!of(&outside).is_empty());

    // Every finding, a page of one at a time, within Guangdong: only its findings come back,
    // and no `next` names a finding outside it.
    let mut query = FeedQuery::new(Scope::All);
    query.limit = 1;
    query.within = Some(guangdong);
    let mut seen = Vec::new();
    loop {
        let page = store.query(&query).expect("queries");
        seen.extend(ids(&page));
        let Some(next) = page.next else { break };
        let named = store.finding(&next.id).expect("reads").expect("stored");
        assert!(guangdong.contains(&named.finding.region), "{named:?}");
        query.after = Some(next);
    }
    let expected: BTreeSet<_> = of(&inside).union(&of(&also_inside)).copied().collect();
    assert_eq!(set(seen.clone()), expected);
    assert_eq!(seen.len(), expected.len());

    // An institution outside the region: nothing, and no cursor.
    let mut query = FeedQuery::new(Scope::Institution(outside.clone()));
    query.limit = 1;
    query.within = Some(guangdong);
    let page = store.query(&query).expect("queries");
    assert!(page.findings.is_empty());
    assert_eq!(page.next, None);
}

#[test]
fn every_list_move_is_kept_in_log_order_and_read_by_range() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ProjectionStore::open(dir.path()).expect("opens");
    let mut scenario = Scenario::new();
    let codes: Vec<CreditCode> = (1..=3).map(|n| credit_code("440203", n)).collect();
    for (i, code) in codes.iter().enumerate() {
        scenario.institution(code, "440203", &format!("t{i}"));
        scenario.write(&store, false);
    }
    let all = store.list_moves(0, scenario.seq, 1_000).expect("reads");
    assert!(all.complete);
    // Each institution moved at least once (from nowhere onto a list), in log order.
    for code in &codes {
        assert!(
            all.moves.iter().any(|(_, m)| &m.institution == code),
            "{code} never moved"
        );
    }
    assert!(all.moves.windows(2).all(|w| w[0].0 <= w[1].0));
    assert!(all.moves.iter().all(|(seq, m)| m.at.seq == *seq));
    // A range holds exactly the moves of its events; a limit says when it cut the range short.
    let (first_seq, _) = all.moves[0];
    let later = store
        .list_moves(first_seq, scenario.seq, 1_000)
        .expect("reads");
    assert_eq!(later.moves, all.moves[1..].to_vec());
    let cut = store.list_moves(0, scenario.seq, 1).expect("reads");
    assert_eq!((cut.moves.len(), cut.complete), (1, false));
    let none = store
        .list_moves(scenario.seq, scenario.seq, 10)
        .expect("reads");
    assert!(none.moves.is_empty() && none.complete);
}

/// The counts a fresh pass over the projector's findings gives.
fn expected_counts(projector: &Booked) -> BTreeMap<CountKey, u64> {
    let mut counts = BTreeMap::new();
    for key in projector.findings().filter_map(CountKey::of) {
        *counts.entry(key).or_default() += 1;
    }
    counts
}

#[test]
fn counts_follow_every_finding_written_and_withdrawn_ones_drop_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ProjectionStore::open(dir.path()).expect("opens");
    let mut scenario = Scenario::new();
    scenario.institution(&credit_code("440203", 1), "440203", "a");
    scenario.institution(&credit_code("440204", 2), "440204", "b");
    scenario.write(&store, false);
    let stored: BTreeMap<CountKey, u64> = store.counts(None).expect("reads").into_iter().collect();
    assert!(!stored.is_empty());
    assert_eq!(stored, expected_counts(&scenario.projector));
    let total: u64 = stored.values().sum();
    let standing = scenario
        .projector
        .findings()
        .filter(|f| !matches!(f.status, FindingStatus::Withdrawn))
        .count() as u64;
    assert_eq!(total, standing);
    // 2025-09-01 is in ISO week 36.
    assert!(stored.keys().all(|k| k.week == (2025, 36)), "{stored:?}");

    // A status change moves one count from open to the new status; nothing else changes.
    let target = all_ids(
        &store,
        Scope::Region(RegionCode::parse("440203").expect("region")),
    )[0];
    scenario.officer_acts(target, CaseAction::Resolved);
    scenario.write(&store, false);
    let after: BTreeMap<CountKey, u64> = store.counts(None).expect("reads").into_iter().collect();
    assert_eq!(after, expected_counts(&scenario.projector));
    let open = |counts: &BTreeMap<CountKey, u64>| -> u64 {
        counts
            .iter()
            .filter(|(k, _)| k.status == StatusTag::Open)
            .map(|(_, n)| n)
            .sum()
    };
    assert_eq!(open(&after), open(&stored) - 1);
    assert_eq!(after.values().sum::<u64>(), total);

    // Within a region: a county, its prefecture, its province, another province.
    let within = |region: &str| -> u64 {
        store
            .counts(Some(RegionCode::parse(region).expect("region")))
            .expect("reads")
            .iter()
            .map(|(_, n)| n)
            .sum()
    };
    let county_a = within("440203");
    assert!(county_a > 0 && county_a < total);
    assert_eq!(county_a + within("440204"), total);
    assert_eq!(within("440200"), total);
    assert_eq!(within("440000"), total);
    assert_eq!(within("450000"), 0);
    assert!(store
        .counts(Some(RegionCode::parse("440203").expect("region")))
        .expect("reads")
        .iter()
        .all(|(k, _)| k.region.as_str() == "440203"));

    // Writing the same findings again (re-applied after a restart) counts nothing twice.
    let mut again = ProjectionBatch::default();
    for finding in scenario.projector.findings() {
        again
            .changes
            .push((scenario.seq, Change::Raised(Box::new(finding.clone()))));
    }
    again.applied_seq = scenario.seq;
    store
        .write(scenario.projector.projector(), &again)
        .expect("writes");
    let rewritten: BTreeMap<CountKey, u64> =
        store.counts(None).expect("reads").into_iter().collect();
    assert_eq!(rewritten, after);
}

/// Escrow events for one institution: the account opened, two fees, a release, a refund asked
/// for and paid in part, and the bank's statement.
const ESCROW_CODES: &[u16] = &[1, 40, 42, 43, 44, 45, 46];

#[test]
fn fund_rows_sum_each_days_flows_once_whatever_the_batches_and_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ProjectionStore::open(dir.path()).expect("opens");
    let mut scenario = Scenario::new();
    let code = credit_code("440203", 3);
    let mut recorded = Vec::new();
    let mut first = ProjectionBatch::default();
    for (i, event_code) in ESCROW_CODES.iter().enumerate() {
        let mut params = scenario.params(&code, "440203", &format!("t{}", i % 2));
        // The second half a day later, after 16:00 UTC: the next day in Beijing.
        if i >= 4 {
            params.at = UtcTime::parse("2025-09-02T17:00:00Z").expect("time");
        }
        scenario.apply(example(index_of(*event_code), &params));
        if i == 3 {
            recorded.extend(scenario.batch.funds.clone());
            first = scenario.batch.clone();
            scenario.write(&store, false);
        }
    }
    recorded.extend(scenario.batch.funds.clone());
    let second = scenario.batch.clone();
    scenario.write(&store, false);
    // A restart from a snapshot taken before both: the follower re-applies both batches, the
    // first of which ends before what the store already holds (applied_seq moves back). Neither
    // adds its flows again.
    store
        .write(scenario.projector.projector(), &first)
        .expect("writes");
    assert_eq!(store.applied_seq().expect("reads"), first.applied_seq);
    store
        .write(scenario.projector.projector(), &second)
        .expect("writes");

    let mut expected: BTreeMap<(CreditCode, jiff::civil::Date), FundDay> = BTreeMap::new();
    for (_, institution, date, flow) in &recorded {
        expected
            .entry((institution.clone(), *date))
            .or_default()
            .add(flow.clone());
    }
    assert_eq!(store.all_fund_days().expect("reads"), expected);
    let days = store.fund_days(&code).expect("reads");
    assert_eq!(
        days.iter().map(|(d, _)| d.to_string()).collect::<Vec<_>>(),
        ["2025-09-01", "2025-09-03"],
        "the statement is filed under its own date: {days:?}"
    );
    let first = &days[0].1;
    assert!(!first.collected.is_zero() && !first.released.is_zero());
    assert!(first.stated.len() == 1, "{first:?}");
    let later = &days[1].1;
    assert!(!later.refund_requested.is_zero() && !later.refunded.is_zero());
    assert!(store
        .fund_days(&credit_code("440203", 4))
        .expect("reads")
        .is_empty());
}

/// The store's profile and plans of `code`, and what the fold's facts say of them.
fn profile_and_plans(
    store: &ProjectionStore,
    scenario: &Scenario,
    code: &CreditCode,
) -> [(Option<InstitutionProfile>, Vec<PlannedCourse>); 2] {
    let facts = scenario.projector.projector().facts();
    let held = facts
        .courses
        .keys()
        .filter(|key| &key.institution == code)
        .filter_map(|key| facts.planned_course(code, &key.course))
        .collect();
    [
        (
            store.institution_profile(code).expect("reads"),
            store.planned_courses(code, 100).expect("reads"),
        ),
        (facts.profile(code), held),
    ]
}

/// What readers read of the facts (the institution record, the feed's jurisdiction check, the
/// console's names and timetable) is written with the batches that change it, equal to the
/// fold's facts after each: registration, a licence suspension, a cancelled course, a
/// rescheduled one, and an institution the registry never registered.
#[test]
fn profiles_and_plans_are_written_with_each_batch_as_the_facts_hold_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ProjectionStore::open(dir.path()).expect("opens");
    let mut scenario = Scenario::new();
    let code = credit_code("440203", 1);
    assert_eq!(store.institution_profile(&code).expect("reads"), None);
    scenario.institution(&code, "440203", "a");
    scenario.write(&store, false);
    let [stored, held] = profile_and_plans(&store, &scenario, &code);
    assert_eq!(stored, held);
    let (Some(profile), plans) = stored else {
        panic!("no profile stored");
    };
    assert_eq!(profile.region, RegionCode::parse("440203").expect("region"));
    assert_eq!(profile.licence, LicenceStanding::Active);
    assert!(profile.registration.is_some() && profile.teachers == 1);
    assert_eq!(plans.len(), 1, "{plans:?}");
    assert!(!plans[0].cancelled && !plans[0].sessions.is_empty());

    // A second course, rescheduled; the first cancelled; the licence suspended.
    for (event_code, tag) in [(20, "b"), (21, "b"), (22, "a"), (2, "a")] {
        let params = scenario.params(&code, "440203", tag);
        scenario.apply(example(index_of(event_code), &params));
    }
    scenario.write(&store, false);
    let [stored, held] = profile_and_plans(&store, &scenario, &code);
    assert_eq!(stored, held);
    let (Some(profile), plans) = stored else {
        panic!("no profile stored");
    };
    assert_eq!(profile.licence, LicenceStanding::Suspended);
    assert_eq!(plans.len(), 2, "{plans:?}");
    assert_eq!(
        plans.iter().filter(|plan| plan.cancelled).count(),
        1,
        "{plans:?}"
    );

    // Never registered: a profile with no registration, in the region its events name.
    let unregistered = credit_code("440304", 7);
    let params = scenario.params(&unregistered, "440304", "u");
    scenario.apply(example(index_of(23), &params));
    scenario.write(&store, false);
    let [stored, held] = profile_and_plans(&store, &scenario, &unregistered);
    assert_eq!(stored, held);
    let profile = stored.0.expect("a profile");
    assert_eq!(profile.registration, None);
    assert_eq!(profile.region, RegionCode::parse("440304").expect("region"));
    assert_eq!(
        store.institution_profiles().expect("reads").len(),
        2,
        "one row per institution"
    );

    // Until it registers, its region follows its latest event (a profile-neutral event type).
    let params = scenario.params(&unregistered, "440203", "u2");
    scenario.apply(example(index_of(23), &params));
    scenario.write(&store, false);
    let [stored, held] = profile_and_plans(&store, &scenario, &unregistered);
    assert_eq!(stored, held);
    let moved = stored.0.expect("a profile").region;
    assert_eq!(moved, RegionCode::parse("440203").expect("region"));
}

#[test]
fn a_store_from_before_the_layout_row_is_not_current() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ProjectionStore::open(dir.path()).expect("opens");
    assert!(
        store.is_current().expect("reads"),
        "an empty store is current"
    );
    let mut scenario = Scenario::new();
    scenario.institution(&credit_code("440203", 1), "440203", "a");
    scenario.write(&store, false);
    assert!(store.is_current().expect("reads"));
    // An older build wrote no layout row.
    store
        .tree
        .remove(keys::meta(keys::STORE_FORMAT))
        .expect("removes");
    assert!(!store.is_current().expect("reads"));
    store
        .tree
        .insert(keys::meta(keys::STORE_FORMAT), &1u32.to_be_bytes()[..])
        .expect("inserts");
    assert!(!store.is_current().expect("reads"));
    store.clear().expect("clears");
    assert!(store.is_current().expect("reads"));
}

/// Everything a store holds, for comparing two stores.
#[derive(Debug, PartialEq)]
struct Everything {
    findings: Vec<StoredFinding>,
    lists: Vec<ListEntry>,
    counts: Vec<(CountKey, u64)>,
    moves: ListMoves,
    funds: BTreeMap<(CreditCode, jiff::civil::Date), FundDay>,
    profiles: Vec<InstitutionProfile>,
    plans: Vec<PlannedCourse>,
    applied_seq: u64,
}

fn everything(store: &ProjectionStore) -> Everything {
    Everything {
        findings: store.findings().expect("reads"),
        lists: store.list_entries().expect("reads"),
        counts: store.counts(None).expect("reads"),
        moves: store.list_moves(0, u64::MAX - 1, 10_000).expect("reads"),
        funds: store.all_fund_days().expect("reads"),
        profiles: store.institution_profiles().expect("reads"),
        plans: store.all_planned_courses().expect("reads"),
        applied_seq: store.applied_seq().expect("reads"),
    }
}

/// The follower writes batch N while the projector applies N + 1: a batch settled right after
/// it was applied and written only after the fold went on (officers acting on its findings,
/// lists moving, new findings) leaves the store as writing it from the fold at once did: the
/// same rows, counts, list moves and fund rows, after every batch (not only in the end, where
/// later batches would rewrite the same rows anyway).
#[test]
fn a_settled_batch_written_after_the_fold_went_on_writes_what_the_fold_held_then() {
    let (at_once_dir, late_dir) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let at_once = ProjectionStore::open(at_once_dir.path()).expect("opens");
    let late = ProjectionStore::open(late_dir.path()).expect("opens");
    let mut scenario = Scenario::new();
    // The settled batch not yet written, and what the store written at once held after it.
    let mut pending: Option<(SettledBatch, Everything)> = None;
    let mut compared = 0;
    let mut write_late = |(settled, expected): (SettledBatch, Everything)| {
        late.write_settled(&settled).expect("writes");
        assert_eq!(
            everything(&late),
            expected,
            "after the batch to {}",
            settled.batch().applied_seq
        );
        compared += 1;
    };
    let mut step = |scenario: &mut Scenario| {
        let batch = std::mem::take(&mut scenario.batch);
        at_once
            .write(scenario.projector.projector(), &batch)
            .expect("writes");
        let settled = SettledBatch::settle(scenario.projector.projector(), batch);
        if let Some(earlier) = pending.replace((settled, everything(&at_once))) {
            write_late(earlier);
        }
    };
    let (a, b) = (credit_code("440203", 1), credit_code("440304", 2));
    scenario.institution(&a, "440203", "a");
    step(&mut scenario);
    scenario.institution(&b, "440304", "b");
    for event_code in &ESCROW_CODES[..4] {
        let params = scenario.params(&b, "440304", "f");
        scenario.apply(example(index_of(*event_code), &params));
    }
    step(&mut scenario);
    let of_a = *institution_ids(&scenario.projector, &a)
        .first()
        .expect("a finding of a");
    let of_b = *institution_ids(&scenario.projector, &b)
        .first()
        .expect("a finding of b");
    scenario.officer_acts(of_a, CaseAction::Acknowledged);
    step(&mut scenario);
    scenario.officer_acts(of_a, CaseAction::Resolved);
    scenario.officer_acts(of_b, CaseAction::Acknowledged);
    // Never registered: teaches without a licence, and its list entry moves.
    let unlicensed = credit_code("440203", 7);
    for event_code in &SCENARIO_CODES[3..] {
        let params = scenario.params(&unlicensed, "440203", "u");
        scenario.apply(example(index_of(*event_code), &params));
    }
    step(&mut scenario);
    scenario.institution(&a, "440203", "again");
    step(&mut scenario);
    write_late(pending.take().expect("the last batch"));
    assert_eq!(compared, 5, "every batch was compared");

    let expected = everything(&at_once);
    assert!(!expected.findings.is_empty() && !expected.lists.is_empty());
    assert!(!expected.moves.moves.is_empty(), "the lists moved");
    assert!(!expected.funds.is_empty(), "money moved");
    assert_eq!(expected.profiles.len(), 3, "a, b and the unlicensed one");
    assert!(!expected.plans.is_empty(), "courses were published");
    assert!(
        expected
            .findings
            .iter()
            .any(|s| s.finding.status == FindingStatus::Resolved),
        "a finding's status changed after its batch was settled"
    );
    assert_eq!(everything(&late), expected);
    assert_eq!(
        late.outcome().expect("reads"),
        scenario.projector.outcome(),
        "and both equal the fold"
    );
}

#[test]
#[should_panic(expected = "a snapshot is written from the fold itself")]
fn a_batch_due_for_a_snapshot_is_not_settled() {
    let mut scenario = Scenario::new();
    scenario.institution(&credit_code("440203", 1), "440203", "a");
    let mut batch = std::mem::take(&mut scenario.batch);
    batch.snapshot = true;
    let _ = SettledBatch::settle(scenario.projector.projector(), batch);
}
