//! Signed list snapshots (`GET /v1/lists/{black,white}/snapshot`, `tutorwatch snapshot verify`):
//! a whole public list as the projections held it after applying log entry `applied_seq`, the
//! latest checkpoint at or before that entry, and a detached Ed25519 signature (the checkpoint
//! key) over the snapshot's canonical bytes.
//!
//! ```json
//! {"format":1,"list":"black","applied_seq":42,"institutions":[…],"checkpoint":{…}|null,
//!  "time":"…","public_key":"…64 hex…","signature":"…128 hex…"}
//! ```
//!
//! The signature covers [`SignedList::signed_bytes`]: a domain tag, then the snapshot's one JSON
//! line with an empty signature. A published snapshot is never edited: a correction is a new
//! snapshot at a later `applied_seq`. The checkpoint ties the snapshot to the log: the list was
//! derived from a log whose first `checkpoint.seq` entries that checkpoint signed.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use tutorwatch_events::UtcTime;

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::hex;

/// The snapshot format this code writes and reads.
pub const LIST_FORMAT: u8 = 1;

const DOMAIN: &[u8] = b"tutorwatch-list-snapshot-v1";

/// A whole public list, signed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedList {
    pub format: u8,
    /// `black` or `white`.
    pub list: String,
    /// The last log entry the list reflects.
    pub applied_seq: u64,
    /// The list's entries, in credit-code order (the public view of each).
    pub institutions: serde_json::Value,
    /// The latest checkpoint at or before `applied_seq` (`null` before the first one).
    pub checkpoint: Option<Checkpoint>,
    /// When the snapshot was signed.
    pub time: UtcTime,
    /// The signer's public key, as hex (informational: only the verifier's key is trusted).
    pub public_key: String,
    /// The Ed25519 signature over [`SignedList::signed_bytes`], as hex.
    pub signature: String,
}

/// Why a snapshot does not hold.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("the file is not a list snapshot: {0}")]
    Malformed(String),
    #[error("format {0} is not one this version reads ({LIST_FORMAT})")]
    Format(u8),
    #[error("it was signed by key {0}, not by the key given")]
    OtherKey(String),
    #[error("its signature does not verify with the key given")]
    Signature,
    #[error("its checkpoint is not good")]
    Checkpoint(#[source] CheckpointError),
    #[error(
        "its checkpoint (entry {checkpoint}) is after the entry the list reflects ({applied_seq})"
    )]
    CheckpointAfter { checkpoint: u64, applied_seq: u64 },
}

impl SignedList {
    /// Signs `institutions` (the list `list` after entry `applied_seq`) with `key`.
    pub fn sign(
        key: &SigningKey,
        list: &str,
        applied_seq: u64,
        institutions: serde_json::Value,
        checkpoint: Option<Checkpoint>,
        time: UtcTime,
    ) -> Self {
        let mut snapshot = Self {
            format: LIST_FORMAT,
            list: list.to_owned(),
            applied_seq,
            institutions,
            checkpoint,
            time,
            public_key: hex::encode(key.verifying_key().as_bytes()),
            signature: String::new(),
        };
        snapshot.signature = hex::encode(&key.sign(&snapshot.signed_bytes()).to_bytes());
        snapshot
    }

    /// The bytes the signature covers.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let unsigned = Self {
            signature: String::new(),
            ..self.clone()
        };
        let mut bytes = DOMAIN.to_vec();
        bytes.extend_from_slice(unsigned.to_json_line().as_bytes());
        bytes
    }

    /// The snapshot as one line of JSON and a newline: its one canonical form.
    pub fn to_json_line(&self) -> String {
        let mut line =
            serde_json::to_string(self).expect("a snapshot is plain data and always serialises");
        line.push('\n');
        line
    }
}

/// Checks a snapshot file's bytes, trusting only `key`.
pub fn verify_list(bytes: &[u8], key: &VerifyingKey) -> Result<SignedList, ListError> {
    let snapshot: SignedList =
        serde_json::from_slice(bytes).map_err(|e| ListError::Malformed(e.to_string()))?;
    if snapshot.format != LIST_FORMAT {
        return Err(ListError::Format(snapshot.format));
    }
    let canonical = snapshot.to_json_line();
    if bytes != canonical.as_bytes() && bytes != canonical.trim_end().as_bytes() {
        return Err(ListError::Malformed(
            "it is not in the form Tutorwatch writes (was it edited?)".into(),
        ));
    }
    if snapshot.public_key != hex::encode(key.as_bytes()) {
        return Err(ListError::OtherKey(snapshot.public_key.clone()));
    }
    let signature = hex::decode::<64>(&snapshot.signature).ok_or(ListError::Signature)?;
    key.verify_strict(&snapshot.signed_bytes(), &Signature::from_bytes(&signature))
        .map_err(|_| ListError::Signature)?;
    if let Some(checkpoint) = &snapshot.checkpoint {
        checkpoint.verify(key).map_err(ListError::Checkpoint)?;
        if checkpoint.seq > snapshot.applied_seq {
            return Err(ListError::CheckpointAfter {
                checkpoint: checkpoint.seq,
                applied_seq: snapshot.applied_seq,
            });
        }
    }
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_snapshot_verifies_and_changing_any_byte_fails_it() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let time = UtcTime::parse("2026-11-30T02:00:00Z").expect("a time");
        let checkpoint = Checkpoint::sign(&key, 40, &[9; 32], &[5; 32], time, "national-1");
        let snapshot = SignedList::sign(
            &key,
            "black",
            42,
            json!([{"name": "某某培训学校", "credit_code": "52440200MJL123454R",
                    "reasons": [{"kind": "serious_fund_finding", "findings": ["f1"]}]}]),
            Some(checkpoint),
            time,
        );
        let bytes = snapshot.to_json_line().into_bytes();
        let public = key.verifying_key();
        assert_eq!(verify_list(&bytes, &public).expect("verifies"), snapshot);
        assert!(matches!(
            verify_list(&bytes, &SigningKey::from_bytes(&[8; 32]).verifying_key()),
            Err(ListError::OtherKey(_))
        ));
        for i in 0..bytes.len() {
            for flip in [0x01, 0x20] {
                let mut changed = bytes.clone();
                changed[i] ^= flip;
                assert!(
                    verify_list(&changed, &public).is_err(),
                    "byte {i} ({:?}) ^ {flip:#04x} still verifies",
                    char::from(bytes[i])
                );
            }
        }
        // A checkpoint after the list's entry is refused even when signed.
        let later = Checkpoint::sign(&key, 43, &[9; 32], &[5; 32], time, "national-1");
        let snapshot = SignedList::sign(&key, "white", 42, json!([]), Some(later), time);
        assert!(matches!(
            verify_list(snapshot.to_json_line().as_bytes(), &public),
            Err(ListError::CheckpointAfter { .. })
        ));
    }
}
