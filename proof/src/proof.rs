//! Inclusion proofs (`tutorwatch log prove`, `tutorwatch log check-proof`): one log entry, the
//! Merkle audit path from it to the root a signed checkpoint carries, and that checkpoint, as one
//! JSON object. Whoever holds it and the signer's public key can check, offline and without the
//! rest of the log, that the entry is entry `seq` of the log the checkpoint signed.
//!
//! ```json
//! {"format":1,"seq":12,"record":"…hex of the stored entry…","event":{…wire JSON…},
//!  "tree_size":27,"path":["…hex…",…],"checkpoint":{…}}
//! ```
//!
//! Checking verifies the checkpoint's signature with the trusted key, decodes the stored entry,
//! recomputes its chain hash from its content (so the event, its sender and `recorded_at` are
//! bound to the leaf), checks that `event` is exactly the entry's event, and walks the audit
//! path to the checkpoint's Merkle root. Every byte of the file is covered: any change fails.

use serde::{Deserialize, Serialize};
use tutorwatch_events::{encode_json, LogRecord};
use tutorwatch_log::{record_hash, EventLog, LogError};

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::hex;
use crate::merkle::{self, Hash};

/// The proof format this code writes and reads.
pub const PROOF_FORMAT: u8 = 1;

/// How many entries a proof's tree is built from per read.
const READ_CHUNK: usize = 10_000;

/// An entry, its audit path and the checkpoint whose Merkle root it leads to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    pub format: u8,
    /// The entry's sequence (leaf `seq - 1`).
    pub seq: u64,
    /// The stored entry, `LogRecord::encode`d, as hex.
    pub record: String,
    /// The entry's event in the JSON wire format, for people (checked against `record`).
    pub event: serde_json::Value,
    /// How many entries the tree holds: the checkpoint's sequence.
    pub tree_size: u64,
    /// The audit path, nearest sibling first, as hex.
    pub path: Vec<String>,
    pub checkpoint: Checkpoint,
}

/// What a good proof proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proven {
    pub seq: u64,
    pub record: LogRecord,
    pub checkpoint: Checkpoint,
}

