//! Evidence bundles (`GET /v1/findings/{id}/evidence`, `tutorwatch evidence export`,
//! `tutorwatch evidence verify`): one self-contained JSON file that lets an institution, a court
//! or its expert check a finding's evidence offline, with nothing but the checkpoint signer's
//! public key.
//!
//! ```json
//! {"format":1,"finding":{…the finding as stored…},"rule":"ONLINE_END_BY_2100","figures":[…],
//!  "evidence":[{"seq":4,"record_format":2,"recorded_at":"…","prev_hash":"…","hash":"…",
//!    "sender":{…},"event_bytes":"…hex of the canonical postcard envelope…","event":{…JSON…},
//!    "path":["…hex…",…]}],
//!  "checkpoint":{…},"signature":"…128 hex…"}
//! ```
//!
//! The bundle is signed as a whole with the checkpoint key (`signature`): the events are proven
//! by the log, but the finding's own fields (its id, description, status) are the service's
//! statement, and the signature is what vouches for them.
//!
//! Checking ([`verify_bundle`]) trusts only the given key: the checkpoint's signature and the
//! bundle's; for each
//! evidence entry, its chain hash recomputed from its fields and event bytes, its audit path to
//! the checkpoint's Merkle root, and that the decoded `event` is what the bytes say; that the
//! entries are exactly the evidence the finding names (event ids and sequences, in order); that
//! `rule` and `figures` are the finding's own. The file must be in the one form the service
//! writes, so a changed byte never passes as another spelling of the same values.

use serde::{Deserialize, Serialize};
use tutorwatch_events::record::{RecordFormat, HASH_BYTES};
use tutorwatch_events::{encode_json, Envelope, LogRecord, Sender, UtcTime};
use tutorwatch_log::{record_hash, EventLog, LogError};

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::hex;
use crate::merkle::{self, Hash};
use crate::proof::leaves;

/// The bundle format this code writes and reads.
pub const BUNDLE_FORMAT: u8 = 1;

/// A finding, its evidence entries with their inclusion proofs, and the checkpoint they rest on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceBundle {
    pub format: u8,
    /// The finding as stored (its JSON form).
    pub finding: serde_json::Value,
    /// The rule the finding is under (the finding's `rule`).
    pub rule: serde_json::Value,
    /// The figures in force, as the finding carries them (the finding's `figures`).
    pub figures: serde_json::Value,
    /// The evidence entries, in log order.
    pub evidence: Vec<EvidenceEntry>,
    /// The signed checkpoint every proof leads to.
    pub checkpoint: Checkpoint,
    /// The service's Ed25519 signature (the checkpoint key) over the bundle with this field
    /// empty, as hex: it vouches for the finding's own fields, which no log entry holds.
    pub signature: String,
}

const DOMAIN: &[u8] = b"tutorwatch-evidence-v1";

/// One evidence event with its log record's fields and its audit path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceEntry {
    pub seq: u64,
    /// The record layout (1: no sender; 2: the sender is covered by the hash).
    pub record_format: u8,
    pub recorded_at: UtcTime,
    /// The previous entry's chain hash, as hex.
    pub prev_hash: String,
    /// This entry's chain hash, as hex.
    pub hash: String,
    pub sender: Option<Sender>,
    /// The canonical postcard encoding of the envelope, as hex: what the hash covers.
    pub event_bytes: String,
    /// The same event in the JSON wire format, for people (checked against `event_bytes`).
    pub event: serde_json::Value,
    /// The Merkle audit path from this entry to the checkpoint's root, nearest sibling first.
    pub path: Vec<String>,
}

/// What a good bundle proves.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvenBundle {
    pub finding: serde_json::Value,
    /// `(seq, envelope)` of each evidence event.
    pub events: Vec<(u64, Envelope)>,
    pub checkpoint: Checkpoint,
}

