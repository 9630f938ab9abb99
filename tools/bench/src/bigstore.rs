//! `tutorwatch-bigstore`: a synthetic data directory, large enough to time the web pages with
//! (1M findings about 100,000 institutions by default), made in minutes instead of the hours a
//! real city of that size takes to ingest and project.
//!
//! It writes `<data>/log` with a registration for each of the first `--registered` institutions
//! (so their files open: an institution's file needs the registry's facts), and
//! `<data>/projections` through the real `ProjectionStore::write`, under the national policy's
//! derivation, so `tutorwatch serve --data <data>` resumes it as its own: `--findings` findings
//! spread over `--institutions` institutions, 15 counties (10 of 韶关市 440200, 5 of 深圳市
//! 440300), every rule, the 52 weeks of 2025 and a few statuses; a list entry per institution
//! (one in fifty black-listed); and a year of daily fund rows for the first `--fund-institutions`
//! registered institutions. The feed indexes, the finding counts and the list index are the
//! store's own, written as the follower writes them.
//!
//! It also prints how long one pass over all the findings in memory takes when it counts them
//! by region, rule and week as the overview did before it read the store's counts.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;
use tutorwatch_events::examples::{example, synthetic_credit_code, ExampleParams};
use tutorwatch_events::ids::{AccountId, FindingId};
use tutorwatch_events::{
    codec, CreditCode, EventId, Fen, LoggedEvent, RegionCode, UtcTime, EVENT_TYPES,
};
use tutorwatch_findings::{
    Evidence, Finding, FindingStatus, FoldState, FundFlow, ListEntry, ListStatus, ProjectionSource,
    RuleId, StatusRef,
};
use tutorwatch_log::EventLog;
use tutorwatch_projection_store::{ProjectionBatch, ProjectionStore};
use tutorwatch_projections::{Booked, Policy};

/// Make a synthetic data directory for timing the web pages (build with --release).
#[derive(Debug, Parser)]
#[command(name = "tutorwatch-bigstore", version)]
struct Args {
    /// The data directory to create (must not exist).
    #[arg(long)]
    data: PathBuf,
    #[arg(long, default_value_t = 1_000_000)]
    findings: u64,
    #[arg(long, default_value_t = 100_000)]
    institutions: u32,
    /// How many institutions get a registration in the log (their files open).
    #[arg(long, default_value_t = 1_000)]
    registered: u32,
    /// How many registered institutions get a year of daily fund rows.
    #[arg(long, default_value_t = 100)]
    fund_institutions: u32,
}

const COUNTIES: [&str; 15] = [
    "440203", "440204", "440205", "440222", "440224", "440229", "440232", "440233", "440281",
    "440282", "440303", "440304", "440305", "440306", "440307",
];

/// Findings written per store batch.
const BATCH: u64 = 20_000;

fn region_of(n: u32) -> anyhow::Result<RegionCode> {
    let county = COUNTIES[n as usize % COUNTIES.len()];
    RegionCode::parse(county).map_err(|e| anyhow::anyhow!("{county}: {e}"))
}

/// What the store persists from: the findings of the batch in hand and every list entry.
#[derive(Debug, Default)]
struct Synthetic {
    findings: BTreeMap<FindingId, Finding>,
    lists: BTreeMap<CreditCode, ListEntry>,
    derivation: String,
}

impl FoldState for Synthetic {
    fn finding_status(&self, id: &FindingId) -> Option<StatusRef<'_>> {
        self.findings.get(id).map(StatusRef::of)
    }
    fn list_entry(&self, institution: &CreditCode) -> Option<&ListEntry> {
        self.lists.get(institution)
    }
    // This store holds findings and lists only: a synthetic fold has no facts to show.
    fn institution_profile(
        &self,
        _: &CreditCode,
    ) -> Option<tutorwatch_findings::InstitutionProfile> {
        None
    }
    fn planned_course(
        &self,
        _: &CreditCode,
        _: &tutorwatch_events::ids::CourseId,
    ) -> Option<tutorwatch_findings::PlannedCourse> {
        None
    }
    fn derivation(&self) -> String {
        self.derivation.clone()
    }
}