/// Why a proof could not be made or does not hold.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    #[error("the proof is not a proof file: {0}")]
    Malformed(String),
    #[error("format {0} is not one this version reads ({PROOF_FORMAT})")]
    Format(u8),
    #[error("the checkpoint is not good: {0}")]
    Checkpoint(#[source] CheckpointError),
    #[error("the checkpoint covers entries 1 to {checkpoint}, but the proof says its tree holds {tree_size}")]
    TreeSize { tree_size: u64, checkpoint: u64 },
    #[error("entry {seq} is not among the {tree_size} entries the checkpoint covers")]
    OutOfRange { seq: u64, tree_size: u64 },
    #[error("the stored entry does not decode: {0}")]
    Record(String),
    #[error("the stored entry says it is entry {stored}, not {seq}")]
    Seq { seq: u64, stored: u64 },
    #[error("the stored entry's hash does not match its content")]
    Hash,
    #[error("the event shown is not the stored entry's event")]
    Event,
    #[error("the audit path does not lead from the entry to the checkpoint's Merkle root")]
    Path,
    #[error("there is no entry {seq}: the log ends at entry {last}")]
    NoEntry { seq: u64, last: u64 },
    #[error("the log does not match the checkpoint of entry {seq} (its {what} differs): run `tutorwatch log verify --checkpoints`")]
    Diverges { seq: u64, what: &'static str },
    #[error(transparent)]
    Store(#[from] LogError),
}

/// The leaf of an entry: its chain hash, as a Merkle leaf.
pub fn leaf_of(record: &LogRecord) -> Hash {
    merkle::leaf_hash(&record.hash)
}

/// The leaves of entries `1..=size` of `log`.
pub fn leaves(log: &EventLog, size: u64) -> Result<Vec<Hash>, LogError> {
    let mut leaves = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    let mut next = 1;
    while next <= size {
        let want = usize::try_from(size - next + 1)
            .unwrap_or(usize::MAX)
            .min(READ_CHUNK);
        let records = log.read_from(next, want)?;
        if records.is_empty() {
            break;
        }
        for record in records {
            leaves.push(leaf_of(&record));
            next = record.seq + 1;
        }
    }
    Ok(leaves)
}

/// Builds the proof of entry `seq` under `checkpoint`, checking that the log matches it.
pub fn build_proof(
    log: &EventLog,
    seq: u64,
    checkpoint: &Checkpoint,
) -> Result<InclusionProof, ProofError> {
    let size = checkpoint.seq;
    if seq == 0 || seq > size {
        return Err(ProofError::OutOfRange {
            seq,
            tree_size: size,
        });
    }
    let last = log.last_seq();
    if size > last {
        return Err(ProofError::NoEntry { seq: size, last });
    }
    let leaves = leaves(log, size)?;
    if leaves.len() as u64 != size {
        return Err(ProofError::NoEntry { seq: size, last });
    }
    if hex::encode(&merkle::root(&leaves)) != checkpoint.merkle_root {
        return Err(ProofError::Diverges {
            seq: size,
            what: "Merkle root",
        });
    }
    let record = log.record_at(seq)?;
    let envelope = record
        .envelope()
        .map_err(|e| ProofError::Record(e.to_string()))?;
    let event = encode_json(&envelope).map_err(|e| ProofError::Record(e.to_string()))?;
    let event = serde_json::from_slice(&event).map_err(|e| ProofError::Record(e.to_string()))?;
    let index = usize::try_from(seq - 1).map_err(|_| ProofError::OutOfRange {
        seq,
        tree_size: size,
    })?;
    Ok(InclusionProof {
        format: PROOF_FORMAT,
        seq,
        record: hex::encode(&record.encode()),
        event,
        tree_size: size,
        path: merkle::audit_path(index, &leaves)
            .iter()
            .map(|h| hex::encode(h))
            .collect(),
        checkpoint: checkpoint.clone(),
    })
}

impl InclusionProof {
    /// The proof as one line of JSON and a newline.
    pub fn to_json_line(&self) -> String {
        let mut line =
            serde_json::to_string(self).expect("a proof is plain data and always serialises");
        line.push('\n');
        line
    }
}

/// Checks a proof file's bytes, trusting only `key`.
pub fn verify_proof(bytes: &[u8], key: &ed25519_dalek::VerifyingKey) -> Result<Proven, ProofError> {
    let proof: InclusionProof =
        serde_json::from_slice(bytes).map_err(|e| ProofError::Malformed(e.to_string()))?;
    if proof.format != PROOF_FORMAT {
        return Err(ProofError::Format(proof.format));
    }
    // One proof has one spelling (as `log prove` writes it), so a changed byte never passes as
    // another spelling of the same values (a lower-case `t` in a time, a reordered key).
    let canonical = proof.to_json_line();
    if bytes != canonical.as_bytes() && bytes != canonical.trim_end().as_bytes() {
        return Err(ProofError::Malformed(
            "it is not in the form `tutorwatch log prove` writes (was it edited?)".into(),
        ));
    }
    let checkpoint = &proof.checkpoint;
    checkpoint.verify(key).map_err(ProofError::Checkpoint)?;
    if proof.tree_size != checkpoint.seq {
        return Err(ProofError::TreeSize {
            tree_size: proof.tree_size,
            checkpoint: checkpoint.seq,
        });
    }
    if proof.seq == 0 || proof.seq > proof.tree_size {
        return Err(ProofError::OutOfRange {
            seq: proof.seq,
            tree_size: proof.tree_size,
        });
    }
    let bytes = hex::decode_vec(&proof.record)
        .ok_or_else(|| ProofError::Record("the record is not lower-case hex".into()))?;
    let record = LogRecord::decode(&bytes).map_err(|e| ProofError::Record(e.to_string()))?;
    if record.encode() != bytes {
        return Err(ProofError::Record(
            "the record is not in its canonical form".into(),
        ));
    }
    if record.seq != proof.seq {
        return Err(ProofError::Seq {
            seq: proof.seq,
            stored: record.seq,
        });
    }
    if record_hash(&record.prev_hash, &record) != record.hash {
        return Err(ProofError::Hash);
    }
    let envelope = record
        .envelope()
        .map_err(|e| ProofError::Record(e.to_string()))?;
    let event = encode_json(&envelope).map_err(|e| ProofError::Record(e.to_string()))?;
    let event: serde_json::Value =
        serde_json::from_slice(&event).map_err(|e| ProofError::Record(e.to_string()))?;
    if event != proof.event {
        return Err(ProofError::Event);
    }
    let path = proof
        .path
        .iter()
        .map(|h| hex::decode::<32>(h).ok_or(ProofError::Path))
        .collect::<Result<Vec<Hash>, _>>()?;
    let root = hex::decode::<32>(&checkpoint.merkle_root).ok_or(ProofError::Path)?;
    if !merkle::verify_inclusion(
        &leaf_of(&record),
        proof.seq - 1,
        proof.tree_size,
        &path,
        &root,
    ) {
        return Err(ProofError::Path);
    }
    Ok(Proven {
        seq: proof.seq,
        record,
        checkpoint: proof.checkpoint,
    })
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;
    use tutorwatch_events::examples::{stream, SAMPLE_CREDIT_CODE};
    use tutorwatch_events::{encode, CreditCode, UtcTime};

    use super::*;

    fn checkpointed_log(
        dir: &std::path::Path,
        n: usize,
        key: &SigningKey,
    ) -> (EventLog, Checkpoint) {
        let log = EventLog::open(dir).expect("opens");
        let code = CreditCode::parse(SAMPLE_CREDIT_CODE).expect("a code");
        let batch: Vec<_> = stream(n, |_| code.clone())
            .iter()
            .map(|e| (e.event_id, encode(e)))
            .collect();
        log.append(&batch, UtcTime::now()).expect("appends");
        let seq = log.last_seq();
        let mut frontier = merkle::Frontier::default();
        for record in log.read_from(1, n).expect("reads") {
            frontier.push(leaf_of(&record));
        }
        let head = log.record_at(seq).expect("the head").hash;
        let checkpoint = Checkpoint::sign(key, seq, &head, &frontier.root(), UtcTime::now(), "p1");
        (log, checkpoint)
    }

    #[test]
    fn a_proof_verifies_for_every_entry() {
        let key = SigningKey::from_bytes(&[4; 32]);
        let dir = tempfile::tempdir().expect("tempdir");
        let (log, checkpoint) = checkpointed_log(dir.path(), 13, &key);
        for seq in 1..=13 {
            let proof = build_proof(&log, seq, &checkpoint).expect("builds");
            let proven = verify_proof(proof.to_json_line().as_bytes(), &key.verifying_key())
                .expect("verifies");
            assert_eq!(proven.seq, seq);
            assert_eq!(proven.record, log.record_at(seq).expect("an entry"));
        }
        assert!(matches!(
            build_proof(&log, 14, &checkpoint),
            Err(ProofError::OutOfRange { .. })
        ));
        let other = SigningKey::from_bytes(&[5; 32]);
        let proof = build_proof(&log, 3, &checkpoint).expect("builds");
        assert!(matches!(
            verify_proof(proof.to_json_line().as_bytes(), &other.verifying_key()),
            Err(ProofError::Checkpoint(_))
        ));
    }

    #[test]
    fn changing_any_byte_of_a_proof_fails_it() {
        let key = SigningKey::from_bytes(&[4; 32]);
        let dir = tempfile::tempdir().expect("tempdir");
        let (log, checkpoint) = checkpointed_log(dir.path(), 11, &key);
        let public = key.verifying_key();
        for seq in [1, 6, 11] {
            let bytes = build_proof(&log, seq, &checkpoint)
                .expect("builds")
                .to_json_line()
                .into_bytes();
            assert!(verify_proof(&bytes, &public).is_ok());
            for i in 0..bytes.len() {
                for flip in [0x01, 0x20] {
                    let mut changed = bytes.clone();
                    changed[i] ^= flip;
                    assert!(
                        verify_proof(&changed, &public).is_err(),
                        "entry {seq}: byte {i} ({:?}) ^ {flip:#04x} still verifies",
                        char::from(bytes[i])
                    );
                }
            }
        }
    }

    #[test]
    fn a_proof_from_a_log_that_diverges_from_the_checkpoint_is_refused() {
        let key = SigningKey::from_bytes(&[4; 32]);
        let dir = tempfile::tempdir().expect("tempdir");
        let (log, mut checkpoint) = checkpointed_log(dir.path(), 5, &key);
        checkpoint.merkle_root = hex::encode(&[0; 32]);
        assert!(matches!(
            build_proof(&log, 2, &checkpoint),
            Err(ProofError::Diverges { .. })
        ));
    }
}
