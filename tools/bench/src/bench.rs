//! The benchmark: measures ingest against its ceilings in one run, on this machine.
//!
//! Ceilings, for messages of the same size as the events: raw JetStream publish (pipelined, every
//! ack awaited), raw durable pull consume + ack, and raw sled batch append with a flush per batch.
//! Then Tutorwatch itself: events published to `tw.in.*` and read by the real ingest loop into a
//! real log, timed from the first publish until the last event is durable. Live, the projector
//! follows the log into a projection store as `serve` runs it (timed until the last event is
//! projected) while a reader times feed queries against that store. Then, each in a process of
//! its own, a replay of the log live ingest wrote (the projector's fold alone) and a rebuild of
//! its projections (the follower into an empty store, as `serve` does after a state-format bump;
//! see `rebuild`), and each phase's peak resident memory, also as it stood when the phase passed
//! 1M, 3M and 10M events. Every figure is printed as `name: value unit`, and the
//! ingest rates also as ratios of the ceilings. The events are generated on a thread a few chunks
//! ahead of the publisher, so `--events 10000000` does not hold its input in memory.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use async_nats::jetstream::{self, consumer::pull, stream};
use futures::StreamExt;
use tokio::sync::watch;
use tutorwatch_events::examples::{
    stream, stream_range, subject_of, synthetic_credit_code, ExampleParams,
};
use tutorwatch_events::{encode, Envelope, ValidationContext, EVENT_TYPES};
use tutorwatch_follower::{Follow, ProjectorStats};
use tutorwatch_ingest::{Ingest, IngestSettings, IngestStats};
use tutorwatch_log::EventLog;
use tutorwatch_projection_store::{FeedQuery, ProjectionStore, Scope};

/// How many institutions the bench's events are spread over (a city's worth).
const INSTITUTIONS: u32 = 1_000;
/// Publishes in flight before their acks are awaited.
const PUBLISH_IN_FLIGHT_MAX: usize = 4_096;
/// Records per sled batch in the raw append ceiling (the same as ingest's default batch).
const SLED_BATCH: usize = 1_000;
/// Events generated per chunk by the bench's producer thread.
const GENERATED_CHUNK: usize = 10_000;
/// Generated chunks waiting for the publisher; bounds the bench's own input memory.
const GENERATED_CHUNKS_AHEAD_MAX: usize = 4;
/// How often the concurrent feed reader queries the projection store during live ingest.
const FEED_QUERY_EVERY: Duration = Duration::from_millis(20);
/// The event counts at which live ingest and replay print their peak memory so far
/// (`peak_rss_<phase>_at_<events>`), so that memory against events shows in one run.
const RSS_MILESTONES: [u64; 3] = [1_000_000, 3_000_000, 10_000_000];

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub nats_url: String,
    pub events: usize,
    pub work_dir: std::path::PathBuf,
    /// Ingest's `batch_max` for both ingest phases.
    pub ingest_batch_max: usize,
}

fn rate(count: usize, elapsed: Duration) -> u64 {
    let micros = elapsed.as_micros().max(1);
    u64::try_from(count as u128 * 1_000_000 / micros).unwrap_or(u64::MAX)
}

pub(crate) fn print_rate(name: &str, count: usize, elapsed: Duration) -> u64 {
    let per_second = rate(count, elapsed);
    println!(
        "{name}: {per_second} msgs/s ({count} in {} ms)",
        elapsed.as_millis()
    );
    per_second
}

fn print_ratio(name: &str, numerator: u64, denominator: u64) {
    let percent_tenths = numerator.saturating_mul(1_000) / denominator.max(1);
    println!("{name}: {}.{}%", percent_tenths / 10, percent_tenths % 10);
}

/// The institution event `i` of the bench's stream is about: runs of one full cycle of event
/// types per institution (`examples::legal_order`), so each run is a legal history the trust
/// policy accepts, over `INSTITUTIONS` institutions in turn.
fn bench_institution(i: usize) -> tutorwatch_events::CreditCode {
    let cycle = tutorwatch_events::EVENT_TYPES.len();
    synthetic_credit_code((i / cycle) as u32 % INSTITUTIONS)
}

fn sample_events(count: usize) -> Vec<Envelope> {
    stream(count, bench_institution)
}

