//! `tutorwatch bench`: measures ingest against its ceilings in one run, on this machine.
//!
//! Ceilings, for messages of the same size as the events: raw JetStream publish (pipelined, every
//! ack awaited), raw durable pull consume + ack, and raw sled batch append with a flush per batch.
//! Then Tutorwatch itself: events published to `tw.in.*` and read by the real ingest loop into a
//! real log, timed from the first publish until the last event is durable. Every figure is printed
//! as `name: value unit`, and the ingest rate also as a ratio of each ceiling.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use async_nats::jetstream::{self, consumer::pull, stream};
use futures::StreamExt;
use tokio::sync::watch;
use tutorwatch_events::examples::{stream, synthetic_credit_code};
use tutorwatch_events::{encode, Envelope, ValidationContext, EVENT_TYPES};
use tutorwatch_ingest::{Ingest, IngestSettings, IngestStats};
use tutorwatch_store::EventLog;

/// How many institutions the bench's events are spread over (a city's worth).
const INSTITUTIONS: u32 = 1_000;
/// Publishes in flight before their acks are awaited.
const PUBLISH_IN_FLIGHT_MAX: usize = 4_096;
/// Records per sled batch in the raw append ceiling (the same as ingest's default batch).
const SLED_BATCH: usize = 1_000;

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub nats_url: String,
    pub events: usize,
    pub work_dir: std::path::PathBuf,
}

fn rate(count: usize, elapsed: Duration) -> u64 {
    let micros = elapsed.as_micros().max(1);
    u64::try_from(count as u128 * 1_000_000 / micros).unwrap_or(u64::MAX)
}

fn print_rate(name: &str, count: usize, elapsed: Duration) -> u64 {
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

fn sample_events(count: usize) -> Vec<Envelope> {
    stream(count, |i| synthetic_credit_code(i as u32 % INSTITUTIONS))
}

async fn publish_pipelined(
    js: &jetstream::Context,
    messages: impl Iterator<Item = (String, async_nats::HeaderMap, bytes::Bytes)>,
) -> anyhow::Result<()> {
    let mut in_flight = std::collections::VecDeque::with_capacity(PUBLISH_IN_FLIGHT_MAX);
    for (subject, headers, payload) in messages {
        in_flight.push_back(js.publish_with_headers(subject, headers, payload).await?);
        if in_flight.len() >= PUBLISH_IN_FLIGHT_MAX {
            if let Some(ack) = in_flight.pop_front() {
                ack.await?;
            }
        }
    }
    for ack in in_flight {
        ack.await?;
    }
    Ok(())
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
    let elapsed = tutorwatch_store::ceiling::raw_batch_append(dir, count, size, SLED_BATCH)?;
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

fn event_messages(events: &[Envelope]) -> Vec<(String, async_nats::HeaderMap, bytes::Bytes)> {
    events
        .iter()
        .map(|e| {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Nats-Msg-Id", e.event_id.to_string().as_str());
            (e.subject(), headers, bytes::Bytes::from(encode(e)))
        })
        .collect()
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

/// Runs the real ingest loop into a fresh log and times it; prints the rate and batch figures.
async fn tutorwatch_ingest(
    options: &BenchOptions,
    js: &jetstream::Context,
    arrival: Arrival,
) -> anyhow::Result<u64> {
    let name = match arrival {
        Arrival::Live => "live",
        Arrival::CatchUp => "catch_up",
    };
    let settings = IngestSettings {
        stream: format!("TW_BENCH_{}", name.to_uppercase()),
        dlq_stream: format!("TW_BENCH_{}_DLQ", name.to_uppercase()),
        consumer: format!("bench-{name}"),
        ..IngestSettings::default()
    };
    let _ = js.delete_stream(&settings.stream).await;
    let _ = js.delete_stream(&settings.dlq_stream).await;
    tutorwatch_ingest::ensure_topology(js, &settings).await?;
    let messages = event_messages(&sample_events(options.events));
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
        stats: Arc::clone(&stats),
    };
    let (started, publisher) = match arrival {
        Arrival::CatchUp => {
            publish_pipelined(js, messages.into_iter()).await?;
            (Instant::now(), None)
        }
        Arrival::Live => {
            let js = js.clone();
            let publisher =
                tokio::spawn(async move { publish_pipelined(&js, messages.into_iter()).await });
            (Instant::now(), Some(publisher))
        }
    };
    let worker = tokio::spawn(tutorwatch_ingest::run(ingest, stop_rx));
    wait_for_head(&log, options.events as u64).await?;
    let elapsed = started.elapsed();
    if let Some(publisher) = publisher {
        publisher.await??;
    }
    let _ = stop_tx.send(true);
    worker.await??;
    let rate = print_rate(
        &format!("tutorwatch_ingest_{name}"),
        options.events,
        elapsed,
    );
    let counters = stats.snapshot();
    println!(
        "tutorwatch_ingest_{name}_events_per_batch: {} events",
        counters.appended / counters.batches.max(1)
    );
    println!(
        "tutorwatch_log_bytes_on_disk_per_event: {} bytes",
        log.stats()?.bytes_on_disk / (options.events as u64).max(1)
    );
    if arrival == Arrival::Live {
        replay(&log, options.events)?;
    }
    let _ = js.delete_stream(&settings.stream).await;
    let _ = js.delete_stream(&settings.dlq_stream).await;
    Ok(rate)
}

/// Rebuilds every projection from the log just written, and times it.
fn replay(log: &EventLog, events: usize) -> anyhow::Result<u64> {
    let policy = tutorwatch_projections::Policy::national()?;
    let started = Instant::now();
    let projector = tutorwatch_projector::replay(log, policy, |_| {})?;
    let elapsed = started.elapsed();
    let rate = print_rate("tutorwatch_replay", events, elapsed);
    println!(
        "tutorwatch_replay_findings: {} findings",
        projector.findings().count()
    );
    Ok(rate)
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
    println!("event_bytes_average: {average} bytes");
    let client = async_nats::connect(&options.nats_url)
        .await
        .with_context(|| format!("connecting to NATS at {}", options.nats_url))?;
    let js = jetstream::new(client);
    let (publish, consume) = raw_jetstream(&js, options.events, average.max(size)).await?;
    let sled_dir = options.work_dir.join("raw-sled");
    let sled = raw_sled(&sled_dir, options.events, average)?;
    let live = tutorwatch_ingest(&options, &js, Arrival::Live).await?;
    let catch_up = tutorwatch_ingest(&options, &js, Arrival::CatchUp).await?;
    print_ratio("ratio_ingest_live_to_jetstream_publish", live, publish);
    print_ratio("ratio_ingest_live_to_jetstream_consume_ack", live, consume);
    print_ratio(
        "ratio_ingest_catch_up_to_jetstream_consume_ack",
        catch_up,
        consume,
    );
    print_ratio("ratio_ingest_catch_up_to_sled_append", catch_up, sled);
    Ok(())
}