impl ProjectionSource for Synthetic {
    type Snapshot = ();
    fn snapshot(&self) -> impl serde::Serialize + '_ {}
}

fn code_index(code: u16) -> anyhow::Result<usize> {
    EVENT_TYPES
        .iter()
        .position(|info| info.code == code)
        .with_context(|| format!("event code {code} is not in the catalogue"))
}

fn params(n: u32, seq: u64) -> anyhow::Result<ExampleParams> {
    let mut params = ExampleParams::new(EventId::from_uuid(uuid::Uuid::from_u128(
        0x0190_0000_0000_7000_8000_0000_0000_0000 | u128::from(seq),
    )));
    params.institution = synthetic_credit_code(n);
    params.region = region_of(n)?;
    params.at = UtcTime::parse("2025-01-01T02:00:00Z").map_err(|e| anyhow::anyhow!("{e}"))?;
    params.tag = format!("s{n}");
    Ok(params)
}

/// A finding a real projector raises, to vary.
fn template(policy: &Policy) -> anyhow::Result<Finding> {
    let mut projector = Booked::new(policy.clone());
    for (i, code) in [1u16, 6, 40, 20, 23].iter().enumerate() {
        let mut p = params(0, i as u64 + 1)?;
        p.lesson_seconds = 31 * 60;
        let envelope = example(code_index(*code)?, &p);
        projector.apply(&LoggedEvent {
            seq: i as u64 + 1,
            recorded_at: envelope.occurred_at,
            envelope,
        });
    }
    let first = projector.findings().next().cloned();
    first.context("the example scenario raises a finding")
}

