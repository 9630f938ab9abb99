//! Signed checkpoints while `serve` runs: every `every_events` new entries or `every_secs`
//! seconds (whichever comes first, and only when the log has grown), and once more at shutdown
//! after ingest's last batch, the log's head `(seq, head hash, Merkle root, time, policy
//! version)` is signed
//! with the key in `[checkpoints] key_file` (`TW_CHECKPOINT_KEY_FILE`), appended as one JSON
//! line to the checkpoints file (fsynced), and published on `tw.checkpoints` into a JetStream
//! stream of its own (`TW_CHECKPOINTS`, its own retention), so a copy survives the machine.
//! `tutorwatch log verify --checkpoints FILE --key PUBKEY` checks a log against them. The Merkle
//! root comes from a frontier (`tutorwatch_proof::merkle::Frontier`) built once from the log at
//! start and advanced by the new entries at each checkpoint.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, stream};
use serde::Deserialize;
use tokio::sync::watch;
use tutorwatch_events::UtcTime;
use tutorwatch_log::EventLog;
use tutorwatch_proof::merkle::Frontier;
use tutorwatch_proof::{leaf_of, Checkpoint, SigningKey};

/// The subject checkpoints are published on.
pub(crate) const CHECKPOINT_SUBJECT: &str = "tw.checkpoints";

/// The checkpoints file's name in the data directory when `[checkpoints] file` is unset.
pub(crate) const DEFAULT_FILE: &str = "checkpoints.jsonl";

/// How many entries the frontier reads at a time.
const READ_CHUNK: usize = 10_000;

/// How long a publish may wait for JetStream's ack before the checkpoint is logged as unsent.
const PUBLISH_ACK_MAX: Duration = Duration::from_secs(5);

/// `[checkpoints]`: signing the log's head. No key file: no checkpoints.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct CheckpointSettings {
    /// The Ed25519 signing key (`tutorwatch checkpoint keygen`); keep it outside the data dir.
    pub key_file: Option<PathBuf>,
    /// Where checkpoints are appended; `<data_dir>/checkpoints.jsonl` when unset.
    pub file: Option<PathBuf>,
    /// Sign after this many new entries.
    pub every_events: u64,
    /// Sign at least this often (seconds) while the log grows.
    pub every_secs: u64,
    /// The JetStream stream bound to `tw.checkpoints`.
    pub stream: String,
    /// How long the stream keeps a checkpoint (seconds); 0 keeps them for ever.
    pub stream_max_age_secs: u64,
}

impl Default for CheckpointSettings {
    fn default() -> Self {
        Self {
            key_file: None,
            file: None,
            every_events: 10_000,
            every_secs: 60,
            stream: "TW_CHECKPOINTS".into(),
            stream_max_age_secs: 0,
        }
    }
}

impl CheckpointSettings {
    /// The checkpoints file for a data directory.
    pub(crate) fn file_in(&self, data_dir: &Path) -> PathBuf {
        self.file
            .clone()
            .unwrap_or_else(|| data_dir.join(DEFAULT_FILE))
    }
}

/// What the checkpoint task needs.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    pub log: Arc<EventLog>,
    pub key: SigningKey,
    pub file: PathBuf,
    pub jetstream: jetstream::Context,
    pub settings: CheckpointSettings,
    pub policy_version: String,
    /// The Merkle frontier over the entries signed so far.
    pub frontier: Frontier,
}

impl Checkpointer {
    async fn ensure_stream(&self) -> anyhow::Result<()> {
        self.jetstream
            .get_or_create_stream(stream::Config {
                name: self.settings.stream.clone(),
                subjects: vec![CHECKPOINT_SUBJECT.to_owned()],
                storage: stream::StorageType::File,
                max_age: Duration::from_secs(self.settings.stream_max_age_secs),
                ..Default::default()
            })
            .await
            .with_context(|| format!("creating the stream {}", self.settings.stream))?;
        Ok(())
    }

