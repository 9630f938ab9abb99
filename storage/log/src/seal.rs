//! Keeping sled's recovery from destroying the only copy of a damaged log.
//!
//! When sled 0.34 opens files with a damaged page in them, its recovery takes the damage for a
//! torn write and overwrites everything after it (and may then fail anyway), so the intact
//! entries past the damage, and sometimes before it, are gone before anyone can salvage them.
//! So the log seals its files when it is closed cleanly: `SEAL_FILE` in the log's directory
//! lists each file's length and BLAKE3 hash. Opening checks the seal: files that match it are
//! exactly as they were closed, and sled opens them directly. Files that do not (a crash, a
//! flipped bit, a copy restored from elsewhere) are first copied, untouched, to a directory
//! beside the log (`<log>.pre-open-<time>`), which `tutorwatch log salvage` reads. The seal is
//! removed as soon as the files are opened, since sled writes to them from then on.
//!
//! Cost: one read of the log's files at open and one at a clean close (hashing), and a copy of
//! them after an unclean close. Copies are never removed automatically: whoever operates the
//! service removes them once the log verifies against its checkpoints. At most
//! [`PRE_OPEN_COPIES_MAX`] are made; with that many there, unsealed files are opened uncopied.

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::error::LogError;

/// The seal's file name in the log's directory.
pub const SEAL_FILE: &str = "tutorwatch.seal";

/// The prefix of the copies made before opening unsealed files, beside the log's directory.
pub const PRE_OPEN_SUFFIX: &str = ".pre-open-";

/// The most pre-open copies kept beside a log. With this many already there, unsealed files are
/// opened without a new copy (the oldest copies, taken before the first recovery after the
/// damage, are the ones worth keeping), and the caller is told so.
pub const PRE_OPEN_COPIES_MAX: usize = 3;

/// What opening found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenGuard {
    /// A new log: there were no files.
    New,
    /// The files were as the last clean close left them.
    Sealed,
    /// The files were not sealed (or did not match the seal): they were copied here first.
    CopiedTo(PathBuf),
    /// The files were not sealed, and were opened without a copy: [`PRE_OPEN_COPIES_MAX`]
    /// copies (these) were already there.
    NotCopied(Vec<PathBuf>),
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> LogError + '_ {
    move |source| LogError::Seal {
        path: path.to_owned(),
        source,
    }
}

/// Every file under `dir` but the seal, relative to it, sorted.
fn log_files(dir: &Path) -> Result<Vec<PathBuf>, LogError> {
    let files = crate::files::relative_files(dir)
        .map_err(|(path, source)| LogError::Seal { path, source })?;
    Ok(files
        .into_iter()
        .filter(|name| name != Path::new(SEAL_FILE))
        .collect())
}

/// The seal of the files in `dir` as they are now: one line per file, `length hash path`.
fn seal_of(dir: &Path) -> Result<String, LogError> {
    let mut seal = String::new();
    let mut buffer = vec![0u8; 1 << 20];
    for relative in log_files(dir)? {
        let path = dir.join(&relative);
        let mut file = std::fs::File::open(&path).map_err(io_error(&path))?;
        let mut hasher = blake3::Hasher::new();
        let mut length: u64 = 0;
        loop {
            let read = file.read(&mut buffer).map_err(io_error(&path))?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
            length += read as u64;
        }
        let _ = writeln!(
            seal,
            "{length} {} {}",
            hasher.finalize().to_hex(),
            relative.display()
        );
    }
    Ok(seal)
}

/// Before sled opens the files in `dir`: checks the seal, copies unsealed files aside, and
/// removes the seal.
pub(crate) fn before_open(dir: &Path) -> Result<OpenGuard, LogError> {
    if !dir.join("db").exists() {
        return Ok(OpenGuard::New);
    }
    let seal_path = dir.join(SEAL_FILE);
    let sealed = match std::fs::read_to_string(&seal_path) {
        Ok(seal) => seal == seal_of(dir)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(io_error(&seal_path)(e)),
    };
    let guard = if sealed {
        OpenGuard::Sealed
    } else {
        let copies = pre_open_copies(dir)?;
        if copies.len() >= PRE_OPEN_COPIES_MAX {
            OpenGuard::NotCopied(copies)
        } else {
            OpenGuard::CopiedTo(copy_aside(dir)?)
        }
    };
    match std::fs::remove_file(&seal_path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error(&seal_path)(e)),
    }
    Ok(guard)
}

/// After the log's sled handles are dropped: seals the files as they are.
pub(crate) fn after_close(dir: &Path) -> Result<(), LogError> {
    let seal = seal_of(dir)?;
    let seal_path = dir.join(SEAL_FILE);
    let partial = dir.join(format!("{SEAL_FILE}.partial"));
    std::fs::write(&partial, seal).map_err(io_error(&partial))?;
    std::fs::rename(&partial, &seal_path).map_err(io_error(&seal_path))?;
    Ok(())
}

/// Copies `dir` whole to `<dir>.pre-open-<time>` (through a `.partial` directory renamed at the
/// end, so a copy that exists is complete).
fn copy_aside(dir: &Path) -> Result<PathBuf, LogError> {
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%S%.fZ")
        .to_string();
    let mut name = dir.as_os_str().to_owned();
    name.push(format!("{PRE_OPEN_SUFFIX}{stamp}"));
    let copy = PathBuf::from(name);
    let mut partial_name = copy.as_os_str().to_owned();
    partial_name.push(".partial");
    let partial = PathBuf::from(partial_name);
    for relative in log_files(dir)? {
        let (from, to) = (dir.join(&relative), partial.join(&relative));
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(io_error(parent))?;
        }
        std::fs::copy(&from, &to).map_err(io_error(&from))?;
    }
    std::fs::create_dir_all(&partial).map_err(io_error(&partial))?;
    std::fs::rename(&partial, &copy).map_err(io_error(&copy))?;
    Ok(copy)
}

/// The copies [`before_open`] made of the log in `dir`, oldest first.
pub fn pre_open_copies(dir: &Path) -> Result<Vec<PathBuf>, LogError> {
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
        return Ok(Vec::new());
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let prefix = format!("{}{PRE_OPEN_SUFFIX}", name.to_string_lossy());
    let mut copies = Vec::new();
    for entry in std::fs::read_dir(parent).map_err(io_error(parent))? {
        let entry = entry.map_err(io_error(parent))?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if file_name.starts_with(&prefix) && !file_name.ends_with(".partial") {
            copies.push(entry.path());
        }
    }
    copies.sort();
    Ok(copies)
}
