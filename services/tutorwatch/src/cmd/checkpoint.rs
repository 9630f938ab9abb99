//! `tutorwatch checkpoint keygen`: the Ed25519 key that signs checkpoints of the log.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;
use serde_json::json;

use crate::cmd::output::print_json;

#[derive(Debug, Subcommand)]
pub(crate) enum CheckpointCommand {
    /// Make a new Ed25519 signing key, write it to FILE (mode 0600; never overwrites) and its
    /// public key to FILE.pub, and print the public key. Keep FILE outside the data directory.
    Keygen {
        /// Where the secret key goes.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// Runs a `checkpoint` subcommand.
pub(crate) fn run(command: CheckpointCommand) -> anyhow::Result<ExitCode> {
    let CheckpointCommand::Keygen { out } = command;
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
