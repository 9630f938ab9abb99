//! `tutorwatch-bench`: Tutorwatch's benchmark, a binary of its own so that it does not ship in
//! the service. `deploy/bench.sh` starts a private nats-server and runs it.
//!
//! - `bench`: ingest, projection and replay measured against raw JetStream and raw sled;
//! - `http`: the query API timed under that load;
//! - `rebuild`: the follower projecting a whole log into an empty store.
//!
//! It allocates with mimalloc and turns transparent huge pages off, as the service does, so that
//! the figures are the service's.

mod bench;
mod http;
mod rebuild;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Measure ingest against raw JetStream and sled in one run (build with --release).
#[derive(Debug, Parser)]
#[command(name = "tutorwatch-bench", version)]
struct Args {
    /// NATS URL of a server with JetStream that the bench may create streams on.
    #[arg(long, required_unless_present_any = ["replay_log", "rebuild_log"])]
    nats: Option<String>,
    /// Only replay the log in this directory and print the replay's figures (the bench runs
    /// itself with this for its replay phase, so that phase's memory is its own).
    #[arg(long, hide = true)]
    replay_log: Option<PathBuf>,
    /// With --replay-log: how many partitions the replay's fold is split into (default: one
    /// per core).
    #[arg(long, hide = true, requires = "replay_log", value_parser = clap::value_parser!(u8).range(1..=64))]
    replay_partitions: Option<u8>,
    /// Only project the log in this directory into an empty store beside it and print the
    /// rebuild's figures (the bench runs itself with this, as with --replay-log).
    #[arg(long, hide = true)]
    rebuild_log: Option<PathBuf>,
    /// How many events (and raw messages) to push through each measurement.
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    /// Where the bench's sled directories go; a temporary directory by default.
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Ingest's `batch_max` (messages per batch, one log write each) in both ingest phases;
    /// the service's default when not given. Smaller batches trade throughput for the feed's
    /// latency under load (see the README's benchmark section).
    #[arg(long)]
    ingest_batch_max: Option<usize>,
}

fn run(args: Args) -> anyhow::Result<()> {
    if let Some(dir) = &args.replay_log {
        return bench::replay_log(dir, args.replay_partitions.map(usize::from));
    }
    if let Some(dir) = &args.rebuild_log {
        return rebuild::rebuild_log(dir);
    }
    let nats_url = args.nats.context("--nats is required")?;
    // Checked here, not minutes later when the ingest phases start after the ceilings.
    let ingest = tutorwatch_ingest::IngestSettings::default();
    let ingest = tutorwatch_ingest::IngestSettings {
        batch_max: args.ingest_batch_max.unwrap_or(ingest.batch_max),
        ..ingest
    };
    ingest.check().context("--ingest-batch-max")?;
    let temp = tempfile::tempdir().context("creating a temporary directory")?;
    let work_dir = args.work_dir.unwrap_or_else(|| temp.path().to_owned());
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(bench::run(bench::BenchOptions {
            nats_url,
            events: args.events,
            work_dir,
            ingest_batch_max: ingest.batch_max,
        }))
}

fn main() -> ExitCode {
    // As the service does, so that the figures are the service's.
    if let Err(error) = tutorwatch::memory::without_transparent_huge_pages() {
        eprintln!("warning: transparent huge pages stay on for the bench: {error}");
    }
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
