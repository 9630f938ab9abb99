//! The regular files under a directory, for the two readers of a log's raw files: the seal
//! (`seal`) and salvage (`salvage`).

use std::path::{Path, PathBuf};

/// Every regular file under `dir`, recursively, as paths relative to it, sorted (so readers go
/// through them in a repeatable order). An error names the directory it happened in.
pub(crate) fn relative_files(dir: &Path) -> Result<Vec<PathBuf>, (PathBuf, std::io::Error)> {
    let mut files = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let here = dir.join(&relative);
        let entries = std::fs::read_dir(&here).map_err(|e| (here.clone(), e))?;
        for entry in entries {
            let entry = entry.map_err(|e| (here.clone(), e))?;
            let kind = entry.file_type().map_err(|e| (here.clone(), e))?;
            let name = relative.join(entry.file_name());
            if kind.is_dir() {
                pending.push(name);
            } else if kind.is_file() {
                files.push(name);
            }
        }
    }
    files.sort();
    Ok(files)
}
