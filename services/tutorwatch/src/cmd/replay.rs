//! `tutorwatch replay`, `findings` and `lists`: rebuilding projections from the log (and what a
//! different policy would change), and reading what the projector stored.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::json;
use tutorwatch_events::ids::CourseId;
use tutorwatch_events::{CreditCode, RegionCode};
use tutorwatch_findings::{diff, Digest, InstitutionProfile, PlannedCourse, RuleId};
use tutorwatch_log::EventLog;
use tutorwatch_projection_store::{CountKey, Cursor, FeedQuery, ProjectionStore, Scope, StatusTag};
use tutorwatch_projections::{Booked, Policy};

use crate::cmd::data::{existing_dir, open_log};
use crate::cmd::output::print_json;
use crate::config::{load_policy, Settings};

/// What `tutorwatch replay` was asked for.
#[derive(Debug, Clone)]
pub(crate) struct ReplayOptions<'a> {
    /// A policy to judge by instead of the configured one.
    pub policy_file: Option<&'a Path>,
    /// Also replay under the configured policy and print the difference.
    pub show_diff: bool,
    /// Compare with the stored projections.
    pub check: bool,
    /// How many partitions the fold is split into.
    pub partitions: usize,
}

fn rebuild(log: &EventLog, policy: Policy, partitions: usize) -> anyhow::Result<Booked> {
    let last = log.last_seq();
    eprintln!(
        "replaying {last} events under policy {} in {partitions} partition(s)",
        policy.version()
    );
    let projector = tutorwatch_follower::replay(log, policy, partitions, |seq| {
        eprintln!("read {seq} of {last} events");
    })?;
    Ok(projector)
}

fn open_projections(data: &Path) -> anyhow::Result<ProjectionStore> {
    let what = "projection store (`tutorwatch serve` writes it)";
    Ok(ProjectionStore::open(&existing_dir(
        data,
        "projections",
        what,
    )?)?)
}

