//! `tutorwatch check`: compares the findings the projector stored with a generated city's
//! ground truth (`tutorwatch gen --out`), per rule and overall, and fails below the precision
//! and recall asked for.
//!
//! A finding is matched by its id and its status class: `withdrawn`, or `raised` (any other
//! status). A planted lesson whose plan was fixed in time is in the truth as `withdrawn`, so a
//! withdrawal that did not happen (or one that should not have) is both a miss and an extra.
//!
//! **Invariant:** the figures are integer counts; precision and recall are 1 exactly when
//! nothing is missed and nothing is extra.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use serde_json::json;
use tutorwatch_citygen::{Expected, ExpectedStatus};
use tutorwatch_events::ids::FindingId;
use tutorwatch_findings::{FindingStatus, RuleId};
use tutorwatch_projection_store::ProjectionStore;

use crate::cmd::data::{existing_dir, open_log};
use crate::cmd::output::print_json;

/// The flags of `tutorwatch check`.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// The data directory `serve` wrote (projections in DIR/projections, the log in DIR/log).
    /// Stop `serve` first.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// The ground truth, `truth.jsonl` from `tutorwatch gen --out`.
    #[arg(long, value_name = "FILE")]
    truth: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Fail (exit 1) when precision is below this, e.g. 0.99.
    #[arg(long, default_value = "1.0", value_parser = parse_ratio)]
    min_precision: u64,
    /// Fail (exit 1) when recall is below this.
    #[arg(long, default_value = "1.0", value_parser = parse_ratio)]
    min_recall: u64,
}

/// Ratios are handled in parts per million, as integers.
const PPM: u64 = 1_000_000;

/// Parses a ratio between 0 and 1 (e.g. `0.995`) into parts per million.
fn parse_ratio(text: &str) -> Result<u64, String> {
    let bad = || format!("{text:?} is not a number from 0 to 1");
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 6 || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let whole: u64 = whole.parse().map_err(|_| bad())?;
    let fraction: u64 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<6}").parse().map_err(|_| bad())?
    };
    let ppm = whole * PPM + fraction;
    if ppm > PPM {
        return Err(bad());
    }
    Ok(ppm)
}

/// `part / whole` in parts per million (rounded down; 1 when there is nothing to count).
fn ratio(part: usize, whole: usize) -> u64 {
    if whole == 0 {
        return PPM;
    }
    (part as u64) * PPM / (whole as u64)
}

fn show(ppm: u64) -> String {
    format!("{}.{:06}", ppm / PPM, ppm % PPM)
}

/// A finding as it is compared: its id and whether it is withdrawn.
type Key = (FindingId, bool);

#[derive(Debug, Default, Clone, Copy)]
struct Row {
    expected: usize,
    found: usize,
    matched: usize,
}

fn read_truth(path: &Path) -> anyhow::Result<Vec<Expected>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            Expected::from_json_line(line)
                .with_context(|| format!("{}:{}: not a truth line", path.display(), i + 1))
        })
        .collect()
}