/// One message to publish: subject, headers, payload.
type Message = (String, async_nats::HeaderMap, bytes::Bytes);

/// The bench's events as messages, generated on their own thread a few chunks ahead of the
/// publisher, so a 10M-event run never holds all its input in memory.
fn generated_messages(count: usize) -> tokio::sync::mpsc::Receiver<Vec<Message>> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<Message>>(GENERATED_CHUNKS_AHEAD_MAX);
    std::thread::spawn(move || {
        let mut next = 0;
        while next < count {
            let end = (next + GENERATED_CHUNK).min(count);
            let chunk = stream_range(next..end, bench_institution)
                .map(|e| {
                    let mut headers = async_nats::HeaderMap::new();
                    headers.insert("Nats-Msg-Id", e.event_id.to_string().as_str());
                    (subject_of(&e), headers, bytes::Bytes::from(encode(&e)))
                })
                .collect();
            if tx.blocking_send(chunk).is_err() {
                return;
            }
            next = end;
        }
    });
    rx
}

/// Publishes with at most [`PUBLISH_IN_FLIGHT_MAX`] acks outstanding: the oldest ack is awaited
/// before one more message goes out.
struct Pipeline {
    in_flight: std::collections::VecDeque<jetstream::context::PublishAckFuture>,
}

impl Pipeline {
    fn new() -> Self {
        Self {
            in_flight: std::collections::VecDeque::with_capacity(PUBLISH_IN_FLIGHT_MAX),
        }
    }

    async fn publish(
        &mut self,
        js: &jetstream::Context,
        (subject, headers, payload): Message,
    ) -> anyhow::Result<()> {
        self.in_flight
            .push_back(js.publish_with_headers(subject, headers, payload).await?);
        if self.in_flight.len() >= PUBLISH_IN_FLIGHT_MAX {
            if let Some(ack) = self.in_flight.pop_front() {
                ack.await?;
            }
        }
        Ok(())
    }

    /// Awaits every ack still outstanding.
    async fn finish(self) -> anyhow::Result<()> {
        for ack in self.in_flight {
            ack.await?;
        }
        Ok(())
    }
}

/// Publishes what the generator sends, pipelined.
async fn publish_generated(
    js: jetstream::Context,
    mut chunks: tokio::sync::mpsc::Receiver<Vec<Message>>,
) -> anyhow::Result<()> {
    let mut pipeline = Pipeline::new();
    while let Some(chunk) = chunks.recv().await {
        for message in chunk {
            pipeline.publish(&js, message).await?;
        }
    }
    pipeline.finish().await
}

async fn publish_pipelined(
    js: &jetstream::Context,
    messages: impl Iterator<Item = Message>,
) -> anyhow::Result<()> {
    let mut pipeline = Pipeline::new();
    for message in messages {
        pipeline.publish(js, message).await?;
    }
    pipeline.finish().await
}

