//! A checkpoint: the log's head `(seq, head hash)` and the Merkle root of entries `1..=seq`
//! (`merkle`), at a time, under a policy version, signed with Ed25519. It is one JSON object
//! (one line of the checkpoints file, one message on `tw.checkpoints`):
//!
//! ```json
//! {"format":1,"seq":27,"head_hash":"…64 hex…","merkle_root":"…64 hex…",
//!  "time":"2026-11-30T02:00:00Z","policy_version":"national-2025.1",
//!  "public_key":"…64 hex…","signature":"…128 hex…"}
//! ```
//!
//! The signature covers [`Checkpoint::signed_bytes`]: a domain tag, then the sequence (u64
//! big-endian), the head hash (32 bytes), the Merkle root (32 bytes), the time (i128
//! nanoseconds since the Unix epoch, big-endian) and the policy version (u64 big-endian length,
//! then UTF-8). Every field has a fixed width or a length prefix, so no two checkpoints share
//! signed bytes.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use tutorwatch_events::record::HASH_BYTES;
use tutorwatch_events::UtcTime;

use crate::hex;

/// The checkpoint format this code writes and reads.
pub const CHECKPOINT_FORMAT: u8 = 1;

const DOMAIN: &[u8] = b"tutorwatch-checkpoint-v1";

/// A signed statement of the log's head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub format: u8,
    /// The last entry the checkpoint covers.
    pub seq: u64,
    /// That entry's chain hash, as hex.
    pub head_hash: String,
    /// The RFC 6962 Merkle root over entries `1..=seq` (`merkle`), as hex.
    pub merkle_root: String,
    /// When it was signed (RFC 3339, UTC).
    pub time: UtcTime,
    /// The policy version the service ran under.
    pub policy_version: String,
    /// The signer's Ed25519 public key, as hex (informational: it is checked against the key the
    /// verifier trusts, never trusted itself).
    pub public_key: String,
    /// The Ed25519 signature over [`Checkpoint::signed_bytes`], as hex.
    pub signature: String,
}

/// Why a checkpoint is not good.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("format {0} is not one this version reads ({CHECKPOINT_FORMAT})")]
    Format(u8),
    #[error("its head hash is not 64 hex digits")]
    HeadHash,
    #[error("its Merkle root is not 64 hex digits")]
    MerkleRoot,
    #[error("its signature is not 128 hex digits")]
    SignatureForm,
    #[error("it was signed by key {0}, not by the key given")]
    OtherKey(String),
    #[error("its signature does not verify with the key given")]
    Signature,
}

impl Checkpoint {
    /// Signs the head `(seq, head_hash)` and the Merkle root of entries `1..=seq` at `time`
    /// under `policy_version`.
    pub fn sign(
        key: &SigningKey,
        seq: u64,
        head_hash: &[u8; HASH_BYTES],
        merkle_root: &[u8; HASH_BYTES],
        time: UtcTime,
        policy_version: &str,
    ) -> Self {
        let bytes = signed_bytes(seq, head_hash, merkle_root, time, policy_version);
        let signature = key.sign(&bytes);
        Self {
            format: CHECKPOINT_FORMAT,
            seq,
            head_hash: hex::encode(head_hash),
            merkle_root: hex::encode(merkle_root),
            time,
            policy_version: policy_version.to_owned(),
            public_key: hex::encode(key.verifying_key().as_bytes()),
            signature: hex::encode(&signature.to_bytes()),
        }
    }

    /// The head hash, if it is well-formed.
    pub fn head_hash(&self) -> Result<[u8; HASH_BYTES], CheckpointError> {
        hex::decode::<HASH_BYTES>(&self.head_hash).ok_or(CheckpointError::HeadHash)
    }

    /// The Merkle root, if it is well-formed.
    pub fn merkle_root(&self) -> Result<[u8; HASH_BYTES], CheckpointError> {
        hex::decode::<HASH_BYTES>(&self.merkle_root).ok_or(CheckpointError::MerkleRoot)
    }

