//! Opening a sled database directory, shared by the event log and the projection store, so both
//! report "another process holds it" the same way.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::StoreError;

/// How long opening waits for a lock to be released before calling the directory in use: a
/// database this process just dropped keeps its lock until sled's flusher thread has stopped.
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// Opens (or creates) the sled database in `path`. A lock still held after [`LOCK_WAIT`] (by
/// another process, usually) is [`StoreError::InUse`]; anything else is [`StoreError::Open`]
/// naming the directory.
pub(crate) fn open_db(path: &Path) -> Result<sled::Db, StoreError> {
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        let opened = sled::Config::new()
            .path(path)
            .mode(sled::Mode::HighThroughput)
            .open()
            .map_err(|e| open_error(path, e));
        match opened {
            Err(StoreError::InUse(_)) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

pub(crate) fn open_error(path: &Path, error: sled::Error) -> StoreError {
    let text = error.to_string();
    if text.contains("could not acquire lock") {
        StoreError::InUse(path.to_owned())
    } else {
        StoreError::Open {
            path: path.to_owned(),
            source: error,
        }
    }
}