    /// Advances the frontier to entry `seq` (reading the log off the async threads) and
    /// returns that entry's hash.
    async fn advance(&mut self, seq: u64) -> anyhow::Result<[u8; 32]> {
        let log = Arc::clone(&self.log);
        let mut frontier = std::mem::take(&mut self.frontier);
        let (frontier, hash) = tokio::task::spawn_blocking(move || {
            let mut hash = None;
            while frontier.size() < seq {
                let want = usize::try_from(seq - frontier.size())
                    .unwrap_or(usize::MAX)
                    .min(READ_CHUNK);
                let records = log.read_from(frontier.size() + 1, want)?;
                anyhow::ensure!(
                    !records.is_empty(),
                    "the log has no entry {}",
                    frontier.size() + 1
                );
                for record in &records {
                    assert_eq!(record.seq, frontier.size() + 1, "the log has no gaps");
                    frontier.push(leaf_of(record));
                    hash = Some(record.hash);
                }
            }
            let hash = match hash {
                Some(hash) => hash,
                None => log.record_at(seq)?.hash,
            };
            anyhow::Ok((frontier, hash))
        })
        .await
        .context("the Merkle frontier's reader failed")??;
        self.frontier = frontier;
        Ok(hash)
    }

    /// Signs the head if it moved past `last`; returns the sequence signed (or `last`).
    async fn sign_if_moved(&mut self, last: u64) -> anyhow::Result<u64> {
        let seq = self.log.last_seq();
        if seq == last {
            return Ok(last);
        }
        let hash = self.advance(seq).await?;
        assert_eq!(
            self.frontier.size(),
            seq,
            "the root covers exactly entries 1..=seq"
        );
        let checkpoint = Checkpoint::sign(
            &self.key,
            seq,
            &hash,
            &self.frontier.root(),
            UtcTime::now(),
            &self.policy_version,
        );
        let line = checkpoint.to_json_line();
        append_line(&self.file, &line)
            .with_context(|| format!("appending a checkpoint to {}", self.file.display()))?;
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(
            "Nats-Msg-Id",
            format!("checkpoint-{seq}-{}", checkpoint.signature).as_str(),
        );
        let sent = async {
            let ack = self
                .jetstream
                .publish_with_headers(CHECKPOINT_SUBJECT, headers, line.into_bytes().into())
                .await?;
            tokio::time::timeout(PUBLISH_ACK_MAX, ack)
                .await
                .map_err(|_| anyhow::anyhow!("no ack within {PUBLISH_ACK_MAX:?}"))??;
            anyhow::Ok(())
        };
        match sent.await {
            Ok(()) => {
                tracing::info!(seq, file = %self.file.display(), "checkpoint signed and published")
            }
            Err(error) => tracing::warn!(
                seq, %error,
                "checkpoint signed and written to the file, but not published on {CHECKPOINT_SUBJECT}; \
                 the next one will be"
            ),
        }
        Ok(seq)
    }
}

impl Checkpointer {
    /// [`Checkpointer::sign_if_moved`], logging a failure (the service keeps running; the next
    /// checkpoint tries again).
    async fn sign_logged(&mut self, last: u64) -> u64 {
        match self.sign_if_moved(last).await {
            Ok(seq) => seq,
            Err(error) => {
                tracing::error!(error = format!("{error:#}"), "could not make a checkpoint");
                last
            }
        }
    }
}

fn append_line(path: &Path, line: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    writeln!(file, "{line}")?;
    file.sync_data()
}

/// Runs until `stop` turns true, then signs the head one last time.
pub(crate) async fn run(
    mut checkpointer: Checkpointer,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    if let Err(error) = checkpointer.ensure_stream().await {
        tracing::warn!(
            error = format!("{error:#}"),
            "checkpoints go to the file only until the stream can be created"
        );
    }
    let every_events = checkpointer.settings.every_events.max(1);
    let mut tick =
        tokio::time::interval(Duration::from_secs(checkpointer.settings.every_secs.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut head = checkpointer.log.subscribe();
    let mut last = 0;
    loop {
        tokio::select! {
            stopped = async { stop.wait_for(|stop| *stop).await.map(|_| ()) } => {
                // A dropped sender means the service is going away too.
                let _ = stopped;
                break;
            }
            _ = tick.tick() => last = checkpointer.sign_logged(last).await,
            changed = head.changed() => {
                if changed.is_err() {
                    break;
                }
                if checkpointer.log.last_seq().saturating_sub(last) >= every_events {
                    last = checkpointer.sign_logged(last).await;
                }
            }
        }
    }
    checkpointer.sign_if_moved(last).await?;
    Ok(())
}