    /// The bytes the signature covers.
    pub fn signed_bytes(&self) -> Result<Vec<u8>, CheckpointError> {
        Ok(signed_bytes(
            self.seq,
            &self.head_hash()?,
            &self.merkle_root()?,
            self.time,
            &self.policy_version,
        ))
    }

    /// Checks the format, that the checkpoint names `key`, and that `key` signed exactly these
    /// fields (strict Ed25519 verification: no malleable or small-order signatures).
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), CheckpointError> {
        if self.format != CHECKPOINT_FORMAT {
            return Err(CheckpointError::Format(self.format));
        }
        if self.public_key != hex::encode(key.as_bytes()) {
            return Err(CheckpointError::OtherKey(self.public_key.clone()));
        }
        let bytes = self.signed_bytes()?;
        let signature = hex::decode::<64>(&self.signature).ok_or(CheckpointError::SignatureForm)?;
        let signature = Signature::from_bytes(&signature);
        key.verify_strict(&bytes, &signature)
            .map_err(|_| CheckpointError::Signature)
    }

    /// The checkpoint as one line of JSON (no newline).
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).expect("a checkpoint is plain data and always serialises")
    }
}

fn signed_bytes(
    seq: u64,
    head_hash: &[u8; HASH_BYTES],
    merkle_root: &[u8; HASH_BYTES],
    time: UtcTime,
    policy_version: &str,
) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(DOMAIN.len() + 8 + 2 * HASH_BYTES + 16 + 8 + 32);
    bytes.extend_from_slice(DOMAIN);
    bytes.extend_from_slice(&seq.to_be_bytes());
    bytes.extend_from_slice(head_hash);
    bytes.extend_from_slice(merkle_root);
    bytes.extend_from_slice(&time.as_nanos().to_be_bytes());
    bytes.extend_from_slice(&(policy_version.len() as u64).to_be_bytes());
    bytes.extend_from_slice(policy_version.as_bytes());
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SigningKey {
        SigningKey::from_bytes(&[byte; 32])
    }

    #[test]
    fn a_signed_checkpoint_verifies_and_any_change_fails() {
        let time = UtcTime::parse("2026-11-30T02:00:00Z").expect("a time");
        let checkpoint = Checkpoint::sign(&key(7), 27, &[9; 32], &[5; 32], time, "national-1");
        let public = key(7).verifying_key();
        assert_eq!(checkpoint.verify(&public), Ok(()));
        let line = checkpoint.to_json_line();
        let back: Checkpoint = serde_json::from_str(&line).expect("parses");
        assert_eq!(back, checkpoint);

        let mut other_seq = checkpoint.clone();
        other_seq.seq = 28;
        assert_eq!(other_seq.verify(&public), Err(CheckpointError::Signature));
        let mut other_hash = checkpoint.clone();
        other_hash.head_hash = hex::encode(&[8; 32]);
        assert_eq!(other_hash.verify(&public), Err(CheckpointError::Signature));
        let mut other_root = checkpoint.clone();
        other_root.merkle_root = hex::encode(&[6; 32]);
        assert_eq!(other_root.verify(&public), Err(CheckpointError::Signature));
        let mut other_time = checkpoint.clone();
        other_time.time = UtcTime::parse("2026-11-30T02:00:01Z").expect("a time");
        assert_eq!(other_time.verify(&public), Err(CheckpointError::Signature));
        let mut other_policy = checkpoint.clone();
        other_policy.policy_version = "national-2".into();
        assert_eq!(
            other_policy.verify(&public),
            Err(CheckpointError::Signature)
        );
        assert!(matches!(
            checkpoint.verify(&key(8).verifying_key()),
            Err(CheckpointError::OtherKey(_))
        ));
        // A forger who also swaps in their own public key is still refused: only the given key
        // counts.
        let mut forged = Checkpoint::sign(&key(8), 27, &[9; 32], &[5; 32], time, "national-1");
        forged.public_key = checkpoint.public_key.clone();
        assert_eq!(forged.verify(&public), Err(CheckpointError::Signature));
    }
}
