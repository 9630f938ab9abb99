//! `tutorwatch gen`: generates a seeded synthetic city (see `tutorwatch-citygen`), writes its
//! events and ground truth as JSON lines, and/or publishes the events to JetStream as the admin
//! loader (`tw.in.admin.…`), as `tutorwatch publish --admin` does.
//!
//! **Invariant:** the same flags write byte-identical files; publishing sends each event once
//! with its id as `Nats-Msg-Id`, so publishing twice adds nothing to the log.

use std::collections::BTreeSet;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use tutorwatch_citygen::{generate, City, Options};
use tutorwatch_events::{encode_json, Identity, Sender, ValidationContext};

/// How many publishes are in flight before their acks are awaited.
const IN_FLIGHT_MAX: usize = 512;

/// The flags of `tutorwatch gen`.
#[derive(Debug, clap::Args)]
pub(crate) struct GenArgs {
    /// The seed: the same seed and flags give byte-identical output.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Institutions in all (legal ones plus one per planted case).
    #[arg(long, default_value_t = 1000)]
    institutions: u32,
    /// Planted cases per 1,000 institutions; above 0, every case is planted at least once.
    #[arg(long, default_value_t = 50)]
    violation_permille: u32,
    /// Write DIR/events.jsonl (the JSON wire format `publish` reads) and DIR/truth.jsonl.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Publish the events to this NATS server's JetStream, e.g. nats://127.0.0.1:4222, with the
    /// `[nats]` settings' credentials (`TW_NATS_*`; the admin loader's on a secured server).
    #[arg(long, value_name = "URL")]
    publish: Option<String>,
}

/// Runs `tutorwatch gen`.
pub(crate) fn run(
    args: &GenArgs,
    validation: &ValidationContext,
    nats: &crate::nats::NatsSettings,
) -> anyhow::Result<ExitCode> {
    if args.out.is_none() && args.publish.is_none() {
        bail!("say where the city goes: --out DIR and/or --publish nats://HOST:PORT");
    }
    let options = Options {
        seed: args.seed,
        institutions: args.institutions,
        violation_permille: args.violation_permille,
    };
    let mut shown = 0;
    let city = generate(&options, &mut |done, total| {
        let tenth = u64::from(done) * 10 / u64::from(total.max(1));
        if tenth > shown {
            shown = tenth;
            eprintln!("generated {done} of {total} institutions");
        }
    })?;
    eprintln!(
        "{} events, {} legal institutions, {} planted cases, {} expected findings",
        city.events.len(),
        city.legal_institutions,
        city.planted_cases,
        city.truth.len()
    );
    for (i, envelope) in city.events.iter().enumerate() {
        envelope
            .validate(validation)
            .with_context(|| format!("generated event {i} ({}) is invalid", envelope.event_id))?;
    }
    if let Some(dir) = &args.out {
        write(dir, &city)?;
    }
    if let Some(url) = &args.publish {
        let sent = crate::cmd::runtime()?.block_on(publish(url, nats, &city))?;
        println!("events: {sent}");
    }
    Ok(ExitCode::SUCCESS)
}

fn write(dir: &Path, city: &City) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let events = dir.join("events.jsonl");
    let mut out = BufWriter::new(
        std::fs::File::create(&events).with_context(|| format!("creating {}", events.display()))?,
    );
    for envelope in &city.events {
        out.write_all(&encode_json(envelope)?)?;
        out.write_all(b"\n")?;
    }
    out.flush()
        .with_context(|| format!("writing {}", events.display()))?;
    let truth = dir.join("truth.jsonl");
    let mut out = BufWriter::new(
        std::fs::File::create(&truth).with_context(|| format!("creating {}", truth.display()))?,
    );
    for expected in &city.truth {
        writeln!(out, "{}", expected.to_json_line()?)?;
    }
    out.flush()
        .with_context(|| format!("writing {}", truth.display()))?;
    eprintln!("wrote {} and {}", events.display(), truth.display());
    Ok(())
}

/// Publishes every event as `tutorwatch publish` does; returns how many distinct ids were sent.
async fn publish(
    url: &str,
    nats: &crate::nats::NatsSettings,
    city: &City,
) -> anyhow::Result<usize> {
    let client = crate::nats::connect_once(url, nats, "tutorwatch gen").await?;
    // The operator's loader: `tw.in.admin.…`, the one prefix the admin's NKey may publish under.
    let admin = Sender::direct(Identity::Admin);
    let js = async_nats::jetstream::new(client);
    let mut in_flight = Vec::with_capacity(IN_FLIGHT_MAX);
    let mut ids = BTreeSet::new();
    let total = city.events.len();
    for (i, envelope) in city.events.iter().enumerate() {
        let bytes = encode_json(envelope)?;
        in_flight.push(crate::cmd::publish::send_json(&js, envelope, Some(&admin), bytes).await?);
        ids.insert(envelope.event_id);
        if in_flight.len() == IN_FLIGHT_MAX {
            for ack in in_flight.drain(..) {
                ack.await.context("waiting for JetStream's ack")?;
            }
        }
        if (i + 1) % 50_000 == 0 {
            eprintln!("published {} of {total} events", i + 1);
        }
    }
    for ack in in_flight {
        ack.await.context("waiting for JetStream's ack")?;
    }
    Ok(ids.len())
}
