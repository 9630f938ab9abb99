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

/// Opens (or creates) the sled database in `path`. A lock still held after [`LOCK_WAIT`] (by
/// another process, usually) is [`OpenError::InUse`]; anything else is [`OpenError::Failed`]
/// naming the directory.
pub fn open_db(path: &Path) -> Result<sled::Db, OpenError> {
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        let opened = sled::Config::new()
            .path(path)
            .mode(sled::Mode::HighThroughput)
            .open()
            .map_err(|e| open_error(path, e));
        match opened {
            Err(OpenError::InUse(_)) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

fn open_error(path: &Path, error: sled::Error) -> OpenError {
    let text = error.to_string();
    if text.contains("could not acquire lock") {
        OpenError::InUse(path.to_owned())
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
}