async fn raw_jetstream(
    js: &jetstream::Context,
    count: usize,
    size: usize,
) -> anyhow::Result<(u64, u64)> {
    let name = "TW_BENCH_RAW";
    let _ = js.delete_stream(name).await;
    let stream = js
        .create_stream(stream::Config {
            name: name.into(),
            subjects: vec!["bench.raw.>".into()],
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await
        .context("creating the raw bench stream")?;
    let payload = bytes::Bytes::from(vec![0x5a; size]);
    let started = Instant::now();
    publish_pipelined(
        js,
        (0..count).map(|i| {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Nats-Msg-Id", format!("raw-{i}").as_str());
            (format!("bench.raw.{}", i % 16), headers, payload.clone())
        }),
    )
    .await?;
    let publish = print_rate("ceiling_jetstream_publish", count, started.elapsed());

    let consumer = stream
        .create_consumer(pull::Config {
            durable_name: Some("bench".into()),
            ack_policy: jetstream::consumer::AckPolicy::Explicit,
            max_ack_pending: 20_000,
            ..Default::default()
        })
        .await?;
    let started = Instant::now();
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(1_000)
        .messages()
        .await?
        .ready_chunks(1_000);
    let mut seen = 0;
    while seen < count {
        let Some(chunk) = messages.next().await else {
            bail!("the raw consumer stopped after {seen} messages");
        };
        for message in chunk {
            message
                .map_err(|e| anyhow::anyhow!(e))?
                .ack()
                .await
                .map_err(|e| anyhow::anyhow!(e))?;
            seen += 1;
        }
    }
    js.client().flush().await?;
    let consume = print_rate("ceiling_jetstream_consume_ack", count, started.elapsed());
    let _ = js.delete_stream(name).await;
    Ok((publish, consume))
}

fn raw_sled(dir: &Path, count: usize, size: usize) -> anyhow::Result<u64> {
    let elapsed = tutorwatch_log::ceiling::raw_batch_append(dir, count, size, SLED_BATCH)?;
    Ok(print_rate("ceiling_sled_batch_append", count, elapsed))
}

/// How the events reach ingest in a measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arrival {
    /// Published while ingest runs: first publish to last durable event.
    Live,
    /// Already in JetStream when ingest starts (a restart after an outage).
    CatchUp,
}

async fn wait_for_head(log: &EventLog, target: u64) -> anyhow::Result<()> {
    let mut head = log.subscribe();
    while *head.borrow_and_update() < target {
        tokio::time::timeout(Duration::from_secs(60), head.changed())
            .await
            .context("ingest stalled for a minute")??;
    }
    Ok(())
}

/// Resets the kernel's peak-RSS mark for this process (Linux; a no-op elsewhere), so the next
/// [`print_peak_rss`] covers one phase.
pub(crate) fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Prints the process's peak resident memory since the last [`reset_peak_rss`].
pub(crate) fn print_peak_rss(phase: &str) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        });
    match kib {
        Some(kib) => println!("peak_rss_{phase}: {} MiB", kib / 1024),
        None => println!("peak_rss_{phase}: unknown"),
    }
}

/// Prints the phase's peak memory so far each time the log's head passes a milestone; returns
/// once the head reaches `target` (or the log is closed).
async fn print_rss_at_milestones(mut head: watch::Receiver<u64>, phase: &'static str, target: u64) {
    let mut milestones = RSS_MILESTONES.iter().peekable();
    loop {
        let seq = *head.borrow_and_update();
        while let Some(&&milestone) = milestones.peek() {
            if seq < milestone {
                break;
            }
            print_peak_rss(&format!("{phase}_at_{milestone}"));
            milestones.next();
        }
        if seq >= target || head.changed().await.is_err() {
            return;
        }
    }
}