/// One pass over findings counting them by region, rule and ISO week, as the overview did.
fn fold(findings: &[Finding], counts: &mut BTreeMap<(RegionCode, RuleId, (i16, i8)), u64>) {
    for f in findings {
        if matches!(f.status, FindingStatus::Withdrawn) {
            continue;
        }
        if let Ok(zoned) = f.occurred_at.timestamp().in_tz(f.region.civil_time_zone()) {
            let week = zoned.date().iso_week_date();
            *counts
                .entry((f.region, f.rule, (week.year(), week.week())))
                .or_default() += 1;
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        !args.data.exists(),
        "{} exists: give a new directory",
        args.data.display()
    );
    anyhow::ensure!(args.registered >= 1 && args.registered <= args.institutions);
    std::fs::create_dir_all(&args.data)?;
    let policy = Policy::national()?;
    let started = Instant::now();

    // The log: a registration per registered institution.
    let log = EventLog::open(&args.data.join("log"))?;
    let mut registrations = Vec::new();
    for n in 0..args.registered {
        let envelope = example(code_index(1)?, &params(n, u64::from(n) + 1)?);
        registrations.push((envelope.event_id, codec::encode(&envelope)));
    }
    for chunk in registrations.chunks(5_000) {
        log.append(chunk, UtcTime::now())?;
    }
    let applied_seq = log.last_seq();
    drop(log);

    let template = template(&policy)?;
    let evidence = template.evidence.first().cloned().unwrap_or(Evidence {
        event_id: EventId::new_v7(),
        seq: 1,
    });
    let store = ProjectionStore::open(&args.data.join("projections"))?;
    let mut source = Synthetic {
        derivation: tutorwatch_projections::derivation(&policy),
        ..Synthetic::default()
    };
    for n in 0..args.institutions {
        let code = synthetic_credit_code(n);
        source.lists.insert(
            code.clone(),
            ListEntry {
                institution: code,
                name: Some(format!("韶关市第{n}号培训学校")),
                region: Some(region_of(n)?),
                status: if n % 50 == 0 {
                    ListStatus::Black
                } else {
                    ListStatus::White
                },
                since: evidence,
                since_at: template.occurred_at,
                reasons: Vec::new(),
            },
        );
    }

    // A year of daily fund movement for the first fund institutions, in the first batch (the
    // store adds flows after its applied_seq, which is 0 only then).
    let mut batch = ProjectionBatch {
        applied_seq,
        ..ProjectionBatch::default()
    };
    let first_day = jiff::civil::date(2025, 1, 1);
    for n in 0..args.fund_institutions.min(args.registered) {
        let code = synthetic_credit_code(n);
        let account = AccountId::parse(&format!("acct-{n}"))?;
        for day in 0..365i64 {
            let date = first_day.checked_add(jiff::Span::new().days(day))?;
            let flows = [
                FundFlow::Collected(Fen::new(50_000 + (day as u64 % 7) * 10_000)),
                FundFlow::Released(Fen::new(30_000)),
                FundFlow::Stated {
                    account: account.clone(),
                    balance: Fen::new(20_000 * (day as u64 + 1)),
                },
            ];
            for flow in flows {
                batch.funds.push((1, code.clone(), date, flow));
            }
            if day % 30 == 29 {
                batch.funds.push((
                    1,
                    code.clone(),
                    date,
                    FundFlow::RefundRequested(Fen::yuan(100)),
                ));
            }
        }
    }

    let rules = RuleId::ALL;
    let year_start = UtcTime::parse("2025-01-01T02:00:00Z").map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut fold_time = Duration::ZERO;
    let mut counts = BTreeMap::new();
    let mut written = 0u64;
    while written < args.findings {
        let upto = (written + BATCH).min(args.findings);
        source.findings.clear();
        for i in written..upto {
            let n = u32::try_from(i % u64::from(args.institutions))?;
            let mut finding = template.clone();
            finding.id =
                FindingId::from_bytes(*uuid::Uuid::from_u128(u128::from(i) + 1).as_bytes());
            finding.institution = synthetic_credit_code(n);
            finding.region = region_of(n)?;
            // Every rule, spread evenly (a multiplicative hash of the index).
            finding.rule = rules[(i.wrapping_mul(2_654_435_761) >> 8) as usize % rules.len()];
            // Spread over the year: a prime stride of seconds.
            let offset = (i.wrapping_mul(7_919) % (364 * 86_400)) as i64;
            finding.occurred_at = UtcTime::from_timestamp(
                year_start
                    .timestamp()
                    .checked_add(jiff::SignedDuration::from_secs(offset))?,
            );
            finding.status = match i % 10 {
                0 => FindingStatus::Resolved,
                1 => FindingStatus::Withdrawn,
                2 => FindingStatus::Acknowledged,
                _ => FindingStatus::Open,
            };
            batch.changes.push((
                applied_seq,
                tutorwatch_findings::Change::Raised(Box::new(finding.clone())),
            ));
            batch.institutions.insert(finding.institution.clone());
            source.findings.insert(finding.id, finding);
        }
        let in_memory: Vec<Finding> = source.findings.values().cloned().collect();
        let fold_started = Instant::now();
        fold(&in_memory, &mut counts);
        fold_time += fold_started.elapsed();
        store.write(&source, &batch)?;
        batch = ProjectionBatch {
            applied_seq,
            ..ProjectionBatch::default()
        };
        written = upto;
        eprintln!("{written} findings written");
    }
    // Every institution's list entry (those without findings too).
    let mut lists = ProjectionBatch {
        applied_seq,
        ..ProjectionBatch::default()
    };
    lists.institutions = source.lists.keys().cloned().collect();
    store.write(&source, &lists)?;
    println!("data: {}", args.data.display());
    println!("log_events: {applied_seq}");
    println!("findings: {}", args.findings);
    println!("institutions: {}", args.institutions);
    println!("count_rows: {}", store.counts(None)?.len());
    println!(
        "in_memory_fold_by_region_rule_week_ms: {}",
        fold_time.as_millis()
    );
    println!("made_in_s: {}", started.elapsed().as_secs());
    Ok(())
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