/// Runs `tutorwatch check`.
pub(crate) fn run(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let truth = read_truth(&args.truth)?;
    let last_seq = open_log(&args.data)?.last_seq();
    let store = ProjectionStore::open(&existing_dir(
        &args.data,
        "projections",
        "projection store (`tutorwatch serve` writes it)",
    )?)?;
    let applied = store.applied_seq()?;
    if applied < last_seq {
        bail!("the projections have applied {applied} of the log's {last_seq} events: let `serve` catch up (or delete DIR/projections and run `serve` to rebuild) before checking");
    }
    let expected: BTreeMap<Key, &Expected> = truth
        .iter()
        .map(|e| ((e.finding_id, e.status == ExpectedStatus::Withdrawn), e))
        .collect();
    let stored = store.findings()?;
    let found: BTreeMap<Key, (RuleId, String)> = stored
        .iter()
        .map(|s| {
            let f = &s.finding;
            let withdrawn = f.status == FindingStatus::Withdrawn;
            ((f.id, withdrawn), (f.rule, f.description.clone()))
        })
        .collect();
    let mut rows: BTreeMap<RuleId, Row> =
        RuleId::ALL.iter().map(|r| (*r, Row::default())).collect();
    let mut missed = Vec::new();
    for (key, e) in &expected {
        let row = rows.entry(e.rule).or_default();
        row.expected += 1;
        if found.contains_key(key) {
            row.matched += 1;
        } else {
            missed.push(json!({"case": e.case, "rule": e.rule, "institution": e.institution, "finding_id": e.finding_id, "status": e.status}));
        }
    }
    let mut extra = Vec::new();
    for (key, (rule, description)) in &found {
        rows.entry(*rule).or_default().found += 1;
        if !expected.contains_key(key) {
            let status = if key.1 { "withdrawn" } else { "raised" };
            extra.push(json!({"rule": rule, "finding_id": key.0, "status": status, "description": description}));
        }
    }
    let matched: usize = rows.values().map(|r| r.matched).sum();
    let precision = ratio(matched, found.len());
    let recall = ratio(matched, expected.len());
    let ok = precision >= args.min_precision && recall >= args.min_recall;
    if args.json {
        let per_rule: BTreeMap<&str, serde_json::Value> = rows
            .iter()
            .map(|(rule, r)| {
                (rule.as_str(), json!({"expected": r.expected, "found": r.found, "missed": r.expected - r.matched, "extra": r.found - r.matched}))
            })
            .collect();
        print_json(&json!({
            "events": last_seq,
            "expected": expected.len(),
            "found": found.len(),
            "matched": matched,
            "precision": show(precision),
            "recall": show(recall),
            "ok": ok,
            "rules": per_rule,
            "missed": missed,
            "extra": extra,
        }))?;
    } else {
        print_table(&rows, last_seq, precision, recall);
        for m in missed.iter().take(20) {
            eprintln!("missed: {m}");
        }
        for x in extra.iter().take(20) {
            eprintln!("extra: {x}");
        }
    }
    if !ok {
        eprintln!(
            "error: precision {} (at least {} asked), recall {} (at least {} asked)",
            show(precision),
            show(args.min_precision),
            show(recall),
            show(args.min_recall)
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table(rows: &BTreeMap<RuleId, Row>, events: u64, precision: u64, recall: u64) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let mut line = |text: String| {
        let _ = writeln!(out, "{text}");
    };
    line(format!(
        "{:<38} {:>9} {:>9} {:>7} {:>7}",
        "rule", "expected", "found", "missed", "extra"
    ));
    let mut total = Row::default();
    for (rule, r) in rows {
        line(format!(
            "{:<38} {:>9} {:>9} {:>7} {:>7}",
            rule.as_str(),
            r.expected,
            r.found,
            r.expected - r.matched,
            r.found - r.matched
        ));
        total.expected += r.expected;
        total.found += r.found;
        total.matched += r.matched;
    }
    line(format!(
        "{:<38} {:>9} {:>9} {:>7} {:>7}",
        "total",
        total.expected,
        total.found,
        total.expected - total.matched,
        total.found - total.matched
    ));
    line(format!("events: {events}"));
    line(format!("precision: {}", show(precision)));
    line(format!("recall: {}", show(recall)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_parse_as_parts_per_million() {
        assert_eq!(parse_ratio("1.0"), Ok(PPM));
        assert_eq!(parse_ratio("1"), Ok(PPM));
        assert_eq!(parse_ratio("0.995"), Ok(995_000));
        assert!(parse_ratio("1.01").is_err());
        assert!(parse_ratio("x").is_err());
        assert_eq!(ratio(3, 4), 750_000);
        assert_eq!(ratio(0, 0), PPM);
        assert_eq!(show(ratio(2, 3)), "0.666666");
    }
}
