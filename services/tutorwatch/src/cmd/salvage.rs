//! `tutorwatch log salvage`: rebuilds a damaged log from the entries that are still intact, up to
//! the last one the chain verifies, and sets the data directory up so `serve` can start again and
//! (with `--reingest`) read back the rest from the inbound stream.
//!
//! It reads the log's files, the copies opening made of them when they were not sealed by a clean
//! close (`log.pre-open-*`, taken before sled's recovery could overwrite them), and any backups
//! given with `--also`.
//!
//! Nothing is deleted that cannot be rebuilt: the damaged log is kept beside the new one, the
//! checkpoints file as it was is kept beside the trimmed one, and only projections that ran
//! ahead of the salvaged log are removed (they are rebuilt from it).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use serde_json::json;
use tutorwatch_log::{ChainEnd, EventLog, FoundEntries};
use tutorwatch_projection_store::ProjectionStore;

use crate::cmd::output::print_json;
use crate::config::Settings;

/// Bytes between two progress lines while scanning.
const PROGRESS_BYTES: u64 = 256 * 1024 * 1024;

/// What `log salvage` was asked to do.
#[derive(Debug)]
pub(crate) struct SalvageRequest<'a> {
    pub data: &'a Path,
    /// More directories to look for intact entries in (backups).
    pub also: &'a [PathBuf],
    pub checkpoints: Option<PathBuf>,
    pub key: Option<&'a str>,
    pub reingest: bool,
}

pub(crate) fn run(request: &SalvageRequest<'_>, settings: &Settings) -> anyhow::Result<ExitCode> {
    let data = request.data;
    let log_dir = crate::cmd::data::existing_dir(data, "log", "log")?;
    // Not opened with sled before it is scanned: sled's recovery may rewrite a damaged file.
    tutorwatch_db::ensure_free(&log_dir)?;
    let projections_dir = data.join("projections");
    tutorwatch_db::ensure_free(&projections_dir)?;
    let checkpoints_file = request
        .checkpoints
        .clone()
        .unwrap_or_else(|| settings.checkpoints.file_in(data));
    let trusted = if checkpoints_file.exists() {
        let Some(key) = request.key else {
            bail!(
                "{} holds the log's signed checkpoints: give the signer's public key with --key, \
                 so the salvaged log is checked against them",
                checkpoints_file.display()
            );
        };
        Some((
            tutorwatch_proof::read_checkpoints(&checkpoints_file)?,
            tutorwatch_proof::parse_public_key(key)?,
        ))
    } else {
        None
    };
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string();
    let scratch = data.join(format!("salvage-scratch-{stamp}"));
    let rebuilt_dir = data.join(format!("log.salvaging-{stamp}"));
    let result = salvage(request, &log_dir, &scratch, &rebuilt_dir);
    // The scratch store only ever holds copies of what the sources hold.
    let _ = std::fs::remove_dir_all(&scratch);
    let (salvaged, log) = match result {
        Ok(done) => done,
        Err(error) => {
            let _ = std::fs::remove_dir_all(&rebuilt_dir);
            return Err(error);
        }
    };

    // Checked against the signed checkpoints before anything is replaced.
    let mut beyond = 0usize;
    if let Some((lines, key)) = &trusted {
        let report = tutorwatch_proof::check_log(&log, lines, key)?;
        let refuting: Vec<_> = report
            .failures
            .iter()
            .filter(|f| f.kind == "diverges" || f.kind == "bad_signature")
            .collect();
        if !refuting.is_empty() {
            drop(log);
            let _ = std::fs::remove_dir_all(&rebuilt_dir);
            for failure in &refuting {
                eprintln!("error: {}", failure.reason);
            }
            print_json(&json!({
                "ok": false,
                "salvaged": salvaged.last_seq,
                "reason": "the intact entries do not agree with the signed checkpoints",
                "failures": refuting.iter().map(|f| json!({
                    "line": f.line, "seq": f.seq, "kind": f.kind, "reason": f.reason,
                })).collect::<Vec<_>>(),
            }))?;
            eprintln!(
                "nothing was changed: the entries found are not the history the checkpoints \
                 signed (was it rewritten?); give a good backup with --also"
            );
            return Ok(ExitCode::FAILURE);
        }
        beyond = report
            .failures
            .iter()
            .filter(|f| f.kind == "rollback")
            .count();
    }
    // Closed (and sealed) before it is moved into place.
    drop(log);

    // Replace the damaged log, keeping it.
    let damaged_dir = data.join(format!("log.damaged-{stamp}"));
    std::fs::rename(&log_dir, &damaged_dir)
        .with_context(|| format!("moving the damaged log to {}", damaged_dir.display()))?;
    std::fs::rename(&rebuilt_dir, &log_dir)
        .with_context(|| format!("moving the salvaged log to {}", log_dir.display()))?;
    eprintln!(
        "the log now holds entries 1 to {}; the damaged log is kept in {}",
        salvaged.last_seq,
        damaged_dir.display()
    );

    let checkpoints = match &trusted {
        Some((lines, _)) if beyond > 0 => {
            let kept = trim_checkpoints(&checkpoints_file, lines, salvaged.last_seq, &stamp)?;
            json!({"kept": kept.kept, "set_aside": beyond, "original": kept.original})
        }
        _ => json!(null),
    };
    let projections = drop_projections_ahead(&projections_dir, salvaged.last_seq)?;
    let reingest = if request.reingest {
        let rewound = crate::cmd::log::rewind_ingest(settings, None, "tutorwatch log salvage")?;
        eprintln!(
            "the next `serve` reads {} again from message {} (it holds {} to {}); what the \
             salvaged log holds is dropped as a duplicate, the rest is appended",
            settings.ingest.stream, rewound.start_seq, rewound.first_seq, rewound.last_seq
        );
        json!({
            "stream": settings.ingest.stream,
            "stream_first_seq": rewound.first_seq,
            "stream_last_seq": rewound.last_seq,
            "start_seq": rewound.start_seq,
        })
    } else {
        eprintln!(
            "to recover what followed entry {}: `tutorwatch log reingest --data {}` (while the \
             inbound stream still holds it), then `serve`",
            salvaged.last_seq,
            data.display()
        );
        json!(null)
    };
    print_json(&json!({
        "ok": true,
        "salvaged": salvaged.last_seq,
        "ended": salvaged.end_json(),
        "found_up_to": salvaged.highest_found,
        "scanned": {
            "files": salvaged.counts.files,
            "bytes": salvaged.counts.bytes,
            "copies": salvaged.counts.copies,
        },
        "damaged_log": damaged_dir,
        "checkpoints": checkpoints,
        "projections": projections,
        "reingest": reingest,
    }))?;
    Ok(ExitCode::SUCCESS)
}

