//! Finding the log and the projection store in a data directory, for the commands that read them
//! (stop `serve` first: it holds them).

use std::path::{Path, PathBuf};

use anyhow::bail;
use tutorwatch_log::EventLog;

/// `data/name`, or an error that says what is missing and why it should be there.
pub(crate) fn existing_dir(data: &Path, name: &str, what: &str) -> anyhow::Result<PathBuf> {
    let path = data.join(name);
    if !path.exists() {
        bail!(
            "there is no {what} in {} (expected {})",
            data.display(),
            path.display()
        );
    }
    Ok(path)
}

pub(crate) fn open_log(data: &Path) -> anyhow::Result<EventLog> {
    Ok(EventLog::open(&existing_dir(data, "log", "log")?)?)
}
