//! `tutorwatch replay`, `findings` and `lists`: rebuilding projections from the log (and what a
//! different policy would change), and reading what the projector stored.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::json;
use tutorwatch_events::{CreditCode, RegionCode};
use tutorwatch_findings::{diff, RuleId};
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
        let store = open_projections(data)?;
        let stored = store.outcome()?;
        let stored_digest = tutorwatch_findings::digest(&stored);
        let same = stored_digest == digest;
        // The series pages read: the finding counts and the fund rows.
        let mut counts: BTreeMap<CountKey, u64> = BTreeMap::new();
        for key in projector.findings().filter_map(CountKey::of) {
            *counts.entry(key).or_default() += 1;
        }
        let stored_counts: BTreeMap<CountKey, u64> = store.counts(None)?.into_iter().collect();
        let counts_same = counts == stored_counts;
        let funds = tutorwatch_follower::replay_funds(&log)?;
        let stored_funds = store.all_fund_days()?;
        let funds_same = funds == stored_funds;
        // The first row that differs, to say where.
        let fund_difference = funds
            .keys()
            .chain(stored_funds.keys())
            .find(|key| funds.get(*key) != stored_funds.get(*key))
            .map(|key| {
                json!({
                    "institution": key.0,
                    "date": key.1.to_string(),
                    "replayed": funds.get(key),
                    "stored": stored_funds.get(key),
                })
            });
        print_json(&json!({
            "matches": same && counts_same && funds_same,
            "replayed": digest,
            "stored": stored_digest,
            "counts": {"matches": counts_same, "replayed_rows": counts.len(), "stored_rows": stored_counts.len()},
            "fund_days": {"matches": funds_same, "replayed_rows": funds.len(), "stored_rows": stored_funds.len(), "first_difference": fund_difference},
        }))?;
        if !same {
            eprintln!("error: the stored projections differ from a fresh replay of the log");
            return Ok(ExitCode::FAILURE);
        }
        if !counts_same || !funds_same {
            eprintln!("error: the stored finding counts or fund rows differ from a fresh replay of the log");
            return Ok(ExitCode::FAILURE);
        }
        return Ok(ExitCode::SUCCESS);
    }
    print_json(&json!({"policy": projector.policy().version(), "digest": digest}))?;
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
