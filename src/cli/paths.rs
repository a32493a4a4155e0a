//! Output paths checked against a command's inputs before any work is done, so that no
//! command ever writes its result over one of the files it reads (`evolve --out x.npy
//! --input x.npy`). Two paths name the same file when both exist and share device and inode
//! (which also catches symbolic and hard links, and `./a` against `a`), or, where that cannot
//! be told, when their canonical forms (the parent folder resolved, plus the file name) are
//! equal.
//!
//! A local helper until `rockpool_io` offers one (issue 13); the lead may unify them.

use std::path::{Path, PathBuf};

use rockpool::error::{Error, Result};

/// Refuses `output` (given on the command line as `out_flag`) when it names the same file
/// as any of `inputs` (`(flag, path)` pairs, such as `("--input", x.npy)`).
///
/// # Errors
/// [`Error::Value`] naming both flags and paths, and saying that nothing was written.
pub fn check_output_distinct(
    out_flag: &str,
    output: &Path,
    inputs: &[(&str, &Path)],
) -> Result<()> {
    for (flag, input) in inputs {
        if same_file(output, input) {
            return Err(Error::value(
                out_flag,
                format!(
                    "'{}' is the same file as {flag} '{}'; writing there would destroy an \
                     input. Choose another output path (nothing was done, nothing written)",
                    output.display(),
                    input.display()
                ),
            ));
        }
    }
    Ok(())
}

/// Whether `a` and `b` name the same file (see the module docs).
pub fn same_file(a: &Path, b: &Path) -> bool {
    if let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            return ma.dev() == mb.dev() && ma.ino() == mb.ino();
        }
        #[cfg(not(unix))]
        let _ = (ma, mb);
    }
    resolve(a) == resolve(b)
}

/// The canonical form of `p`: itself resolved when it exists, else its parent folder resolved
/// plus its file name, else the path made absolute as written.
fn resolve(p: &Path) -> PathBuf {
    if let Ok(c) = p.canonicalize() {
        return c;
    }
    let parent = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    match (parent.canonicalize(), p.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("rockpool-cli-paths-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn same_file_by_any_name() {
        let dir = temp_dir("same");
        let a = dir.join("a.npy");
        std::fs::write(&a, b"x").unwrap();
        let dotted = dir.join(".").join("a.npy");
        assert!(same_file(&a, &dotted));
        #[cfg(unix)]
        {
            let link = dir.join("link.npy");
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(&a, &link).unwrap();
            assert!(same_file(&link, &a));
            let hard = dir.join("hard.npy");
            let _ = std::fs::remove_file(&hard);
            std::fs::hard_link(&a, &hard).unwrap();
            assert!(same_file(&hard, &a));
        }
        let b = dir.join("b.npy");
        std::fs::write(&b, b"x").unwrap();
        assert!(!same_file(&a, &b));
        assert!(!same_file(&dir.join("new.npz"), &a));
        let err = check_output_distinct("--out", &dotted, &[("--net", &b), ("--input", &a)])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--out") && err.contains("--input") && err.contains("a.npy"),
            "{err}"
        );
        assert!(check_output_distinct("--out", &dir.join("c.npz"), &[("--input", &a)]).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
