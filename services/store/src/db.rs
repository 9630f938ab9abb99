//! Opening a sled database directory, shared by the event log and the projection store, so both
//! report "another process holds it" the same way.

use std::path::Path;

use crate::error::StoreError;

/// Opens (or creates) the sled database in `path`. A lock held by another process is
/// [`StoreError::InUse`]; anything else is [`StoreError::Io`] naming the directory.
pub(crate) fn open_db(path: &Path) -> Result<sled::Db, StoreError> {
    sled::Config::new()
        .path(path)
        .mode(sled::Mode::HighThroughput)
        .open()
        .map_err(|e| open_error(path, e))
}

pub(crate) fn open_error(path: &Path, error: sled::Error) -> StoreError {
    let text = error.to_string();
    if text.contains("could not acquire lock") {
        StoreError::InUse(path.to_owned())
    } else {
        StoreError::Io(format!("opening {}: {text}", path.display()))
    }
}