/// What the scan and the rebuild came to.
struct Salvaged {
    last_seq: u64,
    end: Option<ChainEnd>,
    highest_found: u64,
    counts: tutorwatch_log::ScanCounts,
}

impl Salvaged {
    fn end_json(&self) -> serde_json::Value {
        match &self.end {
            Some(ChainEnd::Gap { seq }) => json!({"at": seq, "why": "missing"}),
            Some(ChainEnd::Fork { seq, hashes }) => {
                json!({"at": seq, "why": "fork", "hashes": hashes})
            }
            None => json!(null),
        }
    }
}

/// Scans the log and the backups into `scratch`, and writes the verified chain into a new log in
/// `rebuilt_dir`, with the facts its entries set; returns it, still open.
fn salvage(
    request: &SalvageRequest<'_>,
    log_dir: &Path,
    scratch: &Path,
    rebuilt_dir: &Path,
) -> anyhow::Result<(Salvaged, EventLog)> {
    let mut found = FoundEntries::create(scratch)?;
    // The copies opening made of unsealed files hold what sled's recovery may have overwritten.
    let copies = tutorwatch_log::pre_open_copies(log_dir)?;
    let sources = std::iter::once(log_dir)
        .chain(copies.iter().map(PathBuf::as_path))
        .chain(request.also.iter().map(PathBuf::as_path));
    for source in sources {
        if !source.is_dir() {
            bail!("{} is not a directory", source.display());
        }
        eprintln!("looking for intact entries in {}", source.display());
        let mut next_report = PROGRESS_BYTES;
        found.scan_dir(source, &mut |bytes| {
            if bytes >= next_report {
                eprintln!("  read {} MiB", bytes / (1024 * 1024));
                next_report = bytes + PROGRESS_BYTES;
            }
        })?;
    }
    let counts = found.counts();
    eprintln!(
        "found {} intact copies of entries, up to entry {}, in {} files ({} bytes)",
        counts.copies,
        found.highest_seq(),
        counts.files,
        counts.bytes
    );
    let log = EventLog::open(rebuilt_dir)?;
    let mut walk = found.walk();
    loop {
        let batch = walk.next_batch()?;
        if batch.is_empty() {
            break;
        }
        log.restore(&batch, tutorwatch_ingest::record_entry_facts)?;
        if walk.last_seq() % 100_000 < tutorwatch_log::RESTORE_BATCH as u64 {
            eprintln!("  rebuilt entries 1 to {}", walk.last_seq());
        }
    }
    let last_seq = walk.last_seq();
    let end = walk.end().cloned();
    match &end {
        Some(ChainEnd::Gap { seq }) if *seq <= found.highest_seq() => eprintln!(
            "the chain ends at entry {last_seq}: no intact copy of entry {seq} links to it \
             (entries up to {} were found, but cannot be verified past the gap)",
            found.highest_seq()
        ),
        Some(ChainEnd::Gap { .. }) => {
            eprintln!("the chain ends at entry {last_seq}, the last entry found")
        }
        Some(ChainEnd::Fork { seq, hashes }) => eprintln!(
            "the chain ends at entry {last_seq}: {} different entries {seq} link to it ({}); \
             history was rewritten, and the hashes alone cannot say which one was recorded",
            hashes.len(),
            hashes.join(", ")
        ),
        None => {}
    }
    log.flush()?;
    if last_seq == 0 {
        bail!(
            "no intact first entry was found in {}: there is nothing to salvage; restore a backup \
             (or give one with --also)",
            log_dir.display()
        );
    }
    let highest_found = found.highest_seq();
    let salvaged = Salvaged {
        last_seq,
        end,
        highest_found,
        counts,
    };
    Ok((salvaged, log))
}