/// Waits until the projector has applied every event up to `target`.
pub(crate) async fn wait_for_projected(stats: &ProjectorStats, target: u64) -> anyhow::Result<()> {
    let mut last = (0, Instant::now());
    loop {
        let applied = stats.snapshot().applied_seq;
        if applied >= target {
            return Ok(());
        }
        if applied != last.0 {
            last = (applied, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(60) {
            bail!("the projector stalled for a minute at {applied}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Queries the region feed (first page of 100, as an officer's screen would) every
/// [`FEED_QUERY_EVERY`] until `stop` turns true; returns each query's latency.
async fn feed_latencies(
    store: Arc<ProjectionStore>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<Vec<Duration>> {
    let region = ExampleParams::new(tutorwatch_events::EventId::new_v7()).region;
    let mut query = FeedQuery::new(Scope::Region(region));
    query.limit = 100;
    let query = Arc::new(query);
    let mut latencies = Vec::new();
    while !*stop.borrow() {
        let (store, query) = (Arc::clone(&store), Arc::clone(&query));
        let started = Instant::now();
        tokio::task::spawn_blocking(move || store.query(&query)).await??;
        latencies.push(started.elapsed());
        tokio::select! {
            _ = tokio::time::sleep(FEED_QUERY_EVERY) => {}
            _ = stop.changed() => {}
        }
    }
    Ok(latencies)
}

fn print_percentiles(name: &str, mut latencies: Vec<Duration>) {
    latencies.sort();
    let at = |percent: usize| {
        latencies
            .get((latencies.len() * percent / 100).min(latencies.len().saturating_sub(1)))
            .map_or(0, |d| d.as_micros())
    };
    println!("{name}_queries: {} queries", latencies.len());
    println!("{name}_p50: {} us", at(50));
    println!("{name}_p99: {} us", at(99));
}

/// What one ingest measurement gave.
struct IngestRates {
    /// Events per second until the last event was durable in the log.
    logged: u64,
    /// Events per second until the last event was projected (live only, projector alongside).
    projected: Option<u64>,
}

/// Runs the real ingest loop into a fresh log and times it; prints the rate and batch figures.
/// Live, the projector follows the log into a projection store as `serve` runs it, and a
/// concurrent reader times feed queries against that store.
async fn tutorwatch_ingest(
    options: &BenchOptions,
    js: &jetstream::Context,
    arrival: Arrival,
) -> anyhow::Result<IngestRates> {
    let name = match arrival {
        Arrival::Live => "live",
        Arrival::CatchUp => "catch_up",
    };
    let settings = IngestSettings {
        stream: format!("TW_BENCH_{}", name.to_uppercase()),
        dlq_stream: format!("TW_BENCH_{}_DLQ", name.to_uppercase()),
        consumer: format!("bench-{name}"),
        batch_max: options.ingest_batch_max,
        ..IngestSettings::default()
    };
    let _ = js.delete_stream(&settings.stream).await;
    let _ = js.delete_stream(&settings.dlq_stream).await;
    tutorwatch_ingest::ensure_topology(js, &settings).await?;
    let log = Arc::new(EventLog::open(
        &options.work_dir.join(format!("log-{name}")),
    )?);
    let stats = Arc::new(IngestStats::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let ingest = Ingest {
        jetstream: js.clone(),
        log: Arc::clone(&log),
        settings: settings.clone(),
        validation: Arc::new(ValidationContext::default()),
        trust: Arc::new(tutorwatch_trust::TrustSettings::default()),
        stats: Arc::clone(&stats),
        refusals: Arc::new(tutorwatch_ingest::RecentRefusals::default()),
    };
    let messages = generated_messages(options.events);
    let (started, publisher) = match arrival {
        Arrival::CatchUp => {
            publish_generated(js.clone(), messages).await?;
            (Instant::now(), None)
        }
        Arrival::Live => {
            let publisher = tokio::spawn(publish_generated(js.clone(), messages));
            (Instant::now(), Some(publisher))
        }
    };
    reset_peak_rss();
    let follower = match arrival {
        Arrival::CatchUp => None,
        Arrival::Live => {
            let store = Arc::new(ProjectionStore::open(
                &options.work_dir.join(format!("projections-{name}")),
            )?);
            let follow = Follow::new(
                Arc::clone(&log),
                Arc::clone(&store),
                tutorwatch_projections::Policy::national()?,
            );
            let projector_stats = Arc::clone(&follow.stats);
            let (addr, token) = crate::http::serve(
                crate::http::Parts {
                    log: Arc::clone(&log),
                    projections: Arc::clone(&store),
                    live: Arc::clone(&follow.live),
                    ingest: Arc::clone(&stats),
                    projector: Arc::clone(&projector_stats),
                    nats: async_nats::connect(&options.nats_url).await?,
                    shutdown: stop_rx.clone(),
                },
                &options.work_dir,
            )
            .await?;
            let projector = tokio::spawn(tutorwatch_follower::run(follow, stop_rx.clone()));
            let (feed_stop_tx, feed_stop_rx) = watch::channel(false);
            let region = ExampleParams::new(tutorwatch_events::EventId::new_v7()).region;
            let feed_http = tokio::spawn(crate::http::feed_latencies(
                addr,
                token,
                region,
                FEED_QUERY_EVERY,
                feed_stop_rx.clone(),
            ));
            let feed = tokio::spawn(feed_latencies(store, feed_stop_rx));
            Some((projector, projector_stats, (feed, feed_http), feed_stop_tx))
        }
    };
    let worker = tokio::spawn(tutorwatch_ingest::run(ingest, stop_rx));
    let milestones = tokio::spawn(print_rss_at_milestones(
        log.subscribe(),
        match arrival {
            Arrival::Live => "ingest_live",
            Arrival::CatchUp => "ingest_catch_up",
        },
        options.events as u64,
    ));
    wait_for_head(&log, options.events as u64).await?;
    milestones.await?;
    let logged = print_rate(
        &format!("tutorwatch_ingest_{name}"),
        options.events,
        started.elapsed(),
    );
    let mut projected = None;
    if let Some((projector, projector_stats, feed, feed_stop_tx)) = follower {
        wait_for_projected(&projector_stats, options.events as u64).await?;
        projected = Some(print_rate(
            &format!("tutorwatch_ingest_{name}_projected"),
            options.events,
            started.elapsed(),
        ));
        let _ = feed_stop_tx.send(true);
        let (feed, feed_http) = feed;
        print_percentiles("feed_query_store", feed.await??);
        print_percentiles("feed_query_http", feed_http.await??);
        println!(
            "tutorwatch_projected_findings: {} findings",
            projector_stats.snapshot().findings_raised
        );
        let _ = stop_tx.send(true);
        projector.await??;
    }
    if let Some(publisher) = publisher {
        publisher.await??;
    }
    let _ = stop_tx.send(true);
    worker.await??;
    print_peak_rss(&format!("ingest_{name}"));
    let counters = stats.snapshot();
    println!(
        "tutorwatch_ingest_{name}_events_per_batch: {} events",
        counters.appended / counters.batches.max(1)
    );
    println!(
        "tutorwatch_log_bytes_on_disk_per_event: {} bytes",
        log.stats()?.bytes_on_disk / (options.events as u64).max(1)
    );
    let _ = js.delete_stream(&settings.stream).await;
    let _ = js.delete_stream(&settings.dlq_stream).await;
    Ok(IngestRates { logged, projected })
}

/// Runs one phase over the log live ingest wrote in a process of its own (this binary with
/// `flag`: `--replay-log` or `--rebuild-log`), so that its peak memory is the phase's alone and
/// not what this process's allocator kept from the phases before. Echoes what the phase prints,
/// line by line as it prints it, and returns the rate it printed under `rate_name`. Runs once the phases that had the log open
/// are over.
fn phase_in_child(
    options: &BenchOptions,
    flag: &str,
    extra: &[&str],
    rate_name: &str,
) -> anyhow::Result<u64> {
    use std::io::BufRead as _;
    let exe = std::env::current_exe().context("finding the bench's own executable")?;
    let mut child = std::process::Command::new(exe)
        .arg(flag)
        .arg(options.work_dir.join("log-live"))
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("starting the {flag} process"))?;
    let mut rate = None;
    if let Some(stdout) = child.stdout.take() {
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.with_context(|| format!("reading what the {flag} process printed"))?;
            println!("{line}");
            if let Some(rest) = line.strip_prefix(&format!("{rate_name}: ")) {
                rate = rest.split_whitespace().next().and_then(|r| r.parse().ok());
            }
        }
    }
    let status = child
        .wait()
        .with_context(|| format!("waiting for the {flag} process"))?;
    if !status.success() {
        bail!("the {flag} process failed ({status})");
    }
    rate.with_context(|| format!("the {flag} process printed no {rate_name}"))
}

/// Rebuilds every projection from the log in `dir` in `partitions` partitions and times it,
/// printing the rate, the findings and the peak memory (`--replay-log`: the replay process).
/// With the default partitions (one per core) its figures are `tutorwatch_replay` and
/// `peak_rss_replay`, followed by the state's sizes; with another number they are named
/// `replay_partitions_<N>`.
pub fn replay_log(dir: &Path, partitions: Option<usize>) -> anyhow::Result<()> {
    let log =
        EventLog::open(dir).with_context(|| format!("opening the log in {}", dir.display()))?;
    let events = usize::try_from(log.last_seq()).unwrap_or(usize::MAX);
    let default = tutorwatch_follower::replay_partitions_default();
    let partitions = partitions.unwrap_or(default);
    let label = if partitions == default {
        "replay".to_owned()
    } else {
        format!("replay_partitions_{partitions}")
    };
    reset_peak_rss();
    replay(&log, events, partitions, &label)?;
    print_peak_rss(&label);
    Ok(())
}

/// Folds the whole of `log` into a fresh projector (what the service holds in memory: finding
/// heads, not bodies) in `partitions` partitions, and times it. Prints the state's sizes after
/// the default replay (`label` "replay") only: every replay of one log holds the same state.
fn replay(log: &EventLog, events: usize, partitions: usize, label: &str) -> anyhow::Result<u64> {
    let policy = tutorwatch_projections::Policy::national()?;
    if label == "replay" {
        println!("replay_partitions: {partitions} partitions");
    }
    let started = Instant::now();
    let projector = tutorwatch_follower::replay_projector(log, policy, partitions, |seq| {
        if RSS_MILESTONES.contains(&seq) {
            print_peak_rss(&format!("{label}_at_{seq}"));
        }
    })?;
    let elapsed = started.elapsed();
    let rate = print_rate(&format!("tutorwatch_{label}"), events, elapsed);
    println!(
        "tutorwatch_{label}_findings: {} findings",
        projector.finding_count()
    );
    if label == "replay" {
        print_state_sizes(&projector, events);
    }
    Ok(rate)
}

/// Prints what each part of the projector's state holds after the replay: its entries and its
/// encoded size (`state_<part>`), then the whole state's encoded size and bytes per event. Parts
/// named `a.b` are inside part `a`.
fn print_state_sizes(projector: &tutorwatch_projections::Projector, events: usize) {
    let parts = projector.state_sizes();
    for part in &parts {
        println!(
            "state_{}: {} {}, {} KiB encoded",
            part.name,
            part.entries,
            part.counts,
            part.encoded_bytes / 1024
        );
    }
    let total = tutorwatch_projections::sizes::encoded_total(&parts);
    println!(
        "state_total: {} MiB encoded, {} bytes per event",
        total / (1024 * 1024),
        total / events.max(1)
    );
}

/// Runs every measurement and prints the figures.
pub async fn run(options: BenchOptions) -> anyhow::Result<()> {
    std::fs::create_dir_all(&options.work_dir)?;
    let sample = encode(&sample_events(1)[0]);
    let size = sample.len();
    let average = sample_events(EVENT_TYPES.len())
        .iter()
        .map(|e| encode(e).len())
        .sum::<usize>()
        / EVENT_TYPES.len();
    println!("events: {}", options.events);
    println!("ingest_batch_max: {} events", options.ingest_batch_max);
    println!("event_bytes_average: {average} bytes");
    let client = async_nats::connect(&options.nats_url)
        .await
        .with_context(|| format!("connecting to NATS at {}", options.nats_url))?;
    let js = jetstream::new(client);
    let (publish, consume) = raw_jetstream(&js, options.events, average.max(size)).await?;
    let sled_dir = options.work_dir.join("raw-sled");
    let sled = raw_sled(&sled_dir, options.events, average)?;
    let live = tutorwatch_ingest(&options, &js, Arrival::Live).await?;
    let catch_up = tutorwatch_ingest(&options, &js, Arrival::CatchUp)
        .await?
        .logged;
    // One partition first (one core's fold, the figure replays had before they were split),
    // then one per core: the same log and state, so their ratio is what the split gains.
    let one_partition = if tutorwatch_follower::replay_partitions_default() > 1 {
        Some(phase_in_child(
            &options,
            "--replay-log",
            &["--replay-partitions", "1"],
            "tutorwatch_replay_partitions_1",
        )?)
    } else {
        None
    };
    let replay = phase_in_child(&options, "--replay-log", &[], "tutorwatch_replay")?;
    let rebuild = phase_in_child(&options, "--rebuild-log", &[], "tutorwatch_rebuild")?;
    let projected = live.projected.unwrap_or(0);
    let live = live.logged;
    print_ratio("ratio_ingest_live_to_jetstream_publish", live, publish);
    print_ratio("ratio_ingest_live_to_jetstream_consume_ack", live, consume);
    print_ratio(
        "ratio_ingest_live_projected_to_jetstream_consume_ack",
        projected,
        consume,
    );
    print_ratio(
        "ratio_ingest_catch_up_to_jetstream_consume_ack",
        catch_up,
        consume,
    );
    print_ratio("ratio_ingest_catch_up_to_sled_append", catch_up, sled);
    if let Some(one_partition) = one_partition {
        print_ratio("ratio_replay_to_one_partition", replay, one_partition);
    }
    print_ratio("ratio_rebuild_to_replay", rebuild, replay);
    Ok(())
}
