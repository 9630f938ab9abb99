//! The checkpoint signing key: a file holding the 32-byte Ed25519 secret as hex, made by
//! `tutorwatch checkpoint keygen` with mode 0600 and never kept in the data directory (whoever
//! can rewrite the log must not also be able to sign for it). Public keys travel as hex.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey, SECRET_KEY_LENGTH};

use crate::hex;

/// Why a key could not be made, read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot write the key file {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the key file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the key file {0} does not hold a 64-digit hex Ed25519 secret key")]
    Malformed(PathBuf),
    #[error("the key file {path} can be read by its group or others (mode {mode:o}); run `chmod 600 {path}`")]
    Shared { path: PathBuf, mode: u32 },
    #[error("no randomness for a new key: {0}")]
    Random(String),
    #[error("{0:?} is neither a 64-digit hex Ed25519 public key nor a file holding one")]
    PublicKey(String),
    #[error("{0:?} is not a valid Ed25519 public key")]
    BadPoint(String),
}

/// Makes a new key, writes it to `path` (which must not exist) with mode 0600, and returns it.
pub fn generate_key_file(path: &Path) -> Result<SigningKey, KeyError> {
    let mut secret = [0u8; SECRET_KEY_LENGTH];
    getrandom::fill(&mut secret).map_err(|e| KeyError::Random(e.to_string()))?;
    let key = SigningKey::from_bytes(&secret);
    let write = |source| KeyError::Write {
        path: path.to_owned(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(write)?;
    writeln!(file, "{}", hex::encode(&secret)).map_err(write)?;
    file.sync_all().map_err(write)?;
    Ok(key)
}

/// Reads the signing key in `path`, refusing a file its group or others may read.
pub fn load_signing_key(path: &Path) -> Result<SigningKey, KeyError> {
    let read = |source| KeyError::Read {
        path: path.to_owned(),
        source,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path).map_err(read)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::Shared {
                path: path.to_owned(),
                mode,
            });
        }
    }
    let text = std::fs::read_to_string(path).map_err(read)?;
    let secret = hex::decode::<SECRET_KEY_LENGTH>(&text.trim().to_ascii_lowercase())
        .ok_or_else(|| KeyError::Malformed(path.to_owned()))?;
    Ok(SigningKey::from_bytes(&secret))
}

/// A public key given as hex, or as the path of a file holding it (e.g. `KEY.pub`).
pub fn parse_public_key(given: &str) -> Result<VerifyingKey, KeyError> {
    let inline = given.trim().to_ascii_lowercase();
    let text = match hex::decode::<32>(&inline) {
        Some(_) => inline,
        None => std::fs::read_to_string(given)
            .map_err(|_| KeyError::PublicKey(given.to_owned()))?
            .trim()
            .to_ascii_lowercase(),
    };
    let bytes = hex::decode::<32>(&text).ok_or_else(|| KeyError::PublicKey(given.to_owned()))?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::BadPoint(given.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_file_is_private_and_loads_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("checkpoint.key");
        let key = generate_key_file(&path).expect("generates");
        let loaded = load_signing_key(&path).expect("loads");
        assert_eq!(loaded.to_bytes(), key.to_bytes());
        assert!(generate_key_file(&path).is_err(), "never overwrites a key");
        let public = hex::encode(key.verifying_key().as_bytes());
        assert_eq!(
            parse_public_key(&public).expect("parses"),
            key.verifying_key()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            assert!(matches!(
                load_signing_key(&path),
                Err(KeyError::Shared { .. })
            ));
        }
        assert!(parse_public_key("not a key").is_err());
    }
}
