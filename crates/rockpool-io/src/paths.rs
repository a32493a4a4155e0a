//! The output-is-an-input guard: [`check_output_distinct`] refuses an output path that names
//! the same file as one of a command's inputs, before any work is done, so that no user file
//! is replaced by a command's result.

use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::error::{IoError, Result};

/// Refuses an output path that resolves to the same file as one of the inputs.
///
/// `output_flag` and the first member of each input pair name where the paths came from (a
/// CLI flag such as `--out`, or a configuration field); the error names both flags and both
/// paths as the user gave them. Call it before reading inputs or starting work.
///
/// Two paths are the same file when:
/// - both exist and are the same file system object (same device and inode on Unix), which
///   covers symbolic links (to the file or to a directory on the way), `./x` vs `x`, `..`
///   components and hard links; or
/// - the output does not exist yet and its resolved form (canonical parent directory plus
///   file name) equals the input's.
///
/// An output that is a character device (`/dev/null`, a terminal) is never refused: writing
/// to it replaces no file. Inputs that cannot be resolved (missing files) are skipped here;
/// reading them reports the problem.
///
/// # Errors
/// [`IoError::OutputIsInput`] naming the output flag and path and the first input it equals.
///
/// ```
/// use std::path::Path;
/// # let dir = std::env::temp_dir().join(format!("rockpool-io-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let input = dir.join("net.toml");
/// std::fs::write(&input, "n = 3\n").unwrap();
/// let same = dir.join(".").join("net.toml");
/// let err = rockpool_io::check_output_distinct("--out", &same, &[("--net", &input)]);
/// assert!(err.unwrap_err().to_string().contains("--out"));
/// assert!(rockpool_io::check_output_distinct("--out", &dir.join("o.npz"), &[("--net", &input)]).is_ok());
/// # std::fs::remove_dir_all(&dir).ok();
/// ```
pub fn check_output_distinct(
    output_flag: &str,
    output: &Path,
    inputs: &[(&str, &Path)],
) -> Result<()> {
    let out = Identity::of(output);
    if out.is_char_device {
        return Ok(());
    }
    for (input_flag, input) in inputs {
        if out.same_as(&Identity::of(input)) {
            return Err(IoError::OutputIsInput {
                output_flag: output_flag.to_string(),
                output: output.to_path_buf(),
                input_flag: (*input_flag).to_string(),
                input: input.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// What identifies a file: its device and inode when it exists (Unix), and its resolved path.
#[derive(Debug)]
struct Identity {
    /// `(device, inode)` of an existing file (following symbolic links).
    inode: Option<(u64, u64)>,
    /// Canonical path if it exists, else canonical parent plus file name, else the path made
    /// absolute and cleaned of `.` components.
    resolved: Option<PathBuf>,
    /// Whether the path names an existing character device.
    is_char_device: bool,
}

impl Identity {
    fn of(path: &Path) -> Self {
        let meta = fs::metadata(path).ok();
        Self {
            inode: meta.as_ref().and_then(inode),
            resolved: resolve(path),
            is_char_device: meta.as_ref().is_some_and(is_char_device),
        }
    }

    fn same_as(&self, other: &Self) -> bool {
        match (self.inode, other.inode) {
            (Some(a), Some(b)) => a == b,
            _ => self.resolved.is_some() && self.resolved == other.resolved,
        }
    }
}

#[cfg(unix)]
fn inode(meta: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn inode(_: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

#[cfg(unix)]
fn is_char_device(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    meta.file_type().is_char_device()
}

#[cfg(not(unix))]
fn is_char_device(_: &fs::Metadata) -> bool {
    false
}

/// The path in a form that is equal for every spelling of the same location.
fn resolve(path: &Path) -> Option<PathBuf> {
    if let Ok(canonical) = fs::canonicalize(path) {
        return Some(canonical);
    }
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(dir) = fs::canonicalize(parent) {
        return Some(dir.join(name));
    }
    // Parent missing too: the path made absolute, without `.` components.
    let absolute = std::env::current_dir().ok()?.join(path);
    Some(
        absolute
            .components()
            .filter(|c| !matches!(c, Component::CurDir))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("rockpool-io-paths-{name}-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn same_file_in_any_spelling_is_refused_naming_both_flags() {
        let dir = scratch("same");
        let input = dir.join("in.npz");
        fs::write(&input, b"data").unwrap();
        let sub = dir.join("sub");
        fs::create_dir_all(&sub).unwrap();
        for output in [
            input.clone(),
            dir.join(".").join("in.npz"),
            sub.join("..").join("in.npz"),
        ] {
            let err = check_output_distinct("--out", &output, &[("--net", &input)])
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("--out") && err.contains("--net") && err.contains("in.npz"),
                "{err}"
            );
        }
        // The first matching input is named, not another one.
        let other = dir.join("other.toml");
        fs::write(&other, b"x").unwrap();
        let err =
            check_output_distinct("-o", &input, &[("--config", &other), ("--params", &input)])
                .unwrap_err();
        assert!(
            matches!(err, IoError::OutputIsInput { ref input_flag, .. } if input_flag == "--params")
        );
        fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn relative_spellings_resolve_against_the_working_directory() {
        // `Cargo.toml` of this crate exists relative to the test's working directory.
        let plain = Path::new("Cargo.toml");
        let dotted = Path::new("./Cargo.toml");
        assert!(check_output_distinct("--out", dotted, &[("--input", plain)]).is_err());
        assert!(
            check_output_distinct(
                "--out",
                Path::new("./not-there.npz"),
                &[("--input", Path::new("not-there.npz"))]
            )
            .is_err()
        );
        assert!(check_output_distinct("--out", Path::new("src"), &[("--input", plain)]).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_and_hard_links_are_the_same_file() {
        let dir = scratch("links");
        let input = dir.join("params.npz");
        fs::write(&input, b"data").unwrap();
        let link = dir.join("link.npz");
        std::os::unix::fs::symlink(&input, &link).unwrap();
        let hard = dir.join("hard.npz");
        fs::hard_link(&input, &hard).unwrap();
        let dir_link = dir.join("dirlink");
        std::os::unix::fs::symlink(&dir, &dir_link).unwrap();
        for output in [&link, &hard, &dir_link.join("params.npz")] {
            let err = check_output_distinct("--out", output, &[("--params", &input)]).unwrap_err();
            assert!(err.to_string().contains("--params"), "{err}");
        }
        // A fresh output next to the inputs, and /dev/null, are fine.
        assert!(
            check_output_distinct("--out", &dir.join("new.npz"), &[("--params", &input)]).is_ok()
        );
        let null = Path::new("/dev/null");
        assert!(check_output_distinct("--out", null, &[("--input", null)]).is_ok());
        fs::remove_dir_all(&dir).ok();
    }
}
