//! Atomic file replacement: a crash or a full disk never leaves a half-written file behind.
//! Only regular files (and new paths) are replaced this way; a device, pipe or socket is
//! written in place and a directory is refused, so that such a target is never swapped for a
//! regular file.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Result, io_error};

/// Distinguishes temporary files of concurrent writes within one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` so that `path` holds either its old content or all of the new
/// content, never a mix, even if the process or the machine stops midway.
///
/// The bytes go to a temporary file `.<name>.<pid>.<n>.tmp` in the same directory (so the
/// rename stays on one file system), which is flushed to disk (`fsync`) and then renamed over
/// `path`; on Unix the directory is synced too, so the rename itself survives a power cut. An
/// existing file's permissions are kept. If `path` is a symbolic link, the file it points to
/// is replaced and the link kept. On any error the temporary file is removed and `path` is
/// untouched.
///
/// Only a regular file, or a path where nothing exists yet, is replaced by rename. An existing
/// target that is not a regular file — a character or block device such as `/dev/null` or
/// `/dev/stdout`, a FIFO, a socket — is opened and written in place (without truncation), so
/// the node stays what it is; a directory is refused.
///
/// # Errors
/// [`IoError::Io`](crate::IoError::Io) naming `path` if the directory does not exist or is
/// not writable, the disk is full, the rename fails, or `path` is a directory.
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    let path = path.as_ref();
    let target = resolve_symlink(path);
    if let Ok(meta) = fs::metadata(&target) {
        if meta.is_dir() {
            return Err(io_error(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::IsADirectory,
                    "is a directory, not a file; give a file path",
                ),
            ));
        }
        if !meta.is_file() {
            return write_in_place(&target, bytes).map_err(|e| io_error(path, e));
        }
    }
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .ok_or_else(|| {
            io_error(
                path,
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "path has no file name"),
            )
        })?
        .to_string_lossy()
        .into_owned();
    let temp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));

    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        if let Ok(meta) = fs::metadata(&target) {
            file.set_permissions(meta.permissions())?;
        }
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, &target)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&temp);
        return Err(io_error(path, e));
    }
    sync_dir(&dir);
    Ok(())
}

/// Writes to an existing non-regular file (device, FIFO, socket) as it is.
fn write_in_place(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = OpenOptions::new().write(true).open(target)?;
    file.write_all(bytes)?;
    file.flush()
}

/// The file a symbolic link points to (so the link survives), or `path` itself.
fn resolve_symlink(path: &Path) -> PathBuf {
    let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        // A dangling link cannot be canonicalised; then the link itself is replaced.
        fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    } else {
        path.to_path_buf()
    }
}

/// Makes the rename durable. Best effort: not every platform or file system allows opening a
/// directory, and the data itself is already synced.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}