/// Runs `tutorwatch replay`.
pub(crate) fn run(
    settings: &Settings,
    data: &Path,
    options: &ReplayOptions<'_>,
) -> anyhow::Result<ExitCode> {
    let policy = match options.policy_file {
        Some(path) => load_policy(Some(path))?,
        None => settings.policy()?,
    };
    let log = open_log(data)?;
    let projector = rebuild(&log, policy, options.partitions)?;
    let digest = projector.digest();
    if options.show_diff {
        let baseline = rebuild(&log, settings.policy()?, options.partitions)?;
        let difference = diff(&baseline.outcome(), &projector.outcome());
        print_json(&json!({
            "baseline_policy": baseline.policy().version(),
            "policy": projector.policy().version(),
            "baseline_digest": baseline.digest(),
            "digest": digest,
            "diff": difference,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    if options.check {
        return check(&log, &open_projections(data)?, &projector, &digest);
    }
    print_json(&json!({"policy": projector.policy().version(), "digest": digest}))?;
    Ok(ExitCode::SUCCESS)
}

/// The first key whose rows differ between a replay's and the store's (one side may lack it).
fn first_difference<'a, K: Ord, V: PartialEq>(
    replayed: &'a BTreeMap<K, V>,
    stored: &'a BTreeMap<K, V>,
) -> Option<&'a K> {
    replayed
        .keys()
        .chain(stored.keys())
        .find(|key| replayed.get(*key) != stored.get(*key))
}

/// How one kind of row compares: whether all match, how many each side has, and the first that
/// differs (described by `describe`).
fn compared<K: Ord, V: PartialEq>(
    replayed: &BTreeMap<K, V>,
    stored: &BTreeMap<K, V>,
    describe: impl Fn(&K) -> serde_json::Value,
) -> (bool, serde_json::Value) {
    let difference = first_difference(replayed, stored);
    let report = json!({
        "matches": difference.is_none(),
        "replayed_rows": replayed.len(),
        "stored_rows": stored.len(),
        "first_difference": difference.map(describe),
    });
    (difference.is_none(), report)
}

/// `replay --check`: compares every kind of row the store keeps with `projector`, a fresh
/// replay of `log` whose findings digest to `digest`, and prints how each compares.
fn check(
    log: &EventLog,
    store: &ProjectionStore,
    projector: &Booked,
    digest: &Digest,
) -> anyhow::Result<ExitCode> {
    let stored_digest = tutorwatch_findings::digest(&store.outcome()?);
    let same = stored_digest == *digest;
    // The series pages read: the finding counts and the fund rows.
    let mut counts: BTreeMap<CountKey, u64> = BTreeMap::new();
    for key in projector.findings().filter_map(CountKey::of) {
        *counts.entry(key).or_default() += 1;
    }
    let stored_counts: BTreeMap<CountKey, u64> = store.counts(None)?.into_iter().collect();
    let (counts_same, counts_report) = compared(&counts, &stored_counts, |key| {
        json!({
            "region": key.region,
            "iso_week": format!("{}-W{:02}", key.week.0, key.week.1),
            "status": key.status.as_str(),
            "rule": key.rule.as_str(),
        })
    });
    let funds = tutorwatch_follower::replay_funds(log)?;
    let stored_funds = store.all_fund_days()?;
    let (funds_same, funds_report) = compared(&funds, &stored_funds, |key| {
        json!({
            "institution": key.0,
            "date": key.1.to_string(),
            "replayed": funds.get(key),
            "stored": stored_funds.get(key),
        })
    });
    // What readers read of the facts: the institutions' profiles and the courses' plans.
    let facts = projector.projector().facts();
    let profiles: BTreeMap<CreditCode, InstitutionProfile> = facts
        .profiles()
        .map(|p| (p.institution.clone(), p))
        .collect();
    let stored_profiles: BTreeMap<CreditCode, InstitutionProfile> = store
        .institution_profiles()?
        .into_iter()
        .map(|p| (p.institution.clone(), p))
        .collect();
    let (profiles_same, profiles_report) =
        compared(&profiles, &stored_profiles, |code| json!(code));
    let plan_key = |p: &PlannedCourse| (p.institution.clone(), p.course.clone());
    let plans: BTreeMap<(CreditCode, CourseId), PlannedCourse> =
        facts.planned_courses().map(|p| (plan_key(&p), p)).collect();
    let stored_plans: BTreeMap<(CreditCode, CourseId), PlannedCourse> = store
        .all_planned_courses()?
        .into_iter()
        .map(|p| (plan_key(&p), p))
        .collect();
    let (plans_same, plans_report) = compared(
        &plans,
        &stored_plans,
        |(institution, course)| json!({"institution": institution, "course": course}),
    );
    let rows_same = counts_same && funds_same && profiles_same && plans_same;
    print_json(&json!({
        "matches": same && rows_same,
        "replayed": digest,
        "stored": stored_digest,
        "counts": counts_report,
        "fund_days": funds_report,
        "profiles": profiles_report,
        "plans": plans_report,
    }))?;
    if !same {
        eprintln!("error: the stored projections differ from a fresh replay of the log");
        return Ok(ExitCode::FAILURE);
    }
    if !rows_same {
        eprintln!(
            "error: the stored finding counts, fund rows, profiles or plans differ from a fresh \
             replay of the log"
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// What `tutorwatch findings` selects.
#[derive(Debug, Clone)]
pub(crate) struct FindingsFilter {
    pub region: Option<String>,
    pub institution: Option<String>,
    pub rule: Option<String>,
    pub status: Option<String>,
    pub after: Option<String>,
    pub limit: usize,
}

fn query(filter: &FindingsFilter) -> anyhow::Result<FeedQuery> {
    let scope = match (&filter.region, &filter.institution) {
        (Some(region), _) => Scope::Region(
            RegionCode::parse(region).with_context(|| format!("--region {region:?}"))?,
        ),
        (None, Some(code)) => Scope::Institution(
            CreditCode::parse(code).with_context(|| format!("--institution {code:?}"))?,
        ),
        (None, None) => Scope::All,
    };
    let mut query = FeedQuery::new(scope);
    query.limit = filter.limit;
    if let Some(rule) = &filter.rule {
        query.rule =
            Some(RuleId::parse(rule).with_context(|| format!("--rule: unknown rule {rule:?}"))?);
    }
    if let Some(status) = &filter.status {
        query.status = Some(
            StatusTag::parse(status)
                .with_context(|| format!("--status: unknown status {status:?}"))?,
        );
    }
    if let Some(after) = &filter.after {
        query.after = Some(
            after
                .parse::<Cursor>()
                .map_err(|e| anyhow::anyhow!("--after {after:?}: {e}"))?,
        );
    }
    Ok(query)
}

/// Runs `tutorwatch findings`.
pub(crate) fn print_findings(data: &Path, filter: &FindingsFilter) -> anyhow::Result<()> {
    let query = query(filter)?;
    let page = open_projections(data)?.query(&query)?;
    let findings: Vec<_> = page.findings.iter().map(|stored| &stored.finding).collect();
    print_json(&json!({
        "findings": findings,
        "next": page.next.map(|cursor| cursor.to_string()),
    }))
}

/// Runs `tutorwatch lists`.
pub(crate) fn print_lists(data: &Path) -> anyhow::Result<()> {
    let entries = open_projections(data)?.list_entries()?;
    print_json(&json!({ "entries": entries }))
}
