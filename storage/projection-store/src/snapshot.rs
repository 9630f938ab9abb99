//! The projector's snapshot as a file beside the store's sled database, not as a sled value.
//!
//! A snapshot is the projector's whole state: hundreds of megabytes after a few million events.
//! Held as one sled value it had to be encoded into one buffer first, then copied into sled,
//! and it stalled the store's flush while sled wrote it. Here it is encoded straight into a
//! buffered file (no whole copy in memory), synced, and renamed into place; the store's
//! `m snapshot` row then names its sequence, in the same atomic batch as the rows it covers.
//!
//! **Invariant:** the row is written only after its file is durable, so the row never names a
//! missing or half-written file; files the row does not name (an older snapshot, or one written
//! by a run that crashed before its batch) are removed after the batch is flushed, and when the
//! store opens.
//!
//! Files live in `<store>/snapshots/`, named `projector-<seq, 20 digits>.snapshot`; a file is the
//! format byte, then postcard. Reading one loads it whole before decoding (postcard reads
//! borrowed strings and bytes into its scratch buffer for good, so a streaming read would need
//! a buffer as large as the file anyway).

use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{decode_named, ProjectionStoreError, VALUE_FORMAT_V1};

/// The directory under the store's own.
const DIR: &str = "snapshots";
const PREFIX: &str = "projector-";
const SUFFIX: &str = ".snapshot";
/// The extension of a file being written, renamed into place once synced.
const PARTIAL_EXTENSION: &str = "partial";
/// The write buffer between the encoder and the file.
const WRITE_BUFFER_BYTES: usize = 1 << 20;

/// The snapshot files of one store.
#[derive(Debug)]
pub(crate) struct SnapshotFiles {
    dir: PathBuf,
}

fn io_error(path: &Path, source: std::io::Error) -> ProjectionStoreError {
    ProjectionStoreError::SnapshotFile {
        path: path.to_owned(),
        source,
    }
}

impl SnapshotFiles {
    /// The snapshot directory of the store in `store_dir`, created if missing.
    pub(crate) fn open(store_dir: &Path) -> Result<Self, ProjectionStoreError> {
        let dir = store_dir.join(DIR);
        fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        Ok(Self { dir })
    }

    fn path_of(&self, seq: u64) -> PathBuf {
        self.dir.join(format!("{PREFIX}{seq:020}{SUFFIX}"))
    }

    /// Encodes `value` into the file for `seq`, durably: written to a partial file, synced,
    /// renamed into place, and the directory synced.
    pub(crate) fn write<T: Serialize>(
        &self,
        seq: u64,
        value: &T,
    ) -> Result<(), ProjectionStoreError> {
        let path = self.path_of(seq);
        let partial = path.with_extension(PARTIAL_EXTENSION);
        let file = File::create(&partial).map_err(|e| io_error(&partial, e))?;
        let mut out = BufWriter::with_capacity(WRITE_BUFFER_BYTES, file);
        out.write_all(&[VALUE_FORMAT_V1])
            .map_err(|e| io_error(&partial, e))?;
        let out = postcard::to_io(value, out).map_err(|e| ProjectionStoreError::Encode {
            what: "the snapshot",
            reason: e.to_string(),
        })?;
        let file = out
            .into_inner()
            .map_err(|e| io_error(&partial, e.into_error()))?;
        file.sync_all().map_err(|e| io_error(&partial, e))?;
        drop(file);
        fs::rename(&partial, &path).map_err(|e| io_error(&path, e))?;
        File::open(&self.dir)
            .and_then(|dir| dir.sync_all())
            .map_err(|e| io_error(&self.dir, e))?;
        Ok(())
    }

    /// Reads and decodes the file for `seq`. A missing or undecodable file is
    /// [`ProjectionStoreError::CorruptProjection`]: the store's row names it, so derived data is
    /// broken and is rebuilt from the log.
    pub(crate) fn read<T: DeserializeOwned>(&self, seq: u64) -> Result<T, ProjectionStoreError> {
        let path = self.path_of(seq);
        let mut bytes = Vec::new();
        match File::open(&path) {
            Ok(mut file) => file
                .read_to_end(&mut bytes)
                .map_err(|e| io_error(&path, e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ProjectionStoreError::CorruptProjection {
                    key: path.display().to_string(),
                    reason: "the snapshot file is missing".into(),
                })
            }
            Err(e) => return Err(io_error(&path, e)),
        };
        decode_named(path.display().to_string(), &bytes)
    }

    /// Removes every snapshot file but the one for `keep` (none: all of them), and any partial
    /// file.
    pub(crate) fn remove_all_but(&self, keep: Option<u64>) -> Result<(), ProjectionStoreError> {
        let kept = keep.map(|seq| self.path_of(seq));
        let entries = fs::read_dir(&self.dir).map_err(|e| io_error(&self.dir, e))?;
        for entry in entries {
            let path = entry.map_err(|e| io_error(&self.dir, e))?.path();
            let ours = path
                .file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with(PREFIX));
            if !ours || Some(&path) == kept.as_ref() {
                continue;
            }
            fs::remove_file(&path).map_err(|e| io_error(&path, e))?;
        }
        Ok(())
    }

    /// Overwrites the file for `seq` with `bytes`: for tests of derived data that no longer
    /// decodes.
    pub(crate) fn overwrite(&self, seq: u64, bytes: &[u8]) -> Result<(), ProjectionStoreError> {
        let path = self.path_of(seq);
        fs::write(&path, bytes).map_err(|e| io_error(&path, e))
    }
}
