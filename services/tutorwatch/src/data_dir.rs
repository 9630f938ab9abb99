//! The data directory's permissions: created owner-only (0700) by every command that creates it
//! (`serve`, `token`), and refused by `serve` when its group or others can reach it (the log,
//! the projections and the token hashes are in it).

use std::path::{Path, PathBuf};

/// Why the data directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DataDirError {
    #[error("creating the data directory {path}")]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("reading the permissions of the data directory {path}")]
    Inspect {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the data directory {path} is open to {who} (mode {mode:04o}); it holds the log and the \
         token hashes, so only its owner may enter it: run `chmod 700 {path}` and start again"
    )]
    Shared {
        path: PathBuf,
        mode: u32,
        who: &'static str,
    },
}

/// Creates `dir` (and any missing parents) with mode 0700; an existing directory is left as it
/// is.
pub(crate) fn create(dir: &Path) -> Result<(), DataDirError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| DataDirError::Create {
        path: dir.to_owned(),
        source,
    })
}

/// Refuses a data directory that its group or others may read, write or enter.
#[cfg(unix)]
pub(crate) fn ensure_private(dir: &Path) -> Result<(), DataDirError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(dir)
        .map_err(|source| DataDirError::Inspect {
            path: dir.to_owned(),
            source,
        })?
        .permissions()
        .mode()
        & 0o7777;
    let who = match (mode & 0o070 != 0, mode & 0o007 != 0) {
        (false, false) => return Ok(()),
        (true, false) => "its group",
        (false, true) => "other users",
        (true, true) => "its group and other users",
    };
    Err(DataDirError::Shared {
        path: dir.to_owned(),
        mode,
        who,
    })
}

/// Refuses a data directory that its group or others may read, write or enter (Unix only).
#[cfg(not(unix))]
pub fn ensure_private(_dir: &Path) -> Result<(), DataDirError> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .expect("exists")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn a_new_data_directory_is_owner_only_and_passes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("a").join("data");
        create(&data).expect("creates");
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        ensure_private(&data).expect("private");
        create(&data).expect("an existing directory is fine");
    }

    #[test]
    fn a_directory_others_can_enter_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().expect("temp dir");
        for (bits, who) in [
            (0o750, "its group"),
            (0o701, "other users"),
            (0o755, "its group and other users"),
        ] {
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(bits))
                .expect("chmod");
            let error = ensure_private(dir.path()).expect_err("refused").to_string();
            assert!(error.contains(who), "{error}");
            assert!(
                error.contains(&format!("chmod 700 {}", dir.path().display())),
                "{error}"
            );
        }
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
            .expect("chmod");
        ensure_private(dir.path()).expect("private again");
    }
}