/// Why a bundle could not be made or does not hold.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("the file is not an evidence bundle: {0}")]
    Malformed(String),
    #[error("format {0} is not one this version reads ({BUNDLE_FORMAT})")]
    Format(u8),
    #[error("the checkpoint is not good")]
    Checkpoint(#[source] CheckpointError),
    #[error("the bundle's signature does not verify with the key given")]
    Signature,
    #[error("the finding names no evidence")]
    NoEvidence,
    #[error("evidence entry {seq} is not covered by the checkpoint (entries 1 to {tree_size}): not yet checkpointed, retry after the next checkpoint")]
    NotCheckpointed { seq: u64, tree_size: u64 },
    #[error("evidence entry {seq}: {reason}")]
    Entry { seq: u64, reason: String },
    #[error("the finding does not match its evidence or its own rule and figures: {0}")]
    Finding(String),
    #[error("the log does not match the checkpoint of entry {0} (its Merkle root differs): run `tutorwatch log verify --checkpoints`")]
    Diverges(u64),
    #[error("the log has no entry {0}")]
    NoEntry(u64),
    #[error(transparent)]
    Store(#[from] LogError),
}

fn format_byte(format: RecordFormat) -> u8 {
    match format {
        RecordFormat::V1 => 1,
        RecordFormat::V2 => 2,
    }
}

fn event_json(envelope: &Envelope) -> Result<serde_json::Value, String> {
    let bytes = encode_json(envelope).map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

/// The `(event_id, seq)` pairs a finding's JSON names as evidence.
fn named_evidence(finding: &serde_json::Value) -> Result<Vec<(String, u64)>, BundleError> {
    let list = finding["evidence"]
        .as_array()
        .ok_or_else(|| BundleError::Finding("it has no evidence list".into()))?;
    list.iter()
        .map(|e| {
            let id = e["event_id"].as_str().map(str::to_owned);
            let seq = e["seq"].as_u64();
            id.zip(seq).ok_or_else(|| {
                BundleError::Finding("an evidence item lacks event_id or seq".into())
            })
        })
        .collect()
}

/// Builds the bundle of `finding` (its stored JSON form) under `checkpoint`, which must cover
/// every evidence entry and match the log.
/// `key` signs the bundle (it should be the key that signed `checkpoint`).
pub fn build_bundle(
    log: &EventLog,
    finding: serde_json::Value,
    checkpoint: &Checkpoint,
    key: &ed25519_dalek::SigningKey,
) -> Result<EvidenceBundle, BundleError> {
    let named = named_evidence(&finding)?;
    if named.is_empty() {
        return Err(BundleError::NoEvidence);
    }
    let size = checkpoint.seq;
    if let Some((_, seq)) = named.iter().find(|(_, seq)| *seq > size || *seq == 0) {
        return Err(BundleError::NotCheckpointed {
            seq: *seq,
            tree_size: size,
        });
    }
    let leaves = leaves(log, size)?;
    if leaves.len() as u64 != size {
        return Err(BundleError::NoEntry(size));
    }
    if hex::encode(&merkle::root(&leaves)) != checkpoint.merkle_root {
        return Err(BundleError::Diverges(size));
    }
    let mut evidence = Vec::with_capacity(named.len());
    for (_, seq) in &named {
        let record = log.record_at(*seq)?;
        let entry = |reason: String| BundleError::Entry { seq: *seq, reason };
        let envelope = record.envelope().map_err(|e| entry(e.to_string()))?;
        let index = usize::try_from(seq - 1).map_err(|e| entry(e.to_string()))?;
        evidence.push(EvidenceEntry {
            seq: *seq,
            record_format: format_byte(record.format),
            recorded_at: record.recorded_at,
            prev_hash: hex::encode(&record.prev_hash),
            hash: hex::encode(&record.hash),
            sender: record.sender.clone(),
            event_bytes: hex::encode(&record.event),
            event: event_json(&envelope).map_err(entry)?,
            path: merkle::audit_path(index, &leaves)
                .iter()
                .map(|h| hex::encode(h))
                .collect(),
        });
    }
    let mut bundle = EvidenceBundle {
        format: BUNDLE_FORMAT,
        rule: finding["rule"].clone(),
        figures: finding["figures"].clone(),
        finding,
        evidence,
        checkpoint: checkpoint.clone(),
        signature: String::new(),
    };
    let signature = ed25519_dalek::Signer::sign(key, &bundle.signed_bytes());
    bundle.signature = hex::encode(&signature.to_bytes());
    Ok(bundle)
}

impl EvidenceBundle {
    /// The bytes the bundle's signature covers: a domain tag, then the bundle's JSON with an
    /// empty signature.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let unsigned = Self {
            signature: String::new(),
            ..self.clone()
        };
        let mut bytes = DOMAIN.to_vec();
        bytes.extend_from_slice(unsigned.to_json_line().as_bytes());
        bytes
    }

    /// The bundle as one line of JSON and a newline: its one canonical form.
    pub fn to_json_line(&self) -> String {
        let mut line =
            serde_json::to_string(self).expect("a bundle is plain data and always serialises");
        line.push('\n');
        line
    }
}

