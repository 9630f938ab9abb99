//! The rebuild phase (`--rebuild-log`, run by the bench in a process of its own): the follower
//! projects a whole log into an empty projection store, as `serve` does after a state-format or
//! policy change, with nothing else running. Set beside the replay (the projector's fold alone,
//! over the same log), it shows what the store's writes cost: the `ratio_rebuild_to_replay`
//! line.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use tokio::sync::watch;
use tutorwatch_follower::Follow;
use tutorwatch_log::EventLog;
use tutorwatch_projection_store::ProjectionStore;

use crate::bench::{print_peak_rss, print_rate, reset_peak_rss, wait_for_projected};

/// Projects the log in `dir` into a new store beside it (`projections-rebuild`, emptied first),
/// timed from the follower's start until it has applied the last event; prints the rate, the
/// findings raised and the peak memory.
pub fn rebuild_log(dir: &Path) -> anyhow::Result<()> {
    let log = Arc::new(
        EventLog::open(dir).with_context(|| format!("opening the log in {}", dir.display()))?,
    );
    let events = log.last_seq();
    let store_dir = dir.with_file_name("projections-rebuild");
    if store_dir.exists() {
        std::fs::remove_dir_all(&store_dir)
            .with_context(|| format!("emptying {}", store_dir.display()))?;
    }
    let store = Arc::new(ProjectionStore::open(&store_dir)?);
    let follow = Follow::new(log, store, tutorwatch_projections::Policy::national()?);
    let stats = Arc::clone(&follow.stats);
    reset_peak_rss();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(async {
            let (stop_tx, stop_rx) = watch::channel(false);
            let started = Instant::now();
            let projector = tokio::spawn(tutorwatch_follower::run(follow, stop_rx));
            wait_for_projected(&stats, events).await?;
            let elapsed = started.elapsed();
            print_rate(
                "tutorwatch_rebuild",
                usize::try_from(events).unwrap_or(usize::MAX),
                elapsed,
            );
            println!(
                "tutorwatch_rebuild_findings: {} findings",
                stats.snapshot().findings_raised
            );
            let _ = stop_tx.send(true);
            projector.await??;
            anyhow::Ok(())
        })?;
    print_peak_rss("rebuild");
    Ok(())
}
