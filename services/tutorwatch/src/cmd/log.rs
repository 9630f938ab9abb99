//! `tutorwatch log`: the log's size (`stats`), its hash chain and signed checkpoints (`verify`),
//! inclusion proofs of one entry (`prove`, `check-proof`), making the next `serve` read the
//! inbound stream again to recover what a restored log lacks (`reingest`), and rebuilding a
//! damaged log from its intact entries (`salvage`, in `cmd::salvage`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::Subcommand;
use serde_json::json;

use crate::cmd::data::open_log;
use crate::cmd::output::print_json;
use crate::config::Settings;

#[derive(Debug, Subcommand)]
pub(crate) enum LogCommand {
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
    /// After restoring the data directory from a backup, make the next `serve` read the inbound
    /// JetStream stream again from its first message still held (or --from-stream-seq): what the
    /// log already holds is dropped as a duplicate, the rest is appended. Stop `serve` first.
    /// Uses the `[nats]` settings' credentials (the service's).
    Reingest {
        /// The data directory (the log is in DIR/log); checked to be free (serve stopped).
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Read again from this stream sequence instead of the first message still held.
        #[arg(long, value_name = "SEQ")]
        from_stream_seq: Option<u64>,
    },
    /// Rebuild a damaged log (one sled cannot open, or that lost entries) from the entries still
    /// intact in its files, up to the last one the hash chain verifies; keep the damaged log
    /// beside it. With the checkpoints file present, the result must agree with every
    /// checkpoint it reaches (--key), and the checkpoints past it are set aside (kept in a file
    /// of their own). Stop `serve` first.
    Salvage {
        /// The data directory (the log is in DIR/log).
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Also look for intact entries in this directory (a backup's data directory); repeat
        /// for more.
        #[arg(long, value_name = "DIR")]
        also: Vec<PathBuf>,
        /// The checkpoints file; `[checkpoints] file`, or DIR/checkpoints.jsonl, by default.
        #[arg(long, value_name = "FILE")]
        checkpoints: Option<PathBuf>,
        /// The checkpoint signer's public key (64 hex digits, or a file holding them); needed
        /// when there are checkpoints.
        #[arg(long, value_name = "PUBKEY")]
        key: Option<String>,
        /// Then rewind ingest, as `log reingest` does, so the next `serve` appends what the
        /// inbound stream still holds past the salvaged entries (the `[nats]` credentials).
        #[arg(long)]
        reingest: bool,
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

pub(crate) fn run(command: LogCommand, settings: &Settings) -> anyhow::Result<ExitCode> {
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
        LogCommand::Reingest {
            data,
            from_stream_seq,
        } => reingest(&data, from_stream_seq, settings),
        LogCommand::Salvage {
            data,
            also,
            checkpoints,
            key,
            reingest,
        } => crate::cmd::salvage::run(
            &crate::cmd::salvage::SalvageRequest {
                data: &data,
                also: &also,
                checkpoints,
                key: key.as_deref(),
                reingest,
            },
            settings,
        ),
    }
}

/// Replaces ingest's durable consumer so the next `serve` reads the inbound stream again from
/// `from` (the first message it still holds when `None`), connecting as the service; `command`
/// names the connection.
pub(crate) fn rewind_ingest(
    settings: &Settings,
    from: Option<u64>,
    command: &str,
) -> anyhow::Result<tutorwatch_ingest::Rewound> {
    crate::cmd::runtime()?.block_on(async {
        let client = crate::nats::connect_once(&settings.nats_url, &settings.nats, command).await?;
        let jetstream = async_nats::jetstream::new(client);
        tutorwatch_ingest::rewind(&jetstream, &settings.ingest, from)
            .await
            .with_context(|| {
                format!(
                    "rewinding the consumer {} of the stream {}",
                    settings.ingest.consumer, settings.ingest.stream
                )
            })
    })
}

/// `tutorwatch log reingest`: rewinds ingest's consumer so the next `serve` reads the inbound
/// stream again; prints where the stream and the log stand.
fn reingest(data: &Path, from: Option<u64>, settings: &Settings) -> anyhow::Result<ExitCode> {
    // Opening the log proves `serve` is not running on it (the directory is locked while it
    // runs), and says how far the log reaches.
    let log_last_seq = open_log(data)?.last_seq();
    let rewound = rewind_ingest(settings, from, "tutorwatch log reingest")?;
    eprintln!(
        "the next `serve` reads {} again from message {} (it holds {} to {}); events the log \
         already holds are dropped as duplicates",
        settings.ingest.stream, rewound.start_seq, rewound.first_seq, rewound.last_seq
    );
    print_json(&json!({
        "stream": settings.ingest.stream,
        "stream_first_seq": rewound.first_seq,
        "stream_last_seq": rewound.last_seq,
        "start_seq": rewound.start_seq,
        "log_last_seq": log_last_seq,
    }))?;
    Ok(ExitCode::SUCCESS)
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