fn check_entry(
    entry: &EvidenceEntry,
    tree_size: u64,
    root: &Hash,
) -> Result<Envelope, BundleError> {
    let seq = entry.seq;
    let fail = |reason: &str| BundleError::Entry {
        seq,
        reason: reason.to_owned(),
    };
    if seq == 0 || seq > tree_size {
        return Err(BundleError::NotCheckpointed { seq, tree_size });
    }
    let format = match entry.record_format {
        1 => RecordFormat::V1,
        2 => RecordFormat::V2,
        _ => return Err(fail("its record format is neither 1 nor 2")),
    };
    if format == RecordFormat::V1 && entry.sender.is_some() {
        return Err(fail("a format-1 record has no sender"));
    }
    let prev_hash = hex::decode::<HASH_BYTES>(&entry.prev_hash)
        .ok_or_else(|| fail("its prev_hash is not 64 lower-case hex digits"))?;
    let hash = hex::decode::<HASH_BYTES>(&entry.hash)
        .ok_or_else(|| fail("its hash is not 64 lower-case hex digits"))?;
    let event = hex::decode_vec(&entry.event_bytes)
        .ok_or_else(|| fail("its event bytes are not lower-case hex"))?;
    let record = LogRecord {
        format,
        seq,
        recorded_at: entry.recorded_at,
        prev_hash,
        hash,
        sender: entry.sender.clone(),
        event,
    };
    if record_hash(&record.prev_hash, &record) != record.hash {
        return Err(fail(
            "its chain hash does not match its fields and event bytes",
        ));
    }
    let envelope = record
        .envelope()
        .map_err(|e| fail(&format!("its event bytes do not decode: {e}")))?;
    if event_json(&envelope).map_err(|e| fail(&e))? != entry.event {
        return Err(fail("the event shown is not the event its bytes hold"));
    }
    let path = entry
        .path
        .iter()
        .map(|h| hex::decode::<32>(h))
        .collect::<Option<Vec<Hash>>>()
        .ok_or_else(|| fail("its audit path is not hex"))?;
    if !merkle::verify_inclusion(
        &merkle::leaf_hash(&record.hash),
        seq - 1,
        tree_size,
        &path,
        root,
    ) {
        return Err(fail(
            "its audit path does not lead to the checkpoint's Merkle root",
        ));
    }
    Ok(envelope)
}

