//! Opening a sled database directory, shared by the event log and the projection store, so both
//! report "another process holds it" the same way. This and the two stores are the only crates
//! that name a sled type.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Why a database directory could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Another process (usually a running `tutorwatch serve`) holds the data directory.
    #[error(
        "the data directory {0} is in use by another process (is `tutorwatch serve` running?)"
    )]
    InUse(PathBuf),
    /// The database's files are damaged: sled gave up recovering them (it panics on some damage;
    /// that is caught and reported here).
    #[error(
        "the database in {path} is damaged and cannot be opened ({reason}); `tutorwatch log \
         salvage` rebuilds the log from the entries that are intact"
    )]
    Damaged { path: PathBuf, reason: String },
    /// The directory could not be opened (permissions, a damaged file, ...).
    #[error("could not open the database in {path}")]
    Failed {
        path: PathBuf,
        #[source]
        source: sled::Error,
    },
}

/// How long opening waits for a lock to be released before calling the directory in use: a
/// database this process just dropped keeps its lock until sled's flusher thread has stopped.
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// Opens (or creates) the sled database in `path`, keeping at most `cache_bytes` of its pages
/// cached in memory, as sled counts them. sled counts a page by its encoded size, and a page
/// takes several times that in memory, so keep this small (sled's own default is 1 GiB); reads
/// past it go to the operating system's page cache. A lock still held after [`LOCK_WAIT`] (by
/// another process, usually) is [`OpenError::InUse`]; anything else is [`OpenError::Failed`]
/// naming the directory.
pub fn open_db(path: &Path, cache_bytes: u64) -> Result<sled::Db, OpenError> {
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        // sled 0.34 panics on some damaged pages while it recovers; that is an error to report,
        // not a crash.
        let opened = std::panic::catch_unwind(|| {
            sled::Config::new()
                .path(path)
                .mode(sled::Mode::HighThroughput)
                .cache_capacity(cache_bytes)
                .open()
        })
        .map_err(|panic| OpenError::Damaged {
            path: path.to_owned(),
            reason: panic_reason(panic.as_ref()),
        })
        .and_then(|opened| opened.map_err(|e| open_error(path, e)));
        match opened {
            Err(OpenError::InUse(_)) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

/// Fails with [`OpenError::InUse`] when another process has the database in `path` open, without
/// opening it: for commands that must not let sled touch a damaged database (its recovery may
/// rewrite the files), such as salvaging it. sled locks the `db` file; this asks for the same
/// lock and lets it go.
pub fn ensure_free(path: &Path) -> Result<(), OpenError> {
    use fs2::FileExt as _;
    let deadline = Instant::now() + LOCK_WAIT;
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path.join("db"))
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(OpenError::Failed {
                path: path.to_owned(),
                source: sled::Error::Io(e),
            })
        }
    };
    while file.try_lock_exclusive().is_err() {
        if Instant::now() >= deadline {
            return Err(OpenError::InUse(path.to_owned()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // Dropping the file releases the lock.
    Ok(())
}

fn panic_reason(panic: &(dyn std::any::Any + Send)) -> String {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(text), _) => format!("sled: {text}"),
        (_, Some(text)) => format!("sled: {text}"),
        _ => "sled gave up while recovering it".to_owned(),
    }
}

fn open_error(path: &Path, error: sled::Error) -> OpenError {
    let text = error.to_string();
    if text.contains("could not acquire lock") {
        OpenError::InUse(path.to_owned())
    } else if let sled::Error::Corruption { .. } = error {
        OpenError::Damaged {
            path: path.to_owned(),
            reason: text,
        }
    } else {
        OpenError::Failed {
            path: path.to_owned(),
            source: error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST_CACHE_BYTES: u64 = 1024 * 1024;

    #[test]
    fn a_lock_held_elsewhere_is_in_use() {
        // sled's lock is per process, so a second opener must be another process to see it;
        // within one process sled shares the handle. Check the error mapping directly instead.
        let err = open_error(
            Path::new("data/log"),
            sled::Error::Io(std::io::Error::other(
                "could not acquire lock on \"x\": WouldBlock",
            )),
        );
        assert!(matches!(err, OpenError::InUse(path) if path == Path::new("data/log")));
        let err = open_error(
            Path::new("data/log"),
            sled::Error::Io(std::io::Error::other("permission denied")),
        );
        assert!(matches!(err, OpenError::Failed { .. }), "{err:?}");
    }

    #[test]
    fn a_database_held_open_is_in_use_for_ensure_free() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(ensure_free(dir.path()).is_ok(), "nothing there yet");
        let db = open_db(dir.path(), TEST_CACHE_BYTES).expect("opens");
        // flock locks belong to an open file, so this process's own second open conflicts too.
        assert!(matches!(ensure_free(dir.path()), Err(OpenError::InUse(_))));
        drop(db);
    }

    #[test]
    fn damaged_files_are_an_error_naming_salvage_not_a_panic() {
        let dir = tempfile::tempdir().expect("tempdir");
        let original = dir.path().join("original");
        {
            let db = open_db(&original, TEST_CACHE_BYTES).expect("opens");
            for n in 0u32..2_000 {
                db.insert(n.to_be_bytes(), vec![7u8; 200]).expect("inserts");
                if n % 100 == 0 {
                    db.flush().expect("flushes");
                }
            }
            db.flush().expect("flushes");
        }
        let bytes = std::fs::read(original.join("db")).expect("reads");
        // One flipped bit at each of 20 places: sled panics on some while recovering (the
        // early pages, in sled 0.34.7), and recovers what precedes the damage on others.
        let mut damaged = 0;
        for place in 1..20 {
            let copy = dir.path().join(format!("copy-{place}"));
            std::fs::create_dir(&copy).expect("mkdir");
            for name in ["conf", "db"] {
                std::fs::copy(original.join(name), copy.join(name)).expect("copies");
            }
            let mut flipped = bytes.clone();
            flipped[bytes.len() * place / 20] ^= 0x10;
            std::fs::write(copy.join("db"), flipped).expect("writes");
            match open_db(&copy, TEST_CACHE_BYTES) {
                Ok(_) => {}
                Err(error @ OpenError::Damaged { .. }) => {
                    assert!(error.to_string().contains("log salvage"), "{error}");
                    damaged += 1;
                }
                Err(other) => assert!(matches!(other, OpenError::Failed { .. }), "{other:?}"),
            }
        }
        assert!(damaged > 0, "some flipped bit makes sled give up");
    }
}
