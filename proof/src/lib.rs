//! Proof of Tutorwatch's log that holds beyond the machine it runs on.
//!
//! The hash chain (`tutorwatch-log`'s `chain`) shows that the entries on disk agree with each
//! other, but whoever can write the data directory can rewrite history and recompute every hash,
//! or put back an older copy. A **checkpoint** fixes the log's head, `(seq, head hash, Merkle
//! root, time, policy version)`, under an Ed25519 signature made with a key kept outside the data directory,
//! and is copied off the box (a JetStream stream, a file). A log is then checked against every
//! checkpoint it is given: shorter than one is a rollback, a different hash at its sequence is a
//! rewrite.
//!
//! # Layout
//! - `key`: the signing key file (`tutorwatch checkpoint keygen`) and public keys as hex.
//! - `checkpoint`: the signed statement, its canonical bytes, signing and checking a signature.
//! - `check`: a log against a list of checkpoints.
//! - `merkle`: an RFC 6962 Merkle tree over the entries (with BLAKE3); checkpoints carry its
//!   root, so one entry can be proven to be in a checkpointed log without the rest of it.
//! - `proof`: inclusion proofs (an entry, its audit path, the checkpoint), made and checked.
//! - `evidence`: evidence bundles: a finding, its evidence entries with their inclusion proofs
//!   and the checkpoint, checked offline.
//! - `list`: signed snapshots of the public black and white lists.
//! - `hex`: lower-case hex for hashes, keys and signatures.
//!
//! Checkpoints are wire data defined here, beside the code that signs them, not in `events`:
//! they are about the log, never in it (the same deliberate exception as findings).

mod check;
mod checkpoint;
mod evidence;
pub mod hex;
mod key;
mod list;
pub mod merkle;
mod proof;

pub use check::{
    check_log, latest_checkpoint_problem, read_checkpoints, CheckFailure, CheckReport,
    CheckpointLine, ReadError,
};
pub use checkpoint::{Checkpoint, CheckpointError, CHECKPOINT_FORMAT};
pub use evidence::{
    build_bundle, verify_bundle, BundleError, EvidenceBundle, EvidenceEntry, ProvenBundle,
    BUNDLE_FORMAT,
};
pub use key::{generate_key_file, load_signing_key, parse_public_key, KeyError};
pub use list::{verify_list, ListError, SignedList, LIST_FORMAT};
pub use proof::{
    build_proof, leaf_of, leaves, verify_proof, InclusionProof, ProofError, Proven, PROOF_FORMAT,
};

/// The Ed25519 types, re-exported so callers need not depend on the crate.
pub use ed25519_dalek::{SigningKey, VerifyingKey};
