//! The command line. Each subcommand prints its result on stdout (JSON where a program may read
//! it) and its progress and errors on stderr, and exits non-zero on failure.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::{Parser, Subcommand};
use serde_json::json;
use tutorwatch_events::examples::{example, ExampleParams};
use tutorwatch_events::{
    decode_json, encode_json, event_type_by_name, EventId, Identity, Sender, ValidationContext,
    EVENT_TYPES,
};
use tutorwatch_log::EventLog;

use crate::config::Settings;

/// Tutorwatch: supervision of off-campus training institutions, event-sourced.
#[derive(Debug, Parser)]
#[command(name = "tutorwatch", version, about)]
pub struct Cli {
    /// Settings file (TOML). Defaults to ./tutorwatch.toml when it exists.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the service: ingest from NATS JetStream into the log, and the HTTP endpoints.
    Serve,
    /// Inspect the log (stop `serve` first: the data directory is locked while it runs).
    Log {
        #[command(subcommand)]
        command: LogCommand,
    },
    /// Evidence bundles: a finding with its evidence events, their inclusion proofs and the
    /// signed checkpoint, as one file anyone with the public key can check offline.
    Evidence {
        #[command(subcommand)]
        command: EvidenceCommand,
    },
    /// Signed snapshots of the public lists (`GET /v1/lists/{black,white}/snapshot`).
    Snapshot {
        #[command(subcommand)]
        command: SnapshotCommand,
    },
    /// The key that signs checkpoints of the log.
    Checkpoint {
        #[command(subcommand)]
        command: CheckpointCommand,
    },
    /// Issue, list and revoke API tokens (kept as hashes in DATA_DIR/tokens.jsonl; works while
    /// `serve` runs).
    Token {
        #[command(subcommand)]
        command: crate::token_cmd::TokenCommand,
    },
    /// NATS users for a secured nats-server: mint a producer's, the service's or the admin
    /// loader's NKey and append it, with least-privilege permissions, to the users file.
    Nats {
        #[command(subcommand)]
        command: crate::nats_cmd::NatsCommand,
    },
    /// Print the OpenAPI document of the HTTP API.
    Openapi,
    /// Print a well-formed JSON example of an event type (or list the types).
    Example {
        /// An event type, e.g. `schedule.course_published`. Omit to list them all.
        event_type: Option<String>,
    },
    /// Validate JSON events (one per line, or one per file) and publish them to JetStream.
    /// Credentials, TLS and the inbox prefix come from the `[nats]` settings or `TW_NATS_*`.
    Publish {
        /// Files with JSON events; `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// NATS URL; defaults to the settings' `nats_url`.
        #[arg(long)]
        nats: Option<String>,
        /// Publish as the admin loader (`tw.in.admin.…`, its NKey's only prefix), which may send
        /// any producer's events; by default each event goes on its producer's own prefix.
        #[arg(long)]
        admin: bool,
    },
    /// Rebuild every projection from the log and print a digest (counts per rule, a hash of all
    /// findings and list entries). Stop `serve` first.
    Replay {
        /// The data directory (the log is in DIR/log).
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// A policy file to judge the log by, instead of the configured one.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// Also replay under the configured policy and print what --policy adds, removes and
        /// changes, and which institutions it moves on or off the black and white lists.
        #[arg(long, requires = "policy")]
        diff: bool,
        /// Compare the replay with the stored projections (DIR/projections); exit 1 if they differ.
        #[arg(long, conflicts_with = "diff")]
        check: bool,
    },
    /// Print stored findings, oldest first, as JSON: `{"findings": [...], "next": CURSOR}`.
    /// Stop `serve` first.
    Findings {
        /// The data directory (the projections are in DIR/projections).
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Only findings in this region or below it (6-digit code).
        #[arg(long, conflicts_with_all = ["institution"])]
        region: Option<String>,
        /// Only findings about this institution (credit code).
        #[arg(long)]
        institution: Option<String>,
        /// Only this rule, e.g. ONLINE_LESSON_MAX_30MIN.
        #[arg(long)]
        rule: Option<String>,
        /// Only this status: open, withdrawn, acknowledged, rectification_ordered, resolved, penalised.
        #[arg(long)]
        status: Option<String>,
        /// Continue after this cursor (the `next` of the previous page).
        #[arg(long)]
        after: Option<String>,
        /// The most findings to print.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Print the black and white lists as JSON. Stop `serve` first.
    Lists {
        /// The data directory (the projections are in DIR/projections).
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
    },
    /// Generate a seeded synthetic city with planted violations and their expected findings.
    Gen(crate::gen_cmd::GenArgs),
    /// Compare stored findings with a generated city's truth: precision and recall per rule.
    Check(crate::check_cmd::CheckArgs),
    /// Measure ingest against raw JetStream and sled in one run (build with --release).
    /// `deploy/bench.sh` starts a private nats-server and runs this.
    Bench {
        /// NATS URL of a server with JetStream that the bench may create streams on.
        #[arg(long)]
        nats: String,
        /// How many events (and raw messages) to push through each measurement.
        #[arg(long, default_value_t = 1_000_000)]
        events: usize,
        /// Where the bench's sled directories go; a temporary directory by default.
        #[arg(long)]
        work_dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum LogCommand {
    /// Print `{"events": N, "last_seq": N, "bytes_on_disk": N}`.
    Stats {
        /// The data directory (the log is in DIR/log).
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
    },
    /// Walk the log, check the hash chain, and name the first entry that does not match; with
    /// --checkpoints, also fail if the log is shorter than, or diverges from, any signed
    /// checkpoint (a rollback or a rewrite), or a checkpoint's signature does not verify.
    Verify {
        /// The data directory (the log is in DIR/log).
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// A checkpoints file (one signed checkpoint per line, as `serve` writes them or as
        /// copied from the TW_CHECKPOINTS stream).
        #[arg(long, value_name = "FILE", requires = "key")]
        checkpoints: Option<PathBuf>,
        /// The checkpoint signer's public key: 64 hex digits, or a file holding them.
        #[arg(long, value_name = "PUBKEY", requires = "checkpoints")]
        key: Option<String>,
    },
    /// Print, as one line of JSON, the proof that entry N is in the log the latest checkpoint
    /// signed: the entry, its Merkle audit path and the checkpoint. Anyone with the public key
    /// can check it with `log check-proof`, without the log.
    Prove {
        /// The data directory (the log is in DIR/log).
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// The entry to prove.
        #[arg(long, value_name = "N")]
        seq: u64,
        /// The checkpoints file; DIR/checkpoints.jsonl by default.
        #[arg(long, value_name = "FILE")]
        checkpoints: Option<PathBuf>,
    },
    /// Check a proof written by `log prove`, offline: exit 0 and say what it proves, or exit 1
    /// and say why not.
    CheckProof {
        /// The proof file.
        file: PathBuf,
        /// The checkpoint signer's public key: 64 hex digits, or a file holding them.
        #[arg(long, value_name = "PUBKEY")]
        key: String,
    },
}

#[derive(Debug, Subcommand)]
enum EvidenceCommand {
    /// Print a finding's evidence bundle as one line of JSON, under the latest checkpoint (which
    /// must cover its evidence), signed with the checkpoint key (`[checkpoints] key_file`,
    /// TW_CHECKPOINT_KEY_FILE). Stop `serve` first, or use `GET /v1/findings/{id}/evidence`.
    Export {
        /// The finding's id (UUID).
        id: String,
        /// The data directory (the log is in DIR/log, the projections in DIR/projections).
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// The checkpoints file; the settings' `[checkpoints] file` or DIR/checkpoints.jsonl by
        /// default.
        #[arg(long, value_name = "FILE")]
        checkpoints: Option<PathBuf>,
    },
    /// Check a bundle offline: exit 0 and say what it proves, or exit 1 and say why not.
    Verify {
        /// The bundle file.
        file: PathBuf,
        /// The signer's public key: 64 hex digits, or a file holding them.
        #[arg(long, value_name = "PUBKEY")]
        key: String,
    },
}

#[derive(Debug, Subcommand)]
enum SnapshotCommand {
    /// Check a list snapshot offline: exit 0 and say what it holds, or exit 1 and say why not.
    Verify {
        /// The snapshot file.
        file: PathBuf,
        /// The signer's public key: 64 hex digits, or a file holding them.
        #[arg(long, value_name = "PUBKEY")]
        key: String,
    },
}

#[derive(Debug, Subcommand)]
enum CheckpointCommand {
    /// Make a new Ed25519 signing key, write it to FILE (mode 0600; never overwrites) and its
    /// public key to FILE.pub, and print the public key. Keep FILE outside the data directory.
    Keygen {
        /// Where the secret key goes.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// Parses the command line, runs the command, and turns errors into a message and exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init(match cli.command {
        Command::Serve => "info",
        _ => "warn",
    });
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve => {
            let settings = Settings::load(cli.config.as_deref())?;
            runtime()?.block_on(crate::serve::run(settings, crate::serve::shutdown_signal()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Log { command } => log_command(command),
        Command::Snapshot {
            command: SnapshotCommand::Verify { file, key },
        } => crate::evidence_cmd::verify_snapshot(&file, &key),
        Command::Evidence { command } => match command {
            EvidenceCommand::Export {
                id,
                data,
                checkpoints,
            } => {
                let settings = Settings::load(cli.config.as_deref())?;
                crate::evidence_cmd::export(&id, &data, checkpoints, &settings)
            }
            EvidenceCommand::Verify { file, key } => crate::evidence_cmd::verify(&file, &key),
        },
        Command::Checkpoint {
            command: CheckpointCommand::Keygen { out },
        } => {
            let key = tutorwatch_proof::generate_key_file(&out)?;
            let public = tutorwatch_proof::hex::encode(key.verifying_key().as_bytes());
            let public_file = PathBuf::from(format!("{}.pub", out.display()));
            std::fs::write(&public_file, format!("{public}\n"))
                .with_context(|| format!("writing {}", public_file.display()))?;
            eprintln!(
                "wrote the signing key to {} (mode 0600: keep it outside the data directory) and \
                 the public key to {}",
                out.display(),
                public_file.display()
            );
            print_json(&json!({
                "key_file": out,
                "public_key_file": public_file,
                "public_key": public,
            }))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Token { command } => {
            let settings = Settings::load(cli.config.as_deref())?;
            crate::token_cmd::run(command, settings.data_dir)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Nats { command } => {
            let settings = Settings::load(cli.config.as_deref())?;
            crate::nats_cmd::run(command, &settings.data_dir)
        }
        Command::Openapi => {
            let doc = crate::api::openapi();
            print_json(&serde_json::to_value(&doc)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Example { event_type } => {
            print_example(event_type.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Replay {
            data,
            policy,
            diff,
            check,
        } => {
            let settings = Settings::load(cli.config.as_deref())?;
            crate::replay::run(&settings, &data, policy.as_deref(), diff, check)
        }
        Command::Findings {
            data,
            region,
            institution,
            rule,
            status,
            after,
            limit,
        } => {
            let filter = crate::replay::FindingsFilter {
                region,
                institution,
                rule,
                status,
                after,
                limit,
            };
            crate::replay::print_findings(&data, &filter)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Lists { data } => {
            crate::replay::print_lists(&data)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            nats,
            events,
            work_dir,
        } => {
            let temp = tempfile::tempdir().context("creating a temporary directory")?;
            let work_dir = work_dir.unwrap_or_else(|| temp.path().to_owned());
            runtime()?.block_on(crate::bench::run(crate::bench::BenchOptions {
                nats_url: nats,
                events,
                work_dir,
            }))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Gen(args) => {
            let settings = Settings::load(cli.config.as_deref())?;
            crate::gen_cmd::run(&args, &settings.validation_context()?, &settings.nats)
        }
        Command::Check(args) => crate::check_cmd::run(&args),
        Command::Publish { files, nats, admin } => {
            let settings = Settings::load(cli.config.as_deref())?;
            let url = nats.unwrap_or_else(|| settings.nats_url.clone());
            let validation = settings.validation_context()?;
            let sender = admin.then(|| Sender::direct(Identity::Admin));
            runtime()?.block_on(publish(
                &url,
                &settings.nats,
                &files,
                &validation,
                sender.as_ref(),
            ))
        }
    }
}

/// `data/name`, or an error that says what is missing and why it should be there.
pub(crate) fn existing_dir(data: &Path, name: &str, what: &str) -> anyhow::Result<PathBuf> {
    let path = data.join(name);
    if !path.exists() {
        bail!(
            "there is no {what} in {} (expected {})",
            data.display(),
            path.display()
        );
    }
    Ok(path)
}

pub(crate) fn open_log(data: &Path) -> anyhow::Result<EventLog> {
    Ok(EventLog::open(&existing_dir(data, "log", "log")?)?)
}

pub(crate) fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

fn log_command(command: LogCommand) -> anyhow::Result<ExitCode> {
    match command {
        LogCommand::Stats { data } => {
            let stats = open_log(&data)?.stats()?;
            print_json(&json!({
                "events": stats.events,
                "last_seq": stats.last_seq,
                "bytes_on_disk": stats.bytes_on_disk,
            }))?;
            Ok(ExitCode::SUCCESS)
        }
        LogCommand::Verify {
            data,
            checkpoints,
            key,
        } => verify_log(&data, checkpoints.as_deref().zip(key.as_deref())),
        LogCommand::Prove {
            data,
            seq,
            checkpoints,
        } => {
            let file = checkpoints.unwrap_or_else(|| data.join(crate::checkpoints::DEFAULT_FILE));
            prove(&data, seq, &file)
        }
        LogCommand::CheckProof { file, key } => check_proof(&file, &key),
    }
}

/// `tutorwatch log verify`: the chain, and the log against signed checkpoints when given.
fn verify_log(data: &Path, checkpoints: Option<(&Path, &str)>) -> anyhow::Result<ExitCode> {
    let trusted = match checkpoints {
        None => None,
        Some((file, key)) => Some((
            tutorwatch_proof::read_checkpoints(file)?,
            tutorwatch_proof::parse_public_key(key)?,
            file,
        )),
    };
    let log = open_log(data)?;
    let last = log.last_seq();
    let report = log.verify(|seq| eprintln!("verified {seq} of {last} entries"))?;
    let mut out = json!({"ok": report.first_bad.is_none(), "verified": report.verified});
    let mut ok = true;
    if let Some((seq, reason)) = &report.first_bad {
        out["first_bad_seq"] = json!(seq);
        out["reason"] = json!(reason);
        eprintln!("error: log entry {seq} does not match: {reason}");
        ok = false;
    }
    if let Some((lines, key, file)) = trusted {
        let checked = tutorwatch_proof::check_log(&log, &lines, &key)?;
        if lines.is_empty() {
            eprintln!("error: {} holds no checkpoints", file.display());
            ok = false;
        }
        for failure in &checked.failures {
            eprintln!("error: {}", failure.reason);
            ok = false;
        }
        out["checkpoints"] = json!({
            "given": lines.len(),
            "satisfied": checked.satisfied,
            "highest_seq": checked.highest_seq,
            "failures": checked.failures.iter().map(|f| json!({
                "line": f.line,
                "seq": f.seq,
                "kind": f.kind,
                "reason": f.reason,
            })).collect::<Vec<_>>(),
        });
        if ok {
            eprintln!(
                "the log agrees with all {} checkpoints, up to entry {}",
                checked.satisfied, checked.highest_seq
            );
        }
    }
    out["ok"] = json!(ok);
    print_json(&out)?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `tutorwatch log prove`: the proof of entry `seq` under the latest checkpoint in `file`.
fn prove(data: &Path, seq: u64, file: &Path) -> anyhow::Result<ExitCode> {
    let lines = tutorwatch_proof::read_checkpoints(file)?;
    let latest = lines
        .iter()
        .filter_map(|(_, checkpoint)| checkpoint.as_ref().ok())
        .max_by_key(|checkpoint| checkpoint.seq)
        .with_context(|| format!("{} holds no checkpoint", file.display()))?;
    if seq > latest.seq {
        bail!(
            "entry {seq} is after the latest checkpoint in {} (entry {}): it can be proven once a \
             checkpoint covers it",
            file.display(),
            latest.seq
        );
    }
    let log = open_log(data)?;
    let proof = tutorwatch_proof::build_proof(&log, seq, latest)
        .with_context(|| format!("proving entry {seq}"))?;
    std::io::stdout()
        .lock()
        .write_all(proof.to_json_line().as_bytes())?;
    eprintln!(
        "the proof of entry {seq} under the checkpoint of entry {} signed at {}",
        latest.seq, latest.time
    );
    Ok(ExitCode::SUCCESS)
}

/// `tutorwatch log check-proof`: checks a proof offline with the trusted key.
fn check_proof(file: &Path, key: &str) -> anyhow::Result<ExitCode> {
    let key = tutorwatch_proof::parse_public_key(key)?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    match tutorwatch_proof::verify_proof(&bytes, &key) {
        Ok(proven) => {
            let envelope = proven.record.envelope()?;
            let checkpoint = &proven.checkpoint;
            print_json(&json!({
                "ok": true,
                "seq": proven.seq,
                "event_id": envelope.event_id.to_string(),
                "type": envelope.event.info().name,
                "institution": envelope.institution.as_str(),
                "recorded_at": proven.record.recorded_at,
                "checkpoint": {
                    "seq": checkpoint.seq,
                    "time": checkpoint.time,
                    "policy_version": checkpoint.policy_version,
                    "merkle_root": checkpoint.merkle_root,
                },
            }))?;
            eprintln!(
                "proven: event {} ({}) is entry {} of the log whose first {} entries the key {} \
                 signed at {}",
                envelope.event_id,
                envelope.event.info().name,
                proven.seq,
                checkpoint.seq,
                checkpoint.public_key,
                checkpoint.time
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            print_json(&json!({"ok": false, "reason": error.to_string()}))?;
            eprintln!(
                "error: the proof in {} does not hold: {error}",
                file.display()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

fn print_example(event_type: Option<&str>) -> anyhow::Result<()> {
    let Some(name) = event_type else {
        for info in EVENT_TYPES {
            println!("{}", info.name);
        }
        return Ok(());
    };
    let Some(index) = EVENT_TYPES.iter().position(|t| t.name == name) else {
        bail!("unknown event type {name:?}; `tutorwatch example` lists them");
    };
    debug_assert!(event_type_by_name(name).is_some());
    let envelope = example(index, &ExampleParams::new(EventId::new_v7()));
    let value: serde_json::Value = serde_json::from_slice(&encode_json(&envelope)?)?;
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(())
}

/// Reads JSON events: each non-blank line of each file (a file holding one pretty-printed event
/// is read whole).
fn read_events(files: &[PathBuf]) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut events = Vec::new();
    for file in files {
        let text = if file.as_os_str() == "-" {
            let mut text = String::new();
            for line in std::io::stdin().lock().lines() {
                text.push_str(&line?);
                text.push('\n');
            }
            text
        } else {
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?
        };
        let trimmed = text.trim();
        if trimmed.starts_with('{') && serde_json::from_str::<serde_json::Value>(trimmed).is_ok() {
            events.push((file.display().to_string(), trimmed.as_bytes().to_vec()));
            continue;
        }
        for (number, line) in text.lines().enumerate() {
            if !line.trim().is_empty() {
                let place = format!("{}:{}", file.display(), number + 1);
                events.push((place, line.as_bytes().to_vec()));
            }
        }
    }
    Ok(events)
}

/// The subject `sender` publishes `envelope` on; with no sender, the producer's own.
pub(crate) fn subject_of(
    envelope: &tutorwatch_events::Envelope,
    sender: Option<&Sender>,
) -> String {
    match sender {
        Some(sender) => envelope.subject_as(sender),
        None => envelope.subject(),
    }
}

/// Publishes one JSON event on its subject (as `sender`, or its producer) with its id as
/// `Nats-Msg-Id`; returns the ack to await (so callers may keep several in flight).
pub(crate) async fn send_json(
    js: &async_nats::jetstream::Context,
    envelope: &tutorwatch_events::Envelope,
    sender: Option<&Sender>,
    bytes: Vec<u8>,
) -> anyhow::Result<async_nats::jetstream::context::PublishAckFuture> {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", envelope.event_id.to_string().as_str());
    headers.insert("Content-Type", "application/json");
    Ok(js
        .publish_with_headers(subject_of(envelope, sender), headers, bytes.into())
        .await?)
}

async fn publish(
    url: &str,
    nats: &crate::nats::NatsSettings,
    files: &[PathBuf],
    validation: &ValidationContext,
    sender: Option<&Sender>,
) -> anyhow::Result<ExitCode> {
    let events = read_events(files)?;
    let client = crate::nats::connect_once(url, nats, "tutorwatch publish").await?;
    let js = async_nats::jetstream::new(client);
    let mut failures = 0usize;
    for (place, bytes) in events {
        let envelope = match decode_json(&bytes) {
            Ok(envelope) => envelope,
            Err(error) => {
                failures += 1;
                eprintln!("{place}: not sent: {error}");
                continue;
            }
        };
        if let Err(error) = envelope.validate(validation) {
            failures += 1;
            eprintln!("{place}: not sent: {error}");
            continue;
        }
        let ack = send_json(&js, &envelope, sender, bytes)
            .await
            .with_context(|| format!("{place}: publishing"))?
            .await
            .with_context(|| format!("{place}: waiting for JetStream's ack"))?;
        print_json(&json!({
            "event_id": envelope.event_id.to_string(),
            "subject": subject_of(&envelope, sender),
            "stream_seq": ack.sequence,
            "duplicate": ack.duplicate,
        }))?;
    }
    if failures > 0 {
        eprintln!("{failures} event(s) were not sent");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
