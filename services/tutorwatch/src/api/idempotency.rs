//! Event ids derived from an `Idempotency-Key`: a keyed BLAKE3 (a MAC) of the principal and the
//! key under the server's secret, so the same principal retrying with the same key gets the same
//! id, and nobody without the secret can compute another principal's id to take it first.
//!
//! The secret is 32 random bytes in `<data_dir>/idempotency.key` (created 0600 on first start), or
//! in the file `api.idempotency_secret_file` names. Losing it only means that retries of writes
//! made before are no longer recognised as retries by their key.

use std::io::Write as _;
use std::path::Path;

use tutorwatch_events::EventId;

use super::principal::Principal;

/// The secret's file name in the data directory.
pub const SECRET_FILE: &str = "idempotency.key";

/// The secret's length in bytes.
const SECRET_BYTES: usize = 32;

/// Why the secret could not be read or made.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot read or create the idempotency secret {path}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the idempotency secret {path} holds {len} bytes; it must hold {SECRET_BYTES}")]
    Length {
        path: std::path::PathBuf,
        len: usize,
    },
    #[error("cannot draw random bytes for the idempotency secret: {0}")]
    Random(String),
}

/// Reads the secret in `path`, creating it (0600, random) when it does not exist.
pub fn load_or_create(path: &Path) -> Result<[u8; SECRET_BYTES], SecretError> {
    let io = |source| SecretError::Io {
        path: path.to_owned(),
        source,
    };
    match std::fs::read(path) {
        Ok(bytes) => {
            return bytes
                .as_slice()
                .try_into()
                .map_err(|_| SecretError::Length {
                    path: path.to_owned(),
                    len: bytes.len(),
                })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    let mut secret = [0u8; SECRET_BYTES];
    getrandom::fill(&mut secret).map_err(|e| SecretError::Random(e.to_string()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(&secret).map_err(io)?;
            file.sync_all().map_err(io)?;
            Ok(secret)
        }
        // Another process made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load_or_create(path),
        Err(e) => Err(io(e)),
    }
}

/// The event id for `principal`'s `key`.
pub fn event_id(secret: &[u8; SECRET_BYTES], principal: &Principal, key: &str) -> EventId {
    let name = format!("{principal}\n{key}");
    let mac = blake3::keyed_hash(secret, name.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&mac.as_bytes()[..16]);
    EventId::from_uuid(uuid::Builder::from_custom_bytes(bytes).into_uuid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_per_principal_and_key_and_depend_on_the_secret() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(SECRET_FILE);
        let secret = load_or_create(&path).expect("creates");
        assert_eq!(load_or_create(&path).expect("reads"), secret);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let a = event_id(&secret, &Principal::Admin, "k1");
        assert_eq!(a, event_id(&secret, &Principal::Admin, "k1"));
        assert_ne!(a, event_id(&secret, &Principal::Admin, "k2"));
        let other = [7u8; SECRET_BYTES];
        assert_ne!(a, event_id(&other, &Principal::Admin, "k1"));
    }
}