/// Checks a bundle file's bytes, trusting only `key`.
pub fn verify_bundle(
    bytes: &[u8],
    key: &ed25519_dalek::VerifyingKey,
) -> Result<ProvenBundle, BundleError> {
    let bundle: EvidenceBundle =
        serde_json::from_slice(bytes).map_err(|e| BundleError::Malformed(e.to_string()))?;
    if bundle.format != BUNDLE_FORMAT {
        return Err(BundleError::Format(bundle.format));
    }
    let canonical = bundle.to_json_line();
    if bytes != canonical.as_bytes() && bytes != canonical.trim_end().as_bytes() {
        return Err(BundleError::Malformed(
            "it is not in the form Tutorwatch writes (was it edited?)".into(),
        ));
    }
    let checkpoint = &bundle.checkpoint;
    checkpoint.verify(key).map_err(BundleError::Checkpoint)?;
    let signature = hex::decode::<64>(&bundle.signature).ok_or(BundleError::Signature)?;
    key.verify_strict(
        &bundle.signed_bytes(),
        &ed25519_dalek::Signature::from_bytes(&signature),
    )
    .map_err(|_| BundleError::Signature)?;
    let root = checkpoint.merkle_root().map_err(BundleError::Checkpoint)?;
    if bundle.rule != bundle.finding["rule"] {
        return Err(BundleError::Finding(
            "the rule shown is not the finding's".into(),
        ));
    }
    if bundle.figures != bundle.finding["figures"] {
        return Err(BundleError::Finding(
            "the figures shown are not the finding's".into(),
        ));
    }
    let named = named_evidence(&bundle.finding)?;
    if named.is_empty() {
        return Err(BundleError::NoEvidence);
    }
    if named.len() != bundle.evidence.len() {
        return Err(BundleError::Finding(format!(
            "the finding names {} evidence events, the bundle holds {}",
            named.len(),
            bundle.evidence.len()
        )));
    }
    let mut events = Vec::with_capacity(named.len());
    for ((id, seq), entry) in named.iter().zip(&bundle.evidence) {
        let envelope = check_entry(entry, checkpoint.seq, &root)?;
        if *seq != entry.seq || envelope.event_id.to_string() != *id {
            return Err(BundleError::Finding(format!(
                "the finding names event {id} at entry {seq}, the bundle holds event {} at entry {}",
                envelope.event_id, entry.seq
            )));
        }
        events.push((entry.seq, envelope));
    }
    Ok(ProvenBundle {
        finding: bundle.finding,
        events,
        checkpoint: bundle.checkpoint,
    })
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;
    use serde_json::json;
    use tutorwatch_events::examples::{stream, SAMPLE_CREDIT_CODE};
    use tutorwatch_events::{encode, CreditCode};

    use super::*;
    use crate::leaf_of;

    #[test]
    fn a_bundle_verifies_and_changing_any_byte_fails_it() {
        let key = SigningKey::from_bytes(&[4; 32]);
        let dir = tempfile::tempdir().expect("tempdir");
        let log = EventLog::open(dir.path()).expect("opens");
        let code = CreditCode::parse(SAMPLE_CREDIT_CODE).expect("a code");
        let batch: Vec<_> = stream(9, |_| code.clone())
            .iter()
            .map(|e| (e.event_id, encode(e)))
            .collect();
        log.append(&batch, UtcTime::now()).expect("appends");
        let mut frontier = merkle::Frontier::default();
        for record in log.read_from(1, 9).expect("reads") {
            frontier.push(leaf_of(&record));
        }
        let head = log.record_at(9).expect("the head").hash;
        let checkpoint = Checkpoint::sign(&key, 9, &head, &frontier.root(), UtcTime::now(), "p1");
        let id = |seq| {
            log.record_at(seq)
                .expect("an entry")
                .envelope()
                .expect("decodes")
                .event_id
                .to_string()
        };
        let finding = json!({
            "id": "f1", "rule": "ONLINE_END_BY_2100",
            "figures": [{"name": "limit", "value": {"local_time": "21:00:00"}}],
            "evidence": [{"event_id": id(3), "seq": 3}, {"event_id": id(7), "seq": 7}],
        });
        let bytes = build_bundle(&log, finding.clone(), &checkpoint, &key)
            .expect("builds")
            .to_json_line()
            .into_bytes();
        let public = key.verifying_key();
        let proven = verify_bundle(&bytes, &public).expect("verifies");
        assert_eq!(
            proven.events.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
            [3, 7]
        );
        assert!(matches!(
            verify_bundle(&bytes, &SigningKey::from_bytes(&[5; 32]).verifying_key()),
            Err(BundleError::Checkpoint(_))
        ));
        for i in 0..bytes.len() {
            for flip in [0x01, 0x20] {
                let mut changed = bytes.clone();
                changed[i] ^= flip;
                assert!(
                    verify_bundle(&changed, &public).is_err(),
                    "byte {i} ({:?}) ^ {flip:#04x} still verifies",
                    char::from(bytes[i])
                );
            }
        }
        // Evidence the checkpoint does not cover yet cannot be bundled.
        let mut later = finding;
        later["evidence"] = json!([{"event_id": id(3), "seq": 3}, {"event_id": "x", "seq": 10}]);
        assert!(matches!(
            build_bundle(&log, later, &checkpoint, &key),
            Err(BundleError::NotCheckpointed { seq: 10, .. })
        ));
    }
}
