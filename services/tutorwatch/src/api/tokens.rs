//! Bearer tokens: issued once (printed, never stored), kept only as BLAKE3 hashes in a token file
//! (`<data_dir>/tokens.jsonl`, one JSON record per line) and in the settings' `tokens` list.
//!
//! Writers (`tutorwatch token issue|revoke`, any number at once, while the service runs) take an
//! exclusive lock on `tokens.jsonl.lock` beside the file, read the records, write all of them to a
//! fresh owner-only (0600) temporary file in the same directory, fsync it, rename it over the
//! token file and fsync the directory. So no change is lost to a concurrent one, and a reader
//! (the service, which reloads the file when its identity, length or times change) only ever
//! sees a whole file, the old one or the new one, never a half-written one. Tokens are 256
//! random bits, so a fast hash is enough: there is nothing to brute-force. A token may carry an
//! expiry; after it, the token is refused as expired.
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use tutorwatch_events::UtcTime;

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
    /// When the token stops working (RFC 3339); none: it works until revoked. Records written
    /// before expiry existed have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<UtcTime>,
}

/// Why tokens could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("cannot read or write the token file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot lock {path} to change the tokens: {source}")]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the token file {path}, line {line}: {reason}")]
    Malformed {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("cannot write a token record: {0}")]
    Encode(#[source] serde_json::Error),
    #[error("cannot draw random bytes for a token: {0}")]
    Random(String),
    #[error("no token with id {0}")]
    UnknownId(String),
}

/// Why a presented token is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No such token, or it was revoked.
    Unknown,
    /// It expired at this time.
    Expired(UtcTime),
}

/// The hash stored for a token.
pub fn hash_token(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

/// Draws a new token for `principal`; returns the token (show it once) and its record, which
/// does not expire (set `expires_at` for one that does).
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
        expires_at: None,
    };
    Ok((token, record))
}

/// Reads every record of a token file (a missing file holds none). Needs no lock: the file is
/// only ever replaced whole.
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

/// The lock file writers of `path` take turns on: `tokens.jsonl.lock` beside it. It is never
/// removed (removing a lock file others may hold open would let two writers in at once).
pub fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

/// The directory `path` is in (`.` for a bare file name).
fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

fn owner_only(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(options, 0o600);
    options
}

/// Changes the records of `path` under the writers' lock: reads them, lets `change` edit them,
/// and replaces the file atomically (unless `change` fails, which leaves it as it was).
fn update<T>(
    path: &Path,
    change: impl FnOnce(&mut Vec<TokenRecord>) -> Result<T, TokenError>,
) -> Result<T, TokenError> {
    let lock_file = lock_path(path);
    let locked = |source| TokenError::Lock {
        path: lock_file.clone(),
        source,
    };
    let file = owner_only(OpenOptions::new().create(true).read(true).write(true))
        .open(&lock_file)
        .map_err(locked)?;
    let mut lock = fd_lock::RwLock::new(file);
    let _held = lock.write().map_err(locked)?;
    let mut records = read_file(path)?;
    let result = change(&mut records)?;
    replace(path, &records)?;
    Ok(result)
}

/// Writes `records` to a new 0600 file beside `path`, fsyncs it, renames it over `path` and
/// fsyncs the directory, so the rename itself survives a crash.
fn replace(path: &Path, records: &[TokenRecord]) -> Result<(), TokenError> {
    let io = |source| TokenError::Io {
        path: path.to_owned(),
        source,
    };
    let mut text = Vec::new();
    for record in records {
        serde_json::to_writer(&mut text, record).map_err(TokenError::Encode)?;
        text.push(b'\n');
    }
    let dir = directory_of(path);
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tokens-").suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
    let mut temporary = builder.tempfile_in(dir).map_err(io)?;
    temporary.write_all(&text).map_err(io)?;
    temporary.as_file().sync_all().map_err(io)?;
    temporary.persist(path).map_err(|e| io(e.error))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| TokenError::Io {
            path: dir.to_owned(),
            source,
        })
}

/// Adds a record to a token file (created owner-only), safely beside concurrent writers.
pub fn append(path: &Path, record: &TokenRecord) -> Result<(), TokenError> {
    update(path, |records| {
        records.push(record.clone());
        Ok(())
    })
}

/// Removes the record with `id` from a token file, safely beside concurrent writers.
pub fn revoke(path: &Path, id: &str) -> Result<TokenRecord, TokenError> {
    update(path, |records| {
        let position = records
            .iter()
            .position(|r| r.id == id)
            .ok_or_else(|| TokenError::UnknownId(id.to_owned()))?;
        Ok(records.remove(position))
    })
}

/// What the file looked like when last read: which file (a rewrite is a new inode), its length,
/// and its modification and change times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    inode: u64,
    len: u64,
    modified: Option<SystemTime>,
    changed: i128,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let (inode, changed) = {
        use std::os::unix::fs::MetadataExt as _;
        (
            meta.ino(),
            i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
        )
    };
    #[cfg(not(unix))]
    let (inode, changed) = (0, 0);
    Some(Stamp {
        inode,
        len: meta.len(),
        modified: meta.modified().ok(),
        changed,
    })
}