/// The checkpoints file after salvage.
struct TrimmedCheckpoints {
    kept: usize,
    original: PathBuf,
}

/// Keeps in `file` the checkpoints that cover at most `last_seq` entries (they still hold for
/// the salvaged log, and `serve` checks the log against the latest at start), as its `lines` read
/// them; the file as it was is kept beside it, the record of what was lost.
fn trim_checkpoints(
    file: &Path,
    lines: &[tutorwatch_proof::CheckpointLine],
    last_seq: u64,
    stamp: &str,
) -> anyhow::Result<TrimmedCheckpoints> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let original = file.with_extension(format!("before-salvage-{stamp}.jsonl"));
    std::fs::copy(file, &original).with_context(|| {
        format!(
            "keeping the checkpoints as they were in {}",
            original.display()
        )
    })?;
    let keep: std::collections::BTreeSet<usize> = lines
        .iter()
        .filter(|(_, checkpoint)| checkpoint.as_ref().is_ok_and(|c| c.seq <= last_seq))
        .map(|(line, _)| *line)
        .collect();
    // Line numbers count from 1, as `read_checkpoints` gives them.
    let kept: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(i, _)| keep.contains(&(i + 1)))
        .map(|(_, line)| line)
        .collect();
    let trimmed = file.with_extension("jsonl.salvaging");
    let mut body = kept.join("\n");
    if !body.is_empty() {
        body.push('\n');
    }
    std::fs::write(&trimmed, body).with_context(|| format!("writing {}", trimmed.display()))?;
    std::fs::rename(&trimmed, file).with_context(|| format!("replacing {}", file.display()))?;
    eprintln!(
        "{} now holds the {} checkpoints the salvaged log satisfies; all of them, including those \
         of the entries lost, are kept in {}",
        file.display(),
        kept.len(),
        original.display()
    );
    Ok(TrimmedCheckpoints {
        kept: kept.len(),
        original,
    })
}

/// Removes the projections when they were built from entries the salvaged log no longer holds
/// (or cannot be read); `serve` rebuilds them from the log. Says what it did.
fn drop_projections_ahead(dir: &Path, last_seq: u64) -> anyhow::Result<&'static str> {
    if !dir.exists() {
        return Ok("absent");
    }
    let applied = ProjectionStore::open(dir).and_then(|store| store.applied_seq());
    match applied {
        Ok(applied) if applied <= last_seq => return Ok("kept"),
        Ok(applied) => eprintln!(
            "the projections were built up to entry {applied}, past the salvaged log: removed, \
             `serve` rebuilds them from the log"
        ),
        Err(error) => eprintln!(
            "the projections cannot be read ({error}): removed, `serve` rebuilds them from the log"
        ),
    }
    std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    Ok("removed")
}
