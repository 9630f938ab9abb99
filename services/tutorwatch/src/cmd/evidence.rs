//! Evidence bundles of findings (issue 12, item 3): `GET /v1/findings/{id}/evidence` and
//! `tutorwatch evidence export ID` build one with [`bundle_for`], under the latest checkpoint in
//! the checkpoints file (it must cover every evidence entry), signed with the checkpoint key;
//! `tutorwatch evidence verify FILE --key PUBKEY` checks one offline (`tutorwatch_proof`'s
//! `verify_bundle`) and says what it proves. `tutorwatch snapshot verify` does the same for a
//! signed list snapshot (`GET /v1/lists/{black,white}/snapshot`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;
use serde_json::json;
use tutorwatch_log::EventLog;
use tutorwatch_projection_store::StoredFinding;
use tutorwatch_proof::{build_bundle, BundleError, Checkpoint, EvidenceBundle, SigningKey};

#[derive(Debug, Subcommand)]
pub(crate) enum EvidenceCommand {
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
pub(crate) enum SnapshotCommand {
    /// Check a list snapshot offline: exit 0 and say what it holds, or exit 1 and say why not.
    Verify {
        /// The snapshot file.
        file: PathBuf,
        /// The signer's public key: 64 hex digits, or a file holding them.
        #[arg(long, value_name = "PUBKEY")]
        key: String,
    },
}

/// Runs an `evidence` subcommand.
pub(crate) fn run(
    command: EvidenceCommand,
    settings: &crate::config::Settings,
) -> anyhow::Result<ExitCode> {
    match command {
        EvidenceCommand::Export {
            id,
            data,
            checkpoints,
        } => export(&id, &data, checkpoints, settings),
        EvidenceCommand::Verify { file, key } => verify(&file, &key),
    }
}

/// Runs a `snapshot` subcommand.
pub(crate) fn run_snapshot(command: SnapshotCommand) -> anyhow::Result<ExitCode> {
    let SnapshotCommand::Verify { file, key } = command;
    verify_snapshot(&file, &key)
}

/// What signs evidence bundles: the checkpoint key, and the file its checkpoints are in.
#[derive(Debug)]
pub struct EvidenceSigner {
    pub key: SigningKey,
    pub checkpoints_file: PathBuf,
}

/// Why a bundle could not be made.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ExportError {
    #[error("the evidence is not yet checkpointed (its last entry is {last}, the latest checkpoint covers {covered}): retry after the next checkpoint")]
    NotCheckpointed { last: u64, covered: u64 },
    #[error("cannot read the checkpoints")]
    Checkpoints(#[source] tutorwatch_proof::ReadError),
    #[error("the finding does not serialise")]
    Finding(#[source] serde_json::Error),
    #[error("cannot build the bundle")]
    Bundle(#[source] BundleError),
}

/// The latest checkpoint in `file` signed by `key` (at or before entry `at_most`, when given),
/// if any.
pub(crate) fn latest_checkpoint(
    file: &Path,
    key: &SigningKey,
    at_most: Option<u64>,
) -> Result<Option<Checkpoint>, ExportError> {
    if !file.exists() {
        return Ok(None);
    }
    let public = tutorwatch_proof::hex::encode(key.verifying_key().as_bytes());
    let lines = tutorwatch_proof::read_checkpoints(file).map_err(ExportError::Checkpoints)?;
    Ok(lines
        .into_iter()
        .filter_map(|(_, checkpoint)| checkpoint.ok())
        .filter(|checkpoint| checkpoint.public_key == public)
        .filter(|checkpoint| at_most.is_none_or(|most| checkpoint.seq <= most))
        .max_by_key(|checkpoint| checkpoint.seq))
}

/// The bundle of `stored` under the latest checkpoint, signed with the signer's key.
pub(crate) fn bundle_for(
    log: &EventLog,
    stored: &StoredFinding,
    signer: &EvidenceSigner,
) -> Result<EvidenceBundle, ExportError> {
    let last = stored
        .finding
        .evidence
        .iter()
        .map(|e| e.seq)
        .max()
        .unwrap_or(0);
    let checkpoint = latest_checkpoint(&signer.checkpoints_file, &signer.key, None)?;
    let covered = checkpoint.as_ref().map_or(0, |c| c.seq);
    let Some(checkpoint) = checkpoint.filter(|c| c.seq >= last) else {
        return Err(ExportError::NotCheckpointed { last, covered });
    };
    let finding = serde_json::to_value(&stored.finding).map_err(ExportError::Finding)?;
    build_bundle(log, finding, &checkpoint, &signer.key).map_err(|error| match error {
        BundleError::NotCheckpointed { .. } => ExportError::NotCheckpointed { last, covered },
        other => ExportError::Bundle(other),
    })
}

/// `tutorwatch evidence export ID --data DIR`: the bundle on stdout.
pub(crate) fn export(
    id: &str,
    data: &Path,
    checkpoints: Option<PathBuf>,
    settings: &crate::config::Settings,
) -> anyhow::Result<ExitCode> {
    let key_file = settings.checkpoints.key_file.as_ref().context(
        "no checkpoint key ([checkpoints] key_file, TW_CHECKPOINT_KEY_FILE): a bundle is signed \
         with it",
    )?;
    let key = tutorwatch_proof::load_signing_key(key_file)?;
    let checkpoints_file = checkpoints.unwrap_or_else(|| settings.checkpoints.file_in(data));
    let finding_id: tutorwatch_events::ids::FindingId = id
        .parse::<uuid::Uuid>()
        .map(|u| tutorwatch_events::ids::FindingId::from_bytes(u.into_bytes()))
        .with_context(|| format!("{id:?} is not a finding id (UUID)"))?;
    let projections = tutorwatch_projection_store::ProjectionStore::open(&data.join("projections"))
        .with_context(|| format!("opening the projections in {}", data.display()))?;
    let stored = projections
        .finding(&finding_id)?
        .with_context(|| format!("no finding {id} in {}", data.display()))?;
    let log = crate::cmd::data::open_log(data)?;
    let signer = EvidenceSigner {
        key,
        checkpoints_file,
    };
    let bundle = bundle_for(&log, &stored, &signer)?;
    std::io::stdout()
        .lock()
        .write_all(bundle.to_json_line().as_bytes())?;
    eprintln!(
        "the evidence of finding {id} ({} entries) under the checkpoint of entry {} signed at {}",
        bundle.evidence.len(),
        bundle.checkpoint.seq,
        bundle.checkpoint.time
    );
    Ok(ExitCode::SUCCESS)
}

/// `tutorwatch evidence verify FILE --key PUBKEY`: exit 0 and say what it proves, or exit 1.
pub(crate) fn verify(file: &Path, key: &str) -> anyhow::Result<ExitCode> {
    let key = tutorwatch_proof::parse_public_key(key)?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    match tutorwatch_proof::verify_bundle(&bytes, &key) {
        Ok(proven) => {
            let finding = &proven.finding;
            let checkpoint = &proven.checkpoint;
            let events: Vec<_> = proven
                .events
                .iter()
                .map(|(seq, envelope)| {
                    json!({
                        "seq": seq,
                        "event_id": envelope.event_id.to_string(),
                        "type": envelope.event.info().name,
                        "institution": envelope.institution.as_str(),
                    })
                })
                .collect();
            crate::cmd::output::print_json(&json!({
                "ok": true,
                "finding": finding["id"],
                "rule": finding["rule"],
                "institution": finding["institution"],
                "figures": finding["figures"],
                "events": events,
                "checkpoint": {
                    "seq": checkpoint.seq,
                    "time": checkpoint.time,
                    "policy_version": checkpoint.policy_version,
                    "merkle_root": checkpoint.merkle_root,
                    "public_key": checkpoint.public_key,
                },
            }))?;
            let seqs: Vec<String> = proven.events.iter().map(|(s, _)| s.to_string()).collect();
            eprintln!(
                "proven: finding {} ({} at {}) rests on entries {} of the log whose first {} \
                 entries the key {} signed at {}; the key also signed the finding as shown",
                finding["id"],
                finding["rule"],
                finding["institution"],
                seqs.join(", "),
                checkpoint.seq,
                checkpoint.public_key,
                checkpoint.time
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            crate::cmd::output::print_json(&json!({"ok": false, "reason": error.to_string()}))?;
            eprintln!(
                "error: the evidence bundle in {} does not hold: {error}",
                file.display()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `tutorwatch snapshot verify FILE --key PUBKEY`: exit 0 and say what it holds, or exit 1.
pub(crate) fn verify_snapshot(file: &Path, key: &str) -> anyhow::Result<ExitCode> {
    let key = tutorwatch_proof::parse_public_key(key)?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    match tutorwatch_proof::verify_list(&bytes, &key) {
        Ok(snapshot) => {
            let institutions = snapshot.institutions.as_array().map_or(0, Vec::len);
            crate::cmd::output::print_json(&json!({
                "ok": true,
                "list": snapshot.list,
                "applied_seq": snapshot.applied_seq,
                "institutions": institutions,
                "time": snapshot.time,
                "checkpoint": snapshot.checkpoint.as_ref().map(|c| json!({
                    "seq": c.seq,
                    "time": c.time,
                    "merkle_root": c.merkle_root,
                })),
            }))?;
            eprintln!(
                "verified: the {} list of {institutions} institutions after log entry {}, signed                  by {} at {}{}",
                snapshot.list,
                snapshot.applied_seq,
                snapshot.public_key,
                snapshot.time,
                match &snapshot.checkpoint {
                    Some(c) => format!(", resting on the checkpoint of entry {}", c.seq),
                    None => ", before any checkpoint".to_owned(),
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            crate::cmd::output::print_json(&json!({"ok": false, "reason": error.to_string()}))?;
            eprintln!(
                "error: the list snapshot in {} does not hold: {error}",
                file.display()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}