/// What a token hash stands for.
#[derive(Debug, Clone)]
struct Grant {
    principal: Principal,
    expires_at: Option<UtcTime>,
}

#[derive(Debug, Default)]
struct Loaded {
    stamp: Option<Stamp>,
    by_hash: HashMap<String, Grant>,
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
        // Stamped before reading: if the file is replaced in between, the next request sees a
        // new stamp and reads again. Writers replace it whole, so a read never sees half of it.
        let current = stamp(&self.file);
        let records = read_file(&self.file)?;
        let by_hash = self
            .configured
            .iter()
            .chain(records.iter())
            .map(|r| {
                (
                    r.hash.clone(),
                    Grant {
                        principal: r.principal.clone(),
                        expires_at: r.expires_at,
                    },
                )
            })
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

    /// The principal a presented token stands for at `now`, or why it is refused.
    pub fn authenticate_at(&self, token: &str, now: UtcTime) -> Result<Principal, Refusal> {
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
        let loaded = self
            .loaded
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let grant = loaded.by_hash.get(&hash).ok_or(Refusal::Unknown)?;
        match grant.expires_at {
            Some(at) if at <= now => Err(Refusal::Expired(at)),
            _ => Ok(grant.principal.clone()),
        }
    }

    /// The principal a presented token stands for now, or why it is refused.
    pub fn authenticate(&self, token: &str) -> Result<Principal, Refusal> {
        self.authenticate_at(token, UtcTime::now())
    }

    /// The principal a presented token stands for now, if it is accepted.
    pub fn principal(&self, token: &str) -> Option<Principal> {
        self.authenticate(token).ok()
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

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(path)
            .expect("exists")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn concurrent_issues_and_revokes_all_land_and_the_file_stays_owner_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join(TOKEN_FILE);
        let first: Vec<_> = (0..40)
            .map(|i| issue(Principal::Admin, &format!("first-{i}")).expect("issues"))
            .collect();
        for (_, record) in &first {
            append(&file, record).expect("appends");
        }
        let second: Vec<_> = (0..40)
            .map(|i| issue(Principal::Admin, &format!("second-{i}")).expect("issues"))
            .collect();
        std::thread::scope(|scope| {
            for ((_, revoked), (_, added)) in first.iter().zip(&second) {
                let file = &file;
                scope.spawn(move || revoke(file, &revoked.id).expect("revokes"));
                scope.spawn(move || append(file, added).expect("appends"));
            }
        });
        let mut ids: Vec<_> = read_file(&file)
            .expect("reads")
            .into_iter()
            .map(|r| r.id)
            .collect();
        let mut expected: Vec<_> = second.iter().map(|(_, r)| r.id.clone()).collect();
        ids.sort();
        expected.sort();
        assert_eq!(ids, expected);
        #[cfg(unix)]
        {
            assert_eq!(mode(&file), 0o600);
            assert_eq!(mode(&lock_path(&file)), 0o600);
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("lists")
            .map(|e| e.expect("entry").file_name())
            .filter(|name| name.to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn a_token_in_the_settings_file_may_carry_an_expiry() {
        use figment::providers::{Format as _, Toml};
        let record: TokenRecord = figment::Figment::from(Toml::string(
            r#"
            id = "0123456789ab"
            hash = "0123456789abcdef"
            principal = { role = "admin" }
            expires_at = "2030-01-01T08:00:00+08:00"
            "#,
        ))
        .extract()
        .expect("a token record");
        assert_eq!(
            record.expires_at,
            Some(UtcTime::parse("2030-01-01T00:00:00Z").expect("a time"))
        );
    }

    #[test]
    fn an_expired_token_is_refused_as_expired_and_old_records_never_expire() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join(TOKEN_FILE);
        let (token, mut record) = issue(Principal::Admin, "temp").expect("issues");
        let at = UtcTime::parse("2030-01-01T00:00:00Z").expect("a time");
        record.expires_at = Some(at);
        append(&file, &record).expect("appends");
        // A record from before expiry existed: no `expires_at` at all.
        let (old_token, old) = issue(Principal::Admin, "old").expect("issues");
        let line = format!(
            r#"{{"id":"{}","hash":"{}","principal":{{"role":"admin"}},"label":"old"}}"#,
            old.id, old.hash
        );
        let mut text = std::fs::read_to_string(&file).expect("reads");
        text.push_str(&line);
        text.push('\n');
        std::fs::write(&file, text).expect("writes");
        assert!(std::fs::read_to_string(&file)
            .expect("reads")
            .contains(r#""expires_at":"2030-01-01T00:00:00Z""#));

        let store = TokenStore::open(file, Vec::new()).expect("opens");
        let before = UtcTime::parse("2029-12-31T23:59:59Z").expect("a time");
        let after = UtcTime::parse("2030-01-01T00:00:00Z").expect("a time");
        assert_eq!(store.authenticate_at(&token, before), Ok(Principal::Admin));
        assert_eq!(
            store.authenticate_at(&token, after),
            Err(Refusal::Expired(at))
        );
        assert_eq!(
            store.authenticate_at(&old_token, after),
            Ok(Principal::Admin)
        );
        assert_eq!(
            store.authenticate_at("tw_nothing", before),
            Err(Refusal::Unknown)
        );
    }
}
