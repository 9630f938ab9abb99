//! Bearer tokens: issued once (printed, never stored), kept only as BLAKE3 hashes in a token file
//! (`<data_dir>/tokens.jsonl`, one JSON record per line) and in the settings' `tokens` list.
//!
//! `tutorwatch token issue` appends to the file while the service runs; the service notices the
//! file changed (its length or modification time) on the next request and reloads it. Tokens are
//! 256 random bits, so a fast hash is enough: there is nothing to brute-force.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::principal::Principal;

/// Every token starts with this, so a leaked one is easy to recognise.
pub const TOKEN_PREFIX: &str = "tw_";

/// The token file's name in the data directory.
pub const TOKEN_FILE: &str = "tokens.jsonl";

/// One stored token: its hash and what it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRecord {
    /// A short public handle (the first 12 hex digits of the hash), for listing and revoking.
    pub id: String,
    /// BLAKE3 of the whole token, hex.
    pub hash: String,
    pub principal: Principal,
    /// Who or what it was issued for, free text.
    #[serde(default)]
    pub label: String,
}

/// Why tokens could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("cannot read or write the token file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the token file {path}, line {line}: {reason}")]
    Malformed {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("cannot draw random bytes for a token: {0}")]
    Random(String),
    #[error("no token with id {0}")]
    UnknownId(String),
}

/// The hash stored for a token.
pub fn hash_token(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

/// Draws a new token for `principal`; returns the token (show it once) and its record.
pub fn issue(principal: Principal, label: &str) -> Result<(String, TokenRecord), TokenError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| TokenError::Random(e.to_string()))?;
    let token = format!("{TOKEN_PREFIX}{}", blake3::Hash::from(bytes).to_hex());
    let hash = hash_token(&token);
    let record = TokenRecord {
        id: hash[..12].to_owned(),
        hash,
        principal,
        label: label.to_owned(),
    };
    Ok((token, record))
}

/// Reads every record of a token file (a missing file holds none).
pub fn read_file(path: &Path) -> Result<Vec<TokenRecord>, TokenError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(TokenError::Io {
                path: path.to_owned(),
                source,
            })
        }
    };
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| TokenError::Malformed {
                path: path.to_owned(),
                line: i + 1,
                reason: e.to_string(),
            })
        })
        .collect()
}

/// Appends a record to a token file (created with owner-only permissions).
pub fn append(path: &Path, record: &TokenRecord) -> Result<(), TokenError> {
    let io = |source| TokenError::Io {
        path: path.to_owned(),
        source,
    };
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io)?;
    let mut line = serde_json::to_vec(record).map_err(|e| TokenError::Malformed {
        path: path.to_owned(),
        line: 0,
        reason: e.to_string(),
    })?;
    line.push(b'\n');
    file.write_all(&line).map_err(io)?;
    file.sync_all().map_err(io)
}

/// Removes the record with `id` from a token file.
pub fn revoke(path: &Path, id: &str) -> Result<TokenRecord, TokenError> {
    let mut records = read_file(path)?;
    let position = records
        .iter()
        .position(|r| r.id == id)
        .ok_or_else(|| TokenError::UnknownId(id.to_owned()))?;
    let removed = records.remove(position);
    let mut text = String::new();
    for record in &records {
        text.push_str(&serde_json::to_string(record).unwrap_or_default());
        text.push('\n');
    }
    let temporary = path.with_extension("jsonl.tmp");
    let io = |source| TokenError::Io {
        path: path.to_owned(),
        source,
    };
    std::fs::write(&temporary, text).map_err(io)?;
    std::fs::rename(&temporary, path).map_err(io)?;
    Ok(removed)
}

/// What the file looked like when last read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp {
        len: meta.len(),
        modified: meta.modified().ok(),
    })
}

#[derive(Debug, Default)]
struct Loaded {
    stamp: Option<Stamp>,
    by_hash: HashMap<String, Principal>,
}

/// The tokens the service accepts: the settings' list plus the token file, reloaded when the
/// file changes.
#[derive(Debug)]
pub struct TokenStore {
    file: PathBuf,
    configured: Vec<TokenRecord>,
    loaded: RwLock<Loaded>,
}

impl TokenStore {
    /// Reads the file once, so a malformed file stops the service at start, not at a request.
    pub fn open(file: PathBuf, configured: Vec<TokenRecord>) -> Result<Self, TokenError> {
        let store = Self {
            file,
            configured,
            loaded: RwLock::new(Loaded::default()),
        };
        store.reload()?;
        Ok(store)
    }

    fn reload(&self) -> Result<(), TokenError> {
        let current = stamp(&self.file);
        let records = read_file(&self.file)?;
        let by_hash = self
            .configured
            .iter()
            .chain(records.iter())
            .map(|r| (r.hash.clone(), r.principal.clone()))
            .collect();
        *self
            .loaded
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Loaded {
            stamp: current,
            by_hash,
        };
        Ok(())
    }

    /// The principal a presented token stands for, if any.
    pub fn principal(&self, token: &str) -> Option<Principal> {
        let changed = {
            let loaded = self
                .loaded
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            loaded.stamp != stamp(&self.file)
        };
        if changed {
            if let Err(error) = self.reload() {
                tracing::warn!(%error, "keeping the tokens loaded before: the token file does not read");
            }
        }
        let hash = hash_token(token);
        self.loaded
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .by_hash
            .get(&hash)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_token_is_found_by_its_hash_and_revoking_it_removes_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join(TOKEN_FILE);
        let store = TokenStore::open(file.clone(), Vec::new()).expect("opens");
        let (token, record) = issue(Principal::Admin, "ops").expect("issues");
        assert!(token.starts_with(TOKEN_PREFIX));
        assert_eq!(store.principal(&token), None);
        append(&file, &record).expect("appends");
        assert_eq!(store.principal(&token), Some(Principal::Admin));
        assert!(!std::fs::read_to_string(&file)
            .expect("reads")
            .contains(&token));
        revoke(&file, &record.id).expect("revokes");
        assert_eq!(store.principal(&token), None);
        assert!(matches!(
            revoke(&file, &record.id),
            Err(TokenError::UnknownId(_))
        ));
    }
}
